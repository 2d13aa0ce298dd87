package isg.config;

import isg.hsm.Pkcs11Uri;
import isg.relay.RelayConfig;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a gateway's YAML configuration and checks every field before anything uses it; a
 * problem is reported as {@code file:line: field: what was expected}. Unknown keys are errors
 * (a misspelt key must not silently fall back to a default).
 *
 * <pre>
 * gateway: {id: home}
 * vault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass, audit: audit.jsonl}
 *        # or {kind: pkcs11, module: /usr/lib/softhsm/libsofthsm2.so, token: isg, pinFile: pin}
 * inside: {address: 10.0.0.1, ports: 40000-40999}
 * outside: {address: 192.0.2.1, ports: 42000-42999}
 * partners: {partner-a: {masterKey: "pkcs11:object=partner-a-master", channel: {...}}}
 * channel: {listen: "192.0.2.1:4433", key: "pkcs11:object=isg-tls", certificate: "pkcs11:object=isg-tls-cert"}
 *     # see channel(): the TLS channel between gateways and the services it carries
 * limits: {maxSessions: 1000, idleTimeout: 60s}
 * crypto: {backend: jdk}
 * control: {listen: "127.0.0.1:8080", tokenFile: control.token}
 * mc: {domains: {police: {kms: ..., kpak: 04..., z: 04..., keyPeriod: 2592000, uri: ...}}}
 *     # see isg.mc.McConfig
 * </pre>
 */
public final class ConfigLoader {

    private final Path file;

    private ConfigLoader(Path file) {
        this.file = file;
    }

    public static GatewayConfig load(Path file) throws ConfigException {
        return new ConfigLoader(file).read();
    }

    private ConfigException error(Node at, String field, String message) {
        int line = at == null ? 0 : at.getStartMark().getLine() + 1;
        return new ConfigException(file + ":" + line + ": " + field + ": " + message);
    }

    /** The largest configuration file read; a larger one is refused before it is parsed. */
    public static final int MAX_FILE_BYTES = 1024 * 1024;
    /** Aliases to a list or mapping a file may use (SnakeYAML's own bound against alias bombs). */
    static final int MAX_ALIASES = 100;

