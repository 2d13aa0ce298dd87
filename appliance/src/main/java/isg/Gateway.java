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
    /** Where the channel's alarms go once MQTT is up (they are kept and replayed until then). */
    private volatile isg.status.MqttStatus alarmsTo;
    private volatile GatewayConfig config;

    public Gateway(Path file) throws ConfigException, VaultException, IOException, isg.board.BoardException {
        this.file = file;
        this.config = ConfigLoader.load(file);
        GatewayConfig c = config;
        Path auditFile = c.audit() != null ? c.audit() : file.toAbsolutePath().resolveSibling("isg-audit.jsonl");
        this.audit = new AuditLog(auditFile);
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
                        isg.status.MqttStatus m = alarmsTo;
                        if (m != null) {
                            m.raiseAlarm(name, detail);
                        }
                    }

                    @Override
                    public void clear(String name) {
                        isg.status.MqttStatus m = alarmsTo;
                        if (m != null) {
                            m.clearAlarm(name);
                        }
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
        this.control = new ControlServer(relay, c.controlListen(), c.controlTokenFile(), c.controlTls(), mc, channel);
        control.partners(new PartnerView(() -> config, channel, policy));
        this.panel = new isg.box.FrontPanel(board, relay, vault);
        this.guard = new isg.box.TamperGuard(relay, vault, board);
        if (mc != null) {
            guard.alsoWipe(mc::close);
        }
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
                        c.mqttClientKeyStore(), c.mqttClientKeyStorePassword()), report::state, report::metrics);
            } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                throw new IOException("MQTT broker URI " + c.mqttBroker() + ": " + e.getMessage(), e);
            }
            isg.status.MqttStatus status = m;
            guard.onZeroised(z -> {
                status.raiseAlarm("tamper", z.cause());
                status.event("zeroised", z.cause() + "; " + z.sessionsWiped() + " sessions wiped; vault " + z.vaultResult());
                status.stateChanged();
            });
            if (mc != null) {
                mc.onEvent((type, detail) -> {
                    status.event(type, detail);
                    status.stateChanged();
                });
            }
            vault.onEvent(e -> {
                if (e.kind() == isg.hsm.VaultEvent.Kind.DOWN) {
                    status.raiseAlarm("vault", e.detail());
                } else if (e.kind() == isg.hsm.VaultEvent.Kind.UP) {
                    status.clearAlarm("vault");
                }
                status.stateChanged();
            });
        }
        this.mqtt = m;
        if (channel != null && m != null) {
            isg.status.MqttStatus status = m;
            alarmsTo = status;
            channel.activeAlarms().forEach(status::raiseAlarm);
            channel.onChange(status::stateChanged);
            status.partners(java.util.List.copyOf(c.channel().partners().keySet()));
        }
        LOG.log(System.Logger.Level.INFO, "gateway " + c.relay().gatewayId() + " ready: vault " + vault.kind()
                + ", board " + board.describe() + ", relay " + relay.transport() + ", control API on " + control.address()
                + (mqtt == null ? ", no MQTT broker configured" : ", MQTT " + c.mqttBroker())
                + (channel == null ? "" : ", channel to " + c.channel().partners().keySet()
                        + (channel.outsideAddress() == null ? "" : " listening on " + channel.outsideAddress())));
    }

    public Relay relay() {
        return relay;
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

    /** Re-reads the configuration file; throws (and changes nothing) when it cannot be applied. */
    public synchronized void reload() throws ConfigException, RelayException {
        GatewayConfig next = ConfigLoader.load(file);
        if (!java.util.Objects.equals(next.channel(), config.channel())) {
            throw new ConfigException(file + ": channel: the channel between gateways (channel: and partners.<id>.channel) "
                    + "changed; that takes a restart, and the running configuration stays in force");
        }
        if (!java.util.Objects.equals(next.kmsProxy(), config.kmsProxy())
                || !java.util.Objects.equals(next.partnerDomains(), config.partnerDomains())) {
            throw new ConfigException(file + ": kmsProxy: the KMS proxy or a partner's domains changed; that takes a "
                    + "restart, and the running configuration stays in force");
        }
        if (!java.util.Objects.equals(next.partnerGroups(), config.partnerGroups())
                || !java.util.Objects.equals(next.ownGroups(), config.ownGroups())) {
            throw new ConfigException(file + ": ownGroups: the group URIs (ownGroups or a partner's groups) changed; that "
                    + "takes a restart, and the running configuration stays in force");
        }
        relay.reconfigure(next.relay());
        if (policy != null) {
            // the whole rule list at once: no request is ever decided by half of each
            policy.replace(next.policy());
        }
        config = next;
        LOG.log(System.Logger.Level.INFO, "configuration reloaded from " + file);
    }

    @Override
    public void close() {
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
