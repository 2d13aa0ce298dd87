package isg.status;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

    @Test
    void theBoxReportsOverTlsWithItsClientCertificateAndOnlyToItsCa() throws Exception {
        new isg.TestCerts(dir).ca("ca").ca("other-ca").issue("server", "ca", true).issue("client", "ca", false);
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
