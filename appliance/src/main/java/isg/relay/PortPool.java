package isg.relay;

import java.util.BitSet;

/** RTP/RTCP port pairs (even RTP, odd RTCP: RFC 3550 §11) from a configured range. */
final class PortPool {

    private final int first;
    private final int pairs;
    private final BitSet used;
    private int next;

    PortPool(int min, int max) {
        this.first = (min + 1) & ~1;
        this.pairs = Math.max(0, (max - first + 1) / 2);
        this.used = new BitSet(pairs);
    }

    /** An unused RTP port, or -1 when the range is exhausted. Round-robin so ports are not reused at once. */
    synchronized int take() {
        for (int i = 0; i < pairs; i++) {
            int p = (next + i) % pairs;
            if (!used.get(p)) {
                used.set(p);
                next = (p + 1) % pairs;
                return first + 2 * p;
            }
        }
        return -1;
    }

    synchronized void give(int rtpPort) {
        used.clear((rtpPort - first) / 2);
    }

    synchronized int free() {
        return pairs - used.cardinality();
    }
}
