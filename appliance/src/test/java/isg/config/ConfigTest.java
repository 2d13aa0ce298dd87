package isg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import isg.relay.RelayException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's YAML file: what validates, what is refused with file:line:field, and reloads. */
class ConfigTest {

    @TempDir
    Path dir;

    private String good(int base) {
        return String.join("\n",
                "gateway:",
                "  id: home",
                "vault:",
                "  kind: soft",
                "  keystore: keys.bcfks",
                "  passphraseFile: pass",
                "  audit: audit.jsonl",
                "inside:",
                "  address: 127.0.0.1",
                "  ports: " + base + "-" + (base + 99),
                "outside:",
                "  address: 127.0.0.1",
                "  ports: " + (base + 100) + "-" + (base + 199),
                "partners:",
                "  partner-a:",
                "    masterKey: \"pkcs11:object=partner-a-master\"",
                "limits:",
                "  maxSessions: 50",
                "  idleTimeout: 30s",
                "control:",
                "  listen: 127.0.0.1:0",
                "  tokenFile: token",
                "");
    }

    private Path write(String yaml) throws Exception {
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, yaml);
        Files.writeString(dir.resolve("pass"), "keystore passphrase\n");
        Files.writeString(dir.resolve("token"), "control-token-0123456789abcdef\n");
        return f;
    }

    private String refusal(String yaml) throws Exception {
        Path f = write(yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
    }

    @Test
    void aGoodFileGivesTheRelayItsSettings() throws Exception {
        GatewayConfig c = ConfigLoader.load(write(good(30000)));
        assertEquals("home", c.relay().gatewayId());
        assertEquals(30000, c.relay().insidePortMin());
        assertEquals(Duration.ofSeconds(30), c.relay().idleTimeout());
        assertEquals("pkcs11:object=partner-a-master", c.relay().partners().get("partner-a"));
        assertEquals(dir.resolve("keys.bcfks"), c.keystore(), "relative paths are relative to the file");
    }

    @Test
    void badFilesAreRefusedNamingFileLineFieldAndExpectation() throws Exception {
        String m = refusal(good(30000).replace("  maxSessions: 50", "  maxSesions: 50"));
        assertTrue(m.matches(".*isg\\.yaml:18: limits\\.maxSesions: unknown key; expected one of .*"), m);
        m = refusal(good(30000).replace("ports: 30000-30099", "ports: 30000..30099"));
        assertTrue(m.contains("isg.yaml:10: inside.ports: a range like 40000-40999"), m);
        m = refusal(good(30000).replace("idleTimeout: 30s", "idleTimeout: soon"));
        assertTrue(m.contains(":19: limits.idleTimeout: a duration like"), m);
        m = refusal(good(30000).replace("\"pkcs11:object=partner-a-master\"", "partner-a-master"));
        assertTrue(m.contains(":16: partners.partner-a.masterKey: 'partner-a-master' is not a pkcs11: URI"), m);
        m = refusal(good(30000).replace("  kind: soft", "  kind: hsm"));
        assertTrue(m.contains(":4: vault.kind: soft or pkcs11, got 'hsm'"), m);
        m = refusal(good(30000).replace("ports: 30100-30199", "ports: 30050-30149"));
        assertTrue(m.contains("outside.ports: overlaps inside.ports"), m);
        m = refusal(good(30000).replace("gateway:\n  id: home\n", ""));
        assertTrue(m.contains("gateway: required section missing"), m);
        m = refusal("gateway: [unclosed\n");
        assertTrue(m.contains("isg.yaml:") && m.contains("not valid YAML"), m);
        m = refusal(good(30000) + "relay: {transport: dpdk}\n");
        assertTrue(m.contains(":23: relay.transport: auto, epoll or nio, got 'dpdk'"), m);
        m = refusal(good(30000) + "relay: {maxDatagram: 70000}\n");
        assertTrue(m.contains(":23: relay.maxDatagram: between 256 and 65400, got 70000"), m);
        m = refusal(good(30000) + "relay: {multicastRemotes: maybe}\n");
        assertTrue(m.contains(":23: relay.multicastRemotes: true or false, got 'maybe'"), m);
    }

    @Test
    void theRelaySectionTunesTransportDatagramsAndMulticast() throws Exception {
        GatewayConfig c = ConfigLoader.load(write(good(30000)));
        assertEquals("auto", c.relay().transport());
        assertEquals(isg.relay.RelayConfig.MAX_DATAGRAM, c.relay().maxDatagram());
        assertTrue(!c.relay().multicastRemotes());
        c = ConfigLoader.load(write(good(30000) + "relay: {transport: nio, maxDatagram: 9000, multicastRemotes: true}\n"));
        assertEquals("nio", c.relay().transport());
        assertEquals(9000, c.relay().maxDatagram());
        assertTrue(c.relay().multicastRemotes());
    }

    @Test
    void aGatewayRunsFromItsFileAndABadReloadLeavesItAsItWas() throws Exception {
        Path f = write(good(30200));
        try (Gateway g = new Gateway(f)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + g.control().address().getPort() + "/status")).header("Authorization",
                    "Bearer control-token-0123456789abcdef").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            Files.writeString(f, good(30200).replace("maxSessions: 50", "maxSessions: many"));
            assertThrows(ConfigException.class, g::reload);
            assertEquals(50, g.relay().config().maxSessions(), "the running configuration stays");
            Files.writeString(f, good(30200).replace("ports: 30200-30299", "ports: 30400-30499"));
            assertThrows(RelayException.class, g::reload, "port ranges change only with a restart");
            assertEquals(30200, g.relay().config().insidePortMin());
            Files.writeString(f, good(30200).replace("maxSessions: 50", "maxSessions: 70")
                    .replace("  partner-a:\n", "  partner-b:\n"));
            g.reload();
            assertEquals(70, g.relay().config().maxSessions());
            assertTrue(g.relay().config().partners().containsKey("partner-b"));
        }
    }
}
