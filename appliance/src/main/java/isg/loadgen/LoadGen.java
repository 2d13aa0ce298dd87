package isg.loadgen;

import isg.relay.ArrivalClock;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Simulated MC endpoints on real UDP sockets: a source that sends N SRTP streams of G.711-sized
 * packets (20 ms, 172 bytes) at a given rate towards a gateway, and a sink that receives them on
 * the far side and checks each is authentic (its own SRTP context), in order and byte-correct,
 * measuring loss, reordering and one-way latency (from when each packet left to when the kernel
 * took it in at the sink, {@link ArrivalClock}, so that the generator's own delay in reading does not
 * count against the gateway; from when it was read where the stamps are not available).
 */
public final class LoadGen implements AutoCloseable {

    /** One stream: who protects it at the source, who checks it at the sink, where it goes. */
    public static final class Stream {
        final int ssrc;
        final InetSocketAddress destination;
        final SrtpSender protect;
        final SrtpReceiver check;
        int nextSeq;
        int lastSeq = -1;
        /** This run's packets, protected before it started (when they fit {@link #PREPARE_BUDGET}). */
        byte[] prepared;
        int preparedLength;
        int preparedNext;
        int preparedCount;
        /** When each of the last {@link #SENT_HISTORY} packets left, by sequence number. */
        final long[] sentAt = new long[SENT_HISTORY];
        /** A context with the sender's own key in the sink's suite, tried on the first packet that arrives. */
        SrtpReceiver senderKeyAtSink;

        /** The first packet that arrives must fail under the sender's own key: the gateway re-protected it. */
        public Stream checkReprotected(SrtpReceiver senderKey) {
            this.senderKeyAtSink = senderKey;
            return this;
        }

        public Stream(int ssrc, InetSocketAddress destination, SrtpSender protect, SrtpReceiver check) {
            this.ssrc = ssrc;
            this.destination = destination;
            this.protect = protect;
            this.check = check;
        }
    }

    /**
     * What one run measured. {@code late} is how many packets the generator itself sent more than
     * {@link #LATE_SEND_NANOS} after their slot, and {@code maxLagMicros} its worst lag: a run whose
     * generator fell behind measures the generator, not the gateway ({@link #generatorKeptUp}).
     * {@code sinkDrops} is what the kernel dropped at the generator's own sink because its receive
     * buffer was full (lost by the generator, not the gateway), -1 where it cannot be read.
     */
    public record Result(long sent, long received, long bad, long reordered, double seconds, long p50Micros,
            long p99Micros, long p999Micros, long duplicates, long late, long maxLagMicros, long arrivedLate,
            long notReprotected, long sinkDrops) {
        public double loss() {
            return sent == 0 ? 0 : Math.max(0, sent - received) / (double) sent;
        }

        public double receivedPerSecond() {
            return received / seconds;
        }

        public double offeredPerSecond() {
            return sent / seconds;
        }

        /**
         * At most 1 % of the packets sent more than a millisecond after their slot, none more than
         * {@link #MAX_LAG_NANOS}. Latency is timed from when each packet really left, so a late
         * send never counts against the gateway; what a lag changes is the load offered, a burst
         * instead of an even spread, and beyond this bound the run measured the generator.
         */
        public boolean generatorKeptUp() {
            return late * 100 <= sent && maxLagMicros * 1000 <= MAX_LAG_NANOS;
        }
    }

    /**
     * The bytes of protected packets a run may prepare before it starts: then sending costs the
     * generator one system call per packet and no cryptography (a generator slower than the gateway
     * under test measures itself). Longer runs protect each packet as it is sent.
     */
    static final long PREPARE_BUDGET = 1L << 30;

    /** A packet that took longer than this from source to sink arrived too late for voice. */
    public static final long LATE_ARRIVAL_NANOS = 60_000_000;

    /** A send this long after its slot counts as the generator's lateness, not the gateway's. */
    public static final long LATE_SEND_NANOS = 1_000_000;

    /** A generator that fell this far behind its schedule offered bursts, not the load asked for. */
    public static final long MAX_LAG_NANOS = 10_000_000;

