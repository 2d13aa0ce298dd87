package isg.box;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.board.Led;
import isg.board.LedPattern;
import isg.board.SimulatedBoard;
import isg.demo.Lab;
import isg.hsm.Actor;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import isg.relay.DropReason;
import isg.relay.Relay;
import isg.relay.RelayException;
import isg.relay.Session;
import isg.relay.SessionSpec;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Tamper and the zeroise button on the simulated board: keys wiped, nothing forwarded, vault
 * zeroised, alarm LED on, new sessions refused; and what the front panel shows before and after.
 */
class TamperTest {

    private static void eventually(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + 3_000_000_000L;
        while (!c.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertTrue(c.getAsBoolean(), what);
    }

    private static byte[] rtp(int seq) {
        byte[] p = new byte[60];
        p[0] = (byte) 0x80;
        p[3] = (byte) seq;
        p[11] = 9;
        return p;
    }

    private void scenario(boolean button) throws Exception {
        try (Lab lab = new Lab(); KeyVault vault = lab.vault("home"); Relay relay = Lab.relay("home", "partner", vault,
                26000 + (button ? 100 : 0), 4, 1); SimulatedBoard board = new SimulatedBoard(Duration.ofMillis(200));
                DatagramSocket mc = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                DatagramSocket partner = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            // the RTCP half of these test sockets is never used
            partner.setSoTimeout(300);
            Session s = relay.create(new SessionSpec("hop-1", Session.Mode.HOP, "partner",
                    (InetSocketAddress) mc.getLocalSocketAddress(), (InetSocketAddress) partner.getLocalSocketAddress(),
                    null, null, null, isg.relay.InterconnectKeys.newNonce()));
            TamperGuard guard = new TamperGuard(relay, vault, board);
            AtomicReference<TamperGuard.Zeroisation> alarm = new AtomicReference<>();
            CountDownLatch raised = new CountDownLatch(1);
            guard.onZeroised(z -> {
                alarm.set(z);
                raised.countDown();
            });
            try (FrontPanel panel = new FrontPanel(board, relay, vault)) {
                for (int i = 1; i <= 5; i++) {
                    byte[] p = rtp(i);
                    mc.send(new DatagramPacket(p, p.length, s.inside().localRtp()));
                    partner.receive(new DatagramPacket(new byte[2048], 2048));
                }
                eventually(() -> board.led(Led.INSIDE_LINK) == LedPattern.STEADY, "inside link lit while traffic flows");
                assertEquals(LedPattern.STEADY, board.led(Led.RUN));
                assertEquals(LedPattern.STEADY, board.led(Led.HSM));
                assertEquals(LedPattern.OFF, board.led(Led.ALARM));
                eventually(() -> board.watchdogKicks() > 0, "the healthy box kicks the watchdog");

                long t0 = System.nanoTime();
                if (button) {
                    board.zeroiseButton(true);
                } else {
                    board.tamperLoop(false);
                }
                assertTrue(raised.await(3, TimeUnit.SECONDS), "alarm raised");
                double toWipedMillis = (System.nanoTime() - t0) / 1e6;
                TamperGuard.Zeroisation z = alarm.get();
                assertEquals(button ? "zeroise button held" : "tamper loop opened", z.cause());
                assertEquals(1, z.sessionsWiped());
                assertTrue(relay.zeroised());
                assertTrue(s.outside().keysWiped() && s.inside().keysWiped(), "the session's keys are overwritten");
                if (!button) {
                    assertTrue(toWipedMillis < 1000, "tamper to keys wiped: " + toWipedMillis + " ms");
                }
                // nothing forwards any more, in either direction
                byte[] p = rtp(6);
                mc.send(new DatagramPacket(p, p.length, s.inside().localRtp()));
                DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
                assertThrows(java.net.SocketTimeoutException.class, () -> partner.receive(got));
                eventually(() -> s.inside().counters().drops(DropReason.CLOSED) == 1, "dropped as CLOSED");
                // the vault is zeroised and says so
                assertFalse(vault.healthy());
                assertEquals(VaultException.Reason.UNAVAILABLE,
                        assertThrows(VaultException.class, () -> vault.list(Actor.API)).reason());
                // new sessions are refused until re-keyed
                RelayException e = assertThrows(RelayException.class, () -> relay.create(new SessionSpec("hop-2",
                        Session.Mode.HOP, "partner", (InetSocketAddress) mc.getLocalSocketAddress(), null, null, null,
                        null)));
                assertEquals(503, e.status());
                assertNull(relay.session("hop-2"));
                eventually(() -> board.led(Led.ALARM) == LedPattern.STEADY, "alarm LED on");
                eventually(() -> board.led(Led.HSM) == LedPattern.OFF, "HSM LED off");
                long kicks = board.watchdogKicks();
                Thread.sleep(600);
                assertEquals(kicks, board.watchdogKicks(), "no watchdog kicks after zeroise");
                assertNotNull(guard.last());
            }
        }
    }

    @Test
    void openingTheTamperLoopWipesEverything() throws Exception {
        scenario(false);
    }

    @Test
    void holdingTheZeroiseButtonWipesEverything() throws Exception {
        scenario(true);
    }

    @Test
    void aWiperThatThrowsStopsNothing() throws Exception {
        try (Lab lab = new Lab(); KeyVault vault = lab.vault("home"); Relay relay = Lab.relay("home", "partner", vault,
                26400, 4, 1); SimulatedBoard board = new SimulatedBoard(Duration.ofMillis(200))) {
            Session s = relay.create(new SessionSpec("hop-1", Session.Mode.HOP, "partner",
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000), null, null, null, null,
                    isg.relay.InterconnectKeys.newNonce()));
            TamperGuard guard = new TamperGuard(relay, vault, board);
            java.util.concurrent.atomic.AtomicInteger secondWiperRan = new java.util.concurrent.atomic.AtomicInteger();
            guard.alsoWipe(() -> {
                throw new IllegalStateException("key ring busy");
            });
            guard.alsoWipe(secondWiperRan::incrementAndGet);
            java.util.List<TamperGuard.Zeroisation> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
            guard.onZeroised(z -> {
                throw new IllegalStateException("a broken listener");
            });
            guard.onZeroised(reports::add);
            TamperGuard.Zeroisation z = guard.zeroise("test");
            assertTrue(s.inside().keysWiped() && s.outside().keysWiped(), "session keys wiped");
            assertEquals(1, secondWiperRan.get(), "the wiper after the one that threw still ran");
            assertFalse(vault.healthy(), "the vault is zeroised although a wiper threw");
            assertEquals(LedPattern.STEADY, board.led(Led.ALARM), "ALARM lit although a wiper threw");
            assertEquals(java.util.List.of("wiper 1: IllegalStateException: key ring busy"), z.errors());
            assertEquals(1, reports.size(), "reported to the next listener although one threw");
            // a repeated trigger reports the same zeroisation again and does nothing else
            TamperGuard.Zeroisation again = guard.zeroise("tamper loop opened");
            assertEquals(z, again);
            assertEquals(1, secondWiperRan.get(), "a repeated trigger runs no wiper again");
            assertEquals(2, reports.size());
        }
    }
}
