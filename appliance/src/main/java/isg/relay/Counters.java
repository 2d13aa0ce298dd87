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

    /**
     * The kernel's count of UDP datagrams that arrived for a port nobody listens on (Udp NoPorts
     * in /proc/net/snmp): datagrams to an unallocated relay port are refused there, before any
     * socket of ours sees them. Host-wide; -1 where the file is not readable.
     */
    public static long kernelUdpNoPorts() {
        try {
            java.util.List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/snmp"));
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (lines.get(i).startsWith("Udp:") && lines.get(i + 1).startsWith("Udp:")) {
                    String[] names = lines.get(i).split("\\s+");
                    String[] values = lines.get(i + 1).split("\\s+");
                    for (int k = 0; k < names.length; k++) {
                        if (names[k].equals("NoPorts")) {
                            return Long.parseLong(values[k]);
                        }
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
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
