package isg.relay;

import static isg.relay.GatewayPair.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * No two incarnations of a session share outside keys (interconnect v2), whatever brought the
 * second one about: a delete and a create with the same id, a restart of either gateway or of
 * both. An on-path attacker ("tap") records incarnation 1 on the interconnect; in incarnation 2
 * the same end-to-end packet crosses as different bytes (no GCM key and nonce repeat), and
 * everything recorded is refused as AUTH from another address without moving the partner's
 * latched address, while the current incarnation's packets cross.
 */
class IncarnationsTest {

    private static final String ID = "call-9";
    private static final int RECORDED = 10;

    @TempDir
    Path dir;

    enum Event {
        DELETE_AND_CREATE, RESTART_HOME, RESTART_PARTNER, RESTART_BOTH
    }

    @ParameterizedTest
    @EnumSource(Event.class)
    void noIncarnationSharesOutsideKeysOrAcceptsAnotherIncarnationsPackets(Event event) throws Exception {
        Random random = new Random(event.ordinal());
        try (GatewayPair g = new GatewayPair(dir, random); UdpPeer tap = new UdpPeer();
                UdpPeer attacker = new UdpPeer()) {
            // incarnation 1: the partner sends to the tap, which records and passes each packet on
            Session[] one = g.session(ID, Session.Mode.HOP, null, null, null, tap.address());
            byte[][] endToEnd = new byte[RECORDED][];
            List<byte[]> recorded = new ArrayList<>();
            for (int i = 0; i < RECORDED; i++) {
                endToEnd[i] = isg.srtp.TestPackets.rtp(1000 + i, 0x5EED, 160, random);
                g.mcPartner.send(false, endToEnd[i], one[1].inside().localRtp());
                byte[] wire = tap.receive(false, 2000);
                assertNotNull(wire, "the partner sent packet " + i);
                recorded.add(wire);
                tap.send(false, wire, one[0].outside().localRtp());
                assertArrayEquals(endToEnd[i], g.mcHome.receive(false, 2000), "incarnation 1, packet " + i);
            }
            assertEquals(tap.address(), one[0].outside().remoteRtp());

            Session h;
            Session p;
            switch (event) {
                case DELETE_AND_CREATE:
                    g.home.delete(ID);
                    g.partner.delete(ID);
                    Session[] both = g.session(ID, Session.Mode.HOP, null, null, null, tap.address());
                    h = both[0];
                    p = both[1];
                    break;
                case RESTART_BOTH:
                    g.restartHome();
                    g.restartPartner();
                    both = g.session(ID, Session.Mode.HOP, null, null, null, tap.address());
                    h = both[0];
                    p = both[1];
                    break;
                case RESTART_HOME:
                    // the partner's half lives on: home's new half takes its nonce, it takes home's new one
                    g.restartHome();
                    p = one[1];
                    h = g.home.create(new SessionSpec(ID, Session.Mode.HOP, "partner", g.mcHome.address(), null, null,
                            null, null, p.localNonce()));
                    g.partner.update(ID, null, null, h.localNonce());
                    break;
                case RESTART_PARTNER:
                    g.restartPartner();
                    h = one[0];
                    p = g.partner.create(new SessionSpec(ID, Session.Mode.HOP, "home", g.mcPartner.address(),
                            tap.address(), null, null, null, h.localNonce()));
                    g.home.update(ID, null, null, p.localNonce());
                    // taking back the earlier partner nonce would repeat home's earlier keys
                    RelayException again = assertThrows(RelayException.class, () -> g.home.key(ID, one[1].localNonce()));
                    assertEquals(409, again.status());
                    break;
                default:
                    throw new IllegalStateException();
            }

            // the same end-to-end packet (same SSRC, same sequence number) crosses as other bytes
            g.mcPartner.send(false, endToEnd[0], p.inside().localRtp());
            byte[] current = tap.receive(false, 2000);
            assertNotNull(current);
            assertEquals(recorded.get(0).length, current.length);
            assertFalse(Arrays.equals(recorded.get(0), current), "incarnation 2 encrypts under other keys");

            // every recorded packet of incarnation 1, replayed from elsewhere, is refused and moves nothing
            InetSocketAddress peerBefore = h.outside().remoteRtp();
            long authBefore = h.outside().counters().drops(DropReason.AUTH);
            for (byte[] w : recorded) {
                attacker.send(false, w, h.outside().localRtp());
            }
            eventually(() -> h.outside().counters().drops(DropReason.AUTH) - authBefore, RECORDED,
                    "every recorded packet refused as AUTH");
            assertEquals(peerBefore, h.outside().remoteRtp(), "the partner's address stays where it was");
            assertNull(g.mcHome.receive(false, 200), "nothing recorded reached the inside");

            // and the current incarnation's packet crosses
            tap.send(false, current, h.outside().localRtp());
            assertArrayEquals(endToEnd[0], g.mcHome.receive(false, 2000));
        }
    }
}
