package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * With {@code connectedSockets}, each leg's sockets are connected to their peer: traffic flows as
 * before (also after the outside peer is set later), and a stranger's datagram is refused by the
 * kernel before ISG sees it (host-wide Udp NoPorts), never forwarded.
 */
class ConnectedSocketsTest {

    @Test
    void trafficFlowsAndStrangersAreRefusedByTheKernel() throws Exception {
        Random r = new Random(5);
        SrtpSuite suite = SrtpSuite.AES_CM_128_HMAC_SHA1_80;
        var a = isg.srtp.TestPackets.randomKey(suite, null, r);
        var b = isg.srtp.TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        try (Lab lab = new Lab(); KeyVault hv = lab.vault("home"); KeyVault pv = lab.vault("partner");
                Relay home = Lab.relay("home", "partner", hv, 25300, 4, 1, true);
                Relay partner = Lab.relay("partner", "home", pv, 25400, 4, 1, true);
                UdpPeer mcHome = new UdpPeer(); UdpPeer mcPartner = new UdpPeer(); UdpPeer stranger = new UdpPeer();
                SrtpSender tx = new SrtpSender(p, a); SrtpReceiver rx = new SrtpReceiver(p, b)) {
            Session h = home.create(new SessionSpec("c", Session.Mode.REPROTECT, "partner", mcHome.address(), null, suite,
                    a, a));
            Session q = partner.create(new SessionSpec("c", Session.Mode.REPROTECT, "home", mcPartner.address(),
                    h.outside().localRtp(), suite, b, b, h.localNonce()));
            home.update("c", null, q.outside().localRtp(), q.localNonce());
            // the (re)connect runs on the session's event loop
            long until = System.nanoTime() + 5_000_000_000L;
            while (!q.outside().localRtp().equals(h.outside().rtpChannel.remoteAddress()) && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertEquals(q.outside().localRtp(), h.outside().rtpChannel.remoteAddress(), "home's outside is connected");
            for (int i = 0; i < 10; i++) {
                byte[] plain = isg.srtp.TestPackets.rtp(100 + i, 0x77, 160, r);
                PacketBuffer pb = new PacketBuffer(Arrays.copyOf(plain, plain.length + 64), 0, plain.length);
                assertEquals(SrtpStatus.OK, tx.protectRtp(pb));
                mcHome.send(false, pb.toByteArray(), h.inside().localRtp());
                byte[] got = mcPartner.receive(false, 2000);
                PacketBuffer back = new PacketBuffer(Arrays.copyOf(got, got.length + 64), 0, got.length);
                assertEquals(SrtpStatus.OK, rx.unprotectRtp(back));
                assertArrayEquals(plain, back.toByteArray());
            }
            long refused = Counters.kernelUdpNoPorts();
            stranger.send(false, isg.srtp.TestPackets.rtp(1, 0x77, 160, r), h.inside().localRtp());
            assertNull(mcPartner.receive(false, 300), "a stranger's datagram is not forwarded");
            assertTrue(Counters.kernelUdpNoPorts() > refused, "the kernel refused it");
            assertEquals(0, h.inside().counters().drops(), "ISG never saw it");
        }
    }
}
