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
 * The outside leg's key schedule, wire contract "ISG interconnect v2" (README, "The interconnect
 * key schedule"). Both gateways of a session hold the same interconnect master key in their
 * vaults; each session incarnation on each gateway draws a fresh 16-octet random value, its
 * <em>nonce</em>, and the two gateways learn each other's through the control API. The keys of
 * the direction from gateway S to gateway R are
 *
 * <pre>
 * context     = "ISG interconnect v2" || 0x00
 *               || len16(session id) || session id || len16(S) || S || len16(R) || R   (UTF-8)
 *               || nonce_S || nonce_R
 * master_salt = SHA-256(context)[0..14)                       (112 bits)
 * keys        = RFC 3711 §4.3.1 KDF, key derivation rate 0, under the interconnect master key
 *               with that master salt, computed inside the vault: labels 0 and 2 (SRTP
 *               encryption key, 12-octet salt), 3 and 5 (SRTCP); AEAD_AES_128_GCM for a 128-bit
 *               master key, AEAD_AES_256_GCM for a 256-bit one (RFC 7714), no MKI.
 * </pre>
 *
 * Because each side's nonce is fresh per incarnation and enters both directions' keys, no two
 * incarnations of a session share keys, whatever its id and whichever gateway restarted: nothing
 * recorded from one incarnation authenticates in another, and no sender reuses a GCM nonce under
 * a key it used before. Version 1 (keys from the session id and sender alone) repeated keys when
 * an id repeated and is not spoken.
 */
public final class InterconnectKeys {

    /** The contract's name; it is the first bytes hashed into every salt. */
    public static final String VERSION = "ISG interconnect v2";
    /** Octets of each gateway's per-incarnation nonce. */
    public static final int NONCE_LENGTH = 16;
    /** Octets of the master salt fed to the RFC 3711 KDF. */
    static final int MASTER_SALT_LENGTH = 14;

    private InterconnectKeys() {
    }

    /** A fresh nonce from {@code drbg} (the relay draws from its crypto backend's). */
    public static byte[] newNonce(java.security.SecureRandom drbg) {
        byte[] n = new byte[NONCE_LENGTH];
        drbg.nextBytes(n);
        return n;
    }

    /** A fresh nonce from the JDK's DRBG, for a gateway's peers (the load generator, tests). */
    public static byte[] newNonce() {
        return newNonce(isg.srtp.crypto.JdkBackend.INSTANCE.random());
    }

    /** The 14-octet master salt of the direction sender → receiver. */
    public static byte[] salt(String sessionId, String sender, String receiver, byte[] senderNonce,
            byte[] receiverNonce) {
        if (senderNonce.length != NONCE_LENGTH || receiverNonce.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("interconnect nonces are " + NONCE_LENGTH + " octets");
        }
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(VERSION.getBytes(StandardCharsets.US_ASCII));
            d.update((byte) 0);
            for (String s : new String[] {sessionId, sender, receiver}) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                if (b.length > 0xFFFF) {
                    throw new IllegalArgumentException("identifier longer than 65535 octets");
                }
                d.update((byte) (b.length >>> 8));
                d.update((byte) b.length);
                d.update(b);
            }
            d.update(senderNonce);
            d.update(receiverNonce);
            return Arrays.copyOf(d.digest(), MASTER_SALT_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The outside suite for an interconnect master key of {@code bits}. */
    public static SrtpSuite suite(int bits) {
        return bits == 128 ? SrtpSuite.AEAD_AES_128_GCM : SrtpSuite.AEAD_AES_256_GCM;
    }

    /** The session keys of the direction sender → receiver, derived in the vault. */
    public static SessionKeys derive(KeyVault vault, String masterUri, SrtpSuite suite, String sessionId, String sender,
            String receiver, byte[] senderNonce, byte[] receiverNonce) throws VaultException {
        byte[] salt = salt(sessionId, sender, receiver, senderNonce, receiverNonce);
        try (isg.hsm.AuditLog.Context why = isg.hsm.AuditLog.context("session", sessionId);
                DerivedSrtpKeys d = vault.deriveSrtp(Actor.INTERNAL, masterUri, salt, suite.masterKeyLength(), 0,
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
