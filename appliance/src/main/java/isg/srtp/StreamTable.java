package isg.srtp;

/**
 * SSRC to stream, open addressing with linear probing over a power-of-two table at most half
 * full; look-ups allocate nothing. Streams are only added (a context lives as long as its
 * session), up to a fixed maximum.
 */
final class StreamTable {

    private final int[] keys;
    private final SrtpStream[] values;
    private final int mask;
    private final int max;
    private int size;

    StreamTable(int max) {
        this.max = max;
        int capacity = Integer.highestOneBit(Math.max(2, max) * 2 - 1) << 1;
        keys = new int[capacity];
        values = new SrtpStream[capacity];
        mask = capacity - 1;
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
        for (int i = hash(stream.ssrc) & mask; ; i = (i + 1) & mask) {
            if (values[i] == null) {
                keys[i] = stream.ssrc;
                values[i] = stream;
                size++;
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
