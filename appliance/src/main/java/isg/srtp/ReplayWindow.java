package isg.srtp;

/**
 * A sliding replay window over packet indices (RFC 3711 §3.3.2): the highest index seen and a
 * bitmap of the {@code size} indices at and below it. {@link #check} and {@link #commit} are
 * separate so that a packet is looked at before authentication (cheap rejection of floods) but
 * recorded only after it authenticated: a forged packet must not move the window.
 *
 * <p>The bitmap is circular over a power of two at least {@code size}, so advancing by one index
 * clears one bit instead of shifting the whole map.
 */
final class ReplayWindow {

    static final int OK = 0;
    static final int REPLAY = 1;
    static final int TOO_OLD = 2;

    private final int size;
    private final long[] bits;
    private final int mask;
    /** The highest committed index, or -1 before the first. */
    private long top = -1;

    ReplayWindow(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("replay window size must be positive");
        }
        this.size = size;
        int capacity = Math.max(64, Integer.highestOneBit(size - 1) << 1);
        if (capacity < size) {
            capacity = size;
        }
        this.bits = new long[capacity >>> 6];
        this.mask = capacity - 1;
    }

    /** The highest index committed so far, or -1. */
    long top() {
        return top;
    }

    int check(long index) {
        if (top < 0 || index > top) {
            return OK;
        }
        long behind = top - index;
        if (behind >= size) {
            return TOO_OLD;
        }
        int p = (int) (index & mask);
        return (bits[p >>> 6] & (1L << p)) != 0 ? REPLAY : OK;
    }

    void commit(long index) {
        if (top < 0 || index - top > mask) {
            java.util.Arrays.fill(bits, 0L);
            top = index;
        } else if (index > top) {
            for (long i = top + 1; i <= index; i++) {
                int p = (int) (i & mask);
                bits[p >>> 6] &= ~(1L << p);
            }
            top = index;
        }
        int p = (int) (index & mask);
        bits[p >>> 6] |= 1L << p;
    }

    void reset() {
        java.util.Arrays.fill(bits, 0L);
        top = -1;
    }

    void copyFrom(ReplayWindow other) {
        System.arraycopy(other.bits, 0, bits, 0, bits.length);
        top = other.top;
    }
}
