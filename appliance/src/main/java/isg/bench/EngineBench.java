package isg.bench;

import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;
import java.lang.management.ManagementFactory;
import java.security.InvalidKeyException;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Packets per second of one thread for protect, unprotect and re-protect (unprotect with one
 * context, protect with another) of 172-byte (G.711, 20 ms) and 1200-byte (video) RTP, and the
 * bytes the thread allocated per packet while doing it. Measured the way the libsrtp harness
 * measures itself: input for unprotect is made in untimed batches of {@value #BATCH} packets by a
 * separate sender, and each batch is then timed in place.
 */
public final class EngineBench {

    public static final SrtpSuite[] SUITES = {SrtpSuite.AEAD_AES_128_GCM, SrtpSuite.AES_CM_128_HMAC_SHA1_80};
    public static final int[] SIZES = {172, 1200};
    public static final String[] OPS = {"protect", "unprotect", "reprotect"};
    static final int BATCH = 4096;
    private static final int SSRC = 0x11223344;

    /** One measurement. */
    public record Result(String op, SrtpSuite suite, int bytes, String impl, double packetsPerSecond,
            double bytesAllocatedPerPacket) {
        public String line() {
            return String.format("BENCH %s %s %d %s %.0f", op, suite, bytes, impl, packetsPerSecond);
        }
    }

    private final CryptoBackend backend;
    private final SrtpSuite suite;
    private final int size;
    private final byte[] plain;
    private final byte[][] batch = new byte[BATCH][];
    private final int[] lengths = new int[BATCH];
    private final PacketBuffer pb = new PacketBuffer();
    private SrtpSender source;
    private SrtpReceiver receiver;
    private SrtpSender sender;
    private int sourceSeq;

    public EngineBench(CryptoBackend backend, SrtpSuite suite, int size) {
        this.backend = backend;
        this.suite = suite;
        this.size = size;
        this.plain = new byte[size];
        Arrays.fill(plain, (byte) 0xab);
        plain[0] = (byte) 0x80;
        plain[8] = (byte) (SSRC >>> 24);
        plain[9] = (byte) (SSRC >>> 16);
        plain[10] = (byte) (SSRC >>> 8);
        plain[11] = (byte) SSRC;
        for (int i = 0; i < BATCH; i++) {
            batch[i] = new byte[size + 64];
        }
    }

    /** A fixed master key per seed: benchmarks need no secrecy, only two different keys. */
    static MasterKey key(SrtpSuite suite, int seed) {
        byte[] k = new byte[suite.masterKeyLength()];
        byte[] s = new byte[suite.masterSaltLength()];
        for (int i = 0; i < k.length; i++) {
            k[i] = (byte) (seed + 7 * i);
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = (byte) (seed + 7 * (i + k.length));
        }
        return new MasterKey(k, s);
    }

    private SrtpPolicy policy() {
        return SrtpPolicy.builder(suite).backend(backend).build();
    }

    /** Fresh contexts: A protects the input and unprotects it, B protects the output. */
    public void reset() {
        try {
            source = new SrtpSender(policy(), key(suite, 1));
            receiver = new SrtpReceiver(policy(), key(suite, 1));
            sender = new SrtpSender(policy(), key(suite, 2));
        } catch (InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
        sourceSeq = 0;
    }

    private static void seq(byte[] b, int seq) {
        b[2] = (byte) (seq >>> 8);
        b[3] = (byte) seq;
    }

    /** Makes the next batch of SRTP packets (untimed). */
    public void fillBatch() {
        for (int i = 0; i < BATCH; i++) {
            System.arraycopy(plain, 0, batch[i], 0, size);
            seq(batch[i], sourceSeq++);
            pb.set(batch[i], 0, size);
            check(source.protectRtp(pb));
            lengths[i] = pb.length();
        }
    }

    /** Protects BATCH packets: copy the plain packet in, stamp its sequence number, protect. */
    public void protectBatch() {
        byte[] work = batch[0];
        for (int i = 0; i < BATCH; i++) {
            System.arraycopy(plain, 0, work, 0, size);
            seq(work, sourceSeq++);
            pb.set(work, 0, size);
            check(source.protectRtp(pb));
        }
    }

    /** Unprotects the current batch in place; with {@code reprotect}, protects each under B. */
    public void unprotectBatch(boolean reprotect) {
        for (int i = 0; i < BATCH; i++) {
            pb.set(batch[i], 0, lengths[i]);
            check(receiver.unprotectRtp(pb));
            if (reprotect) {
                check(sender.protectRtp(pb));
            }
        }
    }

    private static void check(SrtpStatus s) {
        if (s != SrtpStatus.OK) {
            throw new IllegalStateException("benchmark packet refused: " + s);
        }
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Runs {@code op} for about {@code seconds} of timed work and reports packets/s and bytes/packet. */
    public Result measure(String op, double warmupSeconds, double seconds) {
        reset();
        run(op, warmupSeconds, r -> { });
        long[] packets = {0};
        long[] nanos = {0};
        long allocBefore = THREADS.getCurrentThreadAllocatedBytes();
        long untimedAlloc = run(op, seconds, n -> {
            packets[0] += BATCH;
            nanos[0] += n;
        });
        long alloc = THREADS.getCurrentThreadAllocatedBytes() - allocBefore - untimedAlloc;
        return new Result(op, suite, size, backend.name(), packets[0] * 1e9 / nanos[0],
                Math.max(0, alloc) / (double) packets[0]);
    }

    /** @return bytes allocated by the untimed batch preparation, to leave out of the count */
    private long run(String op, double seconds, LongConsumer timed) {
        long budget = (long) (seconds * 1e9);
        long busy = 0;
        long untimed = 0;
        while (busy < budget) {
            if (!op.equals("protect")) {
                long a = THREADS.getCurrentThreadAllocatedBytes();
                fillBatch();
                untimed += THREADS.getCurrentThreadAllocatedBytes() - a;
            }
            long t0 = System.nanoTime();
            switch (op) {
                case "protect":
                    protectBatch();
                    break;
                case "unprotect":
                    unprotectBatch(false);
                    break;
                case "reprotect":
                    unprotectBatch(true);
                    break;
                default:
                    throw new IllegalArgumentException("unknown operation " + op);
            }
            long dt = System.nanoTime() - t0;
            busy += dt;
            timed.accept(dt);
        }
        return untimed;
    }
}
