package isg.relay;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Packets and bytes in and out, and drops by reason, of one leg or of one event loop. Each is
 * written by exactly one thread (the event loop that owns the leg, or the loop itself), so an
 * increment needs no atomic read-modify-write: the writer publishes each new value with a release
 * store and readers (status reporting) see a value at most a packet old. The relay's totals are
 * the sum over its event loops ({@link #sum}), so they are exact however many loops are busy.
 */
public final class Counters {

    private static final VarHandle PACKETS_IN = handle("packetsIn");
    private static final VarHandle BYTES_IN = handle("bytesIn");
    private static final VarHandle PACKETS_OUT = handle("packetsOut");
    private static final VarHandle BYTES_OUT = handle("bytesOut");

    private static VarHandle handle(String field) {
        try {
            return MethodHandles.lookup().findVarHandle(Counters.class, field, long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile long packetsIn;
    private volatile long bytesIn;
    private volatile long packetsOut;
    private volatile long bytesOut;
    private final java.util.concurrent.atomic.AtomicLongArray drops =
            new java.util.concurrent.atomic.AtomicLongArray(DropReason.values().length);

    // single writer: plain read, release store (no lock-prefixed instruction per packet)
    void in(int bytes) {
        PACKETS_IN.setRelease(this, packetsIn + 1);
        BYTES_IN.setRelease(this, bytesIn + bytes);
    }

    void out(int bytes) {
        PACKETS_OUT.setRelease(this, packetsOut + 1);
        BYTES_OUT.setRelease(this, bytesOut + bytes);
    }

    void drop(DropReason r) {
        drops.lazySet(r.ordinal(), drops.get(r.ordinal()) + 1);
    }

    /** A new Counters holding the sum of {@code parts}: e.g. every event loop's, for the relay's totals. */
    static Counters sum(Iterable<Counters> parts) {
        Counters t = new Counters();
        for (Counters c : parts) {
            t.packetsIn += c.packetsIn;
            t.bytesIn += c.bytesIn;
            t.packetsOut += c.packetsOut;
            t.bytesOut += c.bytesOut;
            for (int i = 0; i < t.drops.length(); i++) {
                t.drops.set(i, t.drops.get(i) + c.drops.get(i));
            }
        }
        return t;
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
        return drops.get(r.ordinal());
    }

    public long drops() {
        long n = 0;
        for (int i = 0; i < drops.length(); i++) {
            n += drops.get(i);
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
            long d = drops.get(r.ordinal());
            if (d != 0) {
                b.append(first ? "" : ",").append('"').append(r).append("\":").append(d);
                first = false;
            }
        }
        return b.append("}}").toString();
    }
}
