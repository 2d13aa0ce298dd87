package isg.box;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.config.ConfigException;
import isg.config.ConfigLoader;
import isg.config.GatewayConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated packet filter: nft itself accepts it (checked in an unprivileged namespace, as CI
 * does), and loaded into a real network namespace it lets in exactly what the configuration serves:
 * partners' packets to the outside range and the channel, anyone's to the inside, nothing else.
 */
class FirewallTest {

    @TempDir
    Path dir;

    private GatewayConfig config(String inside, String outside, String partners, String channel) throws Exception {
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), "control-token-0123456789abcdef\n");
        Files.writeString(dir.resolve("ca.pem"), "");
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, String.join("\n",
                "gateway: {id: home}",
                "vault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass}",
                "inside: {address: " + inside + ", ports: 40000-40099}",
                "outside: {address: " + outside + ", ports: 42000-42099}",
                "partners:",
                partners,
                "control: {listen: \"" + inside + ":8443\", tokenFile: token}",
                channel,
                ""));
        return ConfigLoader.load(f);
    }

    private static String nftCheck(String ruleset) throws Exception {
        return Sh.runWithInput(ruleset, "unshare", "-rn", "nft", "-c", "-f", "-");
    }

    @Test
    void theRulesetIsValidNftablesForIpv4AndIpv6Partners() throws Exception {
        GatewayConfig c = config("10.0.0.1", "192.0.2.1",
                "  partner-a: {masterKey: \"pkcs11:object=a\", addresses: [198.51.100.7, \"2001:DB8:0:0:1::/80\"]}\n"
                        + "  partner-b: {masterKey: \"pkcs11:object=b\", addresses: 203.0.113.0/24}",
                "");
        String rules = Firewall.generate(c, List.of(22));
        nftCheck(rules);
        assertTrue(rules.contains("elements = { 198.51.100.7, 203.0.113.0/24 }"), rules);
        assertTrue(rules.contains("elements = { 2001:db8:0:0:1::/80 }"), "RFC 5952 form: " + rules);
        assertTrue(rules.contains("ip saddr @partners_v4 ip daddr 192.0.2.1 udp dport 42000-42099 accept"), rules);
        assertTrue(rules.contains("ip daddr 10.0.0.1 udp dport 40000-40099 accept"), rules);
        assertTrue(rules.contains("ip daddr 10.0.0.1 tcp dport { 8443 }") || rules.contains("ip daddr 10.0.0.1 tcp dport 8443 accept"),
                rules);
        assertTrue(rules.contains("ip daddr 10.0.0.1 tcp dport 22 accept"), rules);
        assertTrue(rules.contains("policy drop;"), rules);

        // an IPv6 outside
        GatewayConfig v6 = config("10.0.0.1", "2001:db8::1",
                "  partner-a: {masterKey: \"pkcs11:object=a\", addresses: [\"2001:db8:1::7\"]}", "");
        String r6 = Firewall.generate(v6, List.of());
        nftCheck(r6);
        assertTrue(r6.contains("ip6 saddr @partners_v6 ip6 daddr 2001:db8::1 udp dport 42000-42099 accept"), r6);
    }

    @Test
    void aPartnerWhoseAddressesAreUnknownIsRefusedByName() throws Exception {
        GatewayConfig c = config("10.0.0.1", "192.0.2.1",
                "  partner-a: {masterKey: \"pkcs11:object=a\", channel: {connect: \"gw.partner-a.example:4433\", "
                        + "ca: ca.pem, identity: \"uri:isg:partner-a\"}}",
                "channel: {listen: \"192.0.2.1:4433\", key: \"pkcs11:object=k\", certificate: \"pkcs11:object=c\"}");
        ConfigException e = assertThrows(ConfigException.class, () -> Firewall.generate(c, List.of()));
        assertTrue(e.getMessage().contains("partners.partner-a.addresses: required for the packet filter")
                && e.getMessage().contains("gw.partner-a.example"), e.getMessage());
        // a bad address is refused when the file is read, with its line
        ConfigException bad = assertThrows(ConfigException.class, () -> config("10.0.0.1", "192.0.2.1",
                "  partner-a: {masterKey: \"pkcs11:object=a\", addresses: [198.51.100.7/16]}", ""));
        assertTrue(bad.getMessage().matches(".*isg.yaml:6: partners.partner-a.addresses: '198.51.100.7/16' has host bits set.*"),
                bad.getMessage());
    }

    @Test
    void theCommandPrintsTheRulesetAndSaysWhatIsWrong() throws Exception {
        config("10.0.0.1", "192.0.2.1", "  partner-a: {masterKey: \"pkcs11:object=a\", addresses: [198.51.100.7]}", "");
        var out = new java.io.ByteArrayOutputStream();
        var err = new java.io.ByteArrayOutputStream();
        int rc = new isg.cli.FirewallCommand(new java.io.PrintStream(out, true), new java.io.PrintStream(err, true))
                .run(List.of("--config", dir.resolve("isg.yaml").toString(), "--ssh", "22"));
        assertEquals(0, rc, err.toString());
        nftCheck(out.toString());
        rc = new isg.cli.FirewallCommand(new java.io.PrintStream(out, true), new java.io.PrintStream(err, true))
                .run(List.of("--config", dir.resolve("isg.yaml").toString(), "--ssh", "ssh"));
        assertEquals(64, rc);
        assertTrue(err.toString().contains("--ssh takes a TCP port 1-65535, got 'ssh'"), err.toString());
    }

    private static final String RECEIVER = String.join("\n",
            "import socket, sys, select",
            "socks = []",
            "for spec in sys.argv[1:]:",
            "    proto, addr, port = spec.split(',')",
            "    if proto == 'udp':",
            "        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "    else:",
            "        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "    s.bind((addr, int(port)))",
            "    if proto == 'tcp':",
            "        s.listen(8)",
            "    socks.append((proto, port, s))",
            "print('ready', flush=True)",
            "while True:",
            "    ready, _, _ = select.select([x[2] for x in socks], [], [])",
            "    for proto, port, s in socks:",
            "        if s in ready:",
            "            if proto == 'udp':",
            "                d, a = s.recvfrom(2048)",
            "                print('udp', port, a[0], d.decode(), flush=True)",
            "            else:",
            "                c, a = s.accept()",
            "                print('tcp', port, a[0], flush=True)",
            "                c.close()");

    private static final String SENDER = String.join("\n",
            "import socket, sys",
            "proto, src, dst, port, tag = sys.argv[1:]",
            "if proto == 'udp':",
            "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "    s.bind((src, 0))",
            "    s.sendto(tag.encode(), (dst, int(port)))",
            "else:",
            "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
            "    s.bind((src, 0))",
            "    s.settimeout(1.0)",
            "    try:",
            "        s.connect((dst, int(port)))",
            "        print('connected')",
            "    except OSError as e:",
            "        print('refused', e)");

    @Test
    void loadedInANamespaceItAdmitsPartnersOnTheOutsideAndAnyoneOnTheInside() throws Exception {
        assertTrue(Sh.root(), "network namespaces need root (CI runs as root)");
        String tag = Long.toString(ProcessHandle.current().pid() % 100000, 36) + Long.toString(System.nanoTime() % 1296, 36);
        String gw = "isgfw-g-" + tag;
        String peer = "isgfw-p-" + tag;
        String vg = "vfg" + tag;
        String vp = "vfp" + tag;
        GatewayConfig c = config("10.99.1.1", "10.99.0.1",
                "  partner-a: {masterKey: \"pkcs11:object=a\", channel: {connect: \"10.99.0.2:4433\", ca: ca.pem, "
                        + "identity: \"uri:isg:partner-a\"}}",
                "channel: {listen: \"10.99.0.1:4433\", key: \"pkcs11:object=k\", certificate: \"pkcs11:object=c\"}");
        Path rules = dir.resolve("isg.nft");
        Files.writeString(rules, Firewall.generate(c, List.of()));
        Process receiver = null;
        try {
            Sh.run("ip", "netns", "add", gw);
            Sh.run("ip", "netns", "add", peer);
            Sh.run("ip", "link", "add", vg, "netns", gw, "type", "veth", "peer", "name", vp, "netns", peer);
            Sh.run("ip", "-n", gw, "addr", "add", "10.99.0.1/16", "dev", vg);
            Sh.run("ip", "-n", gw, "addr", "add", "10.99.1.1/16", "dev", vg);
            for (String a : List.of("10.99.0.2/16", "10.99.0.3/16")) {
                Sh.run("ip", "-n", peer, "addr", "add", a, "dev", vp);
            }
            for (String[] ns : new String[][] {{gw, vg}, {peer, vp}}) {
                Sh.run("ip", "-n", ns[0], "link", "set", ns[1], "up");
                Sh.run("ip", "-n", ns[0], "link", "set", "lo", "up");
            }
            Sh.run("ip", "netns", "exec", gw, "nft", "-f", rules.toString());
            receiver = new ProcessBuilder("ip", "netns", "exec", gw, "python3", "-u", "-c", RECEIVER,
                    "udp,10.99.0.1,42000", "udp,10.99.0.1,43000", "udp,10.99.1.1,40000", "tcp,10.99.0.1,4433",
                    "tcp,10.99.1.1,8443", "tcp,10.99.1.1,22").redirectErrorStream(true).start();
            BlockingQueue<String> heard = new LinkedBlockingQueue<>();
            Process r = receiver;
            Thread t = new Thread(() -> {
                try (BufferedReader br = new BufferedReader(new InputStreamReader(r.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = br.readLine()) != null; ) {
                        heard.add(l);
                    }
                } catch (java.io.IOException e) {
                    // ended
                }
            });
            t.setDaemon(true);
            t.start();
            assertEquals("ready", heard.poll(20, TimeUnit.SECONDS));

            String partner = "10.99.0.2";
            String stranger = "10.99.0.3";
            send(peer, "udp", partner, "10.99.0.1", 42000, "partner-media");
            send(peer, "udp", stranger, "10.99.0.1", 42000, "stranger-media");
            send(peer, "udp", partner, "10.99.0.1", 43000, "outside-the-range");
            send(peer, "udp", stranger, "10.99.1.1", 40000, "inside-media");
            assertEquals("connected", send(peer, "tcp", partner, "10.99.0.1", 4433, "").trim(), "a partner reaches the channel");
            assertTrue(send(peer, "tcp", stranger, "10.99.0.1", 4433, "").startsWith("refused"), "a stranger does not");
            assertEquals("connected", send(peer, "tcp", stranger, "10.99.1.1", 8443, "").trim(), "the control API answers");
            assertTrue(send(peer, "tcp", stranger, "10.99.1.1", 22, "").startsWith("refused"), "no SSH unless asked for");
            send(peer, "udp", stranger, "10.99.1.1", 40000, "end");

            List<String> got = new ArrayList<>();
            for (String l; (l = heard.poll(10, TimeUnit.SECONDS)) != null; ) {
                got.add(l);
                if (l.endsWith(" end")) {
                    break;
                }
            }
            assertEquals(List.of("udp 42000 10.99.0.2 partner-media", "udp 40000 10.99.0.3 inside-media",
                    "tcp 4433 10.99.0.2", "tcp 8443 10.99.0.3", "udp 40000 10.99.0.3 end"), got);
            String counters = Sh.run("ip", "netns", "exec", gw, "nft", "list", "table", "inet", "isg");
            assertFalse(counters.contains("counter packets 0 bytes 0 comment \"dropped by policy\""),
                    "the drops are counted: " + counters);
        } finally {
            if (receiver != null) {
                receiver.destroyForcibly().waitFor();
            }
            new ProcessBuilder("ip", "netns", "del", gw).start().waitFor();
            new ProcessBuilder("ip", "netns", "del", peer).start().waitFor();
        }
    }

    private static String send(String ns, String proto, String src, String dst, int port, String tag) throws Exception {
        return Sh.run("ip", "netns", "exec", ns, "python3", "-c", SENDER, proto, src, dst, Integer.toString(port),
                tag.isEmpty() ? "-" : tag);
    }
}
