package isg.relay;

/**
 * Packets and bytes in and out, and drops by reason, of one leg (or the relay's totals). Written
 * by the one event loop that owns the leg; read by status reporting, which may see a value a
 * packet old. Longs are atomic on the 64-bit JVMs ISG runs on.
 */
public final class Counters {

    volatile long packetsIn;
    volatile long bytesIn;
    volatile long packetsOut;
    volatile long bytesOut;
    private final long[] drops = new long[DropReason.values().length];

    void in(int bytes) {
        packetsIn++;
        bytesIn += bytes;
    }

    void out(int bytes) {
        packetsOut++;
        bytesOut += bytes;
    }

    void drop(DropReason r) {
        drops[r.ordinal()]++;
    }

    public long packetsIn() {
        return packetsIn;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long packetsOut() {
        return packetsOut;
    }

    public long bytesOut() {
        return bytesOut;
    }

    public long drops(DropReason r) {
        return drops[r.ordinal()];
    }

    public long drops() {
        long n = 0;
        for (long d : drops) {
            n += d;
        }
        return n;
    }

    /** {"in":..,"out":..,"bytesIn":..,"bytesOut":..,"drops":{"AUTH":..}} */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"packetsIn\":").append(packetsIn).append(",\"bytesIn\":").append(bytesIn)
                .append(",\"packetsOut\":").append(packetsOut).append(",\"bytesOut\":").append(bytesOut)
                .append(",\"drops\":{");
        boolean first = true;
        for (DropReason r : DropReason.values()) {
            if (drops[r.ordinal()] != 0) {
                b.append(first ? "" : ",").append('"').append(r).append("\":").append(drops[r.ordinal()]);
                first = false;
            }
        }
        return b.append("}}").toString();
    }
}
