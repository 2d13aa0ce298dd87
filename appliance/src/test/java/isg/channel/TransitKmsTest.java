package isg.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import isg.kms.KmsProxy;
import isg.policy.Policy;
import isg.policy.PolicyPoint;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TS 22.280 R-6.17.2-006 over three real gateways: a user served by system A asks for key
 * material of system C's KMS, and system B's gateway sits between them (A-B and B-C channels,
 * mutual TLS, keys in each vault). The request crosses only if A's outbound rule, B's inbound rule
 * for A and outbound rule for C (transit), and C's inbound rule all allow it; each refusal is a
 * KmsError from the gateway that refused, audited there.
 */
class TransitKmsTest {

    static final String KMS_C = "kms.c.example";

    @TempDir
    static Path dir;
    static final List<AutoCloseable> open = new ArrayList<>();
    static final Map<String, AuditLog> audit = Map.of("a", AuditLog.inMemory(), "b", AuditLog.inMemory(),
            "c", AuditLog.inMemory());
    static final Map<String, PolicyPoint> policy = new java.util.HashMap<>();
    static ChannelService a;
    static ChannelService b;
    static ChannelService c;
    static KmsProxy proxyA;
    static HttpServer kms;
    static final AtomicInteger kmsRequests = new AtomicInteger();
    static final byte[] ANSWER = ("<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><KmsUri>" + KMS_C
            + "</KmsUri><KmsMessage><KmsKeyProv/></KmsMessage></KmsResponse>").getBytes(StandardCharsets.UTF_8);

    static ChannelConfig.Partner partner(String id, Integer connect) {
        return new ChannelConfig.Partner(id, connect == null ? null : ChannelPair.loop(connect), 1,
                List.of(dir.resolve(id + "-ca.pem")), List.of(), "uri:isg:" + id, null, false, 64, Map.of(), Map.of());
    }

    static ChannelService start(String id, Integer listen, Map<String, ChannelConfig.Partner> partners) throws Exception {
        ChannelConfig cfg = new ChannelConfig(listen == null ? null : ChannelPair.loop(listen), "pkcs11:object=" + id + "-tls",
                "pkcs11:object=" + id + "-tls-cert", null, Duration.ofSeconds(5), Duration.ofSeconds(2), 30, 64, 16, 1,
                partners);
        KeyVault v = SoftVault.open(dir.resolve(id + ".bcfks"), (id + " pass").toCharArray(), false, AuditLog.inMemory());
        open.add(v);
        ChannelService s = ChannelService.start(cfg, v, id, Clock.systemUTC(), AuditLog.inMemory(), ChannelService.Alarms.NONE);
        open.add(0, s);
        return s;
    }

    static Policy.Rule rule(String name, boolean allow, Policy.Direction d, String partner, String users) {
        return new Policy.Rule(name, allow, d, partner, Set.of(Policy.Action.KEY_MATERIAL), users, KMS_C);
    }

    static KmsProxy proxy(String id, InetSocketAddress listen, Map<String, List<String>> partnerKms, String own, URI kmsUrl,
            ChannelService channel, List<Policy.Rule> rules) throws Exception {
        PolicyPoint p = new PolicyPoint(new Policy(rules), audit.get(id));
        policy.put(id, p);
        open.add(0, p);
        KmsProxy k = KmsProxy.start(new KmsProxy.Config(listen, partnerKms, Set.of(own), kmsUrl, "isg:" + id,
                Duration.ofSeconds(5)), channel, p, Clock.systemUTC());
        open.add(0, k);
        return k;
    }