    /** Send times kept per stream (a power of two): 10 s at 50 packets/s. */
    static final int SENT_HISTORY = 512;

    public static final int PACKET = 172;

    private final DatagramChannel source;
    private final DatagramChannel sink;
    private final Map<Integer, Stream> bySsrc = new HashMap<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder bad = new LongAdder();
    private final LongAdder reordered = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder notReprotected = new LongAdder();
    private final long[] latencies = new long[1 << 21];
    private int latencyCount;

    public LoadGen() throws IOException {
        this(open(), open());
    }

    /**
     * Over given sockets: an MC endpoint sends and receives on one socket, so a two-way call uses
     * two generators over the same two sockets, crosswise. Each socket has one receiving generator.
     */
    public LoadGen(DatagramChannel source, DatagramChannel sink) {
        this.source = source;
        this.sink = sink;
        int fd = fdOf(sink);
        ArrivalClock c = fd < 0 ? null : ArrivalClock.create();
        if (c != null) {
            c.enable(fd);
        }
        this.sinkFd = c == null ? -1 : fd;
        this.sinkClock = c;
    }

    private final int sinkFd;
    private final ArrivalClock sinkClock;

    /**
     * Where arrival is timed: "kernel" (the kernel's stamp of each datagram at the sink) or "user"
     * (when the generator read it: its own delay counts as the gateway's).
     */
    public String arrivalTime() {
        return sinkClock != null ? "kernel" : "user";
    }

