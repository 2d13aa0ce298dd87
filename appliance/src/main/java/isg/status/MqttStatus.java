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
import org.eclipse.paho.mqttv5.client.MqttClientException;
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
            int queueCapacity, Path caCertificate, Path clientKeyStore, Path clientKeyStorePassword, String clientId) {

        public Options(String brokerUri, String prefix, String boxId, Path credentials, int metricsSeconds,
                int queueCapacity) {
            this(brokerUri, prefix, boxId, credentials, metricsSeconds, queueCapacity, null, null, null, null);
        }

        public Options(String brokerUri, String prefix, String boxId, Path credentials, int metricsSeconds,
                int queueCapacity, Path caCertificate, Path clientKeyStore, Path clientKeyStorePassword) {
            this(brokerUri, prefix, boxId, credentials, metricsSeconds, queueCapacity, caCertificate, clientKeyStore,
                    clientKeyStorePassword, null);
        }

        /**
         * The MQTT client id: as configured, else {@code isg-<id>-<8 hex digits>} from the prefix
         * and this machine's id (systemd's /etc/machine-id, else the host name), so two boxes
         * never take over each other's connection, even with the same gateway id under different
         * prefixes, and a restarted box keeps its own.
         */
        public String effectiveClientId() {
            if (clientId != null) {
                return clientId;
            }
            String machine;
            try {
                machine = Files.readString(Path.of("/etc/machine-id")).trim();
            } catch (java.io.IOException e) {
                try {
                    machine = java.net.InetAddress.getLocalHost().getHostName();
                } catch (java.net.UnknownHostException u) {
                    machine = "";
                }
            }
            try {
                byte[] h = java.security.MessageDigest.getInstance("SHA-256")
                        .digest((prefix + "\0" + machine).getBytes(StandardCharsets.UTF_8));
                String id = "isg-" + nodeId(boxId);
                return id.substring(0, Math.min(id.length(), 48)) + "-" + java.util.HexFormat.of().formatHex(h, 0, 4);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A Home Assistant node or object id: only {@code [a-zA-Z0-9_-]} (a gateway id may have dots). */
    static String nodeId(String id) {
        return id.replaceAll("[^A-Za-z0-9_-]", "_");
    }

    /** One message waiting to be published. {@code keep}: never dropped for room (state, alarms, events). */
    private record Outgoing(String topic, String payload, boolean retained, int qos, boolean keep) {
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
    private final Deque<Outgoing> queue = new ArrayDeque<>();
    private final Map<String, String> alarms = new LinkedHashMap<>();
    private volatile long dropped;
    private volatile boolean closed;
    private long backoffMillis = 500;
    /** The broker's Receive Maximum and the QoS 1 messages it has not acknowledged yet; worker thread only. */
    private int receiveMaximum = 65_535;
    private int unacknowledged;

    public MqttStatus(Options options, Supplier<String> state, Supplier<String> metrics) throws MqttException {
        this.options = options;
        this.state = state;
        this.metrics = metrics;
        this.base = options.prefix() + "/" + options.boxId();
        this.client = new MqttAsyncClient(options.brokerUri(), options.effectiveClientId(), new MemoryPersistence());
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
                boolean acknowledged;
                try {
                    acknowledged = token.getMessage() == null || token.getMessage().getQos() > 0;
                } catch (MqttException e) {
                    acknowledged = true;
                }
                if (acknowledged) {
                    // a slot in the broker's Receive Maximum is free again: go on with what waits
                    worker.execute(() -> {
                        unacknowledged = Math.max(0, unacknowledged - 1);
                        drain();
                    });
                }
            }

            @Override
            public void connectComplete(boolean reconnect, String uri) {
            }

            @Override
            public void authPacketArrived(int reason, MqttProperties p) {
            }
        });
        worker.execute(this::connect);
        worker.scheduleAtFixedRate(this::periodic, options.metricsSeconds(),
                options.metricsSeconds(), TimeUnit.SECONDS);
    }

    private String lastState;

    /**
     * Each interval: the metrics, and the state again (retained) if anything in it changed since it
     * was last published, whoever changed it (a session created, a key received).
     */
    private void periodic() {
        enqueue(base + "/metrics", metrics.get(), false, 0, false);
        String now = state.get();
        if (!now.equals(lastState)) {
            lastState = now;
            enqueue(base + "/state", now, true, 1, true);
        }
    }

    private final java.util.concurrent.atomic.AtomicLong connects = new java.util.concurrent.atomic.AtomicLong();

    /** Successful connections to the broker so far (more than one: the broker or the network went away). */
    public long connects() {
        return connects.get();
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
            IMqttToken connected = client.connect(connectionOptions());
            connected.waitForCompletion(6000);
            Integer max = connected.getResponseProperties() == null ? null
                    : connected.getResponseProperties().getReceiveMaximum();
            receiveMaximum = max == null || max < 1 ? 65_535 : max;
            unacknowledged = 0;
            connects.incrementAndGet();
            backoffMillis = 500;
            client.subscribe("homeassistant/status", 1);
            publish(base + "/status", "online", true, 1);
            // after whatever waited while the broker was away, so the state as it is now is the one retained
            enqueue(base + "/state", state.get(), true, 1, true);
            synchronized (this) {
                for (Map.Entry<String, String> a : alarms.entrySet()) {
                    enqueue(base + "/alarms/" + a.getKey(), a.getValue(), true, 1, true);
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

    /**
     * Every message is UTF-8 (MQTT v5 payload format indicator 1); a JSON one says so in its
     * content type, so a v5 client can tell it from the plain online/offline of the status topic.
     */
    private void publish(String topic, String payload, boolean retained, int qos) throws MqttException {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8), qos, retained, null);
        m.setProperties(properties(payload));
        client.publish(topic, m);
        if (qos > 0) {
            unacknowledged++;
        }
    }

    static MqttProperties properties(String payload) {
        MqttProperties p = new MqttProperties();
        p.setPayloadFormat(true);
        p.setContentType(payload.startsWith("{") ? "application/json" : "text/plain");
        return p;
    }

    private synchronized void enqueue(String topic, String payload, boolean retained, int qos, boolean keep) {
        if (retained) {
            // the broker keeps only the last retained message of a topic: so does the queue, which
            // keeps it bounded however long the broker is away
            queue.removeIf(o -> o.retained() && o.topic().equals(topic));
        }
        if (!keep && queue.size() >= options.queueCapacity()) {
            // metrics go oldest first; alarms and events are never the ones dropped
            for (var it = queue.iterator(); it.hasNext(); ) {
                if (!it.next().keep()) {
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
        queue.addLast(new Outgoing(topic, payload, retained, qos, keep));
        worker.execute(this::drain);
    }

    /**
     * Publishes what waits, oldest first, on the worker thread only. A message leaves the queue
     * once the client has taken it. No more QoS 1 messages are unacknowledged than the broker's
     * Receive Maximum (MQTT v5 §3.2.2.3.3; mosquitto's default is 20, fewer than one connect's
     * birth and discovery, and it disconnects a client that sends more): the next one stays first
     * until an acknowledgement ({@code deliveryComplete}) drains again. Paho's own check of that
     * limit is not enough on its own: it counts a message as in flight only once its sender thread
     * has taken it, so a burst of publishes can pass it together. A lost connection keeps the
     * message for the next connect.
     */
    private void drain() {
        while (client.isConnected()) {
            Outgoing m;
            synchronized (this) {
                m = queue.peekFirst();
            }
            if (m == null || (m.qos() > 0 && unacknowledged >= receiveMaximum)) {
                return;
            }
            try {
                publish(m.topic(), m.payload(), m.retained(), m.qos());
            } catch (MqttException e) {
                if (e.getReasonCode() != MqttClientException.REASON_CODE_MAX_INFLIGHT) {
                    LOG.log(System.Logger.Level.DEBUG, "MQTT publish deferred: " + e.getMessage());
                }
                return;
            }
            synchronized (this) {
                // by identity: a newer retained message of its topic may have replaced it meanwhile
                queue.removeIf(o -> o == m);
            }
        }
    }

    /** The retained state changed (sessions, vault, board). */
    public void stateChanged() {
        // retained, every time: a dashboard that subscribes after a change reads the state as it is now
        enqueue(base + "/state", state.get(), true, 1, true);
    }

    /**
     * Publishes the registry's alarms, every one at birth (retained, inactive ones too: a dashboard
     * sees "off" rather than no topic, Home Assistant's "unknown") and every change after.
     */
    public void follow(AlarmRegistry registry) {
        registry.listen((name, state) -> {
            String json = state.json();
            boolean known;
            synchronized (this) {
                known = alarms.put(name, json) != null;
            }
            if (!known) {
                worker.execute(this::announceDiscovery);
            }
            enqueue(base + "/alarms/" + name, json, true, 1, true);
        }, true);
    }

    public void event(String type, String detail) {
        enqueue(base + "/events", "{\"time\":\"" + Instant.now() + "\",\"type\":" + quote(type) + ",\"detail\":"
                + quote(detail) + "}", false, 1, true);
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
     * Home Assistant MQTT discovery (its documented schema: node and object ids of
     * {@code [a-zA-Z0-9_-]}, a device block with the software version, an origin block, state
     * classes on every number): sensors for mode, sessions, packets and packets per second per
     * side, drops in total and by reason, temperature; binary sensors for vault health, each partner
     * gateway's link and every alarm the box knows.
     */
    private void announceDiscovery() {
        if (!client.isConnected()) {
            return;
        }
        for (Map.Entry<String, String> e : discoveryConfigs().entrySet()) {
            enqueue(e.getKey(), e.getValue(), true, 1, true);
        }
    }

    /** Discovery topic → config, as published. */
    Map<String, String> discoveryConfigs() {
        String node = "isg_" + nodeId(options.boxId());
        String device = "\"device\":{\"identifiers\":[\"" + node + "\"],\"name\":" + quote("ISG " + options.boxId())
                + ",\"manufacturer\":\"ISG\",\"model\":\"Interconnect Security Gateway\",\"sw_version\":\""
                + StatusReport.VERSION + "\"},\"origin\":{\"name\":\"isg\",\"sw_version\":\"" + StatusReport.VERSION
                + "\"},\"availability_topic\":\"" + base + "/status\",\"payload_available\":\"online\","
                + "\"payload_not_available\":\"offline\"";
        Map<String, String> out = new LinkedHashMap<>();
        java.util.function.BiConsumer<String[], String> sensor = (x, extra) -> out.put("homeassistant/sensor/" + node + "/"
                + x[0] + "/config", "{\"name\":" + quote(x[1]) + ",\"unique_id\":\"" + node + "_" + x[0]
                + "\",\"state_topic\":\"" + base + "/" + x[2] + "\",\"value_template\":" + quote(x[3]) + extra + ","
                + device + "}");
        String gauge = ",\"state_class\":\"measurement\"";
        String counter = ",\"state_class\":\"total_increasing\"";
        sensor.accept(new String[] {"mode", "Mode", "state", "{{ value_json.mode }}"},
                ",\"device_class\":\"enum\",\"options\":[\"forwarding\",\"zeroised\"]");
        sensor.accept(new String[] {"sessions", "Sessions", "metrics", "{{ value_json.sessions }}"}, gauge
                + ",\"unit_of_measurement\":\"sessions\"");
        sensor.accept(new String[] {"packets_in", "Packets in", "metrics", "{{ value_json.packetsIn }}"}, counter
                + ",\"unit_of_measurement\":\"packets\"");
        sensor.accept(new String[] {"packets_out", "Packets out", "metrics", "{{ value_json.packetsOut }}"}, counter
                + ",\"unit_of_measurement\":\"packets\"");
        for (String side : new String[] {"inside", "outside"}) {
            for (String dir : new String[] {"In", "Out"}) {
                sensor.accept(new String[] {"pps_" + side + "_" + dir.toLowerCase(java.util.Locale.ROOT),
                    "Packets per second " + side + " " + dir.toLowerCase(java.util.Locale.ROOT), "metrics",
                    "{{ value_json.legs." + side + ".pps" + dir + " }}"}, gauge + ",\"unit_of_measurement\":\"packets/s\"");
            }
        }
        sensor.accept(new String[] {"drops", "Dropped packets", "metrics", "{{ value_json.drops }}"}, counter
                + ",\"unit_of_measurement\":\"packets\"");
        for (isg.relay.DropReason r : isg.relay.DropReason.values()) {
            String n = r.name().toLowerCase(java.util.Locale.ROOT);
            sensor.accept(new String[] {"drops_" + n, "Dropped packets: " + n.replace('_', ' '), "metrics",
                "{{ value_json.dropsByReason." + r.name() + " }}"}, counter + ",\"unit_of_measurement\":\"packets\"");
        }
        sensor.accept(new String[] {"temperature", "SoC temperature", "metrics", "{{ value_json.temperature }}"}, gauge
                + ",\"device_class\":\"temperature\",\"unit_of_measurement\":\"°C\"");
        java.util.function.BiConsumer<String[], String> binary = (x, cls) -> out.put("homeassistant/binary_sensor/" + node
                + "/" + x[0] + "/config", "{\"name\":" + quote(x[1]) + ",\"unique_id\":\"" + node + "_" + x[0]
                + "\",\"state_topic\":\"" + base + "/" + x[2] + "\",\"value_template\":" + quote(x[3])
                + (cls == null ? "" : ",\"device_class\":\"" + cls + "\"") + "," + device + "}");
        binary.accept(new String[] {"vault", "Vault healthy", "state", "{{ 'ON' if value_json.vault.healthy else 'OFF' }}"},
                "running");
        for (String p : partners) {
            binary.accept(new String[] {"partner_" + nodeId(p), "Partner " + p, "state",
                "{{ 'ON' if value_json.channel.partners['" + p + "'].up else 'OFF' }}"}, "connectivity");
        }
        java.util.List<String> names;
        synchronized (this) {
            names = java.util.List.copyOf(alarms.keySet());
        }
        for (String a : names) {
            binary.accept(new String[] {a.equals("tamper") ? "tamper" : "alarm_" + nodeId(a), a.equals("tamper") ? "Tamper" : "Alarm " + a, "alarms/" + a,
                "{{ 'ON' if value_json.active else 'OFF' }}"}, a.equals("tamper") ? "tamper" : "problem");
        }
        return out;
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