    @BeforeAll
    static void up() throws Exception {
        ChannelPki pki = new ChannelPki(dir).ca("a-ca").ca("b-ca").ca("c-ca");
        for (String id : List.of("a", "b", "c")) {
            try (KeyVault v = SoftVault.open(dir.resolve(id + ".bcfks"), (id + " pass").toCharArray(), true,
                    AuditLog.inMemory())) {
                pki.gateway(v, id + "-tls", id + "-ca", "isg:" + id);
            }
        }
        kms = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        kms.createContext("/", ex -> {
            kmsRequests.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, ANSWER.length);
            ex.getResponseBody().write(ANSWER);
            ex.close();
        });
        kms.start();
        int bPort = ChannelPair.freePort();
        int cPort = ChannelPair.freePort();
        c = start("c", cPort, Map.of("b", partner("b", null)));
        b = start("b", bPort, Map.of("a", partner("a", null), "c", partner("c", cPort)));
        a = start("a", null, Map.of("b", partner("b", bPort)));
        proxyA = proxy("a", new InetSocketAddress("127.0.0.1", 0), Map.of("b", List.of(KMS_C)), "kms.a.example", null, a,
                List.of(rule("a-out", true, Policy.Direction.OUTBOUND, "b", "sip:*@a.example")));
        proxy("b", null, Map.of("a", List.of("kms.a.example"), "c", List.of(KMS_C)), "kms.b.example", null, b, List.of(
                rule("a-officers-in", true, Policy.Direction.INBOUND, "a", "sip:officer-*@a.example"),
                rule("not-officer-9", false, Policy.Direction.OUTBOUND, "c", "sip:officer-9@a.example"),
                rule("a-users-on-to-c", true, Policy.Direction.OUTBOUND, "c", "sip:*@a.example")));
        proxy("c", null, Map.of("b", List.of("kms.b.example")), KMS_C, URI.create("http://127.0.0.1:"
                + kms.getAddress().getPort()), c, List.of(
                rule("not-officer-7", false, Policy.Direction.INBOUND, "b", "sip:officer-7@a.example"),
                rule("a-officers-via-b", true, Policy.Direction.INBOUND, "b", "sip:officer-*@a.example")));
        ChannelPair.await("A-B and B-C up", 20, () -> a.partnerUp("b") && b.partnerUp("c") && c.partnerUp("b"));
    }

    @AfterAll
    static void down() throws Exception {
        for (AutoCloseable x : open) {
            x.close();
        }
        kms.stop(0);
    }

    record Reply(int status, String body, byte[] bytes) {
    }

    static Reply keyprov(String user) throws Exception {
        byte[] req = ("<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><UserUri>" + user + "</UserUri><KmsUri>"
                + KMS_C + "</KmsUri><Time>2026-12-01T10:00:00</Time><ClientReqUrl>https://" + KMS_C
                + "/keymanagement/identity/v1/keyprov</ClientReqUrl></KmsRequest>").getBytes(StandardCharsets.UTF_8);
        HttpURLConnection h = (HttpURLConnection) new URL("http://127.0.0.1:" + proxyA.address().getPort()
                + "/keymanagement/identity/v1/keyprov").openConnection();
        h.setRequestMethod("POST");
        h.setDoOutput(true);
        h.setReadTimeout(15000);
        try (OutputStream o = h.getOutputStream()) {
            o.write(req);
        }
        int status = h.getResponseCode();
        try (InputStream in = status < 400 ? h.getInputStream() : h.getErrorStream()) {
            byte[] body = in.readAllBytes();
            return new Reply(status, new String(body, StandardCharsets.UTF_8), body);
        }
    }

    static boolean audited(String gateway, String... parts) throws Exception {
        policy.get(gateway).flush();
        return audit.get(gateway).lines().stream().anyMatch(l -> java.util.Arrays.stream(parts).allMatch(l::contains));
    }

    @Test
    void aRequestEveryGatewayOnTheWayAllowsReachesTheKmsOfTheThirdSystem() throws Exception {
        Reply r = keyprov("sip:officer-1@a.example");
        assertEquals(200, r.status(), r.body());
        assertArrayEquals(ANSWER, r.bytes());
        assertTrue(audited("a", "\"id\":\"a-out\"", "ALLOWED", "sip:officer-1@a.example"));
        assertTrue(audited("b", "\"label\":\"a\"", "\"id\":\"a-officers-in\"", "ALLOWED", "sip:officer-1@a.example"));
        assertTrue(audited("b", "\"label\":\"c\"", "\"id\":\"a-users-on-to-c\"", "ALLOWED", "transit from a"));
        assertTrue(audited("c", "\"label\":\"b\"", "\"id\":\"a-officers-via-b\"", "ALLOWED", "sip:officer-1@a.example"));
    }

    @Test
    void eachGatewayOnTheWayCanRefuseAndSaysSo() throws Exception {
        int before = kmsRequests.get();
        // B refuses a user of A it does not let in
        Reply in = keyprov("sip:dispatcher-1@a.example");
        assertEquals(403, in.status());
        assertTrue(in.body().contains("by the partner system (default-deny)") && in.body().contains("<KmsUri>isg:b</KmsUri>"),
                in.body());
        assertTrue(audited("b", "\"label\":\"a\"", "\"id\":\"default-deny\"", "DENIED", "sip:dispatcher-1@a.example"));
        // B lets the user in but not on to C (its transit rule)
        Reply transit = keyprov("sip:officer-9@a.example");
        assertEquals(403, transit.status());
        assertTrue(transit.body().contains("in transit (not-officer-9)") && transit.body().contains("isg:b"), transit.body());
        assertTrue(audited("b", "\"label\":\"c\"", "\"id\":\"not-officer-9\"", "DENIED"));
        // C, where the KMS is, decides last (R-6.17.2-006: the system that holds it)
        Reply last = keyprov("sip:officer-7@a.example");
        assertEquals(403, last.status());
        assertTrue(last.body().contains("by the partner system (not-officer-7)") && last.body().contains("isg:c"),
                last.body());
        assertTrue(audited("c", "\"label\":\"b\"", "\"id\":\"not-officer-7\"", "DENIED"));
        assertEquals(before, kmsRequests.get(), "no refused request reached the KMS");
    }
}
