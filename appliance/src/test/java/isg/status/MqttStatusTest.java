package isg.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import isg.board.SimulatedBoard;
import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.relay.Relay;
import isg.relay.Session;
import isg.relay.SessionSpec;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status topics against a real Mosquitto, as a dashboard (a fresh subscriber) sees them. */
class MqttStatusTest {

    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A fresh subscriber that keeps the last payload per topic. */
    private static final class Dashboard implements AutoCloseable {
        final Map<String, String> last = new ConcurrentHashMap<>();
        final MqttClient client;

        Dashboard(String uri, String filter) throws Exception {
            client = new MqttClient(uri, "dash-" + System.nanoTime(), new MemoryPersistence());
            MqttConnectionOptions o = new MqttConnectionOptions();
            o.setCleanStart(true);
            client.connect(o);
            client.subscribe(filter, 1);
            client.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
                public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse r) {
                }

                public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException e) {
                }

                public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage m) {
                    last.put(topic, new String(m.getPayload(), StandardCharsets.UTF_8));
                }

                public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken t) {
                }

                public void connectComplete(boolean reconnect, String uri) {
                }

                public void authPacketArrived(int r, org.eclipse.paho.mqttv5.common.packet.MqttProperties p) {
                }
            });
            client.subscribe(filter, 1);
        }

        String await(String topic, java.util.function.Predicate<String> ok) throws InterruptedException {
            long end = System.nanoTime() + 15_000_000_000L;
            while (System.nanoTime() < end) {
                String v = last.get(topic);
                if (v != null && ok.test(v)) {
                    return v;
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no acceptable message on " + topic + "; last: " + last.get(topic) + "; topics "
                    + last.keySet());
        }

        @Override
        public void close() throws Exception {
            client.disconnect();
            client.close();
        }
    }

    @Test
    void birthStateAlarmsDiscoveryAndABrokerRestart() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir); Lab lab = new Lab(); KeyVault vault = lab.vault("home");
                Relay relay = Lab.relay("home", "partner", vault, 28000, 4, 1); SimulatedBoard board = new SimulatedBoard()) {
            StatusReport report = new StatusReport(relay, vault, board);
            AlarmRegistry alarms = new AlarmRegistry();
            alarms.declare("tamper", "vault");
            try (MqttStatus status = new MqttStatus(new MqttStatus.Options(broker.uri(), "isg", "home", null, 1, 50),
                    report::state, report::metrics)) {
                status.follow(alarms);
                try (Dashboard d = new Dashboard(broker.uri(), "#")) {
                    assertEquals("online", d.await("isg/home/status", "online"::equals));
                    JsonNode state = JSON.readTree(d.await("isg/home/state", s -> true));
                    assertEquals("home", state.get("gateway").asText());
                    assertTrue(state.get("vault").get("kind").asText().startsWith("software token"));
                    JsonNode metrics = JSON.readTree(d.await("isg/home/metrics", s -> true));
                    assertNotNull(metrics.get("dropsByReason").get("AUTH"));
                    assertNotNull(metrics.get("legs").get("outside").get("ppsIn"));
                    assertTrue(metrics.has("keyExpiryHorizonPackets"));
                    // discovery: well-formed JSON with what Home Assistant needs
                    JsonNode sensor = JSON.readTree(d.await("homeassistant/sensor/isg_home/sessions/config", s -> true));
                    for (String f : new String[] {"name", "unique_id", "state_topic", "availability_topic", "device"}) {
                        assertNotNull(sensor.get(f), f + " in " + sensor);
                    }
                    assertEquals("isg/home/status", sensor.get("availability_topic").asText());
                    JsonNode tamper = JSON.readTree(d.await("homeassistant/binary_sensor/isg_home/tamper/config",
                            s -> true));
                    assertEquals("tamper", tamper.get("device_class").asText());
                    // Home Assistant restarts: it says online and gets the discovery configs again
                    d.client.publish("homeassistant/sensor/isg_home/sessions/config", new byte[0], 1, true);
                    d.await("homeassistant/sensor/isg_home/sessions/config", String::isEmpty);
                    d.client.publish("homeassistant/status", "online".getBytes(StandardCharsets.UTF_8), 1, false);
                    d.await("homeassistant/sensor/isg_home/sessions/config", s -> s.contains("unique_id"));
                    alarms.raise("tamper", "tamper loop opened");
                    assertTrue(JSON.readTree(d.await("isg/home/alarms/tamper", s -> s.contains("true")))
                            .get("active").asBoolean());
                    alarms.clear("tamper");
                    d.await("isg/home/alarms/tamper", s -> s.contains("\"active\":false"));
                    alarms.raise("vault", "vault down");
                    d.await("isg/home/alarms/vault", s -> s.contains("true"));
                }
                // a dashboard that arrives later sees the retained state and alarms; nothing secret anywhere
                try (Dashboard all = new Dashboard(broker.uri(), "#")) {
                    all.await("isg/home/metrics", m -> true);
                    String everything = String.join("\n", all.last.values());
                    for (String secret : new String[] {"lab home", "passphrase", "PRIVATE KEY", "pin"}) {
                        assertTrue(!everything.contains(secret), "a message carries '" + secret + "'");
                    }
                }
                try (Dashboard late = new Dashboard(broker.uri(), "isg/#")) {
                    late.await("isg/home/status", "online"::equals);
                    late.await("isg/home/state", s -> s.contains("\"gateway\":\"home\""));
                    late.await("isg/home/alarms/vault", s -> s.contains("true"));
                }
                // the broker goes away: the data plane does not notice
                try (DatagramSocket mc = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                        DatagramSocket partner = new DatagramSocket(
                                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                    Session s = relay.create(new SessionSpec("hop-1", Session.Mode.HOP, "partner",
                            (InetSocketAddress) mc.getLocalSocketAddress(),
                            (InetSocketAddress) partner.getLocalSocketAddress(), null, null, null,
                            isg.relay.InterconnectKeys.newNonce()));
                    broker.stop();
                    partner.setSoTimeout(2000);
                    for (int i = 1; i <= 200; i++) {
                        byte[] p = new byte[172];
                        p[0] = (byte) 0x80;
                        p[2] = (byte) (i >> 8);
                        p[3] = (byte) i;
                        p[11] = 5;
                        mc.send(new DatagramPacket(p, p.length, s.inside().localRtp()));
                        partner.receive(new DatagramPacket(new byte[2048], 2048));
                    }
                    assertEquals(200, s.outside().counters().packetsOut(), "every packet forwarded during the outage");
                    Thread.sleep(2500); // metrics pile up: the oldest are dropped, nothing blocks
                    broker.start();
                    try (Dashboard back = new Dashboard(broker.uri(), "isg/#")) {
                        back.await("isg/home/status", "online"::equals);
                        back.await("isg/home/state", st -> st.contains("\"gateway\":\"home\""));
                        back.await("isg/home/alarms/vault", a -> a.contains("true"));
                    }
                }
            }
        }
    }

    @Test
    void theLastWillSaysOfflineWhenTheProcessIsKilledHard() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir); Dashboard d = new Dashboard(broker.uri(), "isg/child/status")) {
            String java = ProcessHandle.current().info().command().orElse("java");
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    StatusChild.class.getName(), broker.uri()).redirectErrorStream(true).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            do {
                line = r.readLine();
            } while (line != null && !line.equals("connected") && !line.equals("not connected"));
            assertEquals("connected", line);
            d.await("isg/child/status", "online"::equals);
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            d.await("isg/child/status", "offline"::equals);
        }
    }
}
