package isg;

import isg.config.ConfigException;
import isg.config.ConfigLoader;
import isg.config.GatewayConfig;
import isg.control.ControlServer;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.Pkcs11Config;
import isg.hsm.Pkcs11Vault;
import isg.hsm.PinSource;
import isg.hsm.SoftVault;
import isg.hsm.VaultException;
import isg.relay.Relay;
import isg.relay.RelayException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A running gateway built from its configuration file: the vault, the relay and the control API.
 * {@link #reload()} re-reads the file; a file that does not validate, or that changes what only a
 * restart can change, leaves the running configuration in force.
 */
public final class Gateway implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Gateway.class.getName());

    private final Path file;
    private final AuditLog audit;
    private final KeyVault vault;
    /** The vault's heartbeat: its own thread, as a token call can block. */
    private final java.util.concurrent.ScheduledExecutorService heartbeat = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "isg-vault-heartbeat");
                t.setDaemon(true);
                return t;
            });
    private final Relay relay;
    private final ControlServer control;
    /** The MC key plane; null when the gateway is a member of no MC domain. */
    private final isg.mc.McPlane mc;
    private final isg.board.Board board;
    private final isg.box.FrontPanel panel;
    private final isg.box.TamperGuard guard;
    private final isg.status.MqttStatus mqtt;
    /** The channel between gateways; null when the configuration has no channel section. */
    private final isg.channel.ChannelService channel;
    /** Where policy decisions are taken; null without a channel. */
    private final isg.policy.PolicyPoint policy;
    /** The KMS proxy; null when not configured. */
    private final isg.kms.KmsProxy kmsProxy;
    /** Every alarm the box knows, from its start; MQTT publishes them. */
    private final isg.status.AlarmRegistry alarms = new isg.status.AlarmRegistry();
    /** Where the channel's events go once MQTT is up. */
    private volatile isg.status.MqttStatus alarmsTo;
    private volatile GatewayConfig config;

    public Gateway(Path file) throws ConfigException, VaultException, IOException, isg.board.BoardException {
        this(file, ConfigLoader.load(file));
    }

    /** A gateway from {@code loaded}, what {@link ConfigLoader#load} read from {@code file} (reloads read the file again). */
    public Gateway(Path file, GatewayConfig loaded) throws ConfigException, VaultException, IOException,
            isg.board.BoardException {
        this.file = file;
        this.config = loaded;
        GatewayConfig c = config;
        checkFiles(c);
        Path auditFile = c.audit() != null ? c.audit() : file.toAbsolutePath().resolveSibling("isg-audit.jsonl");
        this.audit = new AuditLog(auditFile, java.time.Clock.systemUTC(), c.auditMaxBytes(), c.auditKeep());
        if (c.vaultKind().equals("pkcs11")) {
            this.vault = Pkcs11Vault.open(new Pkcs11Config(c.module(), c.token(), c.pinFile()), audit);
        } else {
            char[] pass = PinSource.fromCredentialOrFile("isg-keystore-passphrase", c.passphraseFile());
            try {
                this.vault = SoftVault.open(c.keystore(), pass, true, audit);
            } finally {
                Arrays.fill(pass, '\0');
            }
        }
        this.board = c.boardKind().equals("gpio")
                ? isg.board.GpioBoard.openGpiod(isg.board.PinMap.named(c.boardPins()), java.time.Duration.ofSeconds(3))
                : new isg.board.SimulatedBoard();
        this.relay = new Relay(c.relay(), vault, Math.max(1, Runtime.getRuntime().availableProcessors()));
        this.mc = c.mc() == null ? null : isg.mc.McPlane.start(c.mc(), vault, java.time.Clock.systemUTC());
        this.policy = c.channel() == null ? null : new isg.policy.PolicyPoint(c.policy(), audit);
        this.channel = c.channel() == null ? null : isg.channel.ChannelService.start(c.channel(), vault,
                c.relay().gatewayId(), java.time.Clock.systemUTC(), audit, new isg.channel.ChannelService.Alarms() {
                    @Override
                    public void raise(String name, String detail) {
                        alarms.raise(name, detail);
                    }

                    @Override
                    public void clear(String name) {
                        alarms.clear(name);
                    }

                    @Override
                    public void event(String type, String detail) {
                        isg.status.MqttStatus m = alarmsTo;
                        if (m != null) {
                            m.event(type, detail);
                        }
                    }
                }, c.relay().backend(), sipGuards(c, policy));
        if (policy != null) {
            policy.onEvent((type, detail) -> {
                isg.status.MqttStatus m = alarmsTo;
                if (m != null) {
                    m.event(type, detail);
                }
            });
            channel.addReport("policy", new isg.channel.ChannelService.Report(policy::countersJson, policy::prometheus));
        }
        this.kmsProxy = c.kmsProxy() == null ? null
                : isg.kms.KmsProxy.start(c.kmsProxy(), channel, policy, java.time.Clock.systemUTC(),
                        new isg.kms.KmsProxy.CertCache(new isg.kms.VaultXmlSigner(vault, c.channel().keyUri(),
                                channel.identityCertificate()), c.mc() == null ? java.util.List.of()
                                : c.mc().trustCertificates().stream().filter(isg.mc.KmsCertificate::signatureVerified)
                                        .map(isg.mc.KmsCertificate::file).toList()));
        if (kmsProxy != null) {
            channel.addReport("kmsProxy", new isg.channel.ChannelService.Report(kmsProxy::statusJson, kmsProxy::prometheus));
        }
        this.control = new ControlServer(relay, c.controlListen(), c.controlTokenFile(), c.controlTls(), mc, channel,
                c.controlLimits());
        control.audit(audit);
        control.reloader(this::reload);
        control.partners(new PartnerView(() -> config, channel, policy));
        this.panel = new isg.box.FrontPanel(board, relay, vault);
        this.guard = new isg.box.TamperGuard(relay, vault, board);
        if (mc != null) {
            guard.alsoWipe(mc::close);
        }
        alarms.declare("tamper", "vault");
        if (channel != null) {
            alarms.declare("cert-expiry:local");
            for (String p : c.channel().partners().keySet()) {
                alarms.declare("partner-down:" + p, "cert-expiry:" + p);
            }
        }
        guard.onZeroised(z -> alarms.raise("tamper", z.cause()));
        vault.onEvent(e -> {
            if (e.kind() == isg.hsm.VaultEvent.Kind.DOWN) {
                alarms.raise("vault", e.detail());
            } else if (e.kind() == isg.hsm.VaultEvent.Kind.UP) {
                alarms.clear("vault");
            }
        });
        // a token pulled, or a network HSM lost, while nothing uses it shows at once, and comes back
        heartbeat.scheduleWithFixedDelay(vault::heartbeat, 2, 2, java.util.concurrent.TimeUnit.SECONDS);
        control.metrics(this::prometheus);
        relay.onIdleDeleted(s -> audit.event(isg.hsm.Actor.INTERNAL, "session-delete", java.util.Map.of("session", s.id(),
                "partner", s.partner()), "OK", "idle for " + config.relay().idleTimeout()));
        control.alarms(new ControlServer.Alarms() {
            @Override
            public String list() {
                return alarms.json();
            }

            @Override
            public String ack(String name) throws RelayException {
                return acknowledge(name);
            }
        });
        guard.onZeroised(z -> audit.event(isg.hsm.Actor.INTERNAL, "tamper", java.util.Map.of("cause", z.cause(),
                "sessionsWiped", Long.toString(z.sessionsWiped()), "vault", z.vaultResult()),
                z.errors().isEmpty() ? "OK" : "INCOMPLETE", z.errors().isEmpty() ? null : String.join("; ", z.errors())));
        if (channel != null) {
            // a tampered box stops talking to its partners (its identity key is going with the vault)
            guard.alsoWipe(channel::abort);
        }
        isg.status.MqttStatus m = null;
        if (c.mqttBroker() != null) {
            isg.status.StatusReport report = new isg.status.StatusReport(relay, vault, board, mc, channel);
            try {
                m = new isg.status.MqttStatus(new isg.status.MqttStatus.Options(c.mqttBroker(), c.mqttPrefix(),
                        c.relay().gatewayId(), c.mqttCredentials(), c.mqttMetricsSeconds(), 1000, c.mqttCa(),
                        c.mqttClientKeyStore(), c.mqttClientKeyStorePassword(), c.mqttClientId()), report::state,
                        report::metrics);
            } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                throw new IOException("MQTT broker URI " + c.mqttBroker() + ": " + e.getMessage(), e);
            }
            isg.status.MqttStatus status = m;
            status.follow(alarms);
            guard.onZeroised(z -> {
                status.event("zeroised", z.cause() + "; " + z.sessionsWiped() + " sessions wiped; vault " + z.vaultResult());
                status.stateChanged();
            });
            if (mc != null) {
                mc.onEvent((type, detail) -> {
                    status.event(type, detail);
                    status.stateChanged();
                });
            }
            vault.onEvent(e -> status.stateChanged());
        }
        this.mqtt = m;
        if (channel != null && m != null) {
            isg.status.MqttStatus status = m;
            alarmsTo = status;
            channel.onChange(status::stateChanged);
            status.partners(java.util.List.copyOf(c.channel().partners().keySet()));
        }
        LOG.log(System.Logger.Level.INFO, "gateway " + c.relay().gatewayId() + " ready: vault " + vault.kind()
                + ", board " + board.describe() + ", relay " + relay.transport() + " (LATE: " + relay.lateness()
                + "), control API on " + control.address()
                + (mqtt == null ? ", no MQTT broker configured" : ", MQTT " + c.mqttBroker())
                + (channel == null ? "" : ", channel to " + c.channel().partners().keySet()
                        + (channel.outsideAddress() == null ? "" : " listening on " + channel.outsideAddress())));
    }

    public Relay relay() {
        return relay;
    }

    public isg.status.AlarmRegistry alarms() {
        return alarms;
    }

    /**
     * The rest of what MQTT's state and metrics carry, for Prometheus: mode, vault, alarms, per-side
     * counters, heap, temperature and the MC key plane. Counters are cumulative since the start;
     * rates are Prometheus's to compute.
     */
    private void prometheus(StringBuilder b) {
        b.append("# HELP isg_zeroised 1 once the box is zeroised (tamper or the zeroise button)\n# TYPE isg_zeroised gauge\n")
                .append("isg_zeroised ").append(relay.zeroised() ? 1 : 0).append('\n')
                .append("# HELP isg_vault_up 1 while the vault answers\n# TYPE isg_vault_up gauge\n")
                .append("isg_vault_up ").append(!relay.zeroised() && vault.healthy() ? 1 : 0).append('\n')
                .append("# HELP isg_alarm_active 1 while the alarm is active\n# TYPE isg_alarm_active gauge\n");
        alarms.all().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e -> b
                .append("isg_alarm_active{alarm=\"").append(e.getKey().replace("\\", "\\\\").replace("\"", "\\\""))
                .append("\"} ").append(e.getValue().active() ? 1 : 0).append('\n'));
        long[] legs = new long[8];
        for (isg.relay.Session s : relay.sessions()) {
            isg.relay.Counters[] c = {s.inside().counters(), s.outside().counters()};
            for (int i = 0; i < 2; i++) {
                legs[4 * i] += c[i].packetsIn();
                legs[4 * i + 1] += c[i].packetsOut();
                legs[4 * i + 2] += c[i].bytesIn();
                legs[4 * i + 3] += c[i].bytesOut();
            }
        }
        // sums over the sessions held now (they fall when a session ends): gauges; isg_packets_total is the counter
        b.append("# HELP isg_leg_packets packets per side of the sessions held now, received (in) and sent (out)\n"
                + "# TYPE isg_leg_packets gauge\n");
        String[] sides = {"inside", "outside"};
        for (int i = 0; i < 2; i++) {
            b.append("isg_leg_packets{side=\"").append(sides[i]).append("\",direction=\"in\"} ")
                    .append(legs[4 * i]).append('\n').append("isg_leg_packets{side=\"").append(sides[i])
                    .append("\",direction=\"out\"} ").append(legs[4 * i + 1]).append('\n');
        }
        b.append("# HELP isg_leg_bytes octets per side of the sessions held now\n# TYPE isg_leg_bytes gauge\n");
        for (int i = 0; i < 2; i++) {
            b.append("isg_leg_bytes{side=\"").append(sides[i]).append("\",direction=\"in\"} ")
                    .append(legs[4 * i + 2]).append('\n').append("isg_leg_bytes{side=\"").append(sides[i])
                    .append("\",direction=\"out\"} ").append(legs[4 * i + 3]).append('\n');
        }
        Runtime rt = Runtime.getRuntime();
        b.append("# HELP isg_heap_used_bytes Java heap in use\n# TYPE isg_heap_used_bytes gauge\n")
                .append("isg_heap_used_bytes ").append(rt.totalMemory() - rt.freeMemory()).append('\n');
        // the relay's and control API's buffers: flat in a steady state, so a leak shows as growth
        b.append("# HELP isg_direct_memory_used_bytes direct memory held by Netty's pooled buffers\n"
                + "# TYPE isg_direct_memory_used_bytes gauge\n")
                .append("isg_direct_memory_used_bytes ")
                .append(io.netty.buffer.PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory()).append('\n');
        java.util.OptionalDouble t = board.socTemperature();
        if (t.isPresent()) {
            b.append("# HELP isg_soc_temperature_celsius the SoC's temperature\n# TYPE isg_soc_temperature_celsius gauge\n")
                    .append("isg_soc_temperature_celsius ").append(String.format(java.util.Locale.ROOT, "%.1f",
                            t.getAsDouble())).append('\n');
        }
        if (mc != null) {
            b.append("# HELP isg_mc_keys MC keys (GMK, PCK, CSK, SPK) held in the vault\n# TYPE isg_mc_keys gauge\n")
                    .append("isg_mc_keys ").append(mc.keysHeld()).append('\n')
                    .append("# HELP isg_mc_imessages_total MIKEY-SAKKE I_MESSAGEs received, by result\n"
                            + "# TYPE isg_mc_imessages_total counter\n")
                    .append("isg_mc_imessages_total{result=\"accepted\"} ").append(mc.received()).append('\n');
            mc.refused().forEach((r, n) -> b.append("isg_mc_imessages_total{result=\"")
                    .append(r.name().toLowerCase(java.util.Locale.ROOT)).append("\"} ").append(n).append('\n'));
        }
    }

    /**
     * An operator's acknowledgement of a latched alarm. Only tamper latches: it is cleared once the
     * tamper loop is closed again (the box stays zeroised, refusing sessions, until it is re-keyed
     * and restarted; its state says so). Every other alarm clears itself when its condition ends.
     */
    String acknowledge(String name) throws RelayException {
        isg.status.AlarmRegistry.State s = alarms.state(name);
        if (s == null) {
            throw new RelayException(404, "no alarm '" + name + "'; GET /alarms lists them");
        }
        if (!name.equals("tamper")) {
            throw new RelayException(409, "alarm '" + name + "' is not latched: it clears itself when its condition ends");
        }
        if (!s.active()) {
            throw new RelayException(409, "alarm 'tamper' is not active");
        }
        if (!board.tamperLoopClosed()) {
            throw new RelayException(409, "the tamper loop is still open: close it before acknowledging the alarm");
        }
        alarms.clear(name);
        LOG.log(System.Logger.Level.WARNING, "tamper alarm acknowledged; the box stays zeroised until it is re-keyed "
                + "and restarted");
        return alarms.state(name).json();
    }

    /**
     * Refuses to start on a file someone else could change (the configuration names the PKCS#11
     * module to load: a writable one is code execution) or, for a secret, read; and warns when
     * running as root.
     */
    private static void checkFiles(GatewayConfig c) throws IOException {
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.file(), "the configuration file", false);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.module(), "the PKCS#11 module", false);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.controlTokenFile(), "the control API token file", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.passphraseFile(), "the keystore passphrase file", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.keystore(), "the software token", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.pinFile(), "the PIN file", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.mqttCredentials(), "the MQTT credentials file", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.mqttClientKeyStore(), "the MQTT client key store", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.mqttClientKeyStorePassword(), "the MQTT key store password file", true);
        isg.hsm.SecureFiles.checkOwnedAndPrivate(c.mqttCa(), "the MQTT broker's CA file", false);
        if (c.controlTls() != null) {
            isg.hsm.SecureFiles.checkOwnedAndPrivate(c.controlTls().keyStore(), "the control API key store", true);
            isg.hsm.SecureFiles.checkOwnedAndPrivate(c.controlTls().keyStorePasswordFile(),
                    "the control API key store password file", true);
            isg.hsm.SecureFiles.checkOwnedAndPrivate(c.controlTls().clientCa(), "the control API client CA file", false);
        }
        if (isg.hsm.SecureFiles.currentUid() == 0) {
            LOG.log(System.Logger.Level.WARNING, "running as root: the appliance image runs ISG as its own user; "
                    + "a gateway needs no root privilege for ports above 1023");
        }
    }

    public KeyVault vault() {
        return vault;
    }

    public GatewayConfig config() {
        return config;
    }

    public ControlServer control() {
        return control;
    }

    /** The SIP policy enforcement point on every channel service and export named "sip". */
    private static isg.channel.ChannelService.InsideGuards sipGuards(GatewayConfig c, isg.policy.PolicyPoint policy) {
        java.util.List<java.util.regex.Pattern> own = c.ownGroups().stream().map(isg.policy.Policy::glob).toList();
        java.util.Map<String, java.util.List<java.util.regex.Pattern>> theirs = new java.util.HashMap<>();
        c.partnerGroups().forEach((p, g) -> theirs.put(p, g.stream().map(isg.policy.Policy::glob).toList()));
        return (partner, service, outcome) -> !service.equals("sip") ? null : new isg.sip.SipGuard(partner,
                c.relay().gatewayId(), policy, theirs.getOrDefault(partner, java.util.List.of()), own, outcome);
    }

    public isg.board.Board board() {
        return board;
    }

    public isg.channel.ChannelService channel() {
        return channel;
    }

    public isg.kms.KmsProxy kmsProxy() {
        return kmsProxy;
    }

    public isg.policy.PolicyPoint policy() {
        return policy;
    }

    /**
     * Top-level sections read once at start: a reload that changes any field in them is refused,
     * naming the field. The rest is applied by a reload: {@code limits}, {@code relay} (as far as
     * {@link Relay#reconfigure} allows), the partners' interconnect keys, {@code policy}, and the
     * control API token file's content.
     */
    static final java.util.List<String> RESTART_ONLY = java.util.List.of("gateway", "vault", "inside", "outside",
            "crypto", "control", "board", "mqtt", "mc", "channel", "kmsProxy", "ownGroups");
    /** Fields of each partner read once at start. */
    static final java.util.Set<String> PARTNER_RESTART_ONLY = java.util.Set.of("channel", "domains", "groups");

    /**
     * Re-reads the configuration file and the token file, and applies them whole or not at all:
     * a file that does not validate, a token file that cannot be used, or a change to a field
     * only a restart can change throws (naming the field) and leaves everything as it was.
     * Answers what was applied.
     */
    public synchronized String reload() throws ConfigException, RelayException {
        GatewayConfig next = ConfigLoader.load(file);
        GatewayConfig now = config;
        for (String section : RESTART_ONLY) {
            String field = firstDifference(section, now.tree().get(section), next.tree().get(section));
            if (field != null) {
                throw restart(field);
            }
        }
        String field = firstDifference("partners", partnerFixed(now.tree()), partnerFixed(next.tree()));
        if (field != null) {
            throw restart(field);
        }
        java.util.function.BooleanSupplier token;
        try {
            token = control.prepareToken();
        } catch (IOException e) {
            throw new ConfigException(file + ": control.tokenFile: " + e.getMessage()
                    + "; the running configuration and token stay in force");
        }
        relay.reconfigure(next.relay());
        if (policy != null) {
            // the whole rule list at once: no request is ever decided by half of each
            policy.replace(next.policy());
        }
        config = next;
        java.util.List<String> applied = new java.util.ArrayList<>();
        for (String section : java.util.List.of("limits", "relay", "partners", "policy")) {
            if (firstDifference(section, now.tree().get(section), next.tree().get(section)) != null) {
                applied.add(section);
            }
        }
        if (token.getAsBoolean()) {
            applied.add("control token (the old one no longer works)");
        }
        String what = applied.isEmpty() ? "nothing changed" : "applied " + String.join(", ", applied);
        LOG.log(System.Logger.Level.INFO, "configuration reloaded from " + file + ": " + what);
        return what;
    }

    /** Reloads for a signal, and audits it (a control API reload is audited by the API, with its client). */
    public String reload(String trigger) throws ConfigException, RelayException {
        try {
            String what = reload();
            audit.event(isg.hsm.Actor.INTERNAL, "reload", java.util.Map.of("trigger", trigger), "OK", what);
            return what;
        } catch (ConfigException | RelayException e) {
            audit.event(isg.hsm.Actor.INTERNAL, "reload", java.util.Map.of("trigger", trigger), "REFUSED", e.getMessage());
            throw e;
        }
    }

    private ConfigException restart(String field) {
        return new ConfigException(file + ": " + field + ": changed, and only a restart applies it; the running "
                + "configuration stays in force");
    }

    /** Each partner's fields read once at start (its channel, domains, groups); partners without any are left out. */
    @SuppressWarnings("unchecked")
    private static Object partnerFixed(java.util.Map<String, Object> tree) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        if (tree.get("partners") instanceof java.util.Map<?, ?> partners) {
            ((java.util.Map<String, Object>) partners).forEach((id, p) -> {
                if (p instanceof java.util.Map<?, ?> fields) {
                    java.util.Map<String, Object> fixed = new java.util.LinkedHashMap<>();
                    ((java.util.Map<String, Object>) fields).forEach((k, v) -> {
                        if (PARTNER_RESTART_ONLY.contains(k)) {
                            fixed.put(k, v);
                        }
                    });
                    if (!fixed.isEmpty()) {
                        out.put(id, fixed);
                    }
                }
            });
        }
        return out;
    }

    /** The dotted path of the first place two configuration trees differ, or null when they are the same. */
    static String firstDifference(String path, Object a, Object b) {
        if (a instanceof java.util.Map<?, ?> ma && b instanceof java.util.Map<?, ?> mb) {
            java.util.Set<Object> keys = new java.util.LinkedHashSet<>(ma.keySet());
            keys.addAll(mb.keySet());
            for (Object k : keys) {
                String d = firstDifference(path + "." + k, ma.get(k), mb.get(k));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a instanceof java.util.List<?> la && b instanceof java.util.List<?> lb) {
            for (int i = 0; i < Math.max(la.size(), lb.size()); i++) {
                String d = firstDifference(path + "[" + i + "]", i < la.size() ? la.get(i) : null,
                        i < lb.size() ? lb.get(i) : null);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        return java.util.Objects.equals(a, b) ? null : path;
    }

    @Override
    public void close() {
        heartbeat.shutdownNow();
        if (mqtt != null) {
            mqtt.close();
        }
        panel.close();
        control.close();
        if (kmsProxy != null) {
            kmsProxy.close();
        }
        if (channel != null) {
            channel.close();
        }
        if (policy != null) {
            policy.close();
        }
        relay.close();
        if (mc != null) {
            mc.close();
        }
        board.close();
        vault.close();
        try {
            audit.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the audit log: " + e.getMessage());
        }
    }
}
