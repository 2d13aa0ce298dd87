package isg.relay;

import static isg.relay.GatewayPair.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import isg.srtp.TestPackets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Datagrams of every size cross whole, on each transport the relay ships: a hop session delivers
 * them byte-identical up to {@code relay.maxDatagram}, a reprotect session re-protects them, and
 * a datagram over the limit is dropped as MALFORMED and counted with its true size, never cut
 * short and forwarded.
 */
class DatagramSizesTest {

    private static final int[] SIZES = {1000, 4096, 4200, 9000, 65000};

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void hopDeliversEverySizeByteIdentical(String transport) throws Exception {
        Random r = new Random(transport.hashCode());
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport(transport))) {
            assertTrue(g.home.transport().startsWith(transport), g.home.transport());
            Session[] s = g.session("big", Session.Mode.HOP, null, null, null, null);
            long bytes = 0;
            for (int size : SIZES) {
                byte[] e2e = TestPackets.rtp(size / 100, 0x6000, size - 12, r);
                g.mcHome.send(false, e2e, s[0].inside().localRtp());
                assertArrayEquals(e2e, g.mcPartner.receive(false, 3000), size + " bytes, home to partner");
                g.mcPartner.send(false, e2e, s[1].inside().localRtp());
                assertArrayEquals(e2e, g.mcHome.receive(false, 3000), size + " bytes, partner to home");
                bytes += size;
            }
            assertEquals(bytes, s[0].inside().counters().bytesIn(), "counted with their true sizes");
            assertEquals(bytes, s[1].inside().counters().bytesOut());
            assertEquals(0, s[0].inside().counters().drops() + s[1].outside().counters().drops());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void aDatagramOverTheLimitIsDroppedAndCountedWithItsTrueSize(String transport) throws Exception {
        Random r = new Random(transport.hashCode() + 1);
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport(transport).withMaxDatagram(9000))) {
            Session[] s = g.session("capped", Session.Mode.HOP, null, null, null, null);
            Counters in = s[0].inside().counters();
            for (int size : SIZES) {
                byte[] e2e = TestPackets.rtp(size / 100, 0x6001, size - 12, r);
                g.mcHome.send(false, e2e, s[0].inside().localRtp());
                if (size <= 9000) {
                    assertArrayEquals(e2e, g.mcPartner.receive(false, 3000), size + " bytes");
                }
            }
            eventually(() -> in.drops(DropReason.MALFORMED), 1, "the 65,000-byte datagram dropped as MALFORMED");
            assertEquals(Arrays.stream(SIZES).sum(), in.bytesIn(), "counted with its true size");
            assertNull(g.mcPartner.receive(false, 200), "nothing of it was forwarded");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void reprotectCarriesLargePacketsBothWays(String transport) throws Exception {
        Random r = new Random(transport.hashCode() + 2);
        SrtpSuite suite = SrtpSuite.AES_CM_128_HMAC_SHA1_80;
        MasterKey a = TestPackets.randomKey(suite, null, r);
        MasterKey b = TestPackets.randomKey(suite, null, r);
        MasterKey c = TestPackets.randomKey(suite, null, r);
        MasterKey d = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        try (GatewayPair g = new GatewayPair(dir, r, cfg -> cfg.withTransport(transport));
                SrtpSender tx = new SrtpSender(p, a); SrtpReceiver rx = new SrtpReceiver(p, d)) {
            Session[] s = g.session("v", Session.Mode.REPROTECT, suite, new MasterKey[] {a, b}, new MasterKey[] {c, d},
                    null);
            for (int size : SIZES) {
                byte[] plain = TestPackets.rtp(size / 100, 0x6002, size - 12 - 10, r);
                PacketBuffer pb = new PacketBuffer(Arrays.copyOf(plain, plain.length + 64), 0, plain.length);
                assertEquals(SrtpStatus.OK, tx.protectRtp(pb));
                g.mcHome.send(false, pb.toByteArray(), s[0].inside().localRtp());
                byte[] got = g.mcPartner.receive(false, 3000);
                PacketBuffer back = new PacketBuffer(Arrays.copyOf(got, got.length + 64), 0, got.length);
                assertEquals(SrtpStatus.OK, rx.unprotectRtp(back), size + " bytes");
                assertArrayEquals(plain, back.toByteArray());
            }
        }
    }
}
