package isg.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SoftVault;
import isg.relay.LeakDetection;
import isg.relay.Relay;
import isg.relay.RelayConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control API over real HTTP: what an MC server or an operator sends and gets back. */
class ControlApiTest {

    private static final String TOKEN = "s3cret-token-for-tests-0123456789";

    @TempDir
    Path dir;

    private KeyVault vault;
    private Relay relay;
    private ControlServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        LeakDetection.install();
        vault = SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), true, AuditLog.inMemory());
        vault.generate(Actor.CLI, NewKey.of("partner-a-master", KeyPurpose.INTERCONNECT_MASTER, "partner-a").withBits(128));
        InetAddress lo = InetAddress.getLoopbackAddress();
        int base = 30000 + 200 * new java.util.Random().nextInt(40);
        relay = new Relay(new RelayConfig("home", lo, base, base + 9, lo, base + 100, base + 109,
                Map.of("partner-a", "pkcs11:object=partner-a-master"), Duration.ofMinutes(5), 10, "jdk"), vault, 1);
        Path token = dir.resolve("token");
        Files.writeString(token, TOKEN + "\n");
        server = new ControlServer(relay, new InetSocketAddress(lo, 0), token);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        relay.close();
        vault.close();
        LeakDetection.assertNoLeaks();
    }

    private HttpResponse<String> call(String method, String path, String body, String token, String type)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (type != null) {
            b.header("Content-Type", type);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, body, TOKEN, "application/json");
    }

    private static String key(int bytes) {
        return Base64.getEncoder().encodeToString(new byte[bytes]);
    }

    private static String reprotect(String id, String partner, String receiveKey) {
        return "{\"id\":\"" + id + "\",\"mode\":\"reprotect\",\"partner\":\"" + partner + "\",\"inside\":{\"remote\":"
                + "\"127.0.0.1:40000\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"receiveKey\":\"" + receiveKey
                + "\",\"sendKey\":\"" + key(30) + "\"}}";
    }

    @Test
    void aGatewayInNoMcDomainRefusesMikeyAndGroupSessions() throws Exception {
        HttpResponse<String> r = call("POST", "/mikey", "{\"message\":\"AAAA\"}");
        assertEquals(409, r.statusCode());
        assertTrue(r.body().contains("no MC domain"), r.body());
        r = call("POST", "/sessions", "{\"id\":\"g\",\"mode\":\"reprotect\",\"partner\":\"partner-a\",\"inside\":"
                + "{\"remote\":\"127.0.0.1:40000\",\"suite\":\"AEAD_AES_128_GCM\",\"sendKey\":\"" + key(28)
                + "\",\"group\":{\"csId\":4}}}");
        assertEquals(409, r.statusCode());
        assertTrue(relay.sessions().isEmpty());
    }

    @Test
    void requestsWithoutTheTokenAreRefused() throws Exception {
        HttpResponse<String> r = call("GET", "/sessions", null, null, null);
        assertEquals(401, r.statusCode());
        assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertEquals(401, call("POST", "/sessions", reprotect("a", "partner-a", key(30)), "wrong-token-xxxxxxxx",
                "application/json").statusCode());
        assertTrue(relay.sessions().isEmpty());
    }

    @Test
    void malformedAndConflictingRequestsGetPrecise4xxAndCreateNothing() throws Exception {
        assertEquals(415, call("POST", "/sessions", reprotect("a", "partner-a", key(30)), TOKEN, "text/plain").statusCode());
        HttpResponse<String> r = call("POST", "/sessions", "{not json");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("not valid JSON"), r.body());
        r = call("POST", "/sessions", "{\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":{\"remote\":\"127.0.0.1:40000\"}}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("id is required"), r.body());
        r = call("POST", "/sessions", reprotect("a", "partner-a", key(29)));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("inside.receiveKey must be 30 bytes"), r.body());
        r = call("POST", "/sessions", reprotect("a", "partner-a", key(30)).replace("\"inside\"", "\"insdie\""));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("unknown field insdie"), r.body());
        r = call("POST", "/sessions", reprotect("a", "partner-a", key(30)).replace("40000", "40001"));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("even RTP port"), r.body());
        r = call("POST", "/sessions", reprotect("a", "nobody", key(30)));
        assertEquals(422, r.statusCode());
        assertTrue(r.body().contains("partner 'nobody' is not configured"), r.body());
        assertTrue(relay.sessions().isEmpty(), "nothing half-created");

        r = call("POST", "/sessions", reprotect("call-1", "partner-a", key(30)));
        assertEquals(201, r.statusCode(), r.body());
        assertEquals("/sessions/call-1", r.headers().firstValue("Location").orElse(""));
        r = call("POST", "/sessions", reprotect("call-1", "partner-a", key(30)));
        assertEquals(409, r.statusCode());
        assertEquals(1, relay.sessions().size());

        assertEquals(405, call("PUT", "/sessions", "{}").statusCode());
        assertTrue(call("PUT", "/sessions", "{}").headers().firstValue("Allow").orElse("").contains("POST"));
        assertEquals(404, call("GET", "/nothing", null).statusCode());
        assertEquals(404, call("GET", "/sessions/nope", null).statusCode());
        assertEquals(400, call("PATCH", "/sessions/call-1", "{\"outside\":{\"remote\":\"bogus\"}}").statusCode());
    }

    @Test
    void aSessionIsCreatedShownChangedAndDeleted() throws Exception {
        HttpResponse<String> r = call("POST", "/sessions", "{\"id\":\"g-1\",\"mode\":\"hop\",\"partner\":\"partner-a\","
                + "\"inside\":{\"remote\":\"127.0.0.1:40000\"}}");
        assertEquals(201, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"mode\":\"HOP\""), r.body());
        assertTrue(call("GET", "/sessions", null).body().contains("\"id\":\"g-1\""));
        r = call("PATCH", "/sessions/g-1", "{\"outside\":{\"remote\":\"127.0.0.1:50000\"}}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"remote\":\"127.0.0.1:50000\""), r.body());
        assertTrue(call("GET", "/status", null).body().contains("\"sessions\":1"));
        assertEquals(204, call("DELETE", "/sessions/g-1", null).statusCode());
        assertEquals(404, call("DELETE", "/sessions/g-1", null).statusCode());
        assertTrue(relay.sessions().isEmpty());
    }

    @Test
    void theOutsideIsKeyedWithThePartnersNonceOnceAndNeverWithAnEarlierOne() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        HttpResponse<String> r = call("POST", "/sessions", "{\"id\":\"c-1\",\"mode\":\"hop\",\"partner\":\"partner-a\","
                + "\"inside\":{\"remote\":\"127.0.0.1:40000\"}}");
        assertEquals(201, r.statusCode(), r.body());
        com.fasterxml.jackson.databind.JsonNode out = json.readTree(r.body()).get("outside");
        assertEquals("ISG interconnect v2", out.get("keying").asText());
        assertFalse(out.get("keyed").asBoolean(), "no keys before the partner's nonce");
        assertTrue(out.get("partnerNonce").isNull());
        String mine = out.get("nonce").asText();
        assertTrue(mine.matches("[0-9a-f]{32}"), mine);
        String first = "00112233445566778899aabbccddeeff";
        String second = "ffeeddccbbaa99887766554433221100";
        r = call("PATCH", "/sessions/c-1", "{\"outside\":{\"partnerNonce\":\"" + first + "\"}}");
        assertEquals(200, r.statusCode(), r.body());
        out = json.readTree(r.body()).get("outside");
        assertTrue(out.get("keyed").asBoolean());
        assertEquals(first, out.get("partnerNonce").asText());
        assertEquals(mine, out.get("nonce").asText(), "this gateway's nonce is fixed for the incarnation");
        // the same nonce again: nothing changes (a retried request)
        assertEquals(200, call("PATCH", "/sessions/c-1", "{\"outside\":{\"partnerNonce\":\"" + first + "\"}}")
                .statusCode());
        // the partner's half was re-created: a new nonce re-keys
        r = call("PATCH", "/sessions/c-1", "{\"outside\":{\"partnerNonce\":\"" + second + "\"}}");
        assertEquals(200, r.statusCode(), r.body());
        // going back to an earlier one would repeat keys
        r = call("PATCH", "/sessions/c-1", "{\"outside\":{\"partnerNonce\":\"" + first + "\"}}");
        assertEquals(409, r.statusCode(), r.body());
        assertTrue(r.body().contains("re-create the session"), r.body());
        r = call("PATCH", "/sessions/c-1", "{\"outside\":{\"partnerNonce\":\"" + mine + "\"}}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("own nonce"), r.body());
        r = call("PATCH", "/sessions/c-1", "{\"outside\":{\"partnerNonce\":\"0011\"}}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("outside.partnerNonce must be"), r.body());
        assertEquals(second, json.readTree(call("GET", "/sessions/c-1", null).body()).get("outside").get("partnerNonce")
                .asText(), "refused changes changed nothing");
        // a create can take the partner's nonce at once
        r = call("POST", "/sessions", "{\"id\":\"c-2\",\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":"
                + "{\"remote\":\"127.0.0.1:40002\"},\"outside\":{\"partnerNonce\":\"" + first + "\"}}");
        assertEquals(201, r.statusCode(), r.body());
        assertTrue(json.readTree(r.body()).get("outside").get("keyed").asBoolean());
        // and a second create of the same id gets a different nonce of its own
        assertEquals(204, call("DELETE", "/sessions/c-1", null).statusCode());
        r = call("POST", "/sessions", "{\"id\":\"c-1\",\"mode\":\"hop\",\"partner\":\"partner-a\","
                + "\"inside\":{\"remote\":\"127.0.0.1:40000\"}}");
        assertFalse(mine.equals(json.readTree(r.body()).get("outside").get("nonce").asText()));
    }

    @Test
    void aPeerMustBeOneUnicastHostOfTheLegsFamilyWrittenCanonically() throws Exception {
        String[][] refused = {
            {"1.2.3:40000", "numeric IP address"},
            {"010.0.0.1:40000", "numeric IP address"},
            {"0x7f.0.0.1:40000", "numeric IP address"},
            {"localhost:40000", "numeric IP address"},
            {"0.0.0.0:40000", "unspecified address"},
            {"255.255.255.255:40000", "broadcast"},
            {"127.255.255.255:40000", "broadcast"},
            {"224.0.0.5:40000", "multicast"},
            {"[::1]:40000", "IPv6 address but this leg is bound to IPv4"},
            {"[::]:40000", "unspecified address"},
            {"::1:40000", "in brackets"},
            {"[::ffff:127.0.0.1]:40000", "IPv4-mapped"},
            {"[fe80::1%eth0]:40000", "not an IPv6 address"},
        };
        for (String[] c : refused) {
            for (String side : new String[] {"inside", "outside"}) {
                String body = "{\"id\":\"x\",\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":{\"remote\":\""
                        + (side.equals("inside") ? c[0] : "127.0.0.1:40000") + "\"}"
                        + (side.equals("outside") ? ",\"outside\":{\"remote\":\"" + c[0] + "\"}" : "") + "}";
                HttpResponse<String> r = call("POST", "/sessions", body);
                assertEquals(400, r.statusCode(), c[0] + " " + r.body());
                assertTrue(r.body().contains(side + ".remote") && r.body().contains(c[1]), c[0] + ": " + r.body());
            }
        }
        assertTrue(relay.sessions().isEmpty());
        assertEquals(201, call("POST", "/sessions", "{\"id\":\"y\",\"mode\":\"hop\",\"partner\":\"partner-a\","
                + "\"inside\":{\"remote\":\"127.0.0.1:40000\"}}").statusCode());
        HttpResponse<String> r = call("PATCH", "/sessions/y", "{\"outside\":{\"remote\":\"0.0.0.0:50000\"}}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("outside.remote"), r.body());
        assertTrue(call("GET", "/sessions/y", null).body().contains("\"remote\":null"), "the refused PATCH changed nothing");
    }

    @Test
    void aCreateWaitingOnAStalledVaultHoldsUpNoOtherRequest() throws Exception {
        server.close();
        relay.close();
        isg.relay.StallingVault stalling = new isg.relay.StallingVault(vault, 30_000);
        InetAddress lo = InetAddress.getLoopbackAddress();
        int base = 30000 + 200 * new java.util.Random().nextInt(40);
        relay = new Relay(new RelayConfig("home", lo, base, base + 9, lo, base + 100, base + 109,
                Map.of("partner-a", "pkcs11:object=partner-a-master"), Duration.ofMinutes(5), 10, "jdk"), stalling, 1);
        server = new ControlServer(relay, new InetSocketAddress(lo, 0), dir.resolve("token"));
        stalling.stallNext();
        java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> {
                    try {
                        return call("POST", "/sessions", "{\"id\":\"slow\",\"mode\":\"hop\",\"partner\":\"partner-a\","
                                + "\"inside\":{\"remote\":\"127.0.0.1:40000\"},\"outside\":{\"partnerNonce\":"
                                + "\"00112233445566778899aabbccddeeff\"}}");
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
        assertTrue(stalling.awaitStalled(10_000), "the create reached the vault");
        // meanwhile, on other connections, the API answers
        assertEquals(200, call("GET", "/status", null).statusCode());
        assertEquals(201, call("POST", "/sessions", "{\"id\":\"quick\",\"mode\":\"hop\",\"partner\":\"partner-a\","
                + "\"inside\":{\"remote\":\"127.0.0.1:40002\"}}").statusCode());
        assertFalse(slow.isDone(), "the stalled create still waits");
        stalling.release();
        assertEquals(201, slow.get(20, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        assertEquals(2, relay.sessions().size());
    }

    @Test
    void theHandlerInAnEmbeddedChannel() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new ControlHandler(relay, new Token(dir.resolve("token")), null, null,
                () -> null, server));
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/status",
                Unpooled.EMPTY_BUFFER);
        req.headers().set("Authorization", "Bearer " + TOKEN);
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertEquals(200, res.status().code());
        assertTrue(res.content().toString(StandardCharsets.UTF_8).contains("\"transport\""));
        res.release();
        ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/status", Unpooled.EMPTY_BUFFER));
        FullHttpResponse denied = ch.readOutbound();
        assertEquals(401, denied.status().code());
        denied.release();
        assertFalse(ch.finish());
    }
}
