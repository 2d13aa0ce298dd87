package isg.loadgen;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Simulated MC endpoints on real UDP sockets: a source that sends N SRTP streams of G.711-sized
 * packets (20 ms, 172 bytes) at a given rate towards a gateway, and a sink that receives them on
 * the far side and checks each is authentic (its own SRTP context), in order and byte-correct,
 * measuring loss, reordering and one-way latency (the send time travels inside the payload).
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

        public Stream(int ssrc, InetSocketAddress destination, SrtpSender protect, SrtpReceiver check) {
            this.ssrc = ssrc;
            this.destination = destination;
            this.protect = protect;
            this.check = check;
        }
    }

    /** What one run measured. */
    public record Result(long sent, long received, long bad, long reordered, double seconds, long p50Micros,
            long p99Micros) {
        public double loss() {
            return sent == 0 ? 0 : Math.max(0, sent - received) / (double) sent;
        }

        public double receivedPerSecond() {
            return received / seconds;
        }
    }

    public static final int PACKET = 172;

    private final DatagramChannel source;
    private final DatagramChannel sink;
    private final Map<Integer, Stream> bySsrc = new HashMap<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder bad = new LongAdder();
    private final LongAdder reordered = new LongAdder();
    private final long[] latencies = new long[1 << 20];
    private int latencyCount;
    private final AtomicBoolean running = new AtomicBoolean();

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
    }

    /** Stops a run early (Ctrl-C in the demo). */
    public void stop() {
        stopped = true;
    }

    private volatile boolean stopped;

    public static DatagramChannel open() throws IOException {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
        c.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 4 << 20);
        c.bind(new InetSocketAddress("127.0.0.1", 0));
        return c;
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
     * As above, receiving for {@code drainMillis} after the last send (a gateway under overload may
     * hold packets for seconds: the soak waits them out so that none is counted lost while in flight).
     */
    public Result run(List<Stream> streams, int packetsPerSecond, double seconds, long drainMillis)
            throws InterruptedException {
        running.set(true);
        Thread receiver = new Thread(this::receiveLoop, "loadgen-sink");
        receiver.setDaemon(true);
        receiver.start();
        long t0 = System.nanoTime();
        long interval = 1_000_000_000L / packetsPerSecond;
        long end = t0 + (long) (seconds * 1e9);
        byte[] buf = new byte[PACKET + 64];
        PacketBuffer pb = new PacketBuffer();
        ByteBuffer out = ByteBuffer.allocateDirect(PACKET + 64);
        long tick = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= end || stopped) {
                break;
            }
            // every stream sends one packet per interval, spread across the interval
            long due = (now - t0) / interval;
            while (tick <= due) {
                for (Stream s : streams) {
                    sendOne(s, buf, pb, out);
                }
                tick++;
            }
            long next = t0 + tick * interval;
            long sleep = next - System.nanoTime();
            if (sleep > 200_000) {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            }
        }
        long sendEnd = System.nanoTime();
        Thread.sleep(drainMillis);
        running.set(false);
        receiver.interrupt();
        receiver.join(1000);
        double secs = (sendEnd - t0) / 1e9;
        long[] lat;
        synchronized (latencies) {
            lat = Arrays.copyOf(latencies, latencyCount);
        }
        Arrays.sort(lat);
        long p50 = lat.length == 0 ? 0 : lat[lat.length / 2] / 1000;
        long p99 = lat.length == 0 ? 0 : lat[(int) Math.min(lat.length - 1, lat.length * 99L / 100)] / 1000;
        return new Result(sent.sum(), received.sum(), bad.sum(), reordered.sum(), secs, p50, p99);
    }

    private void sendOne(Stream s, byte[] buf, PacketBuffer pb, ByteBuffer out) {
        int seq = s.nextSeq++ & 0xFFFF;
        buf[0] = (byte) 0x80;
        buf[1] = 0;
        buf[2] = (byte) (seq >> 8);
        buf[3] = (byte) seq;
        isg.srtp.crypto.Bytes.putInt(buf, 4, seq * 160);
        isg.srtp.crypto.Bytes.putInt(buf, 8, s.ssrc);
        isg.srtp.crypto.Bytes.putLong(buf, 12, System.nanoTime());
        for (int i = 20; i < PACKET; i++) {
            buf[i] = (byte) (seq + i);
        }
        pb.set(buf, 0, PACKET);
        if (s.protect.protectRtp(pb) != SrtpStatus.OK) {
            bad.increment();
            return;
        }
        out.clear();
        out.put(buf, 0, pb.length()).flip();
        try {
            source.send(out, s.destination);
            sent.increment();
        } catch (IOException e) {
            bad.increment();
        }
    }

    private void receiveLoop() {
        ByteBuffer in = ByteBuffer.allocateDirect(8192);
        byte[] buf = new byte[8192];
        PacketBuffer pb = new PacketBuffer();
        while (running.get()) {
            try {
                in.clear();
                if (sink.receive(in) == null) {
                    continue;
                }
            } catch (IOException e) {
                return;
            }
            long now = System.nanoTime();
            in.flip();
            int len = in.remaining();
            in.get(buf, 0, len);
            Stream s = len >= 12 ? bySsrc.get(isg.srtp.crypto.Bytes.getInt(buf, 8)) : null;
            pb.set(buf, 0, len);
            if (s == null || s.check.unprotectRtp(pb) != SrtpStatus.OK || pb.length() != PACKET || !intact(buf)) {
                bad.increment();
                continue;
            }
            int seq = isg.srtp.crypto.Bytes.getShort(buf, 2);
            if (s.lastSeq >= 0 && ((seq - s.lastSeq) & 0xFFFF) > 0x8000) {
                reordered.increment();
            }
            s.lastSeq = seq;
            synchronized (latencies) {
                if (latencyCount < latencies.length) {
                    latencies[latencyCount++] = now - isg.srtp.crypto.Bytes.getLong(buf, 12);
                }
            }
            received.increment();
        }
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
        running.set(false);
        source.close();
        sink.close();
    }
}
