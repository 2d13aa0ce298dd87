package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import isg.srtp.TestPackets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A datagram that waited in the kernel longer than {@code relay.latencyBound} before the relay
 * could read it is dropped as LATE, on the leg it arrived on, and the leg goes on forwarding what
 * arrives on time; below the bound nothing is dropped. The wait is real: the gateway's event loop
 * is held busy (as an overloaded loop is) while the datagrams sit in its socket, and the kernel's
 * own arrival stamp says how long they sat there.
 */
class LateDropTest {

    private static final Duration BOUND = Duration.ofMillis(40);

    @TempDir
    Path dir;

    /** Holds {@code loop} busy until closed: what arrives meanwhile waits in the kernel. */
    private static AutoCloseable hold(EventLoop loop) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            holding.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(holding.await(10, TimeUnit.SECONDS), "the event loop took the task");
        return release::countDown;
    }

    /** Lets datagrams already in a socket wait well past the bound (the stimulus, not a wait for an outcome). */
    private static void waitPastTheBound() throws InterruptedException {
        Thread.sleep(3 * BOUND.toMillis());
    }

    @ParameterizedTest(name = "{0} sockets")
    @ValueSource(strings = {"unconnected", "connected"})
    void datagramsThatWaitedLongerThanTheBoundAreDroppedAsLate(String sockets) throws Exception {
        Random r = new Random(sockets.hashCode());
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport("epoll")
                .withConnectedSockets(sockets.equals("connected")).withLatencyBound(BOUND))) {
            assertEquals("40 ms from kernel arrival", g.home.lateness());
            Session[] s = g.session("late", Session.Mode.HOP, null, null, null, null);
            byte[] first = TestPackets.rtp(1, 0x1A7E, 160, r);
            g.mcHome.send(false, first, s[0].inside().localRtp());
            assertArrayEquals(first, g.mcPartner.receive(false, 3000));

            // the inside leg of home: its loop is held while 50 datagrams arrive, more than one read
            // batch of 16 takes
            Counters homeIn = s[0].inside().counters();
            int backlog = 50;
            try (AutoCloseable held = hold(s[0].inside().rtpChannel.eventLoop())) {
                for (int i = 2; i <= backlog + 1; i++) {
                    g.mcHome.send(false, TestPackets.rtp(i, 0x1A7E, 160, r), s[0].inside().localRtp());
                }
                waitPastTheBound();
            }
            GatewayPair.eventually(() -> homeIn.drops(DropReason.LATE), backlog, "each datagram that waited is LATE");
            assertEquals(backlog + 1, homeIn.packetsIn(), "counted in");
            assertEquals(1, s[0].outside().counters().packetsOut(), "none of them was forwarded");
            assertEquals(backlog, g.home.totals().drops(DropReason.LATE), "in the relay's totals");
            // the leg goes on: the next datagram is on time and crosses
            byte[] next = TestPackets.rtp(backlog + 2, 0x1A7E, 160, r);
            g.mcHome.send(false, next, s[0].inside().localRtp());
            assertArrayEquals(next, g.mcPartner.receive(false, 3000));

            // the outside leg of the partner: home forwards at once, the partner's loop is held
            Counters homeOut = s[0].outside().counters();
            Counters partnerOut = s[1].outside().counters();
            try (AutoCloseable held = hold(s[1].outside().rtpChannel.eventLoop())) {
                for (int i = backlog + 3; i <= backlog + 5; i++) {
                    g.mcHome.send(false, TestPackets.rtp(i, 0x1A7E, 160, r), s[0].inside().localRtp());
                }
                GatewayPair.eventually(homeOut::packetsOut, 5, "home sent them to the partner");
                waitPastTheBound();
            }
            GatewayPair.eventually(() -> partnerOut.drops(DropReason.LATE), 3, "LATE on the partner's outside leg");
            assertEquals(0, partnerOut.drops(DropReason.AUTH), "dropped unread, not checked");
            byte[] last = TestPackets.rtp(backlog + 6, 0x1A7E, 160, r);
            g.mcHome.send(false, last, s[0].inside().localRtp());
            assertArrayEquals(last, g.mcPartner.receive(false, 3000));
            assertEquals(3, s[1].inside().counters().packetsOut(), "the three on time reached the partner's MC side");
        }
    }

    @Test
    void withTheBoundOffWhatWaitedIsForwardedLate() throws Exception {
        Random r = new Random(11);
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport("epoll").withLatencyBound(Duration.ZERO))) {
            assertEquals("off (relay.latencyBound: off)", g.home.lateness());
            Session[] s = g.session("off", Session.Mode.HOP, null, null, null, null);
            byte[][] sent = new byte[5][];
            try (AutoCloseable held = hold(s[0].inside().rtpChannel.eventLoop())) {
                for (int i = 0; i < sent.length; i++) {
                    sent[i] = TestPackets.rtp(i + 1, 0x0FF, 160, r);
                    g.mcHome.send(false, sent[i], s[0].inside().localRtp());
                }
                waitPastTheBound();
            }
            for (byte[] p : sent) {
                assertArrayEquals(p, g.mcPartner.receive(false, 3000));
            }
            assertEquals(0, g.home.totals().drops(DropReason.LATE));
        }
    }

    @Test
    void onNioLatenessIsNotJudgedAndTheStatusSaysSo() throws Exception {
        Random r = new Random(12);
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport("nio").withLatencyBound(BOUND))) {
            assertEquals("off: judging lateness needs the epoll transport", g.home.lateness());
            Session[] s = g.session("nio", Session.Mode.HOP, null, null, null, null);
            byte[] p = TestPackets.rtp(1, 0x410, 160, r);
            try (AutoCloseable held = hold(s[0].inside().rtpChannel.eventLoop())) {
                g.mcHome.send(false, p, s[0].inside().localRtp());
                waitPastTheBound();
            }
            assertArrayEquals(p, g.mcPartner.receive(false, 3000));
        }
    }

    @Test
    void aBurstBelowTheBoundLosesNothing() throws Exception {
        Random r = new Random(13);
        // 120 datagrams in a burst fill read batches of 16 (and the MC peer's socket holds them all),
        // and each is judged by its stamp. The bound is a second: a JVM that has not forwarded much
        // yet runs interpreted code, and a burst at loopback speed can then really wait longer
        // than the default 60 ms (that is LATE, as it should be, but not this test's point)
        try (GatewayPair g = new GatewayPair(dir, r, c -> c.withTransport("epoll")
                .withLatencyBound(Duration.ofSeconds(1)))) {
            assertEquals("1000 ms from kernel arrival", g.home.lateness());
            Session[] s = g.session("burst", Session.Mode.HOP, null, null, null, null);
            byte[] first = TestPackets.rtp(1, 0xB0B, 160, r);
            g.mcHome.send(false, first, s[0].inside().localRtp());
            assertArrayEquals(first, g.mcPartner.receive(false, 3000));
            int n = 120;
            for (int i = 2; i <= n + 1; i++) {
                g.mcHome.send(false, TestPackets.rtp(i, 0xB0B, 160, r), s[0].inside().localRtp());
            }
            int got = 0;
            while (got < n && g.mcPartner.receive(false, 3000) != null) {
                got++;
            }
            assertEquals(n, got, "every datagram of the burst crossed both gateways: home " + g.home.totals().toJson()
                    + ", partner " + g.partner.totals().toJson());
            assertEquals(0, g.home.totals().drops(DropReason.LATE) + g.partner.totals().drops(DropReason.LATE));
        }
    }
}
