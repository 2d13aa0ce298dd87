package isg.hsm;

/**
 * RFC 3711 §4.3 key derivation (rate 0) laid out as AES-ECB input, so that a token can compute it
 * with the master key never leaving it: for label L the keystream is AES_K(x * 2^16 + j), with
 * x = master_salt XOR (L << 48) (a 96-bit GCM salt zero-padded to 112 bits, RFC 7714 §11), for
 * j = 0, 1, ... One ECB call covers all six labels.
 */
final class SrtpKdf {

    static final int LABELS = 6;

    private SrtpKdf() {
    }

    static int blocks(int length) {
        return (length + 15) / 16;
    }

    /** Counter blocks for labels 0..5 with the given output lengths (key, auth, salt per RTP/RTCP). */
    static byte[] counterBlocks(byte[] masterSalt, int[] lengths) {
        int total = 0;
        for (int l : lengths) {
            total += blocks(l);
        }
        byte[] in = new byte[total * 16];
        int at = 0;
        for (int label = 0; label < LABELS; label++) {
            for (int j = 0; j < blocks(lengths[label]); j++) {
                System.arraycopy(masterSalt, 0, in, at, masterSalt.length);
                in[at + 7] ^= (byte) label;
                in[at + 14] = (byte) (j >>> 8);
                in[at + 15] = (byte) j;
                at += 16;
            }
        }
        return in;
    }

    /** Cuts the ECB output into the six keys. */
    static DerivedSrtpKeys split(byte[] out, int[] lengths) {
        byte[][] keys = new byte[LABELS][];
        int at = 0;
        for (int label = 0; label < LABELS; label++) {
            keys[label] = java.util.Arrays.copyOfRange(out, at, at + lengths[label]);
            at += blocks(lengths[label]) * 16;
        }
        java.util.Arrays.fill(out, (byte) 0);
        return new DerivedSrtpKeys(keys);
    }

    /** Lengths for a suite: encryption key, auth key, salt; the same for SRTP and SRTCP. */
    static int[] lengths(int keyLength, int authLength, int saltLength) {
        return new int[] {keyLength, authLength, saltLength, keyLength, authLength, saltLength};
    }
}
