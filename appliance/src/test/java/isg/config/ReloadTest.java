package isg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import isg.hsm.SecureFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload says only what it did: the token file applied live, every section read once at start
 * refused naming its field with everything left as it was, over POST /reload as well as in process.
 */
class ReloadTest {

    private static final String OLD = "control-token-0123456789abcdef";
    private static final String NEW = "rotated-token-fedcba9876543210";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private String yaml(String extra) {
        return String.join("\n", "gateway: {id: home}",
                "vault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass, audit: audit.jsonl}",
                "inside: {address: 127.0.0.1, ports: 30600-30619}", "outside: {address: 127.0.0.1, ports: 30620-30639}",
                "partners: {partner-a: {masterKey: \"pkcs11:object=partner-a-master\"}}",
                "limits: {maxSessions: 50}", "control: {listen: \"127.0.0.1:0\", tokenFile: token}", extra);
    }

    private HttpResponse<String> call(Gateway g, String method, String path, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.control().address().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRotatedTokenWorksAtOnceAndFieldsThatNeedARestartAreNamed() throws Exception {
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, yaml(""));
        SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        SecureFiles.writeSecret(dir.resolve("token"), OLD + "\n");
        try (Gateway g = new Gateway(f)) {
            // the token file is rotated and the gateway told over its own API
            SecureFiles.writeSecret(dir.resolve("token"), NEW + "\n");
            assertEquals(200, call(g, "GET", "/status", OLD).statusCode(), "the old token works until the reload");
            HttpResponse<String> r = call(g, "POST", "/reload", OLD);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("control token"), r.body());
            assertEquals(401, call(g, "GET", "/status", OLD).statusCode(), "the old token stops at the reload");
            assertEquals(200, call(g, "GET", "/status", NEW).statusCode());
            // live: limits and policy-free relay settings
            Files.writeString(f, yaml("").replace("maxSessions: 50", "maxSessions: 60"));
            r = call(g, "POST", "/reload", NEW);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("applied limits"), r.body());
            assertEquals(60, g.relay().config().maxSessions());
            // every section read only at start is refused by its field; a token changed with it stays unused
            String[][] restart = {
                {"control: {listen: \"127.0.0.1:0\", tokenFile: token}", "control: {listen: \"127.0.0.1:0\", "
                        + "tokenFile: token, maxConnections: 8}", "control.maxConnections"},
                {"control: {listen: \"127.0.0.1:0\", tokenFile: token}", "control: {listen: \"127.0.0.2:0\", "
                        + "tokenFile: token}", "control.listen"},
                {"audit: audit.jsonl", "audit: other.jsonl", "vault.audit"},
                {"passphraseFile: pass", "passphraseFile: pass2", "vault.passphraseFile"},
                {"limits: {maxSessions: 50}", "limits: {maxSessions: 50}\nmqtt: {broker: \"tcp://127.0.0.1:1883\"}",
                    "mqtt"},
                {"limits: {maxSessions: 50}", "limits: {maxSessions: 50}\nboard: {kind: simulated, pins: pi5}",
                    "board"},
                {"limits: {maxSessions: 50}", "limits: {maxSessions: 50}\ncrypto: {backend: fips}", "crypto"},
                {"ports: 30600-30619", "ports: 30700-30719", "inside.ports"},
            };
            for (String[] c : restart) {
                Files.writeString(f, yaml("").replace(c[0], c[1]).replace("maxSessions: 50", "maxSessions: 60"));
                SecureFiles.writeSecret(dir.resolve("token"), "never-in-force-token-000000\n");
                r = call(g, "POST", "/reload", NEW);
                assertEquals(409, r.statusCode(), c[2] + ": " + r.body());
                assertTrue(r.body().contains("isg.yaml: " + c[2] + ": changed, and only a restart applies it"),
                        c[2] + ": " + r.body());
                assertEquals(200, call(g, "GET", "/status", NEW).statusCode(), "the running token stays");
                SecureFiles.writeSecret(dir.resolve("token"), NEW + "\n");
            }
            assertEquals(60, g.relay().config().maxSessions(), "the running configuration stays");
            // a token file that cannot be used leaves the running token
            Files.writeString(f, yaml("").replace("maxSessions: 50", "maxSessions: 60"));
            SecureFiles.writeSecret(dir.resolve("token"), "short\n");
            r = call(g, "POST", "/reload", NEW);
            assertEquals(409, r.statusCode());
            assertTrue(r.body().contains("control.tokenFile") && r.body().contains("at least 16 characters"), r.body());
            assertEquals(200, call(g, "GET", "/status", NEW).statusCode());
            // a signal's reload is audited like the API's
            SecureFiles.writeSecret(dir.resolve("token"), NEW + "\n");
            assertEquals("nothing changed", g.reload("SIGHUP"));
            java.util.List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"actor\":\"API\"") && l.contains("\"action\":\"reload\"")
                    && l.contains("\"result\":\"OK\"") && l.contains("\"from\":\"/127.0.0.1:")), String.join("\n", audit));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"action\":\"reload\"") && l.contains("\"result\":"
                    + "\"REFUSED\"") && l.contains("control.maxConnections")));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"trigger\":\"SIGHUP\"")));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"action\":\"api-authenticate\"")
                    && l.contains("\"reason\":\"wrong-token\"")), "the refused old token is audited");
            assertTrue(audit.stream().noneMatch(l -> l.contains(OLD) || l.contains(NEW)), "no token in the audit log");
        }
    }

    @Test
    void theAuditTrailNamesEachSessionFromCreateToIdleDelete() throws Exception {
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, yaml("").replace("limits: {maxSessions: 50}", "limits: {maxSessions: 50, idleTimeout: 1s}"));
        SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        SecureFiles.writeSecret(dir.resolve("token"), OLD + "\n");
        try (Gateway g = new Gateway(f)) {
            g.vault().generate(isg.hsm.Actor.CLI, isg.hsm.NewKey.of("partner-a-master",
                    isg.hsm.KeyPurpose.INTERCONNECT_MASTER, "partner-a").withBits(128));
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + g.control().address().getPort() + "/sessions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"id\":\"call-9\",\"mode\":\"hop\",\"partner\":\"partner-a\",\"inside\":{\"remote\":"
                    + "\"127.0.0.1:40000\"},\"outside\":{\"partnerNonce\":\"000102030405060708090a0b0c0d0e0f\"}}"))
                    .header("Authorization", "Bearer " + OLD).header("Content-Type", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, r.statusCode(), r.body());
            long end = System.nanoTime() + 10_000_000_000L;
            while (g.relay().session("call-9") != null && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertEquals(null, g.relay().session("call-9"), "deleted when idle");
            end = System.nanoTime() + 5_000_000_000L;
            while (Files.readAllLines(dir.resolve("audit.jsonl")).stream().noneMatch(l -> l.contains("idle for"))
                    && System.nanoTime() < end) {
                Thread.sleep(20);
            }
        }
        java.util.List<String> audit = Files.readAllLines(dir.resolve("audit.jsonl"));
        String all = String.join("\n", audit);
        assertTrue(audit.stream().anyMatch(l -> l.contains("\"actor\":\"API\"") && l.contains("\"action\":\"session-create\"")
                && l.contains("\"session\":\"call-9\"") && l.contains("\"partner\":\"partner-a\"")), all);
        assertTrue(audit.stream().filter(l -> l.contains("\"actor\":\"INTERNAL\"") && l.contains("\"session\":\"call-9\""))
                .count() >= 3, "the vault's lines for the session's keys name it: " + all);
        assertTrue(audit.stream().anyMatch(l -> l.contains("\"action\":\"session-delete\"") && l.contains("\"session\":"
                + "\"call-9\"") && l.contains("idle for PT1S")), all);
    }
}
