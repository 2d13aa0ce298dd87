package isg.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.DerivedSrtpKeys;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftHsm;
import isg.hsm.SoftVault;
import isg.srtp.KeyDerivation;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;
import java.nio.file.Path;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault's in-token SRTP key derivation (AES-ECB inside the HSM) gives exactly what the
 * engine's own RFC 3711 KDF gives, for random master keys and salts of every suite, on both
 * vaults; so keys derived in the HSM can key the engine.
 */
class VaultDerivationMatchesEngineTest {

    @TempDir
    Path dir;

    static byte[] wrap(byte[] kek, byte[] key) throws Exception {
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        return c.wrap(new SecretKeySpec(key, "AES"));
    }

    private static void check(KeyVault vault) throws Exception {
        Random r = new Random(3711);
        byte[] kek = new byte[32];
        r.nextBytes(kek);
        KeyInfo t = vault.importTransportKey(Actor.CLI, NewKey.of("kek", KeyPurpose.TRANSPORT, "site"), kek);
        int n = 0;
        for (SrtpSuite suite : SrtpSuite.values()) {
            for (int trial = 0; trial < 4; trial++) {
                byte[] mk = new byte[suite.masterKeyLength()];
                byte[] ms = new byte[suite.masterSaltLength()];
                r.nextBytes(mk);
                r.nextBytes(ms);
                String label = "mk-" + n++;
                KeyInfo k = vault.importWrapped(Actor.API, NewKey.of(label, KeyPurpose.INTERCONNECT_MASTER, "p")
                        .withBits(mk.length * 8), t.uri(), wrap(kek, mk));
                int auth = suite.aead() ? 0 : SrtpSuite.HMAC_SHA1_KEY_LENGTH;
                try (DerivedSrtpKeys d = vault.deriveSrtp(Actor.INTERNAL, k.uri(), ms, mk.length, auth, ms.length)) {
                    int[] lengths = {mk.length, auth, ms.length, mk.length, auth, ms.length};
                    for (int l = 0; l < 6; l++) {
                        assertArrayEquals(KeyDerivation.derive(CryptoBackend.named("jdk"), mk, ms, l, lengths[l]),
                                d.forLabel(l), suite + " label " + l);
                    }
                }
            }
        }
    }

    @Test
    void softTokenDerivesAsTheEngineDoes() throws Exception {
        try (KeyVault v = SoftVault.open(dir.resolve("k.bcfks"), "pass phrase".toCharArray(), true, AuditLog.inMemory())) {
            check(v);
        }
    }

    @Test
    void pkcs11TokenDerivesAsTheEngineDoes() throws Exception {
        try (Pkcs11Vault v = Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory())) {
            for (KeyInfo k : v.list(Actor.INTERNAL)) {
                v.destroy(Actor.INTERNAL, k.uri());
            }
            check(v);
        }
    }
}
