package isg.status;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to the broker: the box trusts only its configured CA and presents its client certificate;
 * Mosquitto requires one. Certificates are made for the test with openssl.
 */
class MqttTlsTest {

    @TempDir
    Path dir;

    private void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + ": " + out);
        }
    }

    private void certificate(String name, String cn, String ca, boolean server) throws Exception {
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=" + cn);
        Files.writeString(dir.resolve(name + ".ext"), server ? "subjectAltName=IP:127.0.0.1\n" : "extendedKeyUsage=clientAuth\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
    }

    @Test
    void theBoxReportsOverTlsWithItsClientCertificateAndOnlyToItsCa() throws Exception {
        for (String ca : new String[] {"ca", "other-ca"}) {
            openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=" + ca);
        }
        certificate("server", "127.0.0.1", "ca", true);
        certificate("client", "isg-home", "ca", false);
        openssl("pkcs12", "-export", "-inkey", "client.key", "-in", "client.pem", "-out", "client.p12", "-passout",
                "pass:changeit");
        Files.writeString(dir.resolve("client.pass"), "changeit\n");
        String tls = "cafile " + dir.resolve("ca.pem") + "\ncertfile " + dir.resolve("server.pem") + "\nkeyfile "
                + dir.resolve("server.key") + "\nrequire_certificate true";
        try (Mosquitto broker = new Mosquitto(dir, tls)) {
            MqttClient dash = new MqttClient(broker.uri(), "dash", new MemoryPersistence());
            dash.connect();
            Map<String, String> seen = new ConcurrentHashMap<>();
            dash.subscribe(new MqttSubscription[] {new MqttSubscription("isg/#", 1)},
                    new IMqttMessageListener[] {(t, m) -> seen.put(t, new String(m.getPayload(), StandardCharsets.UTF_8))});
            String uri = "ssl://127.0.0.1:" + broker.tlsPort;
            try (MqttStatus wrongCa = new MqttStatus(new MqttStatus.Options(uri, "isg", "impostor", null, 60, 10,
                    dir.resolve("other-ca.pem"), dir.resolve("client.p12"), dir.resolve("client.pass")), () -> "{}",
                    () -> "{}")) {
                try (MqttStatus good = new MqttStatus(new MqttStatus.Options(uri, "isg", "home", null, 60, 10,
                        dir.resolve("ca.pem"), dir.resolve("client.p12"), dir.resolve("client.pass")),
                        () -> "{\"gateway\":\"home\"}", () -> "{}")) {
                    long end = System.nanoTime() + 15_000_000_000L;
                    while (!"online".equals(seen.get("isg/home/status")) && System.nanoTime() < end) {
                        Thread.sleep(20);
                    }
                    assertTrue("online".equals(seen.get("isg/home/status")), "connected over TLS: " + seen);
                    assertFalse(wrongCa.connected(), "a broker certificate from another CA is refused");
                    assertFalse(seen.containsKey("isg/impostor/status"));
                }
            }
            dash.disconnect();
            dash.close();
        }
    }
}
