package isg.mc;

import isg.hsm.Actor;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/** Puts a gateway's RSK into a vault the way an operator does: wrapped under a transport key (isg keys import-rsk). */
public final class VaultRsk {

    private VaultRsk() {
    }

    /** Imports {@code rsk} for {@code domain} and key period {@code period}; a transport key is made on first use. */
    public static KeyInfo importInto(KeyVault vault, String domain, long period, byte[] rsk) throws Exception {
        byte[] kek = new byte[32];
        Fips.DRBG.nextBytes(kek);
        String label = "rsk-transport-" + Long.toHexString(Fips.DRBG.nextLong());
        KeyInfo t = vault.importTransportKey(Actor.CLI, NewKey.of(label, KeyPurpose.TRANSPORT, "site"), kek.clone());
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        byte[] wrapped = c.wrap(new SecretKeySpec(rsk, "HmacSHA512"));
        return vault.importWrapped(Actor.CLI, NewKey.of("rsk-" + domain + "-" + period, KeyPurpose.SAKKE_RSK, domain)
                .withBits(rsk.length * 8).withAttributes(Map.of(McPlane.ATTRIBUTE_PERIOD, Long.toString(period))),
                t.uri(), wrapped);
    }
}
