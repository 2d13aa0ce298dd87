package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.TestPackets;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A datagram the kernel refuses on the way out is counted as SEND_FAILED on the leg it was to
 * leave by, on each transport the relay ships. The refusal here is real and
 * leaves nothing on any network: the legs are bound to 127.0.0.1, and the kernel will not route
 * from a loopback source to a host beyond loopback (EINVAL; ENETUNREACH where there is no route
 * at all). The peer is 203.0.113.77, an address for documentation (RFC 5737). The other direction
 * of the same session is not affected.
 */
class SendFailuresTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio"})
    void aRefusedSendIsCountedAsSendFailed(String transport) throws Exception {
        Random r = new Random(transport.hashCode() + 7);
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport(transport))) {
            assertTrue(g.home.transport().startsWith(transport), g.home.transport());
            Session[] s = g.session("refused", Session.Mode.HOP, null, null, null, null);
            // first, a datagram that crosses: the session works
            byte[] e2e = TestPackets.rtp(1, 0x5E4D, 160, r);
            g.mcHome.send(false, e2e, s[0].inside().localRtp());
            assertArrayEquals(e2e, g.mcPartner.receive(false, 3000));
            Counters out = s[0].outside().counters();
            assertEquals(1, out.packetsOut());
            // then home's outside peer becomes a host its socket cannot reach
            assertTrue(s[0].outside().localRtp().getAddress().isLoopbackAddress());
            g.home.update("refused", null, new InetSocketAddress("203.0.113.77", 40000), null);
            for (int i = 2; i <= 4; i++) {
                g.mcHome.send(false, TestPackets.rtp(i, 0x5E4D, 160, r), s[0].inside().localRtp());
            }
            GatewayPair.eventually(() -> out.drops(DropReason.SEND_FAILED), 3,
                    "each refused datagram counted on the outside leg");
            // packetsOut counted each as handed to the socket, and never goes back (a Prometheus counter)
            assertEquals(4, out.packetsOut(), "handed to the socket");
            assertEquals(3, g.home.totals().drops(DropReason.SEND_FAILED), "in the relay's totals too");
            assertEquals(4, g.home.totals().packetsOut() - s[0].inside().counters().packetsOut());
            // the other direction is untouched
            byte[] back = TestPackets.rtp(9, 0x5E4E, 160, r);
            g.mcPartner.send(false, back, s[1].inside().localRtp());
            assertArrayEquals(back, g.mcHome.receive(false, 3000));
        }
    }
}
