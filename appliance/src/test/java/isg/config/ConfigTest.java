package isg.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), "control-token-0123456789abcdef\n");
        return f;
    }

    private String refusal(String yaml) throws Exception {
        Path f = write(yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
    }

    /** A relay section (line 23 of the file) refused with its field and what was expected. */
    private void relayRefused(String relay, String expected) throws Exception {
        String m = refusal(good(30000) + "relay: " + relay + "\n");
        assertTrue(m.contains(":23: relay." + expected), m);
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
        relayRefused("{transport: dpdk}", "transport: auto, epoll or nio, got 'dpdk'");
        relayRefused("{maxDatagram: 70000}", "maxDatagram: between 256 and 65400, got 70000");
        relayRefused("{multicastRemotes: maybe}", "multicastRemotes: true or false, got 'maybe'");
        relayRefused("{latencyBound: 0ms}", "latencyBound: 1ms to 10s, or off, got '0ms'");
        relayRefused("{latencyBound: 11s}", "latencyBound: 1ms to 10s, or off, got '11s'");
        relayRefused("{latencyBound: fast}", "latencyBound: a duration like 500ms");
        relayRefused("{latencyBound: 99999999999999999999999ms}",
                "latencyBound: a duration this side of a hundred years");
        m = refusal(good(30000).replace("idleTimeout: 30s", "idleTimeout: 9999999999999999h"));
        assertTrue(m.contains(":19: limits.idleTimeout: a duration this side of a hundred years"), m);
    }

    @Test
    void duplicateKeysAreRefusedAtEveryDepthNamingBothLines() throws Exception {
        // a second control: section must not replace the first
        String m = refusal(good(30000) + "control:\n  listen: 0.0.0.0:8080\n  tokenFile: other\n");
        assertTrue(m.contains("isg.yaml:23: control: duplicate key: 'control' is given on line 20 and again on line 23"), m);
        // a second masterKey inside one partner (it once turned into a transport key)
        m = refusal(good(30000).replace("    masterKey: \"pkcs11:object=partner-a-master\"\n",
                "    masterKey: \"pkcs11:object=partner-a-master\"\n    masterKey: \"pkcs11:object=kek\"\n"));
        assertTrue(m.contains("isg.yaml:17: partners.partner-a.masterKey: duplicate key: 'masterKey' is given on line 16 "
                + "and again on line 17"), m);
        // two partners of one id, and a duplicate inside a flow mapping in a list
        m = refusal(good(30000).replace("limits:", "  partner-a:\n    masterKey: \"pkcs11:object=x\"\nlimits:"));
        assertTrue(m.contains("isg.yaml:17: partners.partner-a: duplicate key"), m);
        m = refusal(good(30000) + "policy:\n  - {rule: a, decision: allow, decision: deny}\n");
        assertTrue(m.contains("isg.yaml:24: policy[0].decision: duplicate key"), m);
    }

    @Test
    void oversizedBadlyEncodedAndAliasBombFilesAreRefusedNamingWhere() throws Exception {
        Path f = write(good(30000) + "# " + "x".repeat(ConfigLoader.MAX_FILE_BYTES) + "\n");
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("isg.yaml: the file is larger than 1048576 octets (1 MiB)"), m);
        byte[] yaml = (good(30000) + "# caf\u00e9\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(f, yaml);
        m = assertThrows(ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("isg.yaml:23: not UTF-8"), m);
        StringBuilder bomb = new StringBuilder(good(30000)).append("x0: &a [1, 2]\n");
        for (int i = 1; i <= 6; i++) {
            bomb.append("x").append(i).append(": &").append((char) ('a' + i)).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(30, "*" + (char) ('a' + i - 1)))).append("]\n");
        }
        m = refusal(bomb.toString());
        assertTrue(m.matches("(?s).*isg\\.yaml:(2[4-9]|3[0-9]): not valid YAML: .*aliases.*"), m);
    }

    @Test
    void theControlListenAddressIsNumericAsItsErrorSays() throws Exception {
        String m = refusal(good(30000).replace("listen: 127.0.0.1:0", "listen: localhost:8080"));
        assertTrue(m.contains(":21: control.listen: a numeric IP address with a port, got 'localhost:8080'"), m);
        assertEquals(8081, ConfigLoader.load(write(good(30000).replace("listen: 127.0.0.1:0", "listen: \"[::1]:8081\"")))
                .controlListen().getPort());
    }

    private String withChannel(int base, String channel, String partnerChannel) {
        return good(base).replace("    masterKey: \"pkcs11:object=partner-a-master\"\n",
                "    masterKey: \"pkcs11:object=partner-a-master\"\n" + partnerChannel) + channel;
    }

    private static final String CHANNEL = String.join("\n", "channel:", "  listen: \"127.0.0.1:4433\"",
            "  key: \"pkcs11:object=isg-tls\"", "  certificate: \"pkcs11:object=isg-tls-cert\"", "  keepAlive: 5s", "");

    private static final String PARTNER_CHANNEL = String.join("\n", "    channel:",
            "      connect: \"gw.partner-a.example:4433\"", "      ca: ca.pem", "      identity: \"uri:isg:partner-a\"",
            "      spkiSha256: \"AB:CD" + "00".repeat(30) + "\"",
            "      services: {sip: {listen: \"10.0.0.1:5060\", idleTimeout: 5m}}",
            "      exports: {sip: {target: \"10.0.0.5:5060\", maxConnections: 10}}", "");

    @Test
    void theChannelSectionAndEachPartnersChannel() throws Exception {
        Files.writeString(dir.resolve("ca.pem"), "not read until the gateway starts\n");
        isg.channel.ChannelConfig c = ConfigLoader.load(write(withChannel(30000, CHANNEL, PARTNER_CHANNEL))).channel();
        assertEquals(4433, c.listen().getPort());
        assertEquals(Duration.ofSeconds(5), c.keepAlive());
        assertEquals(Duration.ofSeconds(10), c.handshakeTimeout());
        assertEquals(1, c.ioThreads());
        isg.channel.ChannelConfig.Partner p = c.partners().get("partner-a");
        assertEquals("gw.partner-a.example", p.connect().getHostString());
        assertEquals("abcd" + "00".repeat(30), p.spkiSha256());
        assertEquals(Duration.ofMinutes(5), p.services().get("sip").idleTimeout());
        assertEquals(10, p.exports().get("sip").maxConnections());
        assertEquals(null, ConfigLoader.load(write(good(30000))).channel());
        String m = refusal(withChannel(30000, CHANNEL.replace("  keepAlive: 5s\n", ""), PARTNER_CHANNEL
                .replace("uri:isg:partner-a", "cn:partner-a")));
        assertTrue(m.contains("partners.partner-a.channel.identity: an identity is uri:<SAN URI> or dns:<SAN DNS name>"), m);
        m = refusal(withChannel(30000, CHANNEL, PARTNER_CHANNEL.replace("ca: ca.pem", "ca: missing.pem")));
        assertTrue(m.contains("partners.partner-a.channel.ca:") && m.contains("missing.pem: no such (readable) file"), m);
        m = refusal(withChannel(30000, CHANNEL, PARTNER_CHANNEL.replace("AB:CD", "XY")));
        assertTrue(m.contains("partners.partner-a.channel.spkiSha256: the SHA-256"), m);
        m = refusal(withChannel(30000, CHANNEL, PARTNER_CHANNEL.replace("services: {sip:", "services: {SIP!:")));
        assertTrue(m.contains("partners.partner-a.channel.services: a service name of 1-32 characters"), m);
        m = refusal(withChannel(30000, CHANNEL, PARTNER_CHANNEL.replace("10.0.0.1:5060", "127.0.0.1:4433")));
        assertTrue(m.contains("services.sip.listen: /127.0.0.1:4433 is already used by another listener"), m);
        m = refusal(withChannel(30000, CHANNEL, PARTNER_CHANNEL.replace("target: \"10.0.0.5:5060\"", "target: \"x:99999\"")));
        assertTrue(m.contains("exports.sip.target: host:port (port 1-65535)"), m);
        m = refusal(withChannel(30000, CHANNEL.replace("pkcs11:object=isg-tls\"", "isg-tls\""), PARTNER_CHANNEL));
        assertTrue(m.contains("channel.key:"), m);
        m = refusal(withChannel(30000, CHANNEL.replace("  listen: \"127.0.0.1:4433\"\n", ""),
                PARTNER_CHANNEL.replace("      connect: \"gw.partner-a.example:4433\"\n", "")));
        assertTrue(m.contains("partners.partner-a.channel.connect: required when channel.listen is not set"), m);
        m = refusal(good(30000).replace("    masterKey: \"pkcs11:object=partner-a-master\"\n",
                "    masterKey: \"pkcs11:object=partner-a-master\"\n" + PARTNER_CHANNEL));
        assertTrue(m.contains("partners.partner-a.channel: needs the top-level channel: section"), m);
        m = refusal(good(30000) + CHANNEL);
        assertTrue(m.contains("channel: no partner has a channel: section"), m);
    }

    static final String POLICY = String.join("\n",
            "policy:",
            "  - {rule: no-trainees, decision: deny, direction: outbound, partner: \"*\", actions: [key-material, affiliate],",
            "     users: \"sip:trainee-*\", targets: \"*\"}",
            "  - rule: police-to-fire",
            "    decision: allow",
            "    direction: outbound",
            "    partner: partner-a",
            "    actions: key-material",
            "    users: \"sip:*@police.example\"",
            "    targets: kms.fire.example",
            "");

    @Test
    void thePolicyIsReadInOrderAndDeniesByDefault() throws Exception {
        assertEquals(0, ConfigLoader.load(write(good(30000))).policy().rules().size(), "no policy: nothing crosses");
        isg.policy.Policy p = ConfigLoader.load(write(good(30000) + POLICY)).policy();
        assertEquals(List.of("no-trainees", "police-to-fire"), p.rules().stream().map(isg.policy.Policy.Rule::name).toList());
        assertTrue(p.decide(new isg.policy.Policy.Request(isg.policy.Policy.Direction.OUTBOUND, "partner-a",
                isg.policy.Policy.Action.KEY_MATERIAL, "sip:officer@police.example", "kms.fire.example")).allowed());
        String m = refusal(good(30000) + POLICY.replace("partner: partner-a", "partner: partner-b"));
        assertTrue(m.contains(":29: policy.police-to-fire.partner: 'partner-b' is not a configured partner [partner-a]"), m);
        m = refusal(good(30000) + POLICY.replace("decision: allow", "decision: maybe"));
        assertTrue(m.contains(":27: policy.police-to-fire.decision: allow or deny, got 'maybe'"), m);
        m = refusal(good(30000) + POLICY.replace("actions: key-material\n", "actions: everything\n"));
        assertTrue(m.contains(":30: policy.police-to-fire.actions: action 'everything' is not key-material or affiliate"), m);
        m = refusal(good(30000) + POLICY.replace("rule: police-to-fire", "rule: no-trainees"));
        assertTrue(m.contains(":26: policy.no-trainees.rule: a second rule named no-trainees (the first is on line 24)"), m);
        m = refusal(good(30000) + POLICY.replace("    targets: kms.fire.example\n", ""));
        assertTrue(m.contains("policy.police-to-fire.targets: required"), m);
        m = refusal(good(30000) + POLICY.replace("direction: outbound\n", "direction: sideways\n"));
        assertTrue(m.contains(":28: policy.police-to-fire.direction: outbound (our users asking a partner) or inbound"), m);
    }

    @Test
    void groupUriPatternsForTheSipEnforcementPoint() throws Exception {
        String withGroups = good(30000).replace("    masterKey: \"pkcs11:object=partner-a-master\"\n",
                "    masterKey: \"pkcs11:object=partner-a-master\"\n    groups: [\"sip:*@groups.fire.example\"]\n")
                + "ownGroups: \"sip:*@groups.police.example\"\n";
        GatewayConfig c = ConfigLoader.load(write(withGroups));
        assertEquals(List.of("sip:*@groups.fire.example"), c.partnerGroups().get("partner-a"));
        assertEquals(List.of("sip:*@groups.police.example"), c.ownGroups());
        String m = refusal(withGroups.replace("\"sip:*@groups.fire.example\"", "\"groups.fire.example\""));
        assertTrue(m.contains(":17: partners.partner-a.groups: a group URI pattern like \"sip:*@groups.fire.example\", "
                + "got 'groups.fire.example'"), m);
    }

    @Test
    void partnersDomainsAndTheKmsProxy() throws Exception {
        Files.writeString(dir.resolve("ca.pem"), "not read until the gateway starts\n");
        String base = withChannel(30000, CHANNEL, PARTNER_CHANNEL).replace("    masterKey: \"pkcs11:object=partner-a-master\"\n",
                "    masterKey: \"pkcs11:object=partner-a-master\"\n    domains: [kms.fire.example, kms.ems.example]\n");
        GatewayConfig c = ConfigLoader.load(write(base + "kmsProxy: {listen: \"127.0.0.1:8443\"}\n"));
        assertEquals(List.of("kms.fire.example", "kms.ems.example"), c.partnerDomains().get("partner-a"));
        assertEquals(8443, c.kmsProxy().listen().getPort());
        assertEquals("isg:home", c.kmsProxy().uri());
        assertEquals(Duration.ofSeconds(5), c.kmsProxy().timeout());
        String m = refusal(base + "kmsProxy: {listen: \"127.0.0.1:8443\", kms: \"ftp://kms\"}\n");
        assertTrue(m.contains("kmsProxy.kms: our KMS's base URL, like http://10.0.0.5:8080 (no path), got 'ftp://kms'"), m);
        m = refusal(base + "kmsProxy: {kms: \"http://10.0.0.5:8080\"}\n");
        assertTrue(m.contains("kmsProxy.kms: neither kmsProxy.ownKms nor mc.domains name this system's KMS URIs"), m);
        assertEquals(java.util.Set.of("kms.police.example"), ConfigLoader.load(write(base + "kmsProxy: {kms: \"http://10.0.0.5:8080\", "
                + "ownKms: [kms.police.example]}\n")).kmsProxy().ownKms());
        m = refusal(base + "kmsProxy: {timeout: 5s}\n");
        assertTrue(m.contains("kmsProxy: neither listen (our users' requests to partners) nor kms"), m);
        m = refusal(good(30000) + "kmsProxy: {listen: \"127.0.0.1:8443\"}\n");
        assertTrue(m.contains("kmsProxy: needs the channel: section"), m);
        m = refusal(base.replace("kms.ems.example]", "kms.fire.example]") + "kmsProxy: {listen: \"127.0.0.1:8443\"}\n");
        assertTrue(m.contains("partners.partner-a.domains: kms.fire.example is listed twice"), m);
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
        assertEquals(Duration.ofMillis(60), c.relay().latencyBound(), "the default bound, for voice");
        c = ConfigLoader.load(write(good(30000) + "relay: {latencyBound: 150ms}\n"));
        assertEquals(Duration.ofMillis(150), c.relay().latencyBound());
        c = ConfigLoader.load(write(good(30000) + "relay: {latencyBound: off}\n"));
        assertEquals(Duration.ZERO, c.relay().latencyBound());
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
            assertTrue(assertThrows(ConfigException.class, g::reload, "port ranges change only with a restart").getMessage()
                    .contains("isg.yaml: inside.ports: changed, and only a restart applies it"));
            assertEquals(30200, g.relay().config().insidePortMin());
            Files.writeString(f, good(30200).replace("maxSessions: 50", "maxSessions: 70")
                    .replace("  partner-a:\n", "  partner-b:\n"));
            g.reload();
            assertEquals(70, g.relay().config().maxSessions());
            assertTrue(g.relay().config().partners().containsKey("partner-b"));
        }
    }
}
