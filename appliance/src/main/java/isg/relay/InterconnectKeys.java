package isg.relay;

import isg.hsm.Actor;
import isg.hsm.DerivedSrtpKeys;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import isg.srtp.SessionKeys;
import isg.srtp.SrtpSuite;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Outside-leg keys: derived inside the vault from the interconnect master key both gateways hold
 * for each other, with a master salt made from the session id and the sending gateway's id, so
 * each direction of each session has its own keys and no key ever crosses the interconnect.
 *
 * <pre>master_salt = SHA-256("ISG interconnect v1" 0x00 session-id 0x00 sender-gateway-id)[0..salt_len)</pre>
 * then the RFC 3711 KDF of that salt under the master key, in the vault.
 */
public final class InterconnectKeys {

    private InterconnectKeys() {
    }

    public static byte[] salt(String sessionId, String senderGateway, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("ISG interconnect v1".getBytes(StandardCharsets.US_ASCII));
            d.update((byte) 0);
            d.update(sessionId.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(senderGateway.getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(d.digest(), length);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SessionKeys derive(KeyVault vault, String masterUri, String sessionId, String senderGateway, SrtpSuite suite)
            throws VaultException {
        int auth = suite.aead() ? 0 : SrtpSuite.HMAC_SHA1_KEY_LENGTH;
        byte[] salt = salt(sessionId, senderGateway, suite.masterSaltLength());
        try (DerivedSrtpKeys d = vault.deriveSrtp(Actor.INTERNAL, masterUri, salt, suite.masterKeyLength(), auth,
                suite.masterSaltLength())) {
            byte[][] keys = new byte[6][];
            for (int l = 0; l < 6; l++) {
                keys[l] = d.forLabel(l);
            }
            SessionKeys k = new SessionKeys(null, keys);
            for (byte[] b : keys) {
                Arrays.fill(b, (byte) 0);
            }
            return k;
        }
    }
}
