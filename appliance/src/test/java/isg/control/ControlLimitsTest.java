package isg.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SoftVault;
import isg.relay.Relay;
import isg.relay.RelayConfig;
import isg.relay.StallingVault;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile or broken client can make the control API hold, over raw sockets: a connection
 * limit, idle and request-read timeouts, requests HTTP says are invalid, 100-continue only for the
 * token holder, strict JSON, and a create whose client went away.
 */
class ControlLimitsTest {

    private static final String TOKEN = "s3cret-token-for-tests-0123456789";

    @TempDir
    Path dir;

    private KeyVault real;
    private StallingVault vault;
    private Relay relay;
    private ControlServer server;
    private final AuditLog audit = AuditLog.inMemory();
    private final AuditLog vaultAudit = AuditLog.inMemory();
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        real = SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), true, vaultAudit);
        real.generate(Actor.CLI, NewKey.of("partner-a-master", KeyPurpose.INTERCONNECT_MASTER, "partner-a").withBits(128));
        vault = new StallingVault(real, 10_000);
        InetAddress lo = InetAddress.getLoopbackAddress();
        int base = 38000 + 40 * new java.util.Random().nextInt(40);
        relay = new Relay(new RelayConfig("home", lo, base, base + 9, lo, base + 20, base + 29,
                Map.of("partner-a", "pkcs11:object=partner-a-master"), Duration.ofMinutes(5), 4, "jdk"), vault, 1);
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        server = new ControlServer(relay, new InetSocketAddress(lo, 0), dir.resolve("token"), null, null, null,
                new ControlServer.Limits(4, Duration.ofMillis(1500), Duration.ofMillis(800)));
        server.audit(audit);
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        vault.release();
        server.close();
        relay.close();
        real.close();
    }

    private Socket open() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.address().getPort());
        s.setSoTimeout(5000);
        sockets.add(s);
        return s;
    }

    /** Everything the server sends until it closes the connection (or the timeout). */
    private static String readAll(Socket s) throws IOException {
        StringBuilder b = new StringBuilder();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                b.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            b.append("<" + e.getClass().getSimpleName() + ">");
        }
        return b.toString();
    }

    private String exchange(String request) throws IOException {
        Socket s = open();
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        return readAll(s);
    }

    /** True when the server closed the connection (EOF or reset) within the socket's timeout. */
    private static boolean closedByServer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAndIdleOnesAreLetGo() throws Exception {
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            idle.add(open());
        }
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (server.connectionCounters()[0] < 4 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(4, server.connectionCounters()[0], "four connections held");
        Socket fifth = open();
        assertTrue(closedByServer(fifth), "the fifth connection is closed at once");
        assertEquals(1, server.connectionCounters()[1]);
        // the idle ones are closed after the idle timeout, and the API answers again
        for (Socket s : idle) {
            assertTrue(closedByServer(s), "an idle connection is closed");
        }
        assertTrue(server.connectionCounters()[2] >= 4, "counted as closed idle");
        String r = exchange("GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200"), r);
    }

    @Test
    void aRequestTrickledByteByByteIsCutOff() throws Exception {
        Socket s = open();
        OutputStream out = s.getOutputStream();
        String req = "GET /status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n";
        long t0 = System.nanoTime();
        boolean cut = false;
        try {
            for (int i = 0; i < req.length() - 2; i++) {
                out.write(req.charAt(i));
                out.flush();
                Thread.sleep(100); // the slow client this test is about: a byte every 100 ms never idles out
            }
        } catch (java.net.SocketException e) {
            cut = true;
        }
        assertTrue(cut || closedByServer(s), "closed before the request was whole");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 4, "cut off after " + seconds + " s");
        assertEquals(1, server.connectionCounters()[3]);
    }

    @Test
    void requestsHttpCallsInvalidAre400414Or431BeforeTheTokenIsLookedAt() throws Exception {
        String r = exchange("POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        r = exchange("POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        r = exchange("POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\n{}\r\n0\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        r = exchange("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 414"), r);
        r = exchange("GET /status HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 431"), r);
        assertTrue(relay.sessions().isEmpty());
    }

    @Test
    void continueIsAnsweredOnlyToTheTokenHolder() throws Exception {
        String body = "{\"id\":\"c\",\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":{\"remote\":\"127.0.0.1:40000\"}}";
        Socket s = open();
        s.getOutputStream().write(("POST /sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-0123456789\r\n"
                + "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " + body.length()
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String r = readAll(s);
        assertTrue(r.startsWith("HTTP/1.1 401"), r);
        assertFalse(r.contains("100 Continue"), r);
        assertTrue(audit.lines().stream().anyMatch(l -> l.contains("\"action\":\"api-authenticate\"")
                && l.contains("\"reason\":\"wrong-token\"")), audit.lines().toString());

        s = open();
        s.getOutputStream().write(("POST /sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: "
                + body.length() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        byte[] first = new byte[25];
        int n = s.getInputStream().read(first);
        assertTrue(new String(first, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 100 Continue"));
        s.getOutputStream().write(body.getBytes(StandardCharsets.ISO_8859_1));
        r = readAll(s);
        assertTrue(r.contains("HTTP/1.1 201"), r);
    }

    @Test
    void jsonWithADuplicateKeyOrTrailingContentIsRefusedNamingIt() throws Exception {
        String dup = "{\"id\":\"a\",\"mode\":\"hop\",\"id\":\"b\",\"partner\":\"partner-a\",\"inside\":{\"remote\":\"127.0.0.1:40000\"}}";
        String r = exchange(post(dup));
        assertTrue(r.startsWith("HTTP/1.1 400") && r.contains("Duplicate field 'id'"), r);
        String trailing = "{\"id\":\"a\",\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":{\"remote\":\"127.0.0.1:40000\"}} {}";
        r = exchange(post(trailing));
        assertTrue(r.startsWith("HTTP/1.1 400") && r.contains("Trailing token"), r);
        assertTrue(relay.sessions().isEmpty());
    }

    private static String post(String body) {
        return "POST /sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Type: "
                + "application/json\r\nConnection: close\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                + "\r\n\r\n" + body;
    }

    @Test
    void aCreateWhoseClientWentAwayLeavesNoSession() throws Exception {
        vault.stallNext();
        String nonce = "00112233445566778899aabbccddeeff";
        Socket s = open();
        s.getOutputStream().write(post("{\"id\":\"orphan\",\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":"
                + "{\"remote\":\"127.0.0.1:40000\"},\"outside\":{\"partnerNonce\":\"" + nonce + "\"}}")
                .getBytes(StandardCharsets.UTF_8));
        assertTrue(vault.awaitStalled(5000), "the create is waiting on the vault");
        s.close();
        // the event loop notices the close; then the vault answers
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (server.connectionCounters()[0] > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        vault.release();
        deadline = System.nanoTime() + 5_000_000_000L;
        while (!audit.lines().stream().anyMatch(l -> l.contains("undone")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(relay.sessions().isEmpty(), "no session nobody asked for");
        assertTrue(audit.lines().stream().anyMatch(l -> l.contains("\"action\":\"session-delete\"")
                && l.contains("\"session\":\"orphan\"") && l.contains("undone")), audit.lines().toString());
        // the vault's own lines for the session say which session they were for
        assertTrue(vaultAudit.lines().stream().filter(l -> l.contains("\"actor\":\"INTERNAL\"")).allMatch(l -> l.contains(
                "\"session\":\"orphan\"")) && vaultAudit.lines().stream().filter(l -> l.contains("\"session\":\"orphan\""))
                .count() >= 3, vaultAudit.lines().toString());
    }
}
