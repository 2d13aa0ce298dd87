package isg.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways' channels on loopback with real TLS, one vault each (software token, SoftHSM2),
 * carrying TCP between their insides: what a client and server on either inside notice.
 */
class ChannelServiceTest {

    @TempDir
    Path dir;
    ChannelPair pair;

    @BeforeEach
    void up() throws Exception {
        pair = new ChannelPair(dir);
        pair.awaitUp();
    }

    @AfterEach
    void down() {
        pair.close();
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20000);
        return s;
    }

    /** Whether the gateway closed (or reset) a connection it did not take, without any data. */
    private static boolean closedByGateway(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketException e) {
            return true; // reset
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aClientOnTheHomeInsideReachesTheEchoOnThePartnerInsideWithExactBytes() throws Exception {
        byte[] sent = new byte[1 << 20];
        new Random(1).nextBytes(sent);
        byte[] got = new byte[sent.length];
        try (Socket s = connect(pair.echoService)) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(sent);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            writer.start();
            new DataInputStream(in).readFully(got);
            assertEquals(-1, in.read(), "the echo's half-close reaches the client after the last byte");
            writer.join();
        }
        assertArrayEquals(sent, got);
        ChannelPair.await("the stream closed on both gateways", 10, () -> pair.home.statusJson()
                .contains("\"name\":\"echo\",\"direction\":\"service\",\"active\":0,\"opened\":1,"
                        + "\"bytesToPartner\":1048576,\"bytesFromPartner\":1048576"));
        assertEquals(sent.length, pair.partnerEcho.bytes.get());
    }

    @Test
    void theIdentityKeyInSoftHsmIsSensitiveAndNeverExtractableAsPkcs11ToolSeesIt() throws Exception {
        String objects = isg.hsm.SoftHsm.get().listObjects();
        int at = objects.indexOf("Private Key Object; EC");
        String ours = null;
        for (String block : objects.split("\n(?=\\S)")) {
            if (block.startsWith("Private Key Object; EC") && block.contains("label:      " + pair.partnerKey + "\n")) {
                ours = block;
            }
        }
        assertTrue(at >= 0 && ours != null, objects);
        assertTrue(ours.contains("sensitive") && ours.contains("never extractable") && !ours.contains("  extractable"),
                ours);
        assertTrue(ours.matches("(?s).*Usage:\\s+sign\\s*\n.*"), "sign-only: " + ours);
    }

    @Test
    void sipSizedMessagesCrossBothWaysAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> out = pool.submit(() -> exchange(pair.echoService, 1));
            Future<Integer> back = pool.submit(() -> exchange(pair.sipService, 2));
            int a = out.get();
            int b = back.get();
            assertEquals(a, pair.partnerEcho.bytes.get(), "home -> partner octets");
            assertEquals(b, pair.homeEcho.bytes.get(), "partner -> home octets");
        } finally {
            pool.shutdownNow();
        }
    }

    /** 300 messages of 300..4000 octets, each echoed before the next; returns the octets sent. */
    private static int exchange(int port, long seed) throws IOException {
        Random r = new Random(seed);
        int total = 0;
        try (Socket s = connect(port)) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < 300; i++) {
                byte[] m = new byte[300 + r.nextInt(3700)];
                r.nextBytes(m);
                s.getOutputStream().write(m);
                byte[] e = new byte[m.length];
                in.readFully(e);
                assertArrayEquals(m, e, "message " + i);
                total += m.length;
            }
        }
        return total;
    }

    @Test
    void aThousandConcurrentStreams() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                Socket s = connect(pair.echoService);
                sockets.add(s);
                byte[] m = ("stream " + i + " ").repeat(40).getBytes();
                s.getOutputStream().write(m);
            }
            for (int i = 0; i < 1000; i++) {
                byte[] m = ("stream " + i + " ").repeat(40).getBytes();
                byte[] e = new byte[m.length];
                new DataInputStream(sockets.get(i).getInputStream()).readFully(e);
                assertArrayEquals(m, e, "stream " + i);
            }
            assertEquals(1000, pair.partnerEcho.accepted.get());
            assertTrue(pair.home.statusJson().contains("\"name\":\"echo\",\"direction\":\"service\",\"active\":1000,"),
                    pair.home.statusJson());
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
        ChannelPair.await("every stream ended on both sides", 20, () -> pair.partnerEcho.open.get() == 0
                && pair.home.statusJson().contains("\"name\":\"echo\",\"direction\":\"service\",\"active\":0,"));
    }

    @Test
    void aPartnerKilledMidStreamBreaksOnlyThatStreamRaisesPartnerDownAndComesBack() throws Exception {
        try (Socket s = connect(pair.echoService)) {
            s.getOutputStream().write("before".getBytes());
            byte[] e = new byte[6];
            new DataInputStream(s.getInputStream()).readFully(e);
            pair.partner.close();
            assertTrue(closedByGateway(s), "the stream in flight is broken");
        }
        ChannelPair.await("partner-down:partner raised", 20, () -> pair.homeAlarms.containsKey("partner-down:partner"));
        try (Socket refused = connect(pair.echoService)) {
            assertTrue(closedByGateway(refused), "no partner: the inside connection is closed at once");
        }
        // two: the stream broken in flight, and the connection refused while the partner was down
        assertTrue(pair.home.statusJson().contains("\"refused\":{\"partner-down\":2}"), pair.home.statusJson());
        pair.partner = pair.startPartner();
        ChannelPair.await("partner-down:partner cleared", 30, () -> !pair.homeAlarms.containsKey("partner-down:partner"));
        try (Socket s = connect(pair.echoService)) {
            s.getOutputStream().write("after".getBytes());
            byte[] e = new byte[5];
            new DataInputStream(s.getInputStream()).readFully(e);
            assertArrayEquals("after".getBytes(), e);
        }
    }

    @Test
    void withTheVaultDownNewHandshakesFailFastAndEstablishedStreamsKeepRunning() throws Exception {
        try (Socket s = connect(pair.echoService)) {
            s.getOutputStream().write("one".getBytes());
            assertEquals('o', s.getInputStream().read());
            pair.homeVault.down(true);
            // established: unaffected
            s.getOutputStream().write("two".getBytes());
            byte[] e = new byte[5];
            new DataInputStream(s.getInputStream()).readFully(e);
            assertArrayEquals("netwo".getBytes(), e);
            // new: a partner connecting now is refused at once, not after the handshake timeout
            int signed = pair.homeVault.signatures;
            long t0 = System.nanoTime();
            try (Socket raw = new Socket("127.0.0.1", pair.homePort)) {
                raw.setSoTimeout(10000);
                assertEquals(-1, raw.getInputStream().read());
            }
            assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "refused well within the 5 s handshake timeout");
            ChannelPair.await("vault-unavailable counted", 10,
                    () -> pair.home.statusJson().contains("\"refusedUnidentified\":{\"vault-unavailable\":1}"));
            assertEquals(signed, pair.homeVault.signatures, "nothing asked of the vault");
        } finally {
            pair.homeVault.down(false);
        }
    }

    @Test
    void controlMessagesReachThePartnerAndItsStatusIsShown() throws Exception {
        java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
        pair.partner.onControl("session-offer", (from, json) -> got.add(from + " " + json));
        assertTrue(pair.home.sendControl("partner", "{\"type\":\"session-offer\",\"session\":\"call-1\"}"));
        assertEquals("home {\"type\":\"session-offer\",\"session\":\"call-1\"}",
                got.poll(10, java.util.concurrent.TimeUnit.SECONDS));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> pair.home.sendControl("partner", "[1,2]"));
        assertFalse(pair.home.sendControl("nobody", "{\"type\":\"x\"}"));
        // each gateway announces itself: the partner's status is in home's
        assertTrue(pair.home.statusJson().contains("\"peer\":{\"type\":\"status\",\"gateway\":\"partner\",\"channel\":1"),
                pair.home.statusJson());
    }

    @Test
    void certificatesExpiringWithinTheWarningPeriodRaiseAlarms() throws Exception {
        // the test CAs issue for 30 days and the pair warns 30 days ahead: both certificates are due
        ChannelPair.await("cert-expiry alarms for ours and the partner's", 10,
                () -> pair.homeAlarms.containsKey("cert-expiry:local") && pair.homeAlarms.containsKey("cert-expiry:partner"));
        assertTrue(pair.homeAlarms.get("cert-expiry:partner").matches("partner partner's TLS certificate expires at "
                + "\\S+, within 30 days"), pair.homeAlarms.toString());
    }

    @Test
    void aServiceThePartnerDoesNotExportIsRefusedAndCounted() throws Exception {
        try (Socket s = connect(pair.nowhereService)) {
            s.getOutputStream().write("hello".getBytes());
            assertTrue(closedByGateway(s));
        }
        ChannelPair.await("no-such-service counted on both gateways", 10,
                () -> pair.home.statusJson().contains("\"name\":\"nowhere\",\"direction\":\"service\",\"active\":0,"
                        + "\"opened\":0,\"bytesToPartner\":0,\"bytesFromPartner\":0,\"refused\":{\"no-such-service\":1}")
                        && pair.partner.statusJson().contains("\"refused\":{\"no-such-service\":1}"));
        assertEquals(0, pair.partnerEcho.accepted.get(), "nothing reached the partner's inside");
    }

    @Test
    void aServiceAtItsConnectionLimitRefusesTheNextConnection() throws Exception {
        try (Socket a = connect(pair.twoService); Socket b = connect(pair.twoService)) {
            for (Socket s : List.of(a, b)) {
                s.getOutputStream().write("x".getBytes());
                assertEquals('x', s.getInputStream().read());
            }
            try (Socket c = connect(pair.twoService)) {
                assertTrue(closedByGateway(c));
            }
            assertTrue(pair.home.statusJson().contains("\"name\":\"two\",\"direction\":\"service\",\"active\":2,"
                    + "\"opened\":2,\"bytesToPartner\":2,\"bytesFromPartner\":2,\"refused\":{\"limit\":1}"),
                    pair.home.statusJson());
        }
    }

    @Test
    void anIdleStreamIsClosedAfterItsTimeout() throws Exception {
        try (Socket s = connect(pair.idleService)) {
            s.getOutputStream().write("x".getBytes());
            assertEquals('x', s.getInputStream().read());
            assertTrue(closedByGateway(s), "closed after 1 s idle");
        }
        ChannelPair.await("idle-timeout counted", 10, () -> pair.home.statusJson().contains("\"idle-timeout\":1"));
    }

    @Test
    void aReaderThatStopsReadingStopsItsSenderWithoutLosingAByte() throws Exception {
        byte[] chunk = new byte[64 * 1024];
        new Random(3).nextBytes(chunk);
        AtomicLong written = new AtomicLong();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(Echo.SOCKET_BUFFER);
            s.setSendBufferSize(Echo.SOCKET_BUFFER);
            s.setSoTimeout(20000);
            s.connect(new InetSocketAddress("127.0.0.1", pair.echoService));
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 0; i < 1024; i++) { // 64 MiB, far more than every buffer on the way
                        s.getOutputStream().write(chunk);
                        written.addAndGet(chunk.length);
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    // the socket closed at the end of the test
                }
            });
            writer.setDaemon(true);
            writer.start();
            // nobody reads the echo: the writer must stall, well short of the 64 MiB
            long before;
            do {
                before = written.get();
                Thread.sleep(500);
            } while (written.get() != before);
            // what can be in flight: the stream window each way, the gateways' four inside sockets
            // (send and receive buffers, which the kernel doubles), the four test-owned sockets,
            // and each side's write queue up to its high-water mark
            long inFlight = 2L * ChannelConnection.WINDOW
                    + 4L * 2 * 2 * ChannelService.INSIDE_SOCKET_BUFFER
                    + 4L * 2 * 2 * Echo.SOCKET_BUFFER
                    + 4L * 1024 * 1024;
            assertTrue(written.get() < inFlight, "the writer stalled after " + written.get()
                    + " octets, more than the " + inFlight + " that can be in flight");
            assertFalse(written.get() == 1024L * chunk.length);
            // now read everything back: nothing was dropped while the sender was held back
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] e = new byte[chunk.length];
            for (int i = 0; i < 1024; i++) {
                try {
                    in.readFully(e);
                } catch (EOFException eof) {
                    fail("the echo ended after " + i + " of 1024 chunks; " + written.get() + " octets written; "
                            + pair.home.statusJson());
                }
                assertArrayEquals(chunk, e, "chunk " + i);
            }
            writer.join(20000);
        }
    }
}
