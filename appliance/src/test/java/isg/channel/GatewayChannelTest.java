package isg.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import isg.config.ConfigException;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftHsm;
import isg.hsm.SoftVault;
import isg.status.Mosquitto;
import java.io.DataInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two whole gateways started from their configuration files, each with a channel section: the
 * identity keys in their vaults (software token and SoftHSM2), a SIP service across, and what an
 * operator sees of it: MQTT state and alarms on a real broker, /status, and /metrics as
 * Prometheus's own promtool reads it.
 */
class GatewayChannelTest {

    private static final String TOKEN = "control-token-0123456789abcdef";

    @TempDir
    Path dir;

    @Test
    void twoGatewaysCarrySipAndShowTheirChannelOnMqttStatusAndMetrics() throws Exception {
        ChannelPki pki = new ChannelPki(dir).ca("home-ca").ca("partner-ca");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), TOKEN + "\n");
        try (KeyVault v = SoftVault.open(dir.resolve("home.bcfks"), "keystore passphrase".toCharArray(), true,
                AuditLog.inMemory())) {
            pki.gateway(v, "home-tls", "home-ca", "isg:home");
        }
        String partnerLabel = "gw-partner-tls-" + Long.toHexString(System.nanoTime());
        try (KeyVault v = Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory())) {
            pki.gateway(v, partnerLabel, "partner-ca", "isg:partner");
        }
        int homePort = ChannelPair.freePort();
        int partnerPort = ChannelPair.freePort();
        int sip = ChannelPair.freePort();
        int kmsProxyPort = ChannelPair.freePort();
        com.sun.net.httpserver.HttpServer kms = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        byte[] keyProv = ("<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><KmsMessage><KmsKeyProv/></KmsMessage>"
                + "</KmsResponse>").getBytes(StandardCharsets.UTF_8);
        kms.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, keyProv.length);
            ex.getResponseBody().write(keyProv);
            ex.close();
        });
        kms.start();
        try (Echo proxy = new Echo(); Mosquitto broker = new Mosquitto(dir)) {
            Map<String, String> seen = new ConcurrentHashMap<>();
            MqttClient dash = subscribe(broker, seen);
            Path home = write("home.yaml", "gateway: {id: home}\n"
                    + "vault: {kind: soft, keystore: home.bcfks, passphraseFile: pass}\n"
                    + "inside: {address: 127.0.0.1, ports: 37000-37019}\noutside: {address: 127.0.0.1, ports: 37100-37119}\n"
                    + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n"
                    + "mqtt: {broker: \"" + broker.uri() + "\", metricsSeconds: 1}\n"
                    + "channel: {listen: \"127.0.0.1:" + homePort + "\", key: \"pkcs11:object=home-tls\", "
                    + "certificate: \"pkcs11:object=home-tls-cert\", keepAlive: 1s, handshakeTimeout: 3s}\n"
                    + "partners:\n  partner:\n    masterKey: \"pkcs11:object=partner-master\"\n    channel:\n"
                    + "      connect: \"127.0.0.1:" + partnerPort + "\"\n      ca: partner-ca.pem\n"
                    + "      identity: \"uri:isg:partner\"\n"
                    + "      services: {sip: {listen: \"127.0.0.1:" + sip + "\"}}\n"
                    + "    domains: [kms.partner.example]\n"
                    + "policy:\n  - {rule: officers-out, decision: allow, direction: outbound, partner: partner, "
                    + "actions: [key-material], users: \"sip:officer-*\", targets: kms.partner.example}\n"
                    + "kmsProxy: {listen: \"127.0.0.1:" + kmsProxyPort + "\"}\n");
            Path partner = write("partner.yaml", "gateway: {id: partner}\n"
                    + "vault: {kind: pkcs11, module: " + SoftHsm.MODULE + ", token: " + SoftHsm.LABEL + ", pinFile: "
                    + SoftHsm.get().pinFile + "}\n"
                    + "inside: {address: 127.0.0.1, ports: 37200-37219}\noutside: {address: 127.0.0.1, ports: 37300-37319}\n"
                    + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n"
                    + "channel: {listen: \"127.0.0.1:" + partnerPort + "\", key: \"pkcs11:object=" + partnerLabel + "\", "
                    + "certificate: \"pkcs11:object=" + partnerLabel + "-cert\", keepAlive: 1s}\n"
                    + "partners:\n  home:\n    masterKey: \"pkcs11:object=home-master\"\n    channel:\n"
                    + "      ca: home-ca.pem\n      identity: \"uri:isg:home\"\n"
                    + "      exports: {sip: {target: \"127.0.0.1:" + proxy.address().getPort() + "\"}}\n"
                    + "policy:\n  - {rule: officers-in, decision: allow, direction: inbound, partner: home, "
                    + "actions: [key-material], users: \"sip:officer-*\", targets: \"*\"}\n"
                    + "kmsProxy: {kms: \"http://127.0.0.1:" + kms.getAddress().getPort() + "\", "
                    + "ownKms: [kms.partner.example]}\n");
            try (Gateway h = new Gateway(home)) {
                // the partner is not there yet: its alarm is raised
                await(seen, "isg/home/alarms/partner-down:partner", "\"active\":true");
                try (Gateway p = new Gateway(partner)) {
                    await(seen, "isg/home/alarms/partner-down:partner", "\"active\":false");
                    await(seen, "isg/home/state", "\"channel\":{\"partners\":{\"partner\":{\"up\":true,\"connections\":1}}}");
                    // a dashboard finds the partner's link: a connectivity sensor reading the state topic
                    await(seen, "homeassistant/binary_sensor/isg_home/partner_partner/config", "\"device_class\":"
                            + "\"connectivity\"");
                    assertTrue(seen.get("homeassistant/binary_sensor/isg_home/partner_partner/config").contains(
                            "\"value_template\":\"{{ 'ON' if value_json.channel.partners['partner'].up else 'OFF' }}\""),
                            seen.get("homeassistant/binary_sensor/isg_home/partner_partner/config"));
                    byte[] invite = ("INVITE sip:alice@partner.example SIP/2.0\r\nVia: SIP/2.0/TCP home\r\n"
                            + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                    try (Socket s = new Socket("127.0.0.1", sip)) {
                        s.setSoTimeout(10000);
                        s.getOutputStream().write(invite);
                        byte[] back = new byte[invite.length];
                        new DataInputStream(s.getInputStream()).readFully(back);
                        assertArrayEquals(invite, back);
                    }
                    // key material from the partner's KMS: both gateways' rules allow officers
                    KmsReply k = kmsRequest(kmsProxyPort, "sip:officer-1@home.example");
                    assertEquals(200, k.statusCode());
                    assertArrayEquals(keyProv, k.body());
                    await(seen, "isg/home/events", "by rule officers-out");
                    // plain HTTP to the HTTPS endpoint: refused by the TLS layer, counted, nothing crosses
                    try (Socket plain = new Socket("127.0.0.1", kmsProxyPort)) {
                        plain.setSoTimeout(10000);
                        plain.getOutputStream().write("POST /keymanagement/identity/v1/keyprov HTTP/1.1\r\nHost: x\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                        try {
                            plain.getInputStream().readAllBytes();
                        } catch (java.net.SocketException reset) {
                            // reset: as good as closed
                        }
                    }
                    ChannelPair.await("the plain request counted", 10, () -> h.kmsProxy().counters().containsKey("refused:tls"));
                    String status = get(h, "/status");
                    assertTrue(status.contains("\"policy\":{\"partner\":{\"outbound\":{\"key-material\":{\"allow\":"
                            + "{\"officers-out\":1}}}}}"), status);
                    assertTrue(status.contains("\"partners\":{\"partner\":{\"up\":true,\"connections\":1,")
                            && status.contains("\"name\":\"sip\",\"direction\":\"service\""), status);
                    String metrics = get(h, "/metrics");
                    assertTrue(metrics.contains("isg_channel_partner_up{partner=\"partner\"} 1")
                            && metrics.contains("isg_channel_bytes_total{partner=\"partner\",service=\"sip\","
                                    + "kind=\"service\",direction=\"to_partner\"} " + invite.length), metrics);
                    assertTrue(metrics.contains("isg_policy_decisions_total{partner=\"partner\",direction=\"outbound\","
                            + "action=\"key-material\",decision=\"allow\",rule=\"officers-out\"} 1")
                            && metrics.contains("isg_kms_proxy_requests_total{outcome=\"answered\"} 1"), metrics);
                    promtool(metrics);
                    await(seen, "isg/home/metrics", "\"bytesToPartner\":" + invite.length);
                    // a reload puts a new policy in force whole: the same request is now refused at home
                    Files.writeString(home, Files.readString(home).replace("decision: allow", "decision: deny"));
                    h.reload();
                    assertEquals(403, kmsRequest(kmsProxyPort, "sip:officer-1@home.example").statusCode());
                    // a changed channel section needs a restart: refused, and the running one stays
                    Files.writeString(home, Files.readString(home).replace("keepAlive: 1s", "keepAlive: 2s"));
                    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, h::reload);
                    assertTrue(e.getMessage().contains("channel.keepAlive: changed, and only a restart applies it"),
                            e.getMessage());
                }
                await(seen, "isg/home/alarms/partner-down:partner", "\"active\":true");
                assertTrue(get(h, "/metrics").contains("isg_channel_partner_up{partner=\"partner\"} 0"));
            }
            dash.disconnect();
            dash.close();
        } finally {
            kms.stop(0);
        }
    }

    private Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    private static String get(Gateway g, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + g.control().address().getPort() + path)).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** Prometheus's own linter over the exposition: it must parse and follow the naming rules. */
    record KmsReply(int statusCode, byte[] body) {
    }

    /**
     * A KMS request over HTTPS (the proxy's default), trusting home's CA and checking the
     * certificate names the home gateway (its SAN URI: the test's certificates carry no DNS name).
     */
    private KmsReply kmsRequest(int port, String user) throws Exception {
        byte[] body = ("<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Version=\"1.1.0\"><UserUri>" + user
                + "</UserUri><KmsUri>kms.partner.example</KmsUri><Time>2026-12-01T10:00:00</Time>"
                + "<ClientReqUrl>https://kms.partner.example/keymanagement/identity/v1/keyprov</ClientReqUrl></KmsRequest>")
                .getBytes(StandardCharsets.UTF_8);
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(dir.resolve("home-ca.pem"))) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
        tls.init(null, tmf.getTrustManagers(), null);
        javax.net.ssl.HttpsURLConnection h = (javax.net.ssl.HttpsURLConnection) new java.net.URL("https://127.0.0.1:" + port
                + "/keymanagement/identity/v1/keyprov").openConnection();
        h.setSSLSocketFactory(tls.getSocketFactory());
        h.setHostnameVerifier((host, session) -> {
            try {
                return ((java.security.cert.X509Certificate) session.getPeerCertificates()[0]).getSubjectAlternativeNames()
                        .stream().anyMatch(n -> n.get(1).equals("isg:home"));
            } catch (Exception e) {
                return false;
            }
        });
        h.setRequestMethod("POST");
        h.setDoOutput(true);
        h.setReadTimeout(10000);
        try (var o = h.getOutputStream()) {
            o.write(body);
        }
        int status = h.getResponseCode();
        try (var in = status < 400 ? h.getInputStream() : h.getErrorStream()) {
            return new KmsReply(status, in.readAllBytes());
        }
    }

    private void promtool(String metrics) throws Exception {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "promtool check metrics: " + out);
    }

    private static MqttClient subscribe(Mosquitto broker, Map<String, String> seen) throws Exception {
        MqttClient dash = new MqttClient(broker.uri(), "dash-" + System.nanoTime(), new MemoryPersistence());
        dash.connect();
        org.eclipse.paho.mqttv5.client.IMqttMessageListener keep =
                (t, m) -> seen.put(t, new String(m.getPayload(), StandardCharsets.UTF_8));
        dash.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
            new org.eclipse.paho.mqttv5.common.MqttSubscription("isg/#", 1),
            new org.eclipse.paho.mqttv5.common.MqttSubscription("homeassistant/#", 1)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {keep, keep});
        return dash;
    }

    private static void await(Map<String, String> seen, String topic, String contains) throws Exception {
        ChannelPair.await(topic + " containing " + contains + " (seen: " + seen.get(topic) + ")", 30,
                () -> seen.getOrDefault(topic, "").contains(contains));
    }

}
