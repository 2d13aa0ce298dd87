package isg.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import isg.Gateway;
import isg.board.SimulatedBoard;
import isg.hsm.SecureFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a dashboard meets, seen by a client nobody here wrote (MQTT.js 5, MQTT v5, run by Node):
 * retained state and alarms after a tamper, after the operator's acknowledgement and after a
 * restart; every Home Assistant discovery config valid against the documented schema, with a
 * gateway id Home Assistant could not use as a node id; JSON marked as such in v5 properties; and
 * two boxes of the same id under different prefixes keeping their own connections.
 */
class DashboardTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "control-token-0123456789abcdef";

    @TempDir
    Path dir;

    /** The last retained message per topic that MQTT.js is given on subscribing now. */
    private static Map<String, JsonNode> retained(Mosquitto broker, String... filters) throws Exception {
        Path js = Path.of("src/test/js");
        assertTrue(Files.isDirectory(js.resolve("node_modules/mqtt")), "MQTT.js is missing: the README's test command "
                + "(bash .ci/run) installs it with npm ci in " + js);
        List<String> cmd = new ArrayList<>(List.of("node", "retained.mjs", broker.uri().replace("tcp://", "mqtt://"),
                "700"));
        cmd.addAll(List.of(filters));
        Process p = new ProcessBuilder(cmd).directory(js.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "MQTT.js finished");
        assertEquals(0, p.exitValue(), "MQTT.js: " + out);
        Map<String, JsonNode> seen = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                JsonNode m = JSON.readTree(line);
                seen.put(m.get("topic").asText(), m);
            }
        }
        return seen;
    }

    private static JsonNode payload(Map<String, JsonNode> seen, String topic) throws Exception {
        JsonNode m = seen.get(topic);
        assertTrue(m != null, "no retained message on " + topic + " among " + seen.keySet());
        assertTrue(m.get("retain").asBoolean(), topic + " retained");
        return JSON.readTree(m.get("payload").asText());
    }

    private Path config(String extra) throws Exception {
        SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        SecureFiles.writeSecret(dir.resolve("token"), TOKEN + "\n");
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, "gateway: {id: home.east}\nvault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass}\n"
                + "inside: {address: 127.0.0.1, ports: 36400-36419}\noutside: {address: 127.0.0.1, ports: 36500-36519}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\nboard: {kind: simulated}\n" + extra);
        return f;
    }

    private static HttpResponse<String> post(Gateway g, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + g.control().address().getPort() + path)).POST(HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void eventually(java.util.concurrent.Callable<Boolean> c, String what) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!c.call()) {
            assertTrue(System.nanoTime() < end, what);
            Thread.sleep(50);
        }
    }

    @Test
    void aDashboardArrivingAfterATamperAndAfterARestartReadsTheTruth() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir)) {
            Path f = config("mqtt: {broker: \"" + broker.uri() + "\", prefix: site/a, metricsSeconds: 1}\n");
            String base = "site/a/home.east";
            try (Gateway g = new Gateway(f)) {
                String[] entities = {"sensor/isg_home_east/mode", "sensor/isg_home_east/pps_inside_in",
                    "sensor/isg_home_east/pps_outside_out", "sensor/isg_home_east/drops_auth",
                    "sensor/isg_home_east/sessions", "binary_sensor/isg_home_east/vault",
                    "binary_sensor/isg_home_east/tamper", "binary_sensor/isg_home_east/alarm_vault"};
                // the state, the alarms and the discovery are separate retained messages: wait for all
                eventually(() -> {
                    Map<String, JsonNode> r = retained(broker, base + "/#", "homeassistant/#");
                    return r.containsKey(base + "/alarms/vault") && r.containsKey(base + "/alarms/tamper")
                            && java.util.Arrays.stream(entities).allMatch(e -> r.containsKey("homeassistant/" + e + "/config"));
                }, "alarms and discovery published");
                Map<String, JsonNode> seen = retained(broker, base + "/#", "homeassistant/#");
                assertEquals("online", seen.get(base + "/status").get("payload").asText());
                assertEquals("forwarding", payload(seen, base + "/state").get("mode").asText());
                // every alarm exists from birth, inactive: no "unknown" entity on a dashboard
                assertEquals(false, payload(seen, base + "/alarms/tamper").get("active").asBoolean());
                assertEquals(false, payload(seen, base + "/alarms/vault").get("active").asBoolean());
                // MQTT v5: JSON says so, every payload is UTF-8
                assertEquals("application/json", seen.get(base + "/state").get("contentType").asText());
                assertTrue(seen.get(base + "/state").get("payloadFormatIndicator").asBoolean(), "payload format: UTF-8");
                // discovery, as Home Assistant's schema has it, under a node id HA accepts
                List<String> problems = new ArrayList<>();
                int configs = 0;
                for (Map.Entry<String, JsonNode> e : seen.entrySet()) {
                    if (e.getKey().startsWith("homeassistant/")) {
                        configs++;
                        problems.addAll(HomeAssistantSchema.problems(e.getKey(), payload(seen, e.getKey())));
                        assertTrue(e.getKey().contains("/isg_home_east/"), e.getKey());
                    }
                }
                assertTrue(problems.isEmpty(), String.join("\n", problems));
                for (String entity : entities) {
                    assertTrue(seen.containsKey("homeassistant/" + entity + "/config"), entity + " announced");
                }
                assertTrue(configs >= 20, configs + " discovery configs");
                JsonNode temp = payload(seen, "homeassistant/sensor/isg_home_east/temperature/config");
                assertEquals("temperature", temp.get("device_class").asText());
                assertEquals("total_increasing", payload(seen, "homeassistant/sensor/isg_home_east/packets_in/config")
                        .get("state_class").asText());
                assertEquals("0.1.0", temp.get("device").get("sw_version").asText());

                // the tamper loop opens: a dashboard subscribing afterwards reads zeroised and the alarm
                ((SimulatedBoard) g.board()).tamperLoop(false);
                eventually(() -> retained(broker, base + "/state").get(base + "/state").get("payload").asText()
                        .contains("zeroised"), "state retained as zeroised");
                seen = retained(broker, base + "/#");
                assertEquals("zeroised", payload(seen, base + "/state").get("mode").asText());
                assertEquals(true, payload(seen, base + "/alarms/tamper").get("active").asBoolean());
                assertEquals("tamper loop opened", payload(seen, base + "/alarms/tamper").get("reason").asText());
                // Prometheus sees the same: Prometheus's own promtool reads the exposition
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + g.control().address().getPort() + "/metrics")).header("Authorization", "Bearer " + TOKEN).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
                promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
                promtool.getOutputStream().close();
                String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(promtool.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, promtool.exitValue(), "promtool check metrics: " + lint + "\n" + metrics);
                for (String line : new String[] {"isg_zeroised 1", "isg_vault_up 0", "isg_alarm_active{alarm=\"tamper\"} 1",
                    "isg_alarm_active{alarm=\"vault\"} ", "isg_leg_packets{side=\"inside\",direction=\"in\"} 0",
                    "isg_control_connections 1", "isg_control_connections_closed_total{reason=\"idle\"} 0"}) {
                    assertTrue(metrics.contains(line), line + " in\n" + metrics);
                }
                // acknowledged only once the loop is closed; the box stays zeroised
                HttpResponse<String> r = post(g, "/alarms/tamper/ack");
                assertEquals(409, r.statusCode(), r.body());
                assertTrue(r.body().contains("tamper loop is still open"), r.body());
                ((SimulatedBoard) g.board()).tamperLoop(true);
                r = post(g, "/alarms/tamper/ack");
                assertEquals(200, r.statusCode(), r.body());
                eventually(() -> retained(broker, base + "/alarms/tamper").get(base + "/alarms/tamper").get("payload")
                        .asText().contains("\"active\":false"), "tamper cleared after the acknowledgement");
                assertEquals("zeroised", payload(retained(broker, base + "/state"), base + "/state").get("mode").asText());
                ((SimulatedBoard) g.board()).tamperLoop(false);
                eventually(() -> retained(broker, base + "/alarms/tamper").get(base + "/alarms/tamper").get("payload")
                        .asText().contains("\"active\":true"), "raised again");
            }
            // restarted healthy: the retained tamper alarm is cleared at birth, the state is forwarding again
            try (Gateway g = new Gateway(f)) {
                eventually(() -> retained(broker, base + "/state").get(base + "/state").get("payload").asText()
                        .contains("forwarding"), "state after the restart");
                Map<String, JsonNode> seen = retained(broker, base + "/#");
                assertEquals(false, payload(seen, base + "/alarms/tamper").get("active").asBoolean());
                assertEquals("online", seen.get(base + "/status").get("payload").asText());
            }
            java.util.List<String> audit = Files.readAllLines(dir.resolve("isg-audit.jsonl"));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"action\":\"tamper\"") && l.contains("tamper loop opened")),
                    String.join("\n", audit));
            assertTrue(audit.stream().anyMatch(l -> l.contains("\"action\":\"alarm-ack\"") && l.contains("\"result\":\"OK\"")));
        }
    }

    /**
     * A broker that takes one unacknowledged message at a time (MQTT v5 Receive Maximum 1, as
     * mosquitto announces for {@code max_inflight_messages 1}; the default is 20, fewer than the
     * box's birth messages and discovery configs together): a dashboard still gets every alarm and
     * every discovery config, none lost to the client's in-flight limit.
     */
    @Test
    void aBrokerTakingOneMessageAtATimeStillGetsEveryAlarmAndDiscoveryConfig() throws Exception {
        try (Mosquitto broker = Mosquitto.withSettings(dir, "max_inflight_messages 1\n")) {
            AlarmRegistry alarms = new AlarmRegistry();
            alarms.declare("tamper", "vault", "partner_down", "clock", "temperature");
            MqttStatus.Options o = new MqttStatus.Options(broker.uri(), "site/q", "slow.box", null, 1, 10);
            try (MqttStatus status = new MqttStatus(o, () -> "{\"mode\":\"forwarding\"}", () -> "{}")) {
                status.follow(alarms);
                status.partners(List.of("west", "north"));
                String base = "site/q/slow.box";
                java.util.Set<String> configs = status.discoveryConfigs().keySet();
                assertTrue(configs.size() >= 25, configs.size() + " discovery configs");
                eventually(() -> {
                    Map<String, JsonNode> r = retained(broker, base + "/#", "homeassistant/#");
                    return r.keySet().containsAll(configs) && r.containsKey(base + "/alarms/temperature")
                            && r.containsKey(base + "/state");
                }, "every discovery config and alarm retained");
                Map<String, JsonNode> seen = retained(broker, base + "/#", "homeassistant/#");
                for (String a : new String[] {"tamper", "vault", "partner_down", "clock", "temperature"}) {
                    assertEquals(false, payload(seen, base + "/alarms/" + a).get("active").asBoolean(), a);
                }
                assertEquals("online", seen.get(base + "/status").get("payload").asText());
                // a change after birth still arrives
                alarms.raise("temperature", "82 C");
                eventually(() -> retained(broker, base + "/alarms/temperature").get(base + "/alarms/temperature")
                        .get("payload").asText().contains("\"active\":true"), "raised alarm retained");
                // never more unacknowledged than the broker allows: it never had to throw the box out
                assertEquals(1, status.connects(), "connections to the broker");
            }
        }
    }

    @Test
    void twoBoxesOfOneIdUnderTwoPrefixesKeepTheirOwnConnections() throws Exception {
        try (Mosquitto broker = new Mosquitto(dir)) {
            MqttStatus.Options a = new MqttStatus.Options(broker.uri(), "site/a", "home", null, 1, 10);
            MqttStatus.Options b = new MqttStatus.Options(broker.uri(), "site/b", "home", null, 1, 10);
            assertNotEquals(a.effectiveClientId(), b.effectiveClientId());
            assertTrue(a.effectiveClientId().matches("isg-home-[0-9a-f]{8}"), a.effectiveClientId());
            assertEquals("rack-7", new MqttStatus.Options(broker.uri(), "site/a", "home", null, 1, 10, null, null, null,
                    "rack-7").effectiveClientId());
            try (MqttStatus one = new MqttStatus(a, () -> "{\"box\":\"a\"}", () -> "{}");
                    MqttStatus two = new MqttStatus(b, () -> "{\"box\":\"b\"}", () -> "{}")) {
                eventually(() -> {
                    Map<String, JsonNode> seen = retained(broker, "site/+/home/status");
                    return seen.size() == 2 && seen.values().stream().allMatch(m -> m.get("payload").asText()
                            .equals("online"));
                }, "both online");
                // had they shared a client id, the broker would have closed one for the other by now, back and forth
                assertTrue(one.connected() && two.connected());
                assertEquals(1, one.connects(), "no reconnects");
                assertEquals(1, two.connects(), "no reconnects");
            }
        }
    }
}