    @SuppressWarnings("unchecked")
    private GatewayConfig read() throws ConfigException {
        String text = readText();
        Node root;
        LoaderOptions o = new LoaderOptions();
        o.setAllowDuplicateKeys(false);
        o.setMaxAliasesForCollections(MAX_ALIASES);
        o.setCodePointLimit(MAX_FILE_BYTES);
        try {
            root = new Yaml(o).compose(new java.io.StringReader(text));
        } catch (MarkedYAMLException e) {
            throw new ConfigException(file + ":" + (e.getProblemMark().getLine() + 1) + ": not valid YAML: "
                    + e.getProblem());
        } catch (RuntimeException e) {
            throw new ConfigException(file + ":" + aliasLimitLine(text) + ": not valid YAML: " + e.getMessage());
        }
        if (root != null) {
            noDuplicateKeys(root, "", new java.util.IdentityHashMap<>());
        }
        if (!(root instanceof MappingNode)) {
            throw new ConfigException(file + ":1: the file must be a YAML mapping (gateway:, vault:, inside:, ...)");
        }
        Map<String, Node> top = map(root, "", Set.of("gateway", "vault", "inside", "outside", "partners", "limits",
                "crypto", "control", "board", "mqtt", "relay", "mc", "channel", "policy", "kmsProxy", "ownGroups"));
        Map<String, Node> gateway = section(top, "gateway", root, Set.of("id"));
        String id = text(gateway, "id", "gateway.id", root, true);
        if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
            throw error(gateway.get("id"), "gateway.id", "1-64 characters of A-Z a-z 0-9 . _ -, got '" + id + "'");
        }
        Map<String, Node> vault = section(top, "vault", root, Set.of("kind", "keystore", "passphraseFile", "module",
                "token", "pinFile", "audit", "auditMaxBytes", "auditKeep"));
        long auditMaxBytes = vault.containsKey("auditMaxBytes") ? integer(vault, "auditMaxBytes", "vault.auditMaxBytes",
                64 * 1024, Integer.MAX_VALUE) : isg.hsm.AuditLog.DEFAULT_MAX_BYTES;
        int auditKeep = vault.containsKey("auditKeep") ? integer(vault, "auditKeep", "vault.auditKeep", 1, 100)
                : isg.hsm.AuditLog.DEFAULT_KEEP;
        String kind = text(vault, "kind", "vault.kind", root, true);
        Path keystore = null;
        Path pass = null;
        Path module = null;
        String token = null;
        Path pin = null;
        if (kind.equals("soft")) {
            keystore = path(vault, "keystore", "vault.keystore", true);
            pass = path(vault, "passphraseFile", "vault.passphraseFile", true);
        } else if (kind.equals("pkcs11")) {
            module = path(vault, "module", "vault.module", true);
            token = text(vault, "token", "vault.token", root, true);
            pin = path(vault, "pinFile", "vault.pinFile", false);
        } else {
            throw error(vault.get("kind"), "vault.kind", "soft or pkcs11, got '" + kind + "'");
        }
        Path audit = path(vault, "audit", "vault.audit", false);
        Map<String, Node> inside = section(top, "inside", root, Set.of("address", "ports"));
        Map<String, Node> outside = section(top, "outside", root, Set.of("address", "ports"));
        InetAddress inAddr = address(inside, "inside.address");
        int[] inPorts = ports(inside, "inside.ports");
        InetAddress outAddr = address(outside, "outside.address");
        int[] outPorts = ports(outside, "outside.ports");
        Node partnersNode = top.get("partners");
        Map<String, String> partners = new LinkedHashMap<>();
        Map<String, Node> partnerChannels = new LinkedHashMap<>();
        Map<String, java.util.List<String>> partnerDomains = new LinkedHashMap<>();
        Map<String, java.util.List<String>> partnerGroups = new LinkedHashMap<>();
        Map<String, java.util.List<String>> partnerAddresses = new LinkedHashMap<>();
        if (partnersNode != null) {
            if (!(partnersNode instanceof MappingNode)) {
                throw error(partnersNode, "partners", "a mapping of partner id to {masterKey: pkcs11:...}");
            }
            for (NodeTuple t : ((MappingNode) partnersNode).getValue()) {
                String pid = scalar(t.getKeyNode(), "partners");
                if (!pid.matches("[A-Za-z0-9._-]{1,64}")) {
                    throw error(t.getKeyNode(), "partners", "a partner's gateway id: 1-64 characters of A-Z a-z 0-9 . _ -, "
                            + "got '" + pid + "'");
                }
                Map<String, Node> p = map(t.getValueNode(), "partners." + pid + ".", Set.of("masterKey", "channel", "domains", "groups",
                        "addresses"));
                java.util.List<String> addrs = prefixes(p.get("addresses"), "partners." + pid + ".addresses");
                if (!addrs.isEmpty()) {
                    partnerAddresses.put(pid, addrs);
                }
                java.util.List<String> groups = groups(p.get("groups"), "partners." + pid + ".groups");
                if (!groups.isEmpty()) {
                    partnerGroups.put(pid, groups);
                }
                java.util.List<String> doms = domains(p.get("domains"), "partners." + pid + ".domains");
                if (!doms.isEmpty()) {
                    partnerDomains.put(pid, doms);
                }
                if (p.containsKey("channel")) {
                    partnerChannels.put(pid, p.get("channel"));
                }
                String uri = text(p, "masterKey", "partners." + pid + ".masterKey", t.getValueNode(), true);
                try {
                    Pkcs11Uri.parse(uri);
                } catch (IllegalArgumentException e) {
                    throw error(p.get("masterKey"), "partners." + pid + ".masterKey", e.getMessage());
                }
                partners.put(pid, uri);
            }
        }
        Map<String, Node> limits = top.containsKey("limits") ? map(top.get("limits"), "limits.",
                Set.of("maxSessions", "idleTimeout")) : Map.of();
        int maxSessions = limits.containsKey("maxSessions") ? integer(limits, "maxSessions", "limits.maxSessions", 1,
                100_000) : 1000;
        Duration idle = limits.containsKey("idleTimeout") ? duration(limits.get("idleTimeout"), "limits.idleTimeout")
                : Duration.ofSeconds(60);
        Map<String, Node> crypto = top.containsKey("crypto") ? map(top.get("crypto"), "crypto.", Set.of("backend"))
                : Map.of();
        String backend = crypto.containsKey("backend") ? text(crypto, "backend", "crypto.backend", root, true) : "jdk";
        if (!backend.equals("jdk") && !backend.equals("fips")) {
            throw error(crypto.get("backend"), "crypto.backend", "jdk or fips, got '" + backend + "'");
        }
        Map<String, Node> control = section(top, "control", root, Set.of("listen", "tokenFile", "tls", "maxConnections",
                "idleTimeout", "requestTimeout"));
        InetSocketAddress listen = socket(control, "listen", "control.listen");
        isg.control.ControlServer.Limits dl = isg.control.ControlServer.Limits.DEFAULT;
        isg.control.ControlServer.Limits controlLimits = new isg.control.ControlServer.Limits(
                control.containsKey("maxConnections") ? integer(control, "maxConnections", "control.maxConnections", 1,
                        10_000) : dl.maxConnections(),
                control.containsKey("idleTimeout") ? positive(control.get("idleTimeout"), "control.idleTimeout")
                        : dl.idleTimeout(),
                control.containsKey("requestTimeout") ? positive(control.get("requestTimeout"), "control.requestTimeout")
                        : dl.requestTimeout());
        Path tokenFile = path(control, "tokenFile", "control.tokenFile", true);
        isg.control.ControlServer.Tls controlTls = null;
        if (control.containsKey("tls")) {
            Map<String, Node> t = map(control.get("tls"), "control.tls.", Set.of("keyStore", "keyStorePasswordFile",
                    "clientCa"));
            controlTls = new isg.control.ControlServer.Tls(path(t, "keyStore", "control.tls.keyStore", true),
                    path(t, "keyStorePasswordFile", "control.tls.keyStorePasswordFile", true),
                    path(t, "clientCa", "control.tls.clientCa", true));
        }
        Map<String, Node> boardNode = top.containsKey("board") ? map(top.get("board"), "board.", Set.of("kind", "pins"))
                : Map.of();
        String boardKind = boardNode.containsKey("kind") ? text(boardNode, "kind", "board.kind", root, true) : "simulated";
        if (!boardKind.equals("simulated") && !boardKind.equals("gpio")) {
            throw error(boardNode.get("kind"), "board.kind", "simulated or gpio, got '" + boardKind + "'");
        }
        String pins = boardNode.containsKey("pins") ? text(boardNode, "pins", "board.pins", root, true) : "pi4";
        if (!pins.equals("pi4") && !pins.equals("pi5")) {
            throw error(boardNode.get("pins"), "board.pins", "pi4 or pi5, got '" + pins + "'");
        }
        String broker = null;
        String prefix = "isg";
        Path mqttCred = null;
        int metricsSeconds = 10;
        Path mqttCa = null;
        Path mqttKs = null;
        Path mqttKsPass = null;
        String mqttClientId = null;
        if (top.containsKey("mqtt")) {
            Map<String, Node> mq = map(top.get("mqtt"), "mqtt.", Set.of("broker", "prefix", "credentialsFile",
                    "metricsSeconds", "caFile", "clientKeyStore", "clientKeyStorePasswordFile", "clientId"));
            if (mq.containsKey("clientId")) {
                mqttClientId = text(mq, "clientId", "mqtt.clientId", top.get("mqtt"), true);
                if (!mqttClientId.matches("[A-Za-z0-9._-]{1,64}")) {
                    throw error(mq.get("clientId"), "mqtt.clientId", "1-64 characters of A-Z a-z 0-9 . _ -, unique "
                            + "among the broker's clients, got '" + mqttClientId + "'");
                }
            }
            mqttCa = path(mq, "caFile", "mqtt.caFile", false);
            mqttKs = path(mq, "clientKeyStore", "mqtt.clientKeyStore", false);
            mqttKsPass = path(mq, "clientKeyStorePasswordFile", "mqtt.clientKeyStorePasswordFile", mqttKs != null);
            broker = text(mq, "broker", "mqtt.broker", top.get("mqtt"), true);
            if (!broker.matches("(tcp|ssl)://[^/\\s]+:\\d+")) {
                throw error(mq.get("broker"), "mqtt.broker", "tcp://host:port or ssl://host:port, got '" + broker + "'");
            }
            if (mq.containsKey("prefix")) {
                prefix = text(mq, "prefix", "mqtt.prefix", top.get("mqtt"), true);
                if (!prefix.matches("[A-Za-z0-9_/-]+") || prefix.startsWith("/") || prefix.endsWith("/")) {
                    throw error(mq.get("prefix"), "mqtt.prefix", "a topic prefix like isg or site/isg, got '" + prefix
                            + "'");
                }
            }
            mqttCred = path(mq, "credentialsFile", "mqtt.credentialsFile", false);
            if (mq.containsKey("metricsSeconds")) {
                metricsSeconds = integer(mq, "metricsSeconds", "mqtt.metricsSeconds", 1, 3600);
            }
        }
        boolean connected = false;
        boolean multicast = false;
        int maxDatagram = RelayConfig.MAX_DATAGRAM;
        String transport = "auto";
        Duration latencyBound = RelayConfig.DEFAULT_LATENCY_BOUND;
        if (top.containsKey("relay")) {
            Map<String, Node> r = map(top.get("relay"), "relay.", Set.of("connectedSockets", "maxDatagram",
                    "multicastRemotes", "transport", "latencyBound"));
            if (r.containsKey("latencyBound")) {
                Node n = r.get("latencyBound");
                String v = scalar(n, "relay.latencyBound").trim();
                latencyBound = v.equals("off") ? Duration.ZERO : duration(n, "relay.latencyBound");
                if (!v.equals("off") && (latencyBound.isZero()
                        || latencyBound.compareTo(RelayConfig.MAX_LATENCY_BOUND) > 0)) {
                    throw error(n, "relay.latencyBound", "1ms to " + RelayConfig.MAX_LATENCY_BOUND.toSeconds()
                            + "s, or off, got '" + v + "'");
                }
            }
            if (r.containsKey("transport")) {
                transport = text(r, "transport", "relay.transport", top.get("relay"), true);
                if (!RelayConfig.TRANSPORTS.contains(transport)) {
                    throw error(r.get("transport"), "relay.transport", "auto, epoll or nio, got '" + transport + "'");
                }
            }
            connected = bool(r, "connectedSockets", "relay.connectedSockets", top.get("relay"), false);
            multicast = bool(r, "multicastRemotes", "relay.multicastRemotes", top.get("relay"), false);
            if (r.containsKey("maxDatagram")) {
                maxDatagram = integer(r, "maxDatagram", "relay.maxDatagram", RelayConfig.MIN_DATAGRAM,
                        RelayConfig.MAX_DATAGRAM);
            }
        }
        RelayConfig relay;
        try {
            relay = new RelayConfig(id, inAddr, inPorts[0], inPorts[1], outAddr, outPorts[0], outPorts[1], partners, idle,
                    maxSessions, backend, connected, maxDatagram, multicast, transport, latencyBound);
        } catch (IllegalArgumentException e) {
            throw error(inside.get("ports"), "inside.ports/outside.ports", e.getMessage());
        }
        if (overlap(inAddr, inPorts, outAddr, outPorts)) {
            throw error(outside.get("ports"), "outside.ports", "overlaps inside.ports on the same address");
        }
        isg.mc.McConfig mc = top.containsKey("mc") ? mc(top.get("mc")) : null;
        isg.channel.ChannelConfig channel = null;
        if (top.containsKey("channel")) {
            channel = channel(top.get("channel"), partnerChannels, listen);
        } else if (!partnerChannels.isEmpty()) {
            String first = partnerChannels.keySet().iterator().next();
            throw error(partnerChannels.get(first), "partners." + first + ".channel", "needs the top-level channel: "
                    + "section (this gateway's key, certificate and listen address)");
        }
        isg.policy.Policy policy = top.containsKey("policy") ? policy(top.get("policy"), partners.keySet())
                : isg.policy.Policy.denyAll();
        isg.kms.KmsProxy.Config kmsProxy = null;
        if (top.containsKey("kmsProxy")) {
            if (channel == null) {
                throw error(top.get("kmsProxy"), "kmsProxy", "needs the channel: section (requests go to partners over it)");
            }
            java.util.Set<String> own = new java.util.HashSet<>();
            if (mc != null) {
                mc.domains().forEach(d -> own.add(d.kms()));
            }
            kmsProxy = kmsProxy(top.get("kmsProxy"), id, partnerDomains, own);
        }
        return new GatewayConfig(file, relay, kind, keystore, pass, module, token, pin, audit, listen, tokenFile,
                boardKind, pins, broker, prefix, mqttCred, metricsSeconds, mqttCa, mqttKs, mqttKsPass, controlTls, mc,
                channel, java.util.Map.copyOf(partnerDomains), policy, kmsProxy, java.util.Map.copyOf(partnerGroups),
                groups(top.get("ownGroups"), "ownGroups"), controlLimits, mqttClientId, auditMaxBytes, auditKeep,
                java.util.Map.copyOf(partnerAddresses), (Map<String, Object>) tree(root));
    }

    /**
     * The file as plain values (mappings in order, lists, scalar texts): what a reload compares to
     * tell which fields changed.
     */
    private static Object tree(Node n) {
        if (n instanceof MappingNode m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                out.put(t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "?", tree(t.getValueNode()));
            }
            return java.util.Collections.unmodifiableMap(out);
        }
        if (n instanceof SequenceNode sq) {
            return sq.getValue().stream().map(ConfigLoader::tree).toList();
        }
        return n instanceof ScalarNode sc ? sc.getValue() : "";
    }

    /** Globs of group URIs (a system's groups, for the SIP enforcement point): "sip:*@groups.fire.example". */
    private java.util.List<String> groups(Node n, String field) throws ConfigException {
        return values(n, field, "sips?:[^\\s\"'<>,;]{1,250}", "a group URI pattern like \"sip:*@groups.fire.example\"",
                false);
    }

    /**
     * Where a partner's gateways send from (media and channel): numeric addresses or prefixes, each
     * returned in canonical form ({@code 198.51.100.7}, {@code 2001:db8::/48}); the packet filter
     * accepts the outside only from these.
     */
    private java.util.List<String> prefixes(Node n, String field) throws ConfigException {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String v : values(n, field, "[0-9A-Fa-f.:]{2,39}(/\\d{1,3})?", "an IP address or prefix like 198.51.100.7 or "
                + "2001:db8::/48", true)) {
            int slash = v.indexOf('/');
            String a = slash < 0 ? v : v.substring(0, slash);
            InetAddress ip;
            try {
                ip = InetAddress.getByName(a);
            } catch (UnknownHostException e) {
                throw error(n, field, "'" + v + "' is not an IP address or prefix");
            }
            int max = ip.getAddress().length * 8;
            int len = slash < 0 ? max : Integer.parseInt(v.substring(slash + 1));
            if (len < 1 || len > max) {
                throw error(n, field, "'" + v + "': a prefix length 1-" + max);
            }
            byte[] b = ip.getAddress();
            for (int i = len; i < max; i++) {
                if ((b[i / 8] & (0x80 >>> (i % 8))) != 0) {
                    throw error(n, field, "'" + v + "' has host bits set beyond /" + len);
                }
            }
            String canon = canonical(ip);
            out.add(len == max ? canon : canon + "/" + len);
        }
        return java.util.List.copyOf(out);
    }

    /** An address in RFC 5952 form (IPv6: lower case, the longest run of two or more zero groups as ::). */
    public static String canonical(InetAddress ip) {
        if (!(ip instanceof java.net.Inet6Address)) {
            return ip.getHostAddress();
        }
        byte[] b = ip.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestAt = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestAt = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestAt) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }

    /** A partner's MC domains: the KMS URIs its users' key material comes from. */
    private java.util.List<String> domains(Node n, String field) throws ConfigException {
        return values(n, field, "[A-Za-z0-9][A-Za-z0-9.:@_/-]{0,252}", "a KMS URI like kms.fire.example", true);
    }

    /** One value or a list of them, each matching {@code pattern} ({@code expected} says how); {@code unique}: no repeats. */
    private java.util.List<String> values(Node n, String field, String pattern, String expected, boolean unique)
            throws ConfigException {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (n == null) {
            return out;
        }
        java.util.List<Node> items = n instanceof SequenceNode sq ? sq.getValue() : java.util.List.of(n);
        for (Node i : items) {
            String v = scalar(i, field).trim();
            if (!v.matches(pattern)) {
                throw error(i, field, expected + ", got '" + v + "'");
            }
            if (unique && out.contains(v)) {
                throw error(i, field, v + " is listed twice");
            }
            out.add(v);
        }
        return java.util.List.copyOf(out);
    }

    /**
     * The {@code policy:} list, deny by default: each item
     * {@code {rule: name, decision: allow|deny, direction: outbound|inbound, partner: id|*,
     * actions: [key-material, affiliate], users: glob, targets: glob}}.
     */
    private isg.policy.Policy policy(Node n, java.util.Set<String> partners) throws ConfigException {
        if (!(n instanceof SequenceNode sq)) {
            throw error(n, "policy", "a list of rules: - {rule: name, decision: allow, direction: outbound, partner: id, "
                    + "actions: [key-material], users: \"sip:*@police.example\", targets: kms.fire.example}");
        }
        java.util.List<isg.policy.Policy.Rule> rules = new java.util.ArrayList<>();
        java.util.Map<String, Node> seen = new java.util.HashMap<>();
        for (Node item : sq.getValue()) {
            Map<String, Node> r = map(item, "policy[].", Set.of("rule", "decision", "direction", "partner", "actions",
                    "users", "targets"));
            String name = text(r, "rule", "policy[].rule", item, true);
            String f = "policy." + name + ".";
            if (seen.containsKey(name)) {
                throw error(r.get("rule"), f + "rule", "a second rule named " + name + " (the first is on line "
                        + (seen.get(name).getStartMark().getLine() + 1) + ")");
            }
            seen.put(name, r.get("rule"));
            String decision = text(r, "decision", f + "decision", item, true);
            if (!decision.equals("allow") && !decision.equals("deny")) {
                throw error(r.get("decision"), f + "decision", "allow or deny, got '" + decision + "'");
            }
            String direction = text(r, "direction", f + "direction", item, true);
            if (!direction.equals("outbound") && !direction.equals("inbound")) {
                throw error(r.get("direction"), f + "direction", "outbound (our users asking a partner) or inbound (a "
                        + "partner's users asking us), got '" + direction + "'");
            }
            String partner = text(r, "partner", f + "partner", item, true);
            if (!partner.equals("*") && !partners.contains(partner)) {
                throw error(r.get("partner"), f + "partner", "'" + partner + "' is not a configured partner "
                        + partners + " (or * for any)");
            }
            Node an = r.get("actions");
            if (an == null) {
                throw error(item, f + "actions", "required: key-material, affiliate, or both");
            }
            java.util.Set<isg.policy.Policy.Action> actions = new java.util.HashSet<>();
            for (Node a : an instanceof SequenceNode as ? as.getValue() : java.util.List.of(an)) {
                try {
                    actions.add(isg.policy.Policy.Action.parse(scalar(a, f + "actions")));
                } catch (IllegalArgumentException e) {
                    throw error(a, f + "actions", e.getMessage());
                }
            }
            try {
                rules.add(new isg.policy.Policy.Rule(name, decision.equals("allow"), direction.equals("outbound")
                        ? isg.policy.Policy.Direction.OUTBOUND : isg.policy.Policy.Direction.INBOUND, partner, actions,
                        text(r, "users", f + "users", item, true), text(r, "targets", f + "targets", item, true)));
            } catch (IllegalArgumentException e) {
                throw error(item, f.substring(0, f.length() - 1), e.getMessage());
            }
        }
        return new isg.policy.Policy(rules);
    }

    /**
     * The {@code kmsProxy:} section: {@code {listen: host:port, kms: http://our-kms:8080, ownKms: [kms.police.example],
     * uri: ..., timeout: 5s}}; ownKms defaults to the KMS URIs of {@code mc.domains}.
     */
    private isg.kms.KmsProxy.Config kmsProxy(Node n, String gatewayId, Map<String, java.util.List<String>> partnerDomains,
            java.util.Set<String> own) throws ConfigException {
        Map<String, Node> k = map(n, "kmsProxy.", Set.of("listen", "kms", "uri", "timeout", "ownKms", "https"));
        boolean https = bool(k, "https", "kmsProxy.https", n, true);
        if (k.containsKey("ownKms")) {
            own = new java.util.HashSet<>(domains(k.get("ownKms"), "kmsProxy.ownKms"));
        }
        InetSocketAddress listen = k.containsKey("listen") ? endpoint(k.get("listen"), "kmsProxy.listen", false) : null;
        java.net.URI kms = null;
        if (k.containsKey("kms")) {
            String v = text(k, "kms", "kmsProxy.kms", n, true);
            try {
                kms = new java.net.URI(v);
            } catch (java.net.URISyntaxException e) {
                kms = null;
            }
            if (kms == null || !("http".equals(kms.getScheme()) || "https".equals(kms.getScheme())) || kms.getHost() == null
                    || (kms.getPath() != null && !kms.getPath().isEmpty() && !kms.getPath().equals("/"))) {
                throw error(k.get("kms"), "kmsProxy.kms", "our KMS's base URL, like http://10.0.0.5:8080 (no path), got '"
                        + v + "'");
            }
        }
        if (listen == null && kms == null) {
            throw error(n, "kmsProxy", "neither listen (our users' requests to partners) nor kms (partners' requests to us)");
        }
        if (kms != null && own.isEmpty()) {
            throw error(k.get("kms"), "kmsProxy.kms", "neither kmsProxy.ownKms nor mc.domains name this system's KMS "
                    + "URIs, so no partner request could be for it");
        }
        String uri = k.containsKey("uri") ? text(k, "uri", "kmsProxy.uri", n, true) : "isg:" + gatewayId;
        Duration timeout = k.containsKey("timeout") ? positive(k.get("timeout"), "kmsProxy.timeout") : Duration.ofSeconds(5);
        return new isg.kms.KmsProxy.Config(listen, partnerDomains, own, kms, uri, timeout, https);
    }

    private static final String SERVICE_NAME = "[a-z0-9][a-z0-9._-]{0,31}";

    /** The {@code channel:} section and each partner's {@code channel:} (see {@link isg.channel.ChannelConfig}). */
    private isg.channel.ChannelConfig channel(Node node, Map<String, Node> partnerNodes, InetSocketAddress control)
            throws ConfigException {
        Map<String, Node> c = map(node, "channel.", Set.of("listen", "key", "certificate", "chain", "handshakeTimeout",
                "keepAlive", "expiryWarningDays", "maxConnections", "maxHandshakes", "ioThreads"));
        java.util.Set<InetSocketAddress> bound = new java.util.HashSet<>();
        bound.add(control);
        InetSocketAddress listen = c.containsKey("listen") ? endpoint(c.get("listen"), "channel.listen", false) : null;
        if (listen != null) {
            bound.add(listen);
        }
        String key = pkcs11(c, "key", "channel.key", node);
        String cert = pkcs11(c, "certificate", "channel.certificate", node);
        Path chain = path(c, "chain", "channel.chain", false);
        Duration handshake = c.containsKey("handshakeTimeout") ? positive(c.get("handshakeTimeout"),
                "channel.handshakeTimeout") : isg.channel.ChannelConfig.DEFAULT_HANDSHAKE_TIMEOUT;
        Duration keepAlive = c.containsKey("keepAlive") ? positive(c.get("keepAlive"), "channel.keepAlive")
                : isg.channel.ChannelConfig.DEFAULT_KEEP_ALIVE;
        int warn = c.containsKey("expiryWarningDays") ? integer(c, "expiryWarningDays", "channel.expiryWarningDays", 0,
                3650) : isg.channel.ChannelConfig.DEFAULT_EXPIRY_WARNING_DAYS;
        int maxConnections = c.containsKey("maxConnections") ? integer(c, "maxConnections", "channel.maxConnections", 1,
                100_000) : isg.channel.ChannelConfig.DEFAULT_MAX_CONNECTIONS;
        int maxHandshakes = c.containsKey("maxHandshakes") ? integer(c, "maxHandshakes", "channel.maxHandshakes", 1,
                10_000) : isg.channel.ChannelConfig.DEFAULT_MAX_HANDSHAKES;
        int ioThreads = c.containsKey("ioThreads") ? integer(c, "ioThreads", "channel.ioThreads", 1, 64)
                : isg.channel.ChannelConfig.DEFAULT_IO_THREADS;
        if (partnerNodes.isEmpty()) {
            throw error(node, "channel", "no partner has a channel: section (partners.<id>.channel), so there is "
                    + "nobody to talk to");
        }
        Map<String, isg.channel.ChannelConfig.Partner> partners = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : partnerNodes.entrySet()) {
            String f = "partners." + e.getKey() + ".channel.";
            Map<String, Node> p = map(e.getValue(), f, Set.of("connect", "connections", "ca", "crl", "identity",
                    "spkiSha256", "tls12", "maxStreams", "services", "exports"));
            InetSocketAddress connect = p.containsKey("connect") ? endpoint(p.get("connect"), f + "connect", true) : null;
            if (connect == null && listen == null) {
                throw error(e.getValue(), f + "connect", "required when channel.listen is not set (one of the two "
                        + "gateways must be reachable)");
            }
            int connections = p.containsKey("connections") ? integer(p, "connections", f + "connections", 1, 16) : 1;
            java.util.List<Path> ca = paths(p.get("ca"), f + "ca", true);
            java.util.List<Path> crl = paths(p.get("crl"), f + "crl", false);
            String identity = text(p, "identity", f + "identity", e.getValue(), true);
            try {
                isg.channel.PartnerTrust.Identity.parse(identity);
            } catch (IllegalArgumentException x) {
                throw error(p.get("identity"), f + "identity", x.getMessage());
            }
            String pin = text(p, "spkiSha256", f + "spkiSha256", e.getValue(), false);
            if (pin != null) {
                pin = pin.replace(":", "").toLowerCase(java.util.Locale.ROOT);
                if (!pin.matches("[0-9a-f]{64}")) {
                    throw error(p.get("spkiSha256"), f + "spkiSha256", "the SHA-256 of the partner's "
                            + "SubjectPublicKeyInfo: 64 hex digits (colons allowed)");
                }
            }
            boolean tls12 = bool(p, "tls12", f + "tls12", e.getValue(), false);
            int maxStreams = p.containsKey("maxStreams") ? integer(p, "maxStreams", f + "maxStreams", 1, 1_000_000)
                    : isg.channel.ChannelConfig.Partner.DEFAULT_MAX_STREAMS;
            Map<String, isg.channel.ChannelConfig.Service> services = new LinkedHashMap<>();
            for (Map.Entry<String, Node> s : named(p.get("services"), f + "services").entrySet()) {
                String sf = f + "services." + s.getKey() + ".";
                Map<String, Node> m = map(s.getValue(), sf, Set.of("listen", "maxConnections", "idleTimeout"));
                if (!m.containsKey("listen")) {
                    throw error(s.getValue(), sf + "listen", "required (the inside address:port to listen on)");
                }
                InetSocketAddress at = endpoint(m.get("listen"), sf + "listen", false);
                if (!bound.add(at)) {
                    throw error(m.get("listen"), sf + "listen", at + " is already used by another listener");
                }
                services.put(s.getKey(), new isg.channel.ChannelConfig.Service(s.getKey(), at,
                        m.containsKey("maxConnections") ? integer(m, "maxConnections", sf + "maxConnections", 1, 1_000_000)
                                : isg.channel.ChannelConfig.DEFAULT_SERVICE_CONNECTIONS,
                        m.containsKey("idleTimeout") ? positive(m.get("idleTimeout"), sf + "idleTimeout")
                                : isg.channel.ChannelConfig.DEFAULT_IDLE_TIMEOUT));
            }
            Map<String, isg.channel.ChannelConfig.Export> exports = new LinkedHashMap<>();
            for (Map.Entry<String, Node> s : named(p.get("exports"), f + "exports").entrySet()) {
                String sf = f + "exports." + s.getKey() + ".";
                Map<String, Node> m = map(s.getValue(), sf, Set.of("target", "maxConnections", "idleTimeout"));
                if (!m.containsKey("target")) {
                    throw error(s.getValue(), sf + "target", "required (the inside address:port the partner reaches)");
                }
                exports.put(s.getKey(), new isg.channel.ChannelConfig.Export(s.getKey(),
                        endpoint(m.get("target"), sf + "target", true),
                        m.containsKey("maxConnections") ? integer(m, "maxConnections", sf + "maxConnections", 1, 1_000_000)
                                : isg.channel.ChannelConfig.DEFAULT_SERVICE_CONNECTIONS,
                        m.containsKey("idleTimeout") ? positive(m.get("idleTimeout"), sf + "idleTimeout")
                                : isg.channel.ChannelConfig.DEFAULT_IDLE_TIMEOUT));
            }
            partners.put(e.getKey(), new isg.channel.ChannelConfig.Partner(e.getKey(), connect, connections, ca, crl,
                    identity, pin, tls12, maxStreams, services, exports));
        }
        return new isg.channel.ChannelConfig(listen, key, cert, chain, handshake, keepAlive, warn, maxConnections,
                maxHandshakes, ioThreads, partners);
    }

    /** A pkcs11: URI field (required). */
    private String pkcs11(Map<String, Node> m, String key, String field, Node parent) throws ConfigException {
        String uri = text(m, key, field, parent, true);
        try {
            Pkcs11Uri.parse(uri);
        } catch (IllegalArgumentException e) {
            throw error(m.get(key), field, e.getMessage());
        }
        return uri;
    }

    /** A mapping of service names to their sections (empty when absent). */
    private Map<String, Node> named(Node n, String field) throws ConfigException {
        Map<String, Node> out = new LinkedHashMap<>();
        if (n == null) {
            return out;
        }
        if (!(n instanceof MappingNode)) {
            throw error(n, field, "a mapping of service name to its settings");
        }
        for (NodeTuple t : ((MappingNode) n).getValue()) {
            String name = scalar(t.getKeyNode(), field);
            if (!name.matches(SERVICE_NAME)) {
                throw error(t.getKeyNode(), field, "a service name of 1-32 characters a-z 0-9 . _ - (lower case, "
                        + "starting with a letter or digit), got '" + name + "'");
            }
            out.put(name, t.getValueNode());
        }
        return out;
    }

    /** One file or a list of files. */
    private java.util.List<Path> paths(Node n, String field, boolean required) throws ConfigException {
        java.util.List<Path> out = new java.util.ArrayList<>();
        if (n == null) {
            if (required) {
                throw new ConfigException(file + ": " + field + ": required (a file, or a list of files)");
            }
            return out;
        }
        java.util.List<Node> items = n instanceof SequenceNode sq ? sq.getValue() : java.util.List.of(n);
        for (Node i : items) {
            Path p = Path.of(scalar(i, field).trim());
            p = p.isAbsolute() ? p : file.toAbsolutePath().getParent().resolve(p);
            if (!java.nio.file.Files.isReadable(p)) {
                throw error(i, field, p + ": no such (readable) file");
            }
            out.add(p);
        }
        if (required && out.isEmpty()) {
            throw error(n, field, "at least one file");
        }
        return out;
    }

    /** A duration above zero. */
    private Duration positive(Node n, String field) throws ConfigException {
        Duration d = duration(n, field);
        if (d.isZero()) {
            throw error(n, field, "a duration above zero, like 10s");
        }
        return d;
    }

    /**
     * host:port. A listen address is numeric; a target or partner address may be a DNS name
     * (resolved when connecting). IPv6 in brackets: [2001:db8::1]:4433.
     */
    private InetSocketAddress endpoint(Node n, String field, boolean names) throws ConfigException {
        return endpoint(n, field, names, 1);
    }

    /** As above; a listen address may take port 0 (any free port), with {@code minPort} 0. */
    private InetSocketAddress endpoint(Node n, String field, boolean names, int minPort) throws ConfigException {
        String v = scalar(n, field).trim();
        int c = v.lastIndexOf(':');
        String host = c > 0 ? v.substring(0, c) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(c + 1));
        } catch (RuntimeException e) {
            port = -1;
        }
        if (c <= 0 || port < minPort || port > 65535) {
            throw error(n, field, (names ? "host:port" : "a numeric IP address with a port") + " (port " + minPort
                    + "-65535), e.g. 192.0.2.1:4433, got '" + v + "'");
        }
        boolean numeric = host.matches("[0-9.]+") || host.contains(":");
        if (numeric) {
            try {
                return new InetSocketAddress(InetAddress.getByName(host), port);
            } catch (UnknownHostException e) {
                throw error(n, field, "'" + host + "' is not an IP address");
            }
        }
        if (!names || !host.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) {
            throw error(n, field, names ? "a host name or IP address with a port, got '" + v + "'"
                    : "a numeric IP address with a port, got '" + v + "'");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /** An optional true/false field. */
    private boolean bool(Map<String, Node> m, String key, String field, Node parent, boolean otherwise)
            throws ConfigException {
        if (!m.containsKey(key)) {
            return otherwise;
        }
        String v = text(m, key, field, parent, true);
        if (!v.equals("true") && !v.equals("false")) {
            throw error(m.get(key), field, "true or false, got '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }

    /** The {@code mc:} section (see {@link isg.mc.McConfig}). */
    private isg.mc.McConfig mc(Node node) throws ConfigException {
        Map<String, Node> mc = map(node, "mc.", Set.of("skew", "domains", "trust", "trustCertificates", "talkers"));
        Duration skew = mc.containsKey("skew") ? duration(mc.get("skew"), "mc.skew") : Duration.ofMinutes(5);
        int maxTalkers = isg.mc.McConfig.DEFAULT_MAX_TALKERS;
        Duration talkerIdle = isg.mc.McConfig.DEFAULT_TALKER_IDLE;
        int newTalkers = isg.mc.MkiReceiveContext.DEFAULT_NEW_SENDERS_PER_SECOND;
        if (mc.containsKey("talkers")) {
            Map<String, Node> t = map(mc.get("talkers"), "mc.talkers.", Set.of("max", "idle", "newPerSecond"));
            if (t.containsKey("newPerSecond")) {
                newTalkers = integer(t, "newPerSecond", "mc.talkers.newPerSecond", 1, 1_000_000);
            }
            if (t.containsKey("max")) {
                maxTalkers = integer(t, "max", "mc.talkers.max", 1, 65536);
            }
            if (t.containsKey("idle")) {
                talkerIdle = duration(t.get("idle"), "mc.talkers.idle");
                if (talkerIdle.isZero()) {
                    throw error(t.get("idle"), "mc.talkers.idle", "a duration above zero, like 5m");
                }
            }
        }
        java.util.List<isg.mc.McConfig.Domain> domains = new java.util.ArrayList<>();
        Node dn = mc.get("domains");
        if (!(dn instanceof MappingNode) || ((MappingNode) dn).getValue().isEmpty()) {
            throw error(dn == null ? node : dn, "mc.domains", "a mapping of domain name to {kms, kpak, z, keyPeriod, uri} "
                    + "or {kmsCertificate, uri}");
        }
        for (NodeTuple t : ((MappingNode) dn).getValue()) {
            String name = scalar(t.getKeyNode(), "mc.domains");
            if (!name.matches("[A-Za-z0-9._-]{1,32}")) {
                throw error(t.getKeyNode(), "mc.domains", "a domain name of 1-32 characters A-Z a-z 0-9 . _ -, got '"
                        + name + "'");
            }
            String f = "mc.domains." + name + ".";
            Map<String, Node> d = map(t.getValueNode(), f, Set.of("kms", "kpak", "z", "keyPeriod", "keyPeriodOffset",
                    "uri", "rskDir", "kmsCertificate"));
            String uri = text(d, "uri", f + "uri", t.getValueNode(), true);
            if (d.containsKey("rskDir")) {
                // a receiver secret key is a secret of the gateway's identity: it lives in the vault
                throw error(d.get("rskDir"), f + "rskDir", "nothing: RSKs are no longer read from files in clear. Import "
                        + "each one into the vault, wrapped under a transport key (isg keys import-rsk --domain " + name
                        + " --period N --transport URI --wrapped-file F), delete the files and remove rskDir");
            }
            if (d.containsKey("kmsCertificate")) {
                for (String k : new String[] {"kms", "kpak", "z", "keyPeriod", "keyPeriodOffset"}) {
                    if (d.containsKey(k)) {
                        throw error(d.get(k), f + k, "already given by kmsCertificate; keep one of the two");
                    }
                }
                isg.mc.KmsCertificate cert = certificate(d.get("kmsCertificate"), f + "kmsCertificate");
                domains.add(new isg.mc.McConfig.Domain(name, cert.kmsUri(), cert.kpak(), cert.z(), cert.period(), uri,
                        cert));
                continue;
            }
            String kms = text(d, "kms", f + "kms", t.getValueNode(), true);
            byte[] kpak = hex(d, "kpak", f + "kpak", t.getValueNode(), isg.mc.Eccsi.POINT_LENGTH);
            byte[] z = hex(d, "z", f + "z", t.getValueNode(), isg.mc.Sakke.POINT_LENGTH);
            int length = integer(d, "keyPeriod", f + "keyPeriod", 1, Integer.MAX_VALUE);
            int offset = d.containsKey("keyPeriodOffset") ? integer(d, "keyPeriodOffset", f + "keyPeriodOffset", 0,
                    length - 1) : 0;
            domains.add(new isg.mc.McConfig.Domain(name, kms, kpak, z, new isg.mc.McIdentity.KeyPeriod(length, offset),
                    uri, null));
        }
        Map<String, byte[]> trust = new LinkedHashMap<>();
        if (mc.containsKey("trust")) {
            Node tn = mc.get("trust");
            if (!(tn instanceof MappingNode)) {
                throw error(tn, "mc.trust", "a mapping of KMS URI to its KPAK (hex)");
            }
            Map<String, Node> entries = new LinkedHashMap<>();
            for (NodeTuple t : ((MappingNode) tn).getValue()) {
                entries.put(scalar(t.getKeyNode(), "mc.trust"), t.getValueNode());
            }
            for (Map.Entry<String, Node> e : entries.entrySet()) {
                trust.put(e.getKey(), hex(entries, e.getKey(), "mc.trust." + e.getKey(), tn, isg.mc.Eccsi.POINT_LENGTH));
            }
        }
        java.util.List<isg.mc.KmsCertificate> trustCertificates = new java.util.ArrayList<>();
        if (mc.containsKey("trustCertificates")) {
            Node tc = mc.get("trustCertificates");
            if (!(tc instanceof SequenceNode)) {
                throw error(tc, "mc.trustCertificates", "a list of KMS certificate files");
            }
            for (Node n : ((SequenceNode) tc).getValue()) {
                if (n instanceof MappingNode) {
                    // {file: fire.xml, signer: fire-kms-signer.pem}: the XML signature must verify under the signer
                    Map<String, Node> m = map(n, "mc.trustCertificates[].", Set.of("file", "signer"));
                    if (!m.containsKey("file") || !m.containsKey("signer")) {
                        throw error(n, "mc.trustCertificates", "{file: <KMS certificate>, signer: <PEM certificate(s) of "
                                + "its signer>}");
                    }
                    Path signer = path(m, "signer", "mc.trustCertificates[].signer", true);
                    java.util.List<java.security.cert.X509Certificate> signers;
                    try {
                        signers = isg.mc.KmsCertificate.signers(signer);
                    } catch (java.io.IOException e) {
                        throw error(m.get("signer"), "mc.trustCertificates[].signer", e instanceof java.nio.file.NoSuchFileException
                                ? signer + ": no such file" : e.getMessage());
                    }
                    trustCertificates.add(certificate(m.get("file"), "mc.trustCertificates[].file", signers));
                } else {
                    trustCertificates.add(certificate(n, "mc.trustCertificates", java.util.List.of()));
                }
            }
        }
        return new isg.mc.McConfig(skew, java.util.List.copyOf(domains), trust, java.util.List.copyOf(trustCertificates),
                maxTalkers, talkerIdle, newTalkers);
    }

    /** A KMS certificate file named by a scalar (relative to the configuration file). */
    private isg.mc.KmsCertificate certificate(Node n, String field) throws ConfigException {
        return certificate(n, field, java.util.List.of());
    }

    private isg.mc.KmsCertificate certificate(Node n, String field, java.util.List<java.security.cert.X509Certificate> signers)
            throws ConfigException {
        Path p = Path.of(scalar(n, field).strip());
        if (!p.isAbsolute()) {
            p = file.toAbsolutePath().getParent().resolve(p);
        }
        try {
            return isg.mc.KmsCertificate.read(p, signers);
        } catch (java.io.IOException e) {
            throw error(n, field, e instanceof java.nio.file.NoSuchFileException ? p + ": no such file" : e.getMessage());
        }
    }

    /** An uncompressed point in hex: 04 then the coordinates, {@code octets} octets in all. */
    private byte[] hex(Map<String, Node> m, String key, String field, Node parent, int octets) throws ConfigException {
        String v = text(m, key, field, parent, true);
        byte[] b;
        try {
            b = java.util.HexFormat.of().parseHex(v.replace(" ", ""));
        } catch (IllegalArgumentException e) {
            throw error(m.get(key), field, "hexadecimal, got something else");
        }
        if (b.length != octets || b[0] != 0x04) {
            throw error(m.get(key), field, "an uncompressed point of " + octets + " octets (04 || x || y), got "
                    + b.length + " octets");
        }
        return b;
    }

    private static boolean overlap(InetAddress a, int[] ap, InetAddress b, int[] bp) {
        return a.equals(b) && ap[0] <= bp[1] && bp[0] <= ap[1];
    }

    /**
     * The file's text: at most {@link #MAX_FILE_BYTES}, checked before a byte is parsed, and UTF-8
     * strictly (a byte sequence that is not UTF-8 is named by its line).
     */
    private String readText() throws ConfigException {
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ConfigException(file + ": the file is larger than " + MAX_FILE_BYTES + " octets (1 MiB), the "
                    + "most a configuration may be; it was not read");
        }
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(in).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            int line = 1;
            for (int i = 0; i < in.position() && i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new ConfigException(file + ":" + line + ": not UTF-8 (octet " + (in.position() + 1)
                    + " of the file starts no valid UTF-8 character)");
        }
    }

    /** The line of the alias that went past {@link #MAX_ALIASES}, or 0 when the error was something else. */
    private static int aliasLimitLine(String text) {
        int aliases = 0;
        try {
            for (org.yaml.snakeyaml.events.Event e : new Yaml().parse(new java.io.StringReader(text))) {
                if (e instanceof org.yaml.snakeyaml.events.AliasEvent && ++aliases > MAX_ALIASES) {
                    return e.getStartMark().getLine() + 1;
                }
            }
        } catch (RuntimeException e) {
            // not an alias problem; the caller reports the composer's message
        }
        return 0;
    }

    /**
     * SnakeYAML checks duplicate keys only when it constructs objects, never when it composes the
     * node tree read here: every mapping, at every depth, is checked once (aliases are shared nodes).
     */
    private void noDuplicateKeys(Node n, String path, java.util.IdentityHashMap<Node, Boolean> seen)
            throws ConfigException {
        if (seen.put(n, Boolean.TRUE) != null) {
            return;
        }
        if (n instanceof MappingNode m) {
            Map<String, Node> keys = new java.util.HashMap<>();
            for (NodeTuple t : m.getValue()) {
                String k = t.getKeyNode() instanceof ScalarNode sk ? sk.getValue() : null;
                if (k != null) {
                    Node first = keys.putIfAbsent(k, t.getKeyNode());
                    if (first != null) {
                        throw error(t.getKeyNode(), path + k, "duplicate key: '" + k + "' is given on line "
                                + (first.getStartMark().getLine() + 1) + " and again on line "
                                + (t.getKeyNode().getStartMark().getLine() + 1) + " of the same mapping; give it once");
                    }
                }
                noDuplicateKeys(t.getValueNode(), path + (k == null ? "?" : k) + ".", seen);
            }
        } else if (n instanceof SequenceNode sq) {
            int i = 0;
            for (Node item : sq.getValue()) {
                noDuplicateKeys(item, path.isEmpty() ? "[" + i + "]." : path.substring(0, path.length() - 1) + "[" + i
                        + "].", seen);
                i++;
            }
        }
    }

    private String scalar(Node n, String field) throws ConfigException {
        if (!(n instanceof ScalarNode)) {
            throw error(n, field, "a single value, not a list or mapping");
        }
        return ((ScalarNode) n).getValue();
    }

    private Map<String, Node> map(Node n, String prefix, Set<String> allowed) throws ConfigException {
        if (!(n instanceof MappingNode)) {
            throw error(n, prefix.isEmpty() ? "(top)" : prefix.substring(0, prefix.length() - 1), "a mapping of "
                    + allowed);
        }
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : ((MappingNode) n).getValue()) {
            String k = scalar(t.getKeyNode(), prefix + "?");
            if (!allowed.contains(k)) {
                throw error(t.getKeyNode(), prefix + k, "unknown key; expected one of " + allowed);
            }
            out.put(k, t.getValueNode());
        }
        return out;
    }

    private Map<String, Node> section(Map<String, Node> top, String name, Node root, Set<String> allowed)
            throws ConfigException {
        Node n = top.get(name);
        if (n == null) {
            throw error(root, name, "required section missing");
        }
        return map(n, name + ".", allowed);
    }

    private String text(Map<String, Node> m, String key, String field, Node parent, boolean required)
            throws ConfigException {
        Node n = m.get(key);
        if (n == null) {
            if (required) {
                throw error(parent, field, "required");
            }
            return null;
        }
        String v = scalar(n, field).trim();
        if (v.isEmpty()) {
            throw error(n, field, "must not be empty");
        }
        return v;
    }

    private Path path(Map<String, Node> m, String key, String field, boolean required) throws ConfigException {
        String v = text(m, key, field, null, false);
        if (v == null) {
            if (required) {
                throw new ConfigException(file + ": " + field + ": required (a file path)");
            }
            return null;
        }
        Path p = Path.of(v);
        return p.isAbsolute() ? p : file.toAbsolutePath().getParent().resolve(p);
    }

    private InetAddress address(Map<String, Node> m, String field) throws ConfigException {
        String v = text(m, "address", field, null, false);
        if (v == null) {
            throw new ConfigException(file + ": " + field + ": required (an IP address)");
        }
        if (!v.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw error(m.get("address"), field, "a numeric IP address, got '" + v + "'");
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw error(m.get("address"), field, "a numeric IP address, got '" + v + "'");
        }
    }

    private int[] ports(Map<String, Node> m, String field) throws ConfigException {
        String v = text(m, "ports", field, null, false);
        if (v == null || !v.matches("\\d{1,5}-\\d{1,5}")) {
            throw error(m.get("ports"), field, "a range like 40000-40999, got '" + v + "'");
        }
        String[] p = v.split("-");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    private int integer(Map<String, Node> m, String key, String field, int min, int max) throws ConfigException {
        String v = text(m, key, field, null, true);
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw error(m.get(key), field, "between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw error(m.get(key), field, "a whole number, got '" + v + "'");
        }
    }

    private Duration duration(Node n, String field) throws ConfigException {
        String v = scalar(n, field).trim();
        if (!v.matches("\\d+(ms|s|m|h)")) {
            throw error(n, field, "a duration like 500ms, 60s, 5m or 1h, got '" + v + "'");
        }
        try {
            long amount = Long.parseLong(v.replaceAll("\\D", ""));
            return v.endsWith("ms") ? Duration.ofMillis(amount) : v.endsWith("s") ? Duration.ofSeconds(amount)
                    : v.endsWith("m") ? Duration.ofMinutes(amount) : Duration.ofHours(amount);
        } catch (ArithmeticException | NumberFormatException e) {
            throw error(n, field, "a duration this side of a hundred years, got '" + v + "'");
        }
    }

    /** A listen address: a numeric IP address and a port (loopback port 8080 when left out). */
    private InetSocketAddress socket(Map<String, Node> m, String key, String field) throws ConfigException {
        if (!m.containsKey(key)) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
        }
        return endpoint(m.get(key), field, false, 0);
    }
}
