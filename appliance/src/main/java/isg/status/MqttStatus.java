package isg.status;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/**
 * The box's state on MQTT (Eclipse Paho, MQTT v5), for dashboards (DESIGN §3 "Management plane"):
 *
 * <pre>
 * {prefix}/{id}/status          online | offline   retained; offline is also the Last Will
 * {prefix}/{id}/state           retained JSON: version, vault, board, sessions, partners
 * {prefix}/{id}/metrics         JSON every few seconds: packets, drops by reason, sessions, heap, temperature
 * {prefix}/{id}/alarms/{name}   retained JSON {"active":true|false,"time":...,"reason":...}
 * {prefix}/{id}/events          JSON, audit-worthy events
 * homeassistant/.../config      retained discovery configs, re-announced when homeassistant/status is online
 * </pre>
 * Publishing runs on its own thread from a bounded queue: a slow or absent broker never touches
 * the data plane; metrics are dropped oldest first, alarms are kept and re-published on every
 * connect together with the birth message, the state and the discovery configs. No key
 * material, PIN or token is ever part of a message: the suppliers give counters and names only.
 */
public final class MqttStatus implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MqttStatus.class.getName());

    /**
     * @param credentials optional file with the username on the first line and the password on the second
     */
    public record Options(String brokerUri, String prefix, String boxId, Path credentials, int metricsSeconds,
            int queueCapacity, Path caCertificate, Path clientKeyStore, Path clientKeyStorePassword) {

        public Options(String brokerUri, String prefix, String boxId, Path credentials, int metricsSeconds,
                int queueCapacity) {
            this(brokerUri, prefix, boxId, credentials, metricsSeconds, queueCapacity, null, null, null);
        }
    }

    private final Options options;
    private final Supplier<String> state;
    private final Supplier<String> metrics;
    private final String base;
    private final MqttAsyncClient client;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mqtt-status");
        t.setDaemon(true);
        return t;
    });
    private final Deque<String[]> queue = new ArrayDeque<>();
    private final Map<String, String> alarms = new LinkedHashMap<>();
    private volatile long dropped;
    private volatile boolean closed;
    private long backoffMillis = 500;

    public MqttStatus(Options options, Supplier<String> state, Supplier<String> metrics) throws MqttException {
        this.options = options;
        this.state = state;
        this.metrics = metrics;
        this.base = options.prefix() + "/" + options.boxId();
        this.client = new MqttAsyncClient(options.brokerUri(), "isg-" + options.boxId(), new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse r) {
                LOG.log(System.Logger.Level.WARNING, "MQTT broker " + options.brokerUri() + " lost: " + r.getReasonString());
                scheduleConnect();
            }

            @Override
            public void mqttErrorOccurred(MqttException e) {
                LOG.log(System.Logger.Level.WARNING, "MQTT error: " + e.getMessage());
            }

            @Override
            public void messageArrived(String topic, MqttMessage m) {
                if (topic.equals("homeassistant/status")
                        && "online".equals(new String(m.getPayload(), StandardCharsets.UTF_8))) {
                    worker.execute(MqttStatus.this::announceDiscovery);
                }
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnect, String uri) {
            }

            @Override
            public void authPacketArrived(int reason, MqttProperties p) {
            }
        });
        worker.execute(this::connect);
        worker.scheduleAtFixedRate(() -> enqueue(base + "/metrics", metrics.get(), false), options.metricsSeconds(),
                options.metricsSeconds(), TimeUnit.SECONDS);
    }

    public boolean connected() {
        return client.isConnected();
    }

    /** Metrics messages dropped because the queue was full (the broker was down or slow). */
    public long dropped() {
        return dropped;
    }

    private MqttConnectionOptions connectionOptions() {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(true);
        o.setKeepAliveInterval(10);
        o.setConnectionTimeout(5);
        MqttMessage will = new MqttMessage("offline".getBytes(StandardCharsets.UTF_8), 1, true, null);
        o.setWill(base + "/status", will);
        if (options.caCertificate() != null || options.clientKeyStore() != null) {
            o.setSocketFactory(tls());
        }
        if (options.credentials() != null) {
            try {
                String[] lines = Files.readString(options.credentials(), StandardCharsets.UTF_8).split("\n");
                o.setUserName(lines[0].trim());
                if (lines.length > 1) {
                    o.setPassword(lines[1].trim().getBytes(StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException e) {
                LOG.log(System.Logger.Level.ERROR, "cannot read MQTT credentials " + options.credentials());
            }
        }
        return o;
    }

    /**
     * TLS to the broker: trust only the CA in {@code caCertificate} (PEM or DER); present the
     * client certificate in {@code clientKeyStore} (PKCS#12, password from its own file) when given.
     */
    private javax.net.ssl.SSLSocketFactory tls() {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            trust.load(null, null);
            if (options.caCertificate() != null) {
                try (var in = Files.newInputStream(options.caCertificate())) {
                    int i = 0;
                    for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        trust.setCertificateEntry("ca-" + i++, c);
                    }
                }
            }
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory
                    .getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(options.caCertificate() != null ? trust : null);
            javax.net.ssl.KeyManager[] kms = null;
            if (options.clientKeyStore() != null) {
                char[] pw = Files.readString(options.clientKeyStorePassword(), StandardCharsets.UTF_8).trim().toCharArray();
                java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
                try (var in = Files.newInputStream(options.clientKeyStore())) {
                    ks.load(in, pw);
                }
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory
                        .getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, pw);
                java.util.Arrays.fill(pw, '\0');
                kms = kmf.getKeyManagers();
            }
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(kms, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("MQTT TLS settings cannot be used (" + options.caCertificate() + ", "
                    + options.clientKeyStore() + "): " + e.getMessage(), e);
        }
    }

    private void connect() {
        if (closed || client.isConnected()) {
            return;
        }
        try {
            client.connect(connectionOptions()).waitForCompletion(6000);
            backoffMillis = 500;
            client.subscribe("homeassistant/status", 1);
            publish(base + "/status", "online", true, 1);
            publish(base + "/state", state.get(), true, 1);
            synchronized (this) {
                for (Map.Entry<String, String> a : alarms.entrySet()) {
                    publish(base + "/alarms/" + a.getKey(), a.getValue(), true, 1);
                }
            }
            announceDiscovery();
            LOG.log(System.Logger.Level.INFO, "MQTT status on " + options.brokerUri() + " under " + base);
            drain();
        } catch (MqttException e) {
            scheduleConnect();
        }
    }

    private void scheduleConnect() {
        if (!closed) {
            long delay = backoffMillis;
            backoffMillis = Math.min(30_000, backoffMillis * 2);
            worker.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        }
    }

    private void publish(String topic, String payload, boolean retained, int qos) throws MqttException {
        client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retained);
    }

    private synchronized void enqueue(String topic, String payload, boolean keep) {
        if (!keep && queue.size() >= options.queueCapacity()) {
            // metrics go oldest first; alarms and events are never the ones dropped
            for (var it = queue.iterator(); it.hasNext(); ) {
                if (it.next()[2] == null) {
                    it.remove();
                    dropped++;
                    break;
                }
            }
            if (queue.size() >= options.queueCapacity()) {
                dropped++;
                return;
            }
        }
        queue.addLast(new String[] {topic, payload, keep ? "keep" : null});
        worker.execute(this::drain);
    }

    private void drain() {
        while (client.isConnected()) {
            String[] m;
            synchronized (this) {
                m = queue.peekFirst();
            }
            if (m == null) {
                return;
            }
            try {
                publish(m[0], m[1], m[2] != null && m[0].contains("/alarms/"), m[2] != null ? 1 : 0);
                synchronized (this) {
                    queue.pollFirst();
                }
            } catch (MqttException e) {
                return;
            }
        }
    }

    /** The retained state changed (sessions, vault, board). */
    public void stateChanged() {
        enqueue(base + "/state", state.get(), true);
    }

    public void raiseAlarm(String name, String reason) {
        alarm(name, true, reason);
    }

    public void clearAlarm(String name) {
        alarm(name, false, null);
    }

    private void alarm(String name, boolean active, String reason) {
        String json = "{\"active\":" + active + ",\"time\":\"" + Instant.now() + "\",\"reason\":"
                + (reason == null ? "null" : quote(reason)) + "}";
        synchronized (this) {
            alarms.put(name, json);
        }
        enqueue(base + "/alarms/" + name, json, true);
    }

    public void event(String type, String detail) {
        enqueue(base + "/events", "{\"time\":\"" + Instant.now() + "\",\"type\":" + quote(type) + ",\"detail\":"
                + quote(detail) + "}", true);
    }

    static String quote(String s) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
    }

    private volatile java.util.List<String> partners = java.util.List.of();

    /**
     * The partner gateways of the channel: each gets a Home Assistant connectivity sensor fed by
     * the state topic (its {@code channel.partners.<id>.up}).
     */
    public void partners(java.util.List<String> ids) {
        partners = java.util.List.copyOf(ids);
        worker.execute(this::announceDiscovery);
    }

    /**
     * Home Assistant MQTT discovery: sensors for the figures a dashboard shows, the tamper alarm,
     * and each partner gateway's link.
     */
    private void announceDiscovery() {
        if (!client.isConnected()) {
            return;
        }
        String id = options.boxId();
        String device = "{\"identifiers\":[\"isg_" + id + "\"],\"name\":\"ISG " + id + "\",\"manufacturer\":\"ISG\","
                + "\"model\":\"Interconnect Security Gateway\"}";
        String[][] sensors = {
            {"sessions", "Sessions", "{{ value_json.sessions }}", ""},
            {"packets_in", "Packets in", "{{ value_json.packetsIn }}", "packets"},
            {"packets_out", "Packets out", "{{ value_json.packetsOut }}", "packets"},
            {"drops", "Dropped packets", "{{ value_json.drops }}", "packets"},
            {"temperature", "SoC temperature", "{{ value_json.temperature }}", "°C"},
        };
        try {
            for (String[] s : sensors) {
                String config = "{\"name\":\"" + s[1] + "\",\"unique_id\":\"isg_" + id + "_" + s[0] + "\",\"state_topic\":\""
                        + base + "/metrics\",\"value_template\":\"" + s[2] + "\","
                        + (s[3].isEmpty() ? "" : "\"unit_of_measurement\":\"" + s[3] + "\",")
                        + "\"availability_topic\":\"" + base + "/status\",\"payload_available\":\"online\","
                        + "\"payload_not_available\":\"offline\",\"device\":" + device + "}";
                publish("homeassistant/sensor/isg_" + id + "/" + s[0] + "/config", config, true, 1);
            }
            String tamper = "{\"name\":\"Tamper\",\"unique_id\":\"isg_" + id + "_tamper\",\"state_topic\":\"" + base
                    + "/alarms/tamper\",\"value_template\":\"{{ 'ON' if value_json.active else 'OFF' }}\","
                    + "\"device_class\":\"tamper\",\"availability_topic\":\"" + base + "/status\","
                    + "\"payload_available\":\"online\",\"payload_not_available\":\"offline\",\"device\":" + device + "}";
            publish("homeassistant/binary_sensor/isg_" + id + "/tamper/config", tamper, true, 1);
            for (String p : partners) {
                String object = "partner_" + p.replaceAll("[^A-Za-z0-9_]", "_");
                String link = "{\"name\":" + quote("Partner " + p) + ",\"unique_id\":\"isg_" + id + "_" + object
                        + "\",\"state_topic\":\"" + base + "/state\",\"value_template\":"
                        + quote("{{ 'ON' if value_json.channel.partners['" + p + "'].up else 'OFF' }}")
                        + ",\"device_class\":\"connectivity\",\"availability_topic\":\"" + base + "/status\","
                        + "\"payload_available\":\"online\",\"payload_not_available\":\"offline\",\"device\":" + device + "}";
                publish("homeassistant/binary_sensor/isg_" + id + "/" + object + "/config", link, true, 1);
            }
        } catch (MqttException e) {
            LOG.log(System.Logger.Level.WARNING, "discovery not published: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        try {
            if (client.isConnected()) {
                publish(base + "/status", "offline", true, 1);
                client.disconnect().waitForCompletion(2000);
            }
            client.close();
        } catch (MqttException e) {
            LOG.log(System.Logger.Level.WARNING, "MQTT close: " + e.getMessage());
        }
    }
}
