package isg.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.config.ConfigLoader;
import isg.config.GatewayConfig;
import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SoftVault;
import isg.mc.McIdentity;
import isg.mc.McPlane;
import isg.mc.StreamwideVectors;
import isg.relay.Relay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway as a member of an MC domain, configured by its YAML file: MIKEY-SAKKE messages
 * posted to the control API land in the vault, group sessions are keyed by MKI, and bad
 * configuration or requests are refused with the field and the reason.
 */
class MikeyApiTest {

    private static final String TOKEN = "s3cret-token-for-tests-0123456789";
    private static final Instant SW_TIME = Instant.ofEpochSecond(0xec86684fL - McIdentity.NTP_UNIX_OFFSET);

    @TempDir
    Path dir;
    private KeyVault vault;
    private Relay relay;
    private McPlane mc;
    private ControlServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (mc != null) {
            mc.close();
        }
        if (vault != null) {
            vault.close();
        }
    }

    private Path configFile(String user) throws IOException {
        int base = 31000 + 200 * new java.util.Random().nextInt(40);
        Files.writeString(dir.resolve("pass"), "keystore passphrase\n");
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, String.join("\n",
                "gateway: {id: home}",
                "vault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass}",
                "inside: {address: 127.0.0.1, ports: " + base + "-" + (base + 9) + "}",
                "outside: {address: 127.0.0.1, ports: " + (base + 100) + "-" + (base + 109) + "}",
                "partners: {partner-a: {masterKey: \"pkcs11:object=partner-a-master\"}}",
                "control: {listen: \"127.0.0.1:0\", tokenFile: token}",
                "mc:",
                "  skew: 5m",
                "  domains:",
                "    streamwide:",
                "      kms: kms.mydev.streamwide.com",
                "      kpak: " + StreamwideVectors.text("kms.kpak"),
                "      z: " + StreamwideVectors.text("kms.z"),
                "      keyPeriod: 16777215",
                "      uri: " + StreamwideVectors.text(user + ".uri"),
                "  trust:",
                "    kms.fire.example: " + StreamwideVectors.text("alice.pvt"),
                ""));
        return f;
    }

    /** Starts Alice's gateway: her RSK for key period 236 imported wrapped into the vault first. */
    private void start(GatewayConfig c) throws Exception {
        Clock clock = Clock.fixed(SW_TIME, ZoneOffset.UTC);
        vault = SoftVault.open(c.keystore(), "keystore passphrase".toCharArray(), true, AuditLog.inMemory(), clock);
        vault.generate(Actor.CLI, NewKey.of("partner-a-master", KeyPurpose.INTERCONNECT_MASTER, "partner-a").withBits(128));
        isg.mc.VaultRsk.importInto(vault, "streamwide", 236, StreamwideVectors.hex("alice.rsk"));
        relay = new Relay(c.relay(), vault, 1);
        mc = McPlane.start(c.mc(), vault, clock);
        server = new ControlServer(relay, new InetSocketAddress("127.0.0.1", 0), c.controlTokenFile(), null, mc);
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String message(String kind) {
        return "{\"message\":\"" + Base64.getEncoder().encodeToString(StreamwideVectors.message(kind)) + "\"}";
    }

    @Test
    void aMikeySakkeMessagePostedToTheApiLandsInTheVaultOnce() throws Exception {
        GatewayConfig c = ConfigLoader.load(configFile("alice"));
        assertEquals(1, c.mc().domains().size());
        start(c);
        java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        mc.onEvent((type, detail) -> events.add(type + ": " + detail));
        HttpResponse<String> r = post("/mikey", message("gmk"));
        assertEquals(201, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"purpose\":\"GMK\"") && r.body().contains("\"keyId\":\"0e144748\""), r.body());
        assertTrue(r.body().contains("\"media\":{\"4\":\"AEAD_AES_128_GCM RCCm3 R=1\"}"), "the SP payload's profile: "
                + r.body());
        assertEquals(1, vault.list(Actor.API).stream().filter(k -> k.purpose() == KeyPurpose.GMK).count());
        r = post("/mikey", message("gmk"));
        assertEquals(422, r.statusCode());
        assertTrue(r.body().contains("REPLAYED"), r.body());
        r = post("/mikey", message("pck"));
        assertEquals(422, r.statusCode());
        assertTrue(r.body().contains("NOT_ADDRESSED_TO_US"), r.body());
        assertEquals(400, post("/mikey", "{\"message\":\"***\"}").statusCode());
        assertEquals(400, post("/mikey", "{\"msg\":\"AAAA\"}").statusCode());
        r = post("/mikey", "{\"message\":\"ARoF\"}"); // version 1, SAKKE, then nothing
        assertEquals(422, r.statusCode());
        assertTrue(r.body().contains("MALFORMED") && r.body().contains("runs past the end"), r.body());
        assertEquals(1, vault.list(Actor.API).stream().filter(k -> k.purpose() == KeyPurpose.GMK).count());
        // what an operator sees on MQTT: the key plane's counts in state and metrics, one event per message
        try (isg.board.SimulatedBoard board = new isg.board.SimulatedBoard()) {
            isg.status.StatusReport report = new isg.status.StatusReport(relay, vault, board, mc, null);
            com.fasterxml.jackson.databind.JsonNode plane = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(report.metrics()).get("mc");
            assertEquals("[\"streamwide\"]", plane.get("domains").toString());
            assertEquals(1, plane.get("keys").asInt());
            assertEquals(1, plane.get("received").asInt());
            assertEquals(1, plane.get("refused").get("REPLAYED").asInt());
            assertEquals(1, plane.get("refused").get("NOT_ADDRESSED_TO_US").asInt());
            assertEquals(1, plane.get("refused").get("MALFORMED").asInt());
            assertTrue(report.state().contains("\"mc\":{\"domains\":[\"streamwide\"]"), report.state());
        }
        assertEquals(4, events.size(), events.toString());
        assertTrue(events.get(0).startsWith("mc-key-received: GMK 0e144748 for domain streamwide"), events.get(0));
        assertTrue(events.get(1).startsWith("mc-key-refused: REPLAYED"), events.get(1));
        assertTrue(events.stream().noneMatch(e -> e.contains(StreamwideVectors.text("gmk.key").substring(0, 12))));

        String send = Base64.getEncoder().encodeToString(new byte[28]);
        r = post("/sessions", "{\"id\":\"grp\",\"mode\":\"reprotect\",\"partner\":\"partner-a\",\"inside\":{\"remote\":"
                + "\"127.0.0.1:40000\",\"suite\":\"AEAD_AES_128_GCM\",\"sendKey\":\"" + send + "\",\"group\":{\"csId\":4}}}");
        assertEquals(201, r.statusCode(), r.body());
        r = post("/sessions", "{\"id\":\"grp2\",\"mode\":\"reprotect\",\"partner\":\"partner-a\",\"inside\":{\"remote\":"
                + "\"127.0.0.1:40002\",\"suite\":\"AEAD_AES_128_GCM\",\"sendKey\":\"" + send + "\",\"receiveKey\":\"" + send
                + "\",\"group\":{\"csId\":4}}}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("exclude each other"), r.body());
        r = post("/sessions", "{\"id\":\"grp3\",\"mode\":\"reprotect\",\"partner\":\"partner-a\",\"inside\":{\"remote\":"
                + "\"127.0.0.1:40004\",\"suite\":\"AEAD_AES_128_GCM\",\"sendKey\":\"" + send + "\",\"group\":{\"csId\":4,\"mki\":6}}}");
        assertEquals(400, r.statusCode());
        assertEquals(1, relay.sessions().size());

        // the gateway sends into the group as a member: keyed from the GMK with its own GUK-ID
        String asMember = "{\"id\":\"grp4\",\"mode\":\"reprotect\",\"partner\":\"partner-a\",\"inside\":{\"remote\":"
                + "\"127.0.0.1:40006\",\"suite\":\"AEAD_AES_128_GCM\",\"group\":{\"csId\":4,\"gmkId\":\"%s\"}}}";
        r = post("/sessions", String.format(asMember, "0e144748"));
        assertEquals(201, r.statusCode(), r.body());
        r = post("/sessions", String.format(asMember, "0aaaaaaa").replace("grp4", "grp5"));
        assertEquals(422, r.statusCode());
        assertTrue(r.body().contains("no valid GMK 0aaaaaaa"), r.body());
        // a request that contradicts the profile the GMK's I_MESSAGE gave is refused
        r = post("/sessions", String.format(asMember, "0e144748").replace("grp4", "grp6")
                .replace("\"suite\":\"AEAD_AES_128_GCM\"", "\"suite\":\"AEAD_AES_128_GCM\",\"rocTransmissionRate\":0"));
        assertEquals(409, r.statusCode(), r.body());
        assertTrue(r.body().contains("gives crypto session 4 AEAD_AES_128_GCM RCCm3 R=1"), r.body());
        r = post("/sessions", String.format(asMember, "1e144748").replace("grp4", "grp5"));
        assertEquals(400, r.statusCode());
        r = post("/sessions", String.format(asMember, "0e144748").replace("grp4", "grp5")
                .replace("\"group\"", "\"sendKey\":\"" + send + "\",\"group\""));
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("exclude each other"), r.body());
        assertEquals(2, relay.sessions().size());
        // what it sends, every member receives from the MKI alone; the gateway is Alice here
        isg.srtp.SrtpPolicy group = isg.mc.MediaProfile.MC_DEFAULT.policy(isg.srtp.crypto.JdkBackend.INSTANCE, 8).build();
        try (isg.srtp.MasterKey k = mc.groupSendKey(0x0e144748, 4, isg.srtp.SrtpSuite.AEAD_AES_128_GCM);
                isg.srtp.SrtpSender gateway = new isg.srtp.SrtpSender(group, k);
                isg.mc.McKeyRing memberRing = new isg.mc.McKeyRing(Clock.systemUTC())) {
            assertEquals(String.format("%08x%08x", 0x0e144748, StreamwideVectors.id("gmk.gukid")),
                    java.util.HexFormat.of().formatHex(k.mki()), "MKI = GMK-ID || Alice's GUK-ID");
            memberRing.put(0x0e144748, StreamwideVectors.hex("gmk.key"), StreamwideVectors.hex("gmk.rand"), null);
            try (isg.mc.MkiReceiveContext member = new isg.mc.MkiReceiveContext(group, memberRing, 4, 8,
                    java.time.Duration.ofMinutes(5))) {
                byte[] b = new byte[12 + 20 + 32];
                b[0] = (byte) 0x80;
                b[11] = 9;
                isg.srtp.PacketBuffer p = new isg.srtp.PacketBuffer(b, 0, 32);
                assertEquals(isg.srtp.SrtpStatus.OK, gateway.protectRtp(p));
                assertEquals(isg.srtp.SrtpStatus.OK, member.unprotectRtp(p));
            }
        }
    }

    @Test
    void aDomainConfiguredByItsKmsCertificateReceivesTheSameMessages() throws Exception {
        Files.writeString(dir.resolve("streamwide-kms.xml"), isg.mc.KmsCertificateTest.response(
                "kms.mydev.streamwide.com", "16777215", StreamwideVectors.text("kms.z"), StreamwideVectors.text("kms.kpak"),
                "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z"));
        Path f = configFile("alice");
        String yaml = Files.readString(f);
        String byCertificate = yaml.replaceAll("      kms: .*\n", "      kmsCertificate: streamwide-kms.xml\n")
                .replaceAll("      (kpak|z|keyPeriod): .*\n", "");
        Files.writeString(f, byCertificate);
        GatewayConfig c = ConfigLoader.load(f);
        assertEquals("kms.mydev.streamwide.com", c.mc().domains().get(0).kms());
        start(c);
        HttpResponse<String> r = post("/mikey", message("gmk"));
        assertEquals(201, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"keyId\":\"0e144748\""), r.body());

        // partner KMSs by certificate: trusted while the certificate is valid
        Files.writeString(dir.resolve("fire-kms.xml"), isg.mc.KmsCertificateTest.response("kms.fire.example", "2592000",
                StreamwideVectors.text("kms.z"), StreamwideVectors.text("alice.pvt"), "2020-01-01T00:00:00Z",
                "2021-01-01T00:00:00Z"));
        Files.writeString(f, byCertificate.replace("  trust:", "  trustCertificates: [fire-kms.xml]\n  trust:"));
        GatewayConfig withPartner = ConfigLoader.load(f);
        assertEquals("kms.fire.example", withPartner.mc().trustCertificates().get(0).kmsUri());
        IOException stale = assertThrows(IOException.class, () -> McPlane.start(withPartner.mc(), vault,
                Clock.fixed(SW_TIME, ZoneOffset.UTC)));
        assertTrue(stale.getMessage().contains("fire-kms.xml") && stale.getMessage().contains("expired at 2021"),
                stale.getMessage());

        // with its signer configured, the certificate must carry a signature by it (KmsCertificateSignatureTest
        // has the signed cases)
        Process ossl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "fire-signer.key", "-out", "fire-signer.pem", "-days", "1", "-subj", "/CN=fire-kms")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        ossl.getInputStream().readAllBytes();
        assertEquals(0, ossl.waitFor());
        Files.writeString(f, byCertificate.replace("  trust:",
                "  trustCertificates: [{file: fire-kms.xml, signer: fire-signer.pem}]\n  trust:"));
        String unsigned = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(unsigned.contains("mc.trustCertificates[].file:") && unsigned.contains("must carry one XML signature"),
                unsigned);

        // the certificate and the keys it carries cannot both be given
        Files.writeString(f, byCertificate.replace("      kmsCertificate:", "      kpak: 04\n      kmsCertificate:"));
        String m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("mc.domains.streamwide.kpak: already given by kmsCertificate"), m);
        Files.writeString(f, byCertificate.replace("streamwide-kms.xml", "missing.xml"));
        m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.matches(".*isg\\.yaml:\\d+: mc\\.domains\\.streamwide\\.kmsCertificate: .*missing\\.xml: no such file.*"), m);
    }

    @Test
    void badMcConfigurationIsRefusedWithFileFieldAndReason() throws Exception {
        Path f = configFile("alice");
        String yaml = Files.readString(f);
        Files.writeString(f, yaml.replace("kpak: 04", "kpak: 05"));
        String m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.matches(".*isg\\.yaml:\\d+: mc\\.domains\\.streamwide\\.kpak: an uncompressed point of 65 octets.*"), m);
        Files.writeString(f, yaml.replace("keyPeriod: 16777215", "keyPeriod: monthly"));
        m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("mc.domains.streamwide.keyPeriod: a whole number"), m);
        Files.writeString(f, yaml.replace("      uri:", "      url:"));
        m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("mc.domains.streamwide.url: unknown key"), m);
        Files.writeString(f, yaml.replace("  skew: 5m", "  skew: 5m\n  talkers: {max: 0}"));
        m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("mc.talkers.max: between 1 and 65536, got 0"), m);
        Files.writeString(f, yaml.replace("  skew: 5m", "  skew: 5m\n  talkers: {idle: 0s}"));
        m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("mc.talkers.idle: a duration above zero"), m);
        Files.writeString(f, yaml.replace("  skew: 5m", "  skew: 5m\n  talkers: {max: 32, idle: 90s, newPerSecond: 10}"));
        isg.mc.McConfig tuned = ConfigLoader.load(f).mc();
        assertEquals(32, tuned.maxTalkers());
        assertEquals(10, tuned.newTalkersPerSecond());
        assertEquals(java.time.Duration.ofSeconds(90), tuned.talkerIdle());
        Files.writeString(f, yaml);
        assertEquals(isg.mc.McConfig.DEFAULT_MAX_TALKERS, ConfigLoader.load(f).mc().maxTalkers());

        // an RSK in a file in clear is no longer taken
        Files.writeString(f, yaml.replace("      uri:", "      rskDir: rsk\n      uri:"));
        m = assertThrows(isg.config.ConfigException.class, () -> ConfigLoader.load(f)).getMessage();
        assertTrue(m.contains("mc.domains.streamwide.rskDir") && m.contains("isg keys import-rsk"), m);

        // a configuration that parses but whose key material does not hold stops the start, naming the vault key
        GatewayConfig empty = ConfigLoader.load(configFile("alice"));
        Clock clock = Clock.fixed(SW_TIME, ZoneOffset.UTC);
        vault = SoftVault.open(empty.keystore(), "keystore passphrase".toCharArray(), true, AuditLog.inMemory(), clock);
        IOException e = assertThrows(IOException.class, () -> McPlane.start(empty.mc(), vault, clock));
        assertTrue(e.getMessage().contains("no RSK for domain 'streamwide'") && e.getMessage().contains("import-rsk"),
                e.getMessage());
        isg.hsm.KeyInfo bobs = isg.mc.VaultRsk.importInto(vault, "streamwide", 236, StreamwideVectors.hex("bob.rsk"));
        e = assertThrows(IOException.class, () -> McPlane.start(empty.mc(), vault, clock));
        assertTrue(e.getMessage().contains("vault key rsk-streamwide-236") && e.getMessage().contains("key period 236")
                && e.getMessage().contains("6.1.2"), e.getMessage());
        assertTrue(!e.getMessage().contains(StreamwideVectors.text("bob.rsk").substring(0, 20)));
        vault.destroy(Actor.CLI, bobs.uri());
        // (0, 0) lies on the SAKKE curve but has order 2: a degenerate RSK is refused by name, not with an ArithmeticException
        isg.mc.VaultRsk.importInto(vault, "streamwide", 236, degenerate());
        e = assertThrows(IOException.class, () -> McPlane.start(empty.mc(), vault, clock));
        assertTrue(e.getMessage().contains("vault key rsk-streamwide-236") && e.getMessage().contains("not a point of order q"),
                e.getMessage());
    }

    private static byte[] degenerate() {
        byte[] point = new byte[isg.mc.Sakke.POINT_LENGTH];
        point[0] = 0x04;
        return point;
    }
}