    /**
     * The descriptor of a JDK datagram socket, or -1 where the JDK does not let it be seen (it takes
     * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED}, which the benchmark gives).
     */
    static int fdOf(DatagramChannel ch) {
        try {
            return (int) Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal").invoke(ch);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    /** Stops a run early (Ctrl-C in the demo). */
    public void stop() {
        stopped = true;
    }

    private volatile boolean stopped;

    public static DatagramChannel open() throws IOException {
        return open("127.0.0.1");
    }

    /**
     * A socket on a free even port of {@code address} (an endpoint's RTP port: RTCP would be the
     * next one, RFC 3550 §11), with room for bursts.
     */
    public static DatagramChannel open(String address) throws IOException {
        InetSocketAddress at = new InetSocketAddress(address, 0);
        while (true) {
            DatagramChannel c = DatagramChannel.open(at.getAddress() instanceof java.net.Inet6Address
                    ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
            c.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            c.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 4 << 20);
            c.bind(at);
            if (((InetSocketAddress) c.getLocalAddress()).getPort() % 2 == 0) {
                return c;
            }
            c.close();
        }
    }

    /** Where the streams come from (the inside remote of the gateway's sessions). */
    public InetSocketAddress sourceAddress() throws IOException {
        return (InetSocketAddress) source.getLocalAddress();
    }

    /** Where the streams arrive (the far side's remote). */
    public InetSocketAddress sinkAddress() throws IOException {
        return (InetSocketAddress) sink.getLocalAddress();
    }

    public void add(Stream s) {
        bySsrc.put(s.ssrc, s);
    }

    /** The streams added, in no particular order. */
    public List<Stream> streams() {
        return List.copyOf(bySsrc.values());
    }

    public long sent() {
        return sent.sum();
    }

    public long received() {
        return received.sum();
    }

    public long bad() {
        return bad.sum();
    }

    /** Sends every stream at {@code packetsPerSecond} for {@code seconds} and receives until quiet. */
    public Result run(List<Stream> streams, int packetsPerSecond, double seconds) throws InterruptedException {
        return run(streams, packetsPerSecond, seconds, 300);
    }

    /**
     * As above, receiving after the last send until {@code drainMillis} pass without a packet, for
     * at most ten times that (a gateway under overload, or under emulation, may hold packets for
     * seconds: they are waited out so that none is counted lost while in flight).
     */
    public Result run(List<Stream> streams, int packetsPerSecond, double seconds, long drainMillis)
            throws InterruptedException {
        long sent0 = sent.sum();
        long received0 = received.sum();
        long bad0 = bad.sum();
        long reordered0 = reordered.sum();
        long duplicates0 = duplicates.sum();
        long notReprotected0 = notReprotected.sum();
        long sinkDrops0 = socketDrops(sinkFd);
        latencyCount = 0;
        int n = streams.size();
        long interval = 1_000_000_000L / packetsPerSecond;
        long perStream = (long) Math.ceil(seconds * packetsPerSecond) + 1;
        boolean prepare = n > 0 && perStream > 0 && perStream <= PREPARE_BUDGET / (PACKET + 32) / n;
        byte[] buf = new byte[PACKET + 64];
        PacketBuffer pb = new PacketBuffer();
        for (int i = 0; i < n; i++) {
            Stream st = streams.get(i);
            st.prepared = null;
            if (prepare) {
                prepare(st, (int) perStream, i, n, interval, buf, pb);
            }
        }
        // what the run allocates starts from an empty young generation (the collector's pause
        // falls here, not inside the run) and the packets protected ahead move out of it once
        System.gc();
        Loop loop = new Loop(streams, interval, seconds, drainMillis);
        runStart = loop.t0;
        try (java.nio.channels.Selector readable = java.nio.channels.Selector.open()) {
            source.configureBlocking(false);
            sink.configureBlocking(false);
            sink.register(readable, java.nio.channels.SelectionKey.OP_READ);
            long wait;
            while ((wait = loop.step()) != OVER) {
                if (wait > 1_000_000) {
                    readable.select(wait / 1_000_000);
                    readable.selectedKeys().clear();
                } else {
                    Thread.onSpinWait();
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("load generator sockets: " + e.getMessage(), e);
        }
        long t0 = loop.t0;
        long sendEnd = loop.sendEnd;
        long late = loop.late;
        long maxLag = loop.maxLag;
        double secs = (sendEnd - t0) / 1e9;
        long[] lat = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(lat);
        int onTime = Arrays.binarySearch(lat, LATE_ARRIVAL_NANOS);
        long arrivedLate = lat.length - (onTime >= 0 ? onTime + 1 : -onTime - 1);
        return new Result(sent.sum() - sent0, received.sum() - received0, bad.sum() - bad0,
                reordered.sum() - reordered0, secs, percentile(lat, 500), percentile(lat, 990), percentile(lat, 999),
                duplicates.sum() - duplicates0, late, maxLag / 1000, arrivedLate, notReprotected.sum() - notReprotected0,
                sinkDrops0 < 0 ? -1 : socketDrops(sinkFd) - sinkDrops0);
    }

    /**
     * The kernel's count of datagrams dropped at this process's socket {@code fd} (a full receive
     * buffer), from the last column of {@code /proc/net/udp}, or -1.
     */
    static long socketDrops(int fd) {
        if (fd < 0) {
            return -1;
        }
        try {
            String link = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd)).toString();
            if (!link.startsWith("socket:[")) {
                return -1;
            }
            String inode = link.substring(8, link.length() - 1);
            for (String table : new String[] {"/proc/net/udp", "/proc/net/udp6"}) {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 13 && f[9].equals(inode)) {
                        return Long.parseLong(f[f.length - 1]);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** What {@link Loop#step} returns when the run is over. */
    private static final long OVER = Long.MIN_VALUE;
    /** Packets read per pass at most, before the sends that have come due. */
    private static final int RECEIVE_BATCH = 16;

    /**
     * One run's schedule, one pass at a time. One thread sends and receives, on non-blocking
     * sockets: no second thread to wake per packet on the generator's one core, and a packet is
     * timed as soon as it is read. The pass is a method of its own, called from a loop that does
     * nothing else, so the JIT compiles it whole once, with the sending, the receiving and the
     * draining paths all seen in the warm-up: a loop compiled on the stack instead was
     * recompiled at the end of every run, and its compiler took the generator's core from it for
     * a scheduler tick at a time.
     */
    private final class Loop {
        final List<Stream> streams;
        final int n;
        final long interval;
        final long drainNanos;
        final byte[] buf = new byte[PACKET + 64];
        final byte[] in = new byte[8192];
        final ByteBuffer inBuf = ByteBuffer.wrap(in);
        final PacketBuffer pb = new PacketBuffer();
        final ByteBuffer out = ByteBuffer.allocateDirect(PACKET + 64);
        final long t0 = System.nanoTime();
        final long end;
        long sendEnd = -1;
        long drainEnd = Long.MAX_VALUE;
        long slot;
        long late;
        long maxLag;

        Loop(List<Stream> streams, long interval, double seconds, long drainMillis) {
            this.streams = streams;
            this.n = streams.size();
            this.interval = interval;
            this.drainNanos = drainMillis * 1_000_000;
            this.end = t0 + (long) (seconds * 1e9);
        }

        /**
         * Sends what is due, reads what has arrived. Every stream sends once per interval, each
         * at its own offset in it (as independent endpoints would), not all at once.
         *
         * @return nanoseconds until the next thing is due (negative: overdue), or {@link #OVER}
         */
        long step() throws IOException {
            long now = System.nanoTime();
            if (sendEnd < 0 && (now >= end || stopped || n == 0)) {
                sendEnd = now;
                drainEnd = now + drainNanos;
            }
            if (sendEnd < 0) {
                for (long due = (now - t0) * n / interval; slot <= due; slot++) {
                    long scheduled = offset(slot, n, interval);
                    long lag = now - (t0 + scheduled);
                    maxLag = Math.max(maxLag, lag);
                    if (!sendOne(streams.get((int) (slot % n)), scheduled, buf, pb, out) || lag > LATE_SEND_NANOS) {
                        late++;
                    }
                }
            }
            // a few at a time: a gateway that delivers a backlog at once must not hold up the sends
            int read = 0;
            while (read < RECEIVE_BATCH) {
                inBuf.clear();
                if (sink.receive(inBuf) == null) {
                    break;
                }
                long waited = sinkClock == null ? -1 : sinkClock.waitedNanos(sinkFd);
                long arrived = System.nanoTime();
                check(in, inBuf.position(), pb, waited < 0 ? arrived : arrived - waited);
                read++;
            }
            boolean arrived = read > 0;
            now = System.nanoTime();
            if (arrived && sendEnd >= 0) {
                // quiet for drainMillis, at most ten times that after the last send
                drainEnd = Math.min(Math.max(drainEnd, now + drainNanos), sendEnd + 10 * drainNanos);
            }
            if (now >= drainEnd) {
                return OVER;
            }
            return read == RECEIVE_BATCH ? 0 : (sendEnd < 0 ? t0 + offset(slot, n, interval) : drainEnd) - now;
        }
    }

    /**
     * When slot {@code slot} is due, in nanoseconds after the run's start: slot k is stream k % n
     * in interval k / n, each stream at its own offset in the interval.
     */
    private static long offset(long slot, int n, long interval) {
        return slot / n * interval + slot % n * interval / n;
    }

    /** The per-mille-th latency in microseconds of sorted nanoseconds (0 without any). */
    private static long percentile(long[] sorted, int perMille) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, sorted.length * (long) perMille / 1000)] / 1000;
    }

    /** The start of the current run: every packet carries its scheduled send time relative to it. */
    private long runStart;

    /**
     * Builds and protects a stream's next packet into {@code buf}: RTP header, the packet's
     * scheduled send time (nanoseconds after the run's start: the sink times the packet from when
     * it really left, and checks that time against this slot), then a pattern the sink checks byte
     * for byte.
     *
     * @return the protected length, or -1 when protection failed
     */
    private int build(Stream s, long scheduled, byte[] buf, PacketBuffer pb) {
        int seq = s.nextSeq++ & 0xFFFF;
        buf[0] = (byte) 0x80;
        buf[1] = 0;
        buf[2] = (byte) (seq >> 8);
        buf[3] = (byte) seq;
        isg.srtp.crypto.Bytes.putInt(buf, 4, seq * 160);
        isg.srtp.crypto.Bytes.putInt(buf, 8, s.ssrc);
        isg.srtp.crypto.Bytes.putLong(buf, 12, scheduled);
        for (int i = 20; i < PACKET; i++) {
            buf[i] = (byte) (seq + i);
        }
        pb.set(buf, 0, PACKET);
        return s.protect.protectRtp(pb) == SrtpStatus.OK ? pb.length() : -1;
    }

    /** Protects stream {@code i}'s packets of the coming run ahead of it. */
    private void prepare(Stream s, int count, int i, int n, long interval, byte[] buf, PacketBuffer pb) {
        int len = -1;
        for (int j = 0; j < count; j++) {
            int l = build(s, offset((long) j * n + i, n, interval), buf, pb);
            if (l < 0) {
                s.prepared = null; // protect as it goes: a failure is counted where it happens
                return;
            }
            if (s.prepared == null) {
                len = l;
                s.prepared = new byte[count * len];
            }
            System.arraycopy(buf, 0, s.prepared, j * len, len);
        }
        s.preparedLength = len;
        s.preparedNext = 0;
        s.preparedCount = count;
    }

    /** Sends the stream's next packet; false when its socket had no room (the generator's failure). */
    private boolean sendOne(Stream s, long scheduled, byte[] buf, PacketBuffer pb, ByteBuffer out) {
        out.clear();
        if (s.prepared != null && s.preparedNext < s.preparedCount) {
            out.put(s.prepared, s.preparedNext++ * s.preparedLength, s.preparedLength).flip();
        } else {
            int len = build(s, scheduled, buf, pb);
            if (len < 0) {
                bad.increment();
                return true;
            }
            out.put(buf, 0, len).flip();
        }
        int seq = (out.get(2) & 0xFF) << 8 | out.get(3) & 0xFF;
        try {
            // timed as it is handed to the kernel: on loopback the gateway may forward it, and the
            // kernel stamp it at the sink, before this send call has returned
            long leaving = System.nanoTime();
            if (source.send(out, s.destination) == 0) {
                return false;
            }
            s.sentAt[seq & (SENT_HISTORY - 1)] = leaving;
            sent.increment();
        } catch (IOException e) {
            bad.increment();
        }
        return true;
    }

    /** Checks one packet that arrived (at {@code now}, nanoTime): authentic, intact, its stream's, in order; times it. */
    private void check(byte[] buf, int len, PacketBuffer pb, long now) {
        Stream s = len >= 12 ? bySsrc.get(isg.srtp.crypto.Bytes.getInt(buf, 8)) : null;
        SrtpReceiver probe = s == null ? null : s.senderKeyAtSink;
        if (probe != null) {
            s.senderKeyAtSink = null;
            byte[] copy = Arrays.copyOf(buf, len);
            PacketBuffer pc = new PacketBuffer();
            pc.set(copy, 0, len);
            if (probe.unprotectRtp(pc) == SrtpStatus.OK) {
                notReprotected.increment(); // readable under the sender's own key
            }
            probe.close();
        }
        pb.set(buf, 0, len);
        SrtpStatus status = s == null ? SrtpStatus.AUTH_FAIL : s.check.unprotectRtp(pb);
        if (status == SrtpStatus.REPLAY) {
            duplicates.increment(); // an authentic packet delivered twice
            return;
        }
        if (status != SrtpStatus.OK || pb.length() != PACKET || !intact(buf)) {
            bad.increment();
            return;
        }
        int seq = isg.srtp.crypto.Bytes.getShort(buf, 2);
        if (s.lastSeq >= 0 && ((seq - s.lastSeq) & 0xFFFF) > 0x8000) {
            reordered.increment();
        }
        s.lastSeq = seq;
        if (latencyCount < latencies.length) {
            // from when it left; from its slot where that is no longer known (its history slot was
            // reused, or the time is not this packet's: it cannot have left before its slot)
            long scheduled = runStart + isg.srtp.crypto.Bytes.getLong(buf, 12);
            long left = s.sentAt[seq & (SENT_HISTORY - 1)];
            latencies[latencyCount++] = now - (left >= scheduled && left - scheduled <= MAX_LAG_NANOS * 100 ? left : scheduled);
        }
        received.increment();
    }

    private static boolean intact(byte[] buf) {
        int seq = isg.srtp.crypto.Bytes.getShort(buf, 2);
        for (int i = 20; i < PACKET; i++) {
            if (buf[i] != (byte) (seq + i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        source.close();
        sink.close();
    }
}
