package isg.mc;

import java.util.Arrays;
import javax.crypto.Mac;

/**
 * The MIKEY key derivation (RFC 3830 §4.1.2–4.1.3) with PRF-HMAC-SHA-256 (RFC 6043 §6.1), the
 * PRF TS 33.180 mandates: SRTP master keys and salts from a TEK generation key (GMK, PCK, CSK or
 * SPK), a crypto session ID, a crypto session bundle ID and the RAND of the MIKEY message.
 */
public final class MikeyKdf {

    /** §4.1.3 constants: TEK (the SRTP master key) and salting key (the SRTP master salt). */
    static final int TEK = 0x2AD01C64;
    static final int SALT = 0x39A2C14B;
    private static final int CHUNK = 32;
    private static final int HASH = 32;

    private MikeyKdf() {
    }

    /** The SRTP master key for crypto session {@code csId} of bundle {@code csbId}. */
    public static byte[] masterKey(byte[] tgk, int csId, int csbId, byte[] rand, int length) {
        return prf(tgk, label(TEK, csId, csbId, rand), length);
    }

    /** The SRTP master salt for crypto session {@code csId} of bundle {@code csbId}. */
    public static byte[] masterSalt(byte[] tgk, int csId, int csbId, byte[] rand, int length) {
        return prf(tgk, label(SALT, csId, csbId, rand), length);
    }

    /** As {@link #masterKey(byte[], int, int, byte[], int)}, keyed wherever the TGK is (the vault). */
    public static byte[] masterKey(KeyedHmac tgk, int csId, int csbId, byte[] rand, int length)
            throws KeyMaterialException {
        return prf(tgk, label(TEK, csId, csbId, rand), length);
    }

    /** As {@link #masterSalt(byte[], int, int, byte[], int)}, keyed wherever the TGK is (the vault). */
    public static byte[] masterSalt(KeyedHmac tgk, int csId, int csbId, byte[] rand, int length)
            throws KeyMaterialException {
        return prf(tgk, label(SALT, csId, csbId, rand), length);
    }

    /**
     * P(s, label, m) of §4.1.2 for a TGK of one 256-bit piece (every MC key), each HMAC by
     * {@code s} wherever it is: A_1 = HMAC(s, label), block i = HMAC(s, A_i || label).
     */
    static byte[] prf(KeyedHmac s, byte[] label, int length) throws KeyMaterialException {
        int m = (length + HASH - 1) / HASH;
        byte[] out = new byte[m * HASH];
        byte[] a = label;
        for (int i = 0; i < m; i++) {
            a = s.mac(a);
            byte[] in = Arrays.copyOf(a, a.length + label.length);
            System.arraycopy(label, 0, in, a.length, label.length);
            byte[] block = s.mac(in);
            System.arraycopy(block, 0, out, i * HASH, HASH);
            McCrypto.wipe(block, in);
        }
        McCrypto.wipe(a);
        byte[] result = Arrays.copyOf(out, length);
        McCrypto.wipe(out);
        return result;
    }

    /** label = constant || cs_id || csb_id || RAND (§4.1.3). */
    static byte[] label(int constant, int csId, int csbId, byte[] rand) {
        if (csId < 0 || csId > 255) {
            throw new IllegalArgumentException("a CS ID is one octet");
        }
        byte[] l = new byte[9 + rand.length];
        putInt(l, 0, constant);
        l[4] = (byte) csId;
        putInt(l, 5, csbId);
        System.arraycopy(rand, 0, l, 9, rand.length);
        return l;
    }

    /**
     * PRF(inkey, label) of §4.1.2: inkey split in 256-bit pieces s_1..s_n (the last may be
     * shorter), outkey = P(s_1, label, m) XOR ... XOR P(s_n, label, m) truncated, with
     * P(s, label, m) = HMAC(s, A_1 || label) || ... || HMAC(s, A_m || label), A_0 = label,
     * A_i = HMAC(s, A_(i-1)).
     */
    static byte[] prf(byte[] inkey, byte[] label, int length) {
        if (inkey == null || inkey.length == 0) {
            throw new IllegalArgumentException("the MIKEY PRF needs a key");
        }
        int m = (length + HASH - 1) / HASH;
        byte[] out = new byte[m * HASH];
        for (int off = 0; off < inkey.length; off += CHUNK) {
            byte[] s = Arrays.copyOfRange(inkey, off, Math.min(inkey.length, off + CHUNK));
            Mac mac = McCrypto.hmacSha256(s);
            byte[] a = label;
            for (int i = 0; i < m; i++) {
                a = mac.doFinal(a);
                mac.update(a);
                mac.update(label);
                byte[] block = mac.doFinal();
                for (int j = 0; j < HASH; j++) {
                    out[i * HASH + j] ^= block[j];
                }
                McCrypto.wipe(block);
            }
            McCrypto.wipe(s, a == label ? null : a);
        }
        byte[] result = Arrays.copyOf(out, length);
        McCrypto.wipe(out);
        return result;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
