package isg.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import isg.box.Sh;
import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SecureFiles;
import isg.hsm.SoftVault;
import isg.loadgen.LoadGen;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpSuite;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways on separate networks, built for a test or the soak: network namespaces home,
 * interconnect and partner; a gateway process on each border with its own vault, Mosquitto and packet
 * filter; MC endpoints in this process over a veth into each inside; a user-space impairment relay in
 * the interconnect. {@link WholeSystemTest} runs the short scenario in CI; {@link Soak} the long one.
 */
class SystemLab implements AutoCloseable {

    static final String TOKEN = "system-test-token-0123456789abcdef";
    static final String HOME = "isg-sys-home";
    static final String IC = "isg-sys-ic";
    static final String PARTNER = "isg-sys-partner";
    static final int SESSIONS = 4;
    static final int PPS = 50;
    /** Port pairs per leg (RTP and RTCP): sessions a gateway can hold. */
    int pairs = 20;
    /** The outside port range of both gateways; the impairment relay binds all of it on both sides. */
    static final int OUT_MIN = 42000;

    int outMax() {
        return OUT_MIN + 2 * pairs - 1;
    }

    /** More JVM options for the gateway processes (the soak turns Netty's leak detection on). */
    List<String> gatewayJvm = new ArrayList<>();
    static final ObjectMapper JSON = new ObjectMapper();
    static final SrtpSuite INSIDE = SrtpSuite.AES_CM_128_HMAC_SHA1_80;
    /** p11-kit's client module, in this machine's multiarch directory. */
    static final String P11_KIT_CLIENT = java.util.stream.Stream.of("x86_64", "aarch64")
            .map(a -> "/usr/lib/" + a + "-linux-gnu/pkcs11/p11-kit-client.so").filter(f -> Files.isRegularFile(Path.of(f)))
            .findFirst().orElse("/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so (missing: bash .ci/deps installs p11-kit-modules)");

    /** Where the files of this run go (a test gets a fresh one). */
    @TempDir
    Path dir;

    final List<Process> processes = new ArrayList<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A process in a namespace, its output collected line by line. */
    final class Proc {
        final Process p;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());
        final Writer in;

