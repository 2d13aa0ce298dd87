package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.crypto.CryptoBackend;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The packet path of the {@code jdk} backend allocates nothing: re-protecting (unprotect with one
 * context, protect with another) RTP and RTCP of an established stream, and refusing a forged or
 * replayed packet, does not grow this thread's allocated-bytes counter. Counted, not timed.
 */
class AllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @EnumSource(SrtpSuite.class)
    void reprotectingAllocatesNothingPerPacket(SrtpSuite suite) throws Exception {
        Random r = new Random(suite.ordinal());
        SrtpPolicy p = SrtpPolicy.builder(suite).backend(CryptoBackend.named("jdk")).mkiLength(4).build();
        MasterKey a = TestPackets.randomKey(suite, new byte[] {1, 0, 0, 1}, r);
        MasterKey b = TestPackets.randomKey(suite, new byte[] {1, 0, 0, 2}, r);
        try (SrtpSender source = new SrtpSender(p, a); SrtpReceiver rx = new SrtpReceiver(p, a);
                SrtpSender tx = new SrtpSender(p, b)) {
            int packets = 2000;
            byte[][] rtp = new byte[packets][];
            byte[][] rtcp = new byte[packets][];
            int[] rtpLen = new int[packets];
            int[] rtcpLen = new int[packets];
            PacketBuffer pb = new PacketBuffer();
            long allocated = 0;
            // five rounds: the first warms the JIT and creates the streams; the last four count
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < packets; i++) {
                    rtp[i] = TestPackets.withRoom(TestPackets.rtp((round * packets + i) & 0xFFFF, 42, 160, r)).array();
                    pb.set(rtp[i], 0, 172);
                    assertEquals(SrtpStatus.OK, source.protectRtp(pb));
                    rtpLen[i] = pb.length();
                    rtcp[i] = TestPackets.withRoom(TestPackets.rtcp(42, 6, r)).array();
                    pb.set(rtcp[i], 0, 32);
                    assertEquals(SrtpStatus.OK, source.protectRtcp(pb));
                    rtcpLen[i] = pb.length();
                }
                byte[] forged = rtp[0].clone();
                forged[20] ^= 1;
                long before = THREADS.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < packets; i++) {
                    pb.set(rtp[i], 0, rtpLen[i]);
                    assertEquals(SrtpStatus.OK, rx.unprotectRtp(pb));
                    assertEquals(SrtpStatus.OK, tx.protectRtp(pb));
                    pb.set(rtcp[i], 0, rtcpLen[i]);
                    assertEquals(SrtpStatus.OK, rx.unprotectRtcp(pb));
                    assertEquals(SrtpStatus.OK, tx.protectRtcp(pb));
                    pb.set(forged, 0, rtpLen[0]);
                    rx.unprotectRtp(pb);
                }
                long used = THREADS.getCurrentThreadAllocatedBytes() - before;
                if (round > 0) {
                    allocated += used;
                }
            }
            double perPacket = allocated / (4.0 * packets * 3);
            assertTrue(perPacket < 0.5, suite + " allocated " + allocated + " bytes over " + (4 * packets * 3)
                    + " packets (" + perPacket + " per packet)");
        }
    }
}
