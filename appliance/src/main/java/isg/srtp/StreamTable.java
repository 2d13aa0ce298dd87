package isg.srtp;

/**
 * SSRC to stream, open addressing with linear probing over a power-of-two table at most half
 * full; look-ups allocate nothing. Streams are only added (a context lives as long as its
 * session), up to a fixed maximum. The table starts small (a context carries one or two SSRCs)
 * and doubles as streams are added, up to what the maximum needs: a context costs a few hundred
 * bytes, not the two kilobytes a table sized for the maximum took, times every context of every
 * session. Growing allocates, once per doubling, when a new stream is added.
 */
final class StreamTable {

    /** Slots of a new table: room for four streams before it first grows. */
    static final int INITIAL_CAPACITY = 8;

    private int[] keys;
    private SrtpStream[] values;
    private int mask;
    private final int max;
    private final int maxCapacity;
    private int size;

    StreamTable(int max) {
        this.max = max;
        this.maxCapacity = Integer.highestOneBit(Math.max(2, max) * 2 - 1) << 1;
        allocate(Math.min(INITIAL_CAPACITY, maxCapacity));
    }

    private void allocate(int capacity) {
        keys = new int[capacity];
        values = new SrtpStream[capacity];
        mask = capacity - 1;
    }

    /** Slots the table has now (tests). */
    int capacity() {
        return values.length;
    }

    private static int hash(int ssrc) {
        int h = ssrc * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    SrtpStream get(int ssrc) {
        for (int i = hash(ssrc) & mask; ; i = (i + 1) & mask) {
            SrtpStream s = values[i];
            if (s == null || keys[i] == ssrc) {
                return s;
            }
        }
    }

    boolean full() {
        return size >= max;
    }

    int size() {
        return size;
    }

    void put(SrtpStream stream) {
        if (full()) {
            throw new IllegalStateException("stream table full");
        }
        if ((size + 1) * 2 > values.length && values.length < maxCapacity) {
            SrtpStream[] old = values;
            allocate(values.length * 2);
            for (SrtpStream s : old) {
                if (s != null) {
                    insert(s);
                }
            }
        }
        insert(stream);
        size++;
    }

    private void insert(SrtpStream stream) {
        for (int i = hash(stream.ssrc) & mask; ; i = (i + 1) & mask) {
            if (values[i] == null) {
                keys[i] = stream.ssrc;
                values[i] = stream;
                return;
            }
        }
    }

    void clear() {
        java.util.Arrays.fill(values, null);
        java.util.Arrays.fill(keys, 0);
        size = 0;
    }
}
