package isg.srtp.crypto;

/**
 * GHASH in plain Java with one 16-entry table per 4-bit position of the block: 32 tables of 16
 * field elements, 8 KiB per key. Multiplying by H is 32 look-ups and XORs with no reduction
 * step, without allocation. Field elements are two longs, {@code hi} holding the first eight
 * bytes big-endian; in GCM's bit order the most significant bit of {@code hi} is x^0.
 */
final class TableGhash extends Ghash {

    /** hi[pos * 16 + nibble], lo[...] = (nibble at 4-bit position pos) * H. */
    private final long[] hi = new long[32 * 16];
    private final long[] lo = new long[32 * 16];
    private long yHi;
    private long yLo;

    TableGhash(byte[] h, int off) {
        long vHi = Bytes.getLong(h, off);
        long vLo = Bytes.getLong(h, off + 8);
        // v runs through H * x^k for k = 0..127; bit k of a block is the coefficient of x^k.
        for (int k = 0; k < 128; k++) {
            int pos = k >>> 2;
            int bit = 8 >>> (k & 3);
            for (int n = 0; n < 16; n++) {
                if ((n & bit) != 0) {
                    hi[pos * 16 + n] ^= vHi;
                    lo[pos * 16 + n] ^= vLo;
                }
            }
            long carry = vLo & 1L;
            vLo = (vLo >>> 1) | (vHi << 63);
            vHi = (vHi >>> 1) ^ (carry != 0 ? 0xE100000000000000L : 0L);
        }
    }

    @Override
    void clearState() {
        yHi = 0;
        yLo = 0;
    }

    @Override
    void blocks(byte[] data, int off, int count) {
        long[] th = hi;
        long[] tl = lo;
        long h0 = yHi;
        long l0 = yLo;
        for (int b = 0; b < count; b++, off += 16) {
            long x = h0 ^ Bytes.getLong(data, off);
            long y = l0 ^ Bytes.getLong(data, off + 8);
            long zh = 0;
            long zl = 0;
            for (int pos = 0; pos < 16; pos++) {
                int i = (pos << 4) | (int) ((x >>> (60 - (pos << 2))) & 0xf);
                zh ^= th[i];
                zl ^= tl[i];
            }
            for (int pos = 0; pos < 16; pos++) {
                int i = 256 | (pos << 4) | (int) ((y >>> (60 - (pos << 2))) & 0xf);
                zh ^= th[i];
                zl ^= tl[i];
            }
            h0 = zh;
            l0 = zl;
        }
        yHi = h0;
        yLo = l0;
    }

    @Override
    void state(byte[] out, int off) {
        Bytes.putLong(out, off, yHi);
        Bytes.putLong(out, off + 8, yLo);
    }

    @Override
    void wipe() {
        super.wipe();
        Bytes.wipe(hi);
        Bytes.wipe(lo);
    }
}
