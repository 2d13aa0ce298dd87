package isg.srtp.crypto;

/**
 * GHASH (NIST SP 800-38D §6.4) in pure Java with one 16-entry table per 4-bit position of the
 * block: 32 tables of 16 field elements, 8 KiB per key. Multiplying by H is then 32 table
 * look-ups and XORs with no reduction step, fast on cores without carry-less multiply
 * (the Raspberry Pi 4's Cortex-A72 has none) and without allocation.
 *
 * <p>Field elements are two longs, {@code hi} holding the first eight bytes of the block
 * big-endian; in GCM's bit order the most significant bit of {@code hi} is the coefficient of
 * x^0.
 */
final class Ghash {

    /** table[(pos * 16 + nibble) * 2] = hi, [+1] = lo of (nibble at position pos) * H. */
    private final long[] table = new long[32 * 16 * 2];
    private final byte[] partial = new byte[16];
    private int partialLength;
    private long yHi;
    private long yLo;

    /** @param h the hash subkey E_K(0^128), 16 bytes; not retained */
    Ghash(byte[] h, int off) {
        long vHi = Bytes.getLong(h, off);
        long vLo = Bytes.getLong(h, off + 8);
        // v runs through H * x^k for k = 0..127; bit k of a block is the coefficient of x^k.
        for (int k = 0; k < 128; k++) {
            int pos = k >>> 2;
            int bit = 8 >>> (k & 3);
            for (int n = 0; n < 16; n++) {
                if ((n & bit) != 0) {
                    int i = (pos * 16 + n) * 2;
                    table[i] ^= vHi;
                    table[i + 1] ^= vLo;
                }
            }
            long carry = vLo & 1L;
            vLo = (vLo >>> 1) | (vHi << 63);
            vHi = (vHi >>> 1) ^ (carry != 0 ? 0xE100000000000000L : 0L);
        }
    }

    void reset() {
        yHi = 0;
        yLo = 0;
        partialLength = 0;
    }

    /** Absorbs bytes; a trailing partial block waits for more or for {@link #pad}. */
    void update(byte[] data, int off, int len) {
        if (partialLength > 0) {
            int n = Math.min(len, 16 - partialLength);
            System.arraycopy(data, off, partial, partialLength, n);
            partialLength += n;
            off += n;
            len -= n;
            if (partialLength < 16) {
                return;
            }
            block(Bytes.getLong(partial, 0), Bytes.getLong(partial, 8));
            partialLength = 0;
        }
        int end = off + (len & ~15);
        for (; off < end; off += 16) {
            block(Bytes.getLong(data, off), Bytes.getLong(data, off + 8));
        }
        int rest = len & 15;
        if (rest > 0) {
            System.arraycopy(data, off, partial, 0, rest);
            partialLength = rest;
        }
    }

    /** Zero-pads and absorbs a pending partial block (the end of A or of C). */
    void pad() {
        if (partialLength > 0) {
            for (int i = partialLength; i < 16; i++) {
                partial[i] = 0;
            }
            block(Bytes.getLong(partial, 0), Bytes.getLong(partial, 8));
            partialLength = 0;
        }
    }

    /** Absorbs the final len(A) || len(C) block (lengths in bits) and writes Y to out. */
    void finish(long aadBytes, long textBytes, byte[] out, int off) {
        pad();
        block(aadBytes << 3, textBytes << 3);
        Bytes.putLong(out, off, yHi);
        Bytes.putLong(out, off + 8, yLo);
    }

    private void block(long xHi, long xLo) {
        long hi = yHi ^ xHi;
        long lo = yLo ^ xLo;
        long zHi = 0;
        long zLo = 0;
        long[] t = table;
        for (int pos = 0; pos < 16; pos++) {
            int i = (pos * 16 + (int) ((hi >>> (60 - 4 * pos)) & 0xf)) * 2;
            zHi ^= t[i];
            zLo ^= t[i + 1];
        }
        for (int pos = 0; pos < 16; pos++) {
            int i = ((pos + 16) * 16 + (int) ((lo >>> (60 - 4 * pos)) & 0xf)) * 2;
            zHi ^= t[i];
            zLo ^= t[i + 1];
        }
        yHi = zHi;
        yLo = zLo;
    }

    void wipe() {
        Bytes.wipe(table);
        Bytes.wipe(partial);
        yHi = 0;
        yLo = 0;
    }
}
