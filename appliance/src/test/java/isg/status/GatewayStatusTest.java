package isg.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import isg.board.BoardException;
import isg.board.SimulatedBoard;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A gateway from its file with a broker and a board; the demo publishing; a real board that is not there. */
class GatewayStatusTest {

    @TempDir
    Path dir;

    private Path config(int base, String extra) throws Exception {
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), "control-token-0123456789abcdef\n");
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, "gateway: {id: home}\nvault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass}\n"
                + "inside: {address: 127.0.0.1, ports: " + base + "-" + (base + 19) + "}\n"
                + "outside: {address: 127.0.0.1, ports: " + (base + 100) + "-" + (base + 119) + "}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n" + extra);
        return f;
    }

    @Test
    void aGatewayReportsToItsBrokerAndRaisesTheTamperAlarm() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir)) {
            java.util.Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
            MqttClient dash = subscribe(broker, seen);
            try (Gateway g = new Gateway(config(36000, "mqtt: {broker: \"" + broker.uri() + "\", metricsSeconds: 1}\n"
                    + "board: {kind: simulated}\n"))) {
                await(seen, "isg/home/status", "online");
                await(seen, "isg/home/state", "\"board\":\"simulated board\"");
                ((SimulatedBoard) g.board()).tamperLoop(false);
                await(seen, "isg/home/alarms/tamper", "\"active\":true");
                await(seen, "isg/home/state", "\"mode\":\"zeroised\"");
            }
            await(seen, "isg/home/status", "offline");
            dash.disconnect();
            dash.close();
        }
    }

    @Test
    void theDemoPublishesBothGatewaysWhenABrokerIsGiven() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir)) {
            java.util.Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
            MqttClient dash = subscribe(broker, seen);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertEquals(0, isg.demo.Demo.run(new PrintStream(out, true, StandardCharsets.UTF_8), 2.5, broker.uri()));
            assertTrue(seen.getOrDefault("isg/home/metrics", "").contains("\"packetsIn\""), seen.toString());
            assertTrue(seen.containsKey("isg/partner/state"), seen.keySet().toString());
            dash.disconnect();
            dash.close();
        }
    }

    @Test
    void theDemosBoardKeysOpenTheTamperLoopAndTheAlarmReachesTheBroker() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir)) {
            java.util.Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
            MqttClient dash = subscribe(broker, seen);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            // a newcomer watches the first status line, then types "t" and Enter at the demo's console
            java.io.PipedOutputStream keys = new java.io.PipedOutputStream();
            java.io.PipedInputStream console = new java.io.PipedInputStream(keys);
            Thread typist = new Thread(() -> {
                try {
                    while (!out.toString(StandardCharsets.UTF_8).contains("[  1s]")) {
                        Thread.sleep(20);
                    }
                    keys.write("?\nt\n".getBytes(StandardCharsets.UTF_8));
                    keys.flush();
                } catch (java.io.IOException | InterruptedException e) {
                    // the demo ended first; the assertions below say so
                }
            });
            typist.start();
            assertEquals(0, isg.demo.Demo.run(new PrintStream(out, true, StandardCharsets.UTF_8), 3, broker.uri(), 0,
                    console));
            typist.join(5000);
            String o = out.toString(StandardCharsets.UTF_8);
            assertTrue(o.contains("home tamper loop opened") && o.contains("vault zeroised, ALARM on, "
                    + "isg/home/alarms/tamper active"), o);
            await(seen, "isg/home/alarms/tamper", "\"active\":true");
            await(seen, "isg/partner/alarms/tamper", "\"active\":false");
            dash.disconnect();
            dash.close();
        }
    }

    @Test
    void aConfiguredGpioBoardThatIsNotThereStopsTheStart() throws Exception {
        BoardException e = assertThrows(BoardException.class, () -> new Gateway(config(36200, "board: {kind: gpio}\n"))
                .close());
        assertTrue(e.getMessage().contains("no GPIO character device"), e.getMessage());
    }

    /** A dashboard on isg/# keeping the last payload per topic in {@code seen}. */
    private static MqttClient subscribe(Mosquitto broker, java.util.Map<String, String> seen) throws Exception {
        MqttClient dash = new MqttClient(broker.uri(), "dash-" + System.nanoTime(), new MemoryPersistence());
        dash.connect();
        dash.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription[] {
            new org.eclipse.paho.mqttv5.common.MqttSubscription("isg/#", 1)},
                new org.eclipse.paho.mqttv5.client.IMqttMessageListener[] {
                    (t, m) -> seen.put(t, new String(m.getPayload(), StandardCharsets.UTF_8))});
        return dash;
    }

    private static void await(java.util.Map<String, String> seen, String topic, String contains) throws Exception {
        long end = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < end) {
            if (seen.getOrDefault(topic, "").contains(contains)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(topic + " never contained " + contains + "; last: " + seen.get(topic));
    }
}