        Proc(Path log, String... cmd) throws IOException {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            processes.add(p);
            in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                        Writer w = Files.newBufferedWriter(log)) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                        all.add(l);
                        w.write(l + "\n");
                        w.flush();
                    }
                } catch (IOException e) {
                    // ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        String await(Predicate<String> what, String description, int seconds) throws InterruptedException {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            for (String l; (l = lines.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
                if (what.test(l)) {
                    return l;
                }
            }
            throw new AssertionError(description + " within " + seconds + " s; the process said: " + all);
        }

        void say(String command) throws IOException {
            in.write(command + "\n");
            in.flush();
        }
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    Proc javaIn(String ns, String logName, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "env", "P11_KIT_SERVER_ADDRESS=unix:path="
                + dir.resolve("hsm.sock"), java(),
                "--add-opens=java.base/com.sun.crypto.provider=ALL-UNNAMED", "-Xmx256m"));
        if (mainClass.equals("isg.Main")) {
            cmd.addAll(gatewayJvm);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return new Proc(dir.resolve(logName), cmd.toArray(String[]::new));
    }

    @AfterEach
    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (String ns : List.of(HOME, IC, PARTNER)) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
        }
        new ProcessBuilder("ip", "link", "del", "isgsys-h").start().waitFor();
        new ProcessBuilder("ip", "link", "del", "isgsys-p").start().waitFor();
    }

    static void network() throws Exception {
        for (String ns : List.of(HOME, IC, PARTNER)) {
            new ProcessBuilder("ip", "netns", "del", ns).start().waitFor();
            Sh.run("ip", "netns", "add", ns);
            Sh.run("ip", "-n", ns, "link", "set", "lo", "up");
        }
        new ProcessBuilder("ip", "link", "del", "isgsys-h").start().waitFor();
        new ProcessBuilder("ip", "link", "del", "isgsys-p").start().waitFor();
        // the insides: this process's endpoints <-> each gateway (also its management network)
        Sh.run("ip", "link", "add", "isgsys-h", "type", "veth", "peer", "name", "in0", "netns", HOME);
        Sh.run("ip", "link", "add", "isgsys-p", "type", "veth", "peer", "name", "in0", "netns", PARTNER);
        Sh.run("ip", "addr", "add", "198.18.1.1/24", "dev", "isgsys-h");
        Sh.run("ip", "addr", "add", "198.18.2.1/24", "dev", "isgsys-p");
        Sh.run("ip", "link", "set", "isgsys-h", "up");
        Sh.run("ip", "link", "set", "isgsys-p", "up");
        Sh.run("ip", "-n", HOME, "addr", "add", "198.18.1.2/24", "dev", "in0");
        Sh.run("ip", "-n", PARTNER, "addr", "add", "198.18.2.2/24", "dev", "in0");
        // the outsides: each gateway <-> the interconnect
        Sh.run("ip", "-n", HOME, "link", "add", "out0", "type", "veth", "peer", "name", "to-home", "netns", IC);
        Sh.run("ip", "-n", PARTNER, "link", "add", "out0", "type", "veth", "peer", "name", "to-partner", "netns", IC);
        Sh.run("ip", "-n", HOME, "addr", "add", "198.18.11.2/24", "dev", "out0");
        Sh.run("ip", "-n", PARTNER, "addr", "add", "198.18.12.2/24", "dev", "out0");
        Sh.run("ip", "-n", IC, "addr", "add", "198.18.11.1/24", "dev", "to-home");
        Sh.run("ip", "-n", IC, "addr", "add", "198.18.12.1/24", "dev", "to-partner");
        for (String[] l : new String[][] {{HOME, "in0"}, {HOME, "out0"}, {PARTNER, "in0"}, {PARTNER, "out0"},
            {IC, "to-home"}, {IC, "to-partner"}}) {
            Sh.run("ip", "-n", l[0], "link", "set", l[1], "up");
        }
    }

    /** A gateway's files: its vault holding the shared interconnect key, configuration, token. */
    Path gatewayFiles(String id, String partner, String inside, String outside, String relayAddress,
            byte[] kek, byte[] interconnect, boolean networkHsm) throws Exception {
        Path d = Files.createDirectories(dir.resolve(id));
        SecureFiles.writeSecret(d.resolve("pass"), "passphrase of " + id + "\n");
        SecureFiles.writeSecret(d.resolve("token"), TOKEN + "\n");
        // a network HSM: SoftHSM2's token behind p11-kit's server, reached through p11-kit's client module
        String label = networkHsm ? "sys-" + partner + "-master-" + System.nanoTime() : partner + "-master";
        String vault;
        if (networkHsm) {
            Files.copy(isg.hsm.SoftHsm.get().config().pinFile(), d.resolve("pin"));
            vault = "{kind: pkcs11, module: " + P11_KIT_CLIENT + ", token: " + isg.hsm.SoftHsm.LABEL
                    + ", pinFile: pin, audit: audit.jsonl}";
        } else {
            vault = "{kind: soft, keystore: keys.bcfks, passphraseFile: pass, audit: audit.jsonl}";
        }
        try (KeyVault v = networkHsm ? isg.hsm.Pkcs11Vault.open(isg.hsm.SoftHsm.get().config(), AuditLog.inMemory())
                : SoftVault.open(d.resolve("keys.bcfks"), ("passphrase of " + id).toCharArray(), true, AuditLog.inMemory())) {
            KeyInfo t = v.importTransportKey(Actor.CLI, NewKey.of(label + "-transport", KeyPurpose.TRANSPORT, "operator"),
                    kek.clone());
            Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
            c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
            v.importWrapped(Actor.CLI, NewKey.of(label, KeyPurpose.INTERCONNECT_MASTER, partner)
                    .withBits(128), t.uri(), c.wrap(new SecretKeySpec(interconnect, "AES")));
        }
        Path conf = d.resolve("isg.yaml");
        Files.writeString(conf, String.join("\n",
                "gateway: {id: " + id + "}",
                "vault: " + vault,
                "inside: {address: " + inside + ", ports: 30000-" + (30000 + 2 * pairs - 1) + "}",
                "outside: {address: " + outside + ", ports: " + OUT_MIN + "-" + outMax() + "}",
                "limits: {maxSessions: " + pairs + ", idleTimeout: 120s}",
                "partners:",
                "  " + partner + ": {masterKey: \"pkcs11:object=" + label + "\", addresses: [" + relayAddress + "]}",
                "control: {listen: \"" + inside + ":8443\", tokenFile: token}",
                "mqtt: {broker: \"tcp://127.0.0.1:1883\", metricsSeconds: 1}",
                ""));
        Files.writeString(d.resolve("mosquitto.conf"), "listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\n");
        return conf;
    }

    Proc startGateway(String ns, Path conf, String api) throws Exception {
        Proc g = javaIn(ns, conf.getParent().getFileName() + "-" + System.nanoTime() + ".log", "isg.Main", "run",
                "--config", conf.toString());
        g.await(l -> l.contains(" running; control API on "), "gateway " + conf.getParent().getFileName() + " running", 60);
        assertEquals(200, call(api, "GET", "/status", null).statusCode());
        return g;
    }

    /** p11-kit's server exporting the SoftHSM2 token on a unix socket: the home gateway's network HSM. */
    Proc networkHsm() throws Exception {
        Files.deleteIfExists(dir.resolve("hsm.sock"));
        Proc s = new Proc(dir.resolve("hsm-" + System.nanoTime() + ".log"), "p11-kit", "server", "-f", "-n",
                dir.resolve("hsm.sock").toString(), "-p", isg.hsm.SoftHsm.MODULE.toString(),
                "pkcs11:token=" + isg.hsm.SoftHsm.LABEL);
        s.await(l -> l.startsWith("P11_KIT_SERVER_ADDRESS="), "p11-kit server", 20);
        return s;
    }

    long metric(String api, String name) throws Exception {
        for (String l : call(api, "GET", "/metrics", null).body().split("\n")) {
            if (l.startsWith(name + " ")) {
                return Long.parseLong(l.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError(name + " not in /metrics");
    }

    void awaitMetric(String api, String name, long value, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (metric(api, name) != value) {
            if (System.nanoTime() > end) {
                throw new AssertionError(name + " did not become " + value + " within " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    Proc mosquitto(String ns, Path conf, String name) throws Exception {
        Proc m = new Proc(dir.resolve(name + "-" + System.nanoTime() + ".log"), "ip", "netns", "exec", ns, "mosquitto",
                "-c", conf.toString(), "-v");
        m.await(l -> l.contains("Opening ipv4 listen socket on port 1883"), "mosquitto listening", 20);
        return m;
    }

    HttpResponse<String> call(String api, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + api + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + TOKEN);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode ok(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    /** An inside master key and salt, as the control API takes them (base64 of key || salt) and as SRTP uses them. */
    record K(byte[] raw, MasterKey mk) {
    }

    static K key() {
        int k = INSIDE.masterKeyLength();
        byte[] raw = new byte[k + INSIDE.masterSaltLength()];
        Fips.DRBG.nextBytes(raw);
        return new K(raw, new MasterKey(java.util.Arrays.copyOf(raw, k), java.util.Arrays.copyOfRange(raw, k, raw.length)));
    }

    static String b64(K k) {
        return Base64.getEncoder().encodeToString(k.raw());
    }

    /** One call through both gateways: its endpoints, keys and the generators for each direction. */
    static final class Call {
        final String id;
        final DatagramChannel homeEnd;
        final DatagramChannel partnerEnd;
        final K homeUp = key();
        final K homeDown = key();
        final K partnerUp = key();
        final K partnerDown = key();
        InetSocketAddress homeInside;
        InetSocketAddress partnerInside;
        LoadGen up;
        LoadGen down;

        Call(String id) throws IOException {
            this(id, endpoint("198.18.1.1"), endpoint("198.18.2.1"));
        }

        /** Over endpoint sockets shared with other calls (the soak's thousand streams). */
        Call(String id, DatagramChannel homeEnd, DatagramChannel partnerEnd) {
            this.id = id;
            this.homeEnd = homeEnd;
            this.partnerEnd = partnerEnd;
        }

        /** An endpoint's RTP socket: an even port (RTCP would be the next one), on this side's inside address. */
        static DatagramChannel endpoint(String address) throws IOException {
            while (true) {
                DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
                c.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
                c.bind(new InetSocketAddress(address, 0));
                if (((InetSocketAddress) c.getLocalAddress()).getPort() % 2 == 0) {
                    return c;
                }
                c.close();
            }
        }

        void generators(int n) throws java.security.GeneralSecurityException {
            SrtpPolicy p = SrtpPolicy.builder(INSIDE).build();
            up = new LoadGen(homeEnd, partnerEnd);
            up.add(new LoadGen.Stream(0x1000 + n, homeInside, new SrtpSender(p, homeUp.mk()),
                    new SrtpReceiver(p, partnerDown.mk())));
            down = new LoadGen(partnerEnd, homeEnd);
            down.add(new LoadGen.Stream(0x2000 + n, partnerInside, new SrtpSender(p, partnerUp.mk()),
                    new SrtpReceiver(p, homeDown.mk())));
        }
    }

    static String create(Call c, String partner, DatagramChannel end, K receive, K send,
            String outsideRemote, String partnerNonce) throws IOException {
        InetSocketAddress e = (InetSocketAddress) end.getLocalAddress();
        return "{\"id\":\"" + c.id + "\",\"mode\":\"reprotect\",\"partner\":\"" + partner + "\",\"inside\":{\"remote\":\""
                + e.getHostString() + ":" + e.getPort() + "\",\"suite\":\"" + INSIDE.name() + "\",\"receiveKey\":\""
                + b64(receive) + "\",\"sendKey\":\"" + b64(send) + "\"}"
                + (outsideRemote == null ? "" : ",\"outside\":{\"remote\":\"" + outsideRemote + "\",\"partnerNonce\":\""
                        + partnerNonce + "\"}")
                + "}";
    }

    /** Sets up each call on both gateways the way an orchestrator does (interconnect v2 nonces). */
    void setUp(List<Call> calls, String homeApi, String partnerApi) throws Exception {
        for (Call c : calls) {
            JsonNode h = ok(call(homeApi, "POST", "/sessions", create(c, "partner", c.homeEnd, c.homeUp, c.homeDown, null,
                    null)), 201);
            int homeOutPort = Integer.parseInt(h.get("outside").get("local").asText().replaceAll(".*:", ""));
            // the partner reaches home's outside port through the relay, at the relay's partner-side address
            JsonNode p = ok(call(partnerApi, "POST", "/sessions", create(c, "home", c.partnerEnd, c.partnerUp,
                    c.partnerDown, "198.18.12.1:" + homeOutPort, h.get("outside").get("nonce").asText())), 201);
            int partnerOutPort = Integer.parseInt(p.get("outside").get("local").asText().replaceAll(".*:", ""));
            ok(call(homeApi, "PATCH", "/sessions/" + c.id, "{\"outside\":{\"remote\":\"198.18.11.1:" + partnerOutPort
                    + "\",\"partnerNonce\":\"" + p.get("outside").get("nonce").asText() + "\"}}"), 200);
            c.homeInside = hostPort(h.get("inside").get("local").asText());
            c.partnerInside = hostPort(p.get("inside").get("local").asText());
        }
    }

    static InetSocketAddress hostPort(String s) {
        int colon = s.lastIndexOf(':');
        return new InetSocketAddress(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    }

    /** Streams every call both ways for {@code seconds}; returns {sent up, received up, sent down, received down, bad}. */
    static long[] stream(List<Call> calls, double seconds) throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<LoadGen.Result> up = java.util.Collections.synchronizedList(new ArrayList<>());
        List<LoadGen.Result> down = java.util.Collections.synchronizedList(new ArrayList<>());
        for (Call c : calls) {
            for (boolean isUp : new boolean[] {true, false}) {
                LoadGen g = isUp ? c.up : c.down;
                Thread t = new Thread(() -> {
                    try {
                        (isUp ? up : down).add(g.run(g.streams(), PPS, seconds));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                threads.add(t);
            }
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        long[] r = new long[5];
        for (LoadGen.Result x : up) {
            r[0] += x.sent();
            r[1] += x.received();
            r[4] += x.bad();
        }
        for (LoadGen.Result x : down) {
            r[2] += x.sent();
            r[3] += x.received();
            r[4] += x.bad();
        }
        return r;
    }

    /** Sums of one leg's counters over a gateway's sessions: packetsIn, packetsOut, and drops by reason. */
    Map<String, Long> leg(String api, String leg) throws Exception {
        Map<String, Long> sum = new java.util.TreeMap<>();
        for (JsonNode s : ok(call(api, "GET", "/sessions", null), 200)) {
            JsonNode c = s.get(leg).get("counters");
            sum.merge("in", c.get("packetsIn").asLong(), Long::sum);
            sum.merge("out", c.get("packetsOut").asLong(), Long::sum);
            c.get("drops").fields().forEachRemaining(e -> sum.merge(e.getKey(), e.getValue().asLong(), Long::sum));
        }
        return sum;
    }

    static long stat(String stats, String direction, String name) {
        String part = stats.substring(stats.indexOf(direction));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(name + "=(\\d+)").matcher(part);
        assertTrue(m.find(), stats);
        return Long.parseLong(m.group(1));
    }

    String retainedState(String ns) throws Exception {
        return Sh.run("ip", "netns", "exec", ns, "mosquitto_sub", "-h", "127.0.0.1", "-t", "isg/" + (ns.equals(HOME) ? "home"
                : "partner") + "/state", "-C", "1", "-W", "20");
    }

}
