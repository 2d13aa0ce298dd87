package isg.bench;

import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.loadgen.IsgTarget;
import isg.loadgen.LoadGen;
import isg.loadgen.LoadGenCommand;
import isg.loadgen.RtpengineTarget;
import isg.loadgen.Target;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ISG's relay beside Sipwise rtpengine (userspace, one thread, {@code --table=-1}) under the same
 * load, in the same run: each gateway a process of its own pinned to one core, the load generator
 * ({@code isg loadgen}) a process pinned to the other, AES_CM_128_HMAC_SHA1_80 in and
 * AEAD_AES_128_GCM out, 50 packets/s per stream. For each step the generator's
 * {@code BENCH relay gw=…} line, then {@code BENCH startup_to_forwarding_ms <gw> <ms>} (process start
 * to the first packet forwarded, the session set up as soon as the gateway answers) and
 * {@code BENCH-RATIO relay cpu_per_pkt <isg/rtpengine>} (at the largest step both carried without
 * loss) and {@code BENCH-RATIO relay streams_at_5ms <isg/rtpengine>} (the largest step each carried
 * at zero loss with p99 under 5 ms, its generator on schedule).
 */
public final class RelayVersusBench {

    /** What gives the JDK backend the JVM's GHASH intrinsic (the start script's first flag). */
    static final String GHASH_INTRINSIC = "--add-opens=java.base/com.sun.crypto.provider=ALL-UNNAMED";

    /** The JVM flags of the box's start script (image/isg.sh), so that ISG is measured as it ships. */
    static final List<String> BOX_FLAGS = List.of(GHASH_INTRINSIC,
            "-XX:+UseSerialGC", "-Xms8m", "-Xmn6m", "-Xmx192m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=25",
            "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=48m",
            "-XX:Tier4InvocationThreshold=15000", "-XX:Tier4MinInvocationThreshold=1800",
            "-XX:Tier4CompileThreshold=45000", "-XX:Tier4BackEdgeThreshold=120000",
            "-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000",
            "-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError",
            "--add-modules=jdk.incubator.foreign", "--enable-native-access=ALL-UNNAMED");

    /** What gives {@code isg loadgen} its sink's kernel arrival stamps (the start script gives the same). */
    static final List<String> LOADGEN_STAMPS = List.of("--add-modules=jdk.incubator.foreign",
            "--enable-native-access=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED");

    private static final Pattern LINE = Pattern.compile("^BENCH relay gw=(\\S+) streams=(\\d+) .*");

    private final PrintStream out;
    /** Each gateway's resident set just after its first session forwarded (the start-up probe's). */
    private final Map<String, Long> rssOneSession = new HashMap<>();
    private final int[] steps;
    private final double seconds;
    private final double warmup;

    public RelayVersusBench(PrintStream out, int[] steps, double seconds, double warmup) {
        this.out = out;
        this.steps = steps.clone();
        this.seconds = seconds;
        this.warmup = warmup;
    }

    /** Runs every step on both gateways; returns the BENCH lines it printed. */
    public List<String> run() throws Exception {
        List<String> lines = new ArrayList<>();
        int most = 0;
        for (int s : steps) {
            most = Math.max(most, s);
        }
        Path dir = Files.createTempDirectory("isg-relay-bench");
        try (Lab lab = new Lab()) {
            lab.vault("partner").close();
            Path conf = isgConfig(dir, lab, most);
            Path hsm = hsmToken(dir, lab);
            // as the start script does (image/isg.sh): the first start lists the classes it loads,
            // the next one archives them once (class-data sharing), every start after maps the archive
            Path classList = dir.resolve("isg.classlist");
            Path ran = dir.resolve("isg.classlist.ran");
            // the gateway on the second core, the generator on the first (where a machine has two)
            Child first = Child.start(pinned(1, isgCommand(conf, List.of("-XX:DumpLoadedClassList=" + classList,
                    "-Disg.runningMark=" + ran))), hsm);
            try {
                line(lines, startup("isg_first_start", first, () -> isgTarget(dir, lab)));
            } finally {
                first.stop();
            }
            Path archive = dir.resolve("isg.jsa");
            line(lines, archive(classList, ran, archive));
            Child isg = Child.start(pinned(1, isgCommand(conf, Files.isRegularFile(archive)
                    ? List.of("-XX:SharedArchiveFile=" + archive) : List.of())), hsm);
            try {
                line(lines, startup("isg", isg, () -> isgTarget(dir, lab)));
                rssOneSession.put("isg", LoadGenCommand.rssKb(isg.pid()));
                for (int n : steps) {
                    line(lines, loadgen(isg, n, isgArgs(dir, lab)));
                }
            } finally {
                isg.stop();
            }
            int ng = Lab.freeUdpPort();
            int base = portBase(4 * most + 4);
            Child rtpengine = Child.start(pinned(1, List.of("rtpengine", "--foreground",
                    "--table=-1", "--interface=127.0.0.4",
                    "--listen-ng=127.0.0.1:" + ng, "--num-threads=1", "--port-min=" + base,
                    "--port-max=" + (base + 4 * most + 3), "--log-stderr", "--log-level=4", "--delete-delay=0")), null);
            try {
                InetSocketAddress control = new InetSocketAddress("127.0.0.1", ng);
                line(lines, startup("rtpengine", rtpengine, () -> new RtpengineTarget(control, 20)));
                rssOneSession.put("rtpengine", LoadGenCommand.rssKb(rtpengine.pid()));
                for (int n : steps) {
                    line(lines, loadgen(rtpengine, n, List.of("--target", "rtpengine", "--ng", "127.0.0.1:" + ng)));
                }
            } finally {
                rtpengine.stop();
            }
        } finally {
            Lab.deleteTree(dir);
        }
        ratios(lines);
        return lines;
    }

    private void line(List<String> lines, String l) {
        out.println(l);
        out.flush();
        lines.add(l);
    }

    /** The ratio lines from the relay lines of both gateways. */
    void ratios(List<String> lines) {
        Map<String, Map<Integer, Map<String, String>>> by = new HashMap<>();
        for (String l : lines) {
            Matcher m = LINE.matcher(l);
            if (m.matches()) {
                by.computeIfAbsent(m.group(1), k -> new HashMap<>()).put(Integer.parseInt(m.group(2)), fields(l));
            }
        }
        Map<Integer, Map<String, String>> isg = by.getOrDefault("isg", Map.of());
        Map<Integer, Map<String, String>> ref = by.getOrDefault("rtpengine", Map.of());
        List<Integer> both = new ArrayList<>(isg.keySet());
        both.retainAll(ref.keySet());
        Collections.sort(both, Collections.reverseOrder());
        for (int n : both) {
            if (clean(isg.get(n)) && clean(ref.get(n))) {
                double ratio = Double.parseDouble(isg.get(n).get("cpu_us_per_pkt"))
                        / Double.parseDouble(ref.get(n).get("cpu_us_per_pkt"));
                line(lines, String.format(Locale.ROOT, "BENCH-RATIO relay cpu_per_pkt %.2f streams=%d", ratio, n));
                break;
            }
        }
        for (Map.Entry<String, Map<Integer, Map<String, String>>> gw : by.entrySet()) {
            List<Integer> n = new ArrayList<>(gw.getValue().keySet());
            Collections.sort(n);
            String perSession = "n/a";
            if (n.size() > 1) {
                long low = Long.parseLong(gw.getValue().get(n.get(0)).get("rss_kb"));
                long high = Long.parseLong(gw.getValue().get(n.get(n.size() - 1)).get("rss_kb"));
                perSession = String.format(Locale.ROOT, "%.1f", (high - low) / (double) (n.get(n.size() - 1) - n.get(0)));
            }
            line(lines, "BENCH relay_rss gw=" + gw.getKey() + " one_session_kb=" + rssOneSession.getOrDefault(gw.getKey(), 0L)
                    + " per_session_kb=" + perSession);
        }
        int a = carried(isg);
        int b = carried(ref);
        line(lines, b == 0 ? "BENCH-RATIO relay streams_at_5ms n/a isg=" + a + " rtpengine=0"
                : String.format(Locale.ROOT, "BENCH-RATIO relay streams_at_5ms %.2f isg=%d rtpengine=%d", a / (double) b, a, b));
    }

    private static boolean clean(Map<String, String> f) {
        return f.get("loss").equals("0.0000") && f.get("generator").equals("kept-up")
                && !f.get("cpu_us_per_pkt").equals("NaN") && Double.parseDouble(f.get("cpu_us_per_pkt")) > 0;
    }

    /** The largest step carried at zero loss with p99 under 5 ms by an on-schedule generator. */
    private static int carried(Map<Integer, Map<String, String>> steps) {
        int best = 0;
        for (Map.Entry<Integer, Map<String, String>> e : steps.entrySet()) {
            if (clean(e.getValue()) && Long.parseLong(e.getValue().get("p99_us")) < 5000) {
                best = Math.max(best, e.getKey());
            }
        }
        return best;
    }

    /** The name=value fields of a BENCH line. */
    public static Map<String, String> fields(String line) {
        Map<String, String> f = new HashMap<>();
        for (String w : line.split(" ")) {
            int eq = w.indexOf('=');
            if (eq > 0) {
                f.put(w.substring(0, eq), w.substring(eq + 1));
            }
        }
        return f;
    }

    /** One step: {@code isg loadgen} as a process of its own, on the other core. */
    private String loadgen(Child gateway, int streams, List<String> targetArgs) throws Exception {
        List<String> cmd = new ArrayList<>(java());
        // the generator's own pauses must not pass for the gateway's: a serial collector on its one
        // core, room for the packets it protects ahead of the run, those straight to the old generation;
        // the GHASH intrinsic, as the start script gives it, so checking GCM at the sink stays cheap
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xmx4g", "-Xmn1g", "-XX:PretenureSizeThreshold=65536",
                GHASH_INTRINSIC));
        // the sink's kernel arrival stamps: the generator's delay in reading is not the gateway's
        cmd.addAll(LOADGEN_STAMPS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "isg.Main", "loadgen"));
        cmd.addAll(targetArgs);
        cmd.addAll(List.of("--streams", Integer.toString(streams), "--seconds", Double.toString(seconds), "--warmup",
                Double.toString(warmup), "--bind", "127.0.0.2", "--gateway-pid", Long.toString(gateway.pid())));
        {
            Child g = Child.start(pinned(0, cmd), null);
            int rc = g.waitFor(120 + (long) (2 * (seconds + warmup)) + streams / 20);
            for (String l : g.lines()) {
                if (l.startsWith("BENCH relay ")) {
                    if (rc != 0) {
                        throw new IOException("isg loadgen failed (" + rc + "): " + String.join("\n", g.lines()));
                    }
                    return l;
                }
            }
            throw new IOException("isg loadgen printed no BENCH line (exit " + rc + "): " + String.join("\n", g.lines())
                    + "\ngateway: " + String.join("\n", gateway.tail(20)));
        }
    }

    interface Opener {
        Target open() throws IOException;
    }

    /**
     * Start to first packet forwarded: from the gateway's process start (already running: its start
     * time is the process's), a session is set up as soon as the gateway answers and a packet is
     * sent every millisecond until one arrives, checked, at the sink.
     */
    private static String startup(String name, Child gateway, Opener opener) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        try (DatagramChannel source = LoadGen.open("127.0.0.2"); DatagramChannel sink = LoadGen.open("127.0.0.2")) {
            sink.configureBlocking(false);
            Target.Call call = null;
            Target target = opener.open();
            while (call == null) {
                if (!gateway.alive()) {
                    target.close();
                    throw new IOException(name + " ended before it forwarded: " + String.join("\n", gateway.tail(30)));
                }
                try {
                    call = target.open(0, (InetSocketAddress) source.getLocalAddress(), (InetSocketAddress) sink.getLocalAddress());
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        target.close();
                        throw new IOException(name + " could not be set up within 120 s: " + e.getMessage() + "\n"
                                + String.join("\n", gateway.tail(30)), e);
                    }
                    Thread.sleep(2);
                }
            }
            try {
                byte[] buf = new byte[LoadGen.PACKET + 64];
                ByteBuffer in = ByteBuffer.allocate(2048);
                PacketBuffer pb = new PacketBuffer();
                for (int seq = 1; ; seq++) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException(name + " forwarded nothing within 120 s");
                    }
                    java.util.Arrays.fill(buf, (byte) 0);
                    buf[0] = (byte) 0x80;
                    buf[3] = (byte) seq;
                    buf[2] = (byte) (seq >> 8);
                    isg.srtp.crypto.Bytes.putInt(buf, 8, 0x5EED);
                    pb.set(buf, 0, LoadGen.PACKET);
                    call.protect().protectRtp(pb);
                    source.send(ByteBuffer.wrap(buf, 0, pb.length()), call.sendTo());
                    long until = System.nanoTime() + 1_000_000;
                    while (System.nanoTime() < until) {
                        in.clear();
                        if (sink.receive(in) != null) {
                            long end = System.currentTimeMillis();
                            in.flip();
                            byte[] got = new byte[in.remaining()];
                            in.get(got);
                            pb.set(got, 0, got.length);
                            if (call.check().unprotectRtp(pb) == SrtpStatus.OK) {
                                long started = gateway.startMillis();
                                return String.format(Locale.ROOT, "BENCH startup_to_forwarding_ms %s %d", name, end - started);
                            }
                        }
                        Thread.onSpinWait();
                    }
                }
            } finally {
                target.close();
            }
        }
    }

    // ---- ISG's files and processes --------------------------------------------------------------

    private static final String TOKEN = "relay-bench-token-0123456789abcdef";
    private int apiPort;

    /**
     * The box keeps its keys in an HSM (image/isg.yaml.example), so ISG is measured with SoftHSM2 as
     * its PKCS#11 token, the interconnect master key brought in as an operator does: {@code isg keys
     * import-transport} (the transport key through a pipe), then {@code isg keys import} of the
     * wrapped key. Returns the token's {@code SOFTHSM2_CONF}.
     */
    private static Path hsmToken(Path dir, Lab lab) throws Exception {
        Path hsm = Files.createDirectories(dir.resolve("hsm"));
        Path conf = SoftHsmChild.token(hsm);
        byte[] kek = lab.transportKey();
        byte[] hex = java.util.HexFormat.of().formatHex(kek).getBytes(StandardCharsets.US_ASCII);
        try {
            SoftHsmChild.exec(keys(hsm, "import-transport", "--label", "transport", "--owner", "lab", "--key-file",
                    "/dev/stdin"), conf, hex);
        } finally {
            java.util.Arrays.fill(kek, (byte) 0);
            java.util.Arrays.fill(hex, (byte) 0);
        }
        Path wrapped = hsm.resolve("interconnect.wrapped");
        Files.write(wrapped, lab.wrappedInterconnect());
        SoftHsmChild.exec(keys(hsm, "import", "--label", "interconnect-master", "--purpose", "INTERCONNECT_MASTER",
                "--bits", "128", "--owner", "lab", "--transport", "pkcs11:object=transport", "--wrapped-file",
                wrapped.toString()), conf);
        return conf;
    }

    /** {@code isg keys <command>} on the SoftHSM2 token made in {@code hsm}, then {@code args}. */
    private static List<String> keys(Path hsm, String command, String... args) {
        List<String> cmd = new ArrayList<>(java());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "isg.Main", "keys", command, "--vault", "pkcs11",
                "--module", SoftHsmChild.MODULE, "--token", SoftHsmChild.LABEL, "--pin-file", hsm.resolve("pin").toString(),
                "--audit", hsm.resolve("audit.jsonl").toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * What the start script does at the start after one that ran: archives the classes it listed
     * (class-data sharing, {@code -Xshare:dump}), on the gateway's core. The archive cannot hold
     * classes from directories, so run from a build tree (the tests) there is none, and the line says so.
     */
    private static String archive(Path classList, Path ran, Path archive) throws Exception {
        if (!Files.exists(ran)) {
            return "BENCH cds_archive_ms isg n/a (the first start did not get to run)";
        }
        List<String> cmd = new ArrayList<>(java());
        cmd.addAll(boxFlags());
        cmd.addAll(List.of("-Xshare:dump", "-XX:SharedClassListFile=" + classList, "-XX:SharedArchiveFile=" + archive,
                "-cp", System.getProperty("java.class.path")));
        long t0 = System.nanoTime();
        Child dump = Child.start(pinned(1, cmd), null);
        int rc = dump.waitFor(600);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (rc != 0) {
            Files.deleteIfExists(archive);
            String why = dump.lines().stream().filter(l -> l.contains("Error")).findFirst().orElse("exit " + rc);
            return "BENCH cds_archive_ms isg n/a (" + why.strip() + ")";
        }
        return String.format(Locale.ROOT, "BENCH cds_archive_ms isg %d", ms);
    }

    private Path isgConfig(Path dir, Lab lab, int streams) throws IOException {
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), TOKEN + "\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("partner-pass"), new String(lab.passphrase("partner")) + "\n");
        apiPort = Lab.freeTcpPort();
        int span = 2 * streams + 2;
        int base = portBase(span);
        Path conf = dir.resolve("isg.yaml");
        Files.writeString(conf, String.join("\n",
                "gateway: {id: home}",
                "vault: {kind: pkcs11, module: " + SoftHsmChild.MODULE + ", token: " + SoftHsmChild.LABEL
                        + ", pinFile: hsm/pin, audit: audit.jsonl}",
                "inside: {address: 127.0.0.5, ports: " + base + "-" + (base + span - 1) + "}",
                "outside: {address: 127.0.0.3, ports: " + base + "-" + (base + span - 1) + "}",
                "limits: {maxSessions: " + (streams + 1) + ", idleTimeout: 600s}",
                "partners:",
                "  partner: {masterKey: \"" + Lab.MASTER + "\"}",
                "control: {listen: \"127.0.0.1:" + apiPort + "\", tokenFile: token}",
                ""));
        return conf;
    }

    private List<String> isgArgs(Path dir, Lab lab) {
        return List.of("--target", "isg", "--api", "http://127.0.0.1:" + apiPort, "--token-file",
                dir.resolve("token").toString(), "--keystore", lab.keystore("partner").toString(), "--passphrase-file",
                dir.resolve("partner-pass").toString(), "--master", Lab.MASTER);
    }

    private Target isgTarget(Path dir, Lab lab) throws IOException {
        KeyVault v;
        try {
            v = isg.hsm.SoftVault.open(lab.keystore("partner"), lab.passphrase("partner"), false, isg.hsm.AuditLog.inMemory());
        } catch (isg.hsm.VaultException e) {
            throw new IOException(e.getMessage(), e);
        }
        return new IsgTarget(URI.create("http://127.0.0.1:" + apiPort), TOKEN, v, Lab.MASTER, "home", "partner");
    }

    /**
     * The box's flags, then {@code -Disg.bench.javaOpts} (flags to try, appended last as
     * ISG_JAVA_OPTS is by the start script, which archives classes with the same flags it runs with).
     */
    private static List<String> boxFlags() {
        List<String> flags = new ArrayList<>(BOX_FLAGS);
        String more = System.getProperty("isg.bench.javaOpts", "").trim();
        if (!more.isEmpty()) {
            flags.addAll(List.of(more.split("\\s+")));
        }
        return flags;
    }

    private static List<String> isgCommand(Path conf, List<String> classData) {
        List<String> cmd = new ArrayList<>(java());
        cmd.addAll(classData);
        cmd.addAll(boxFlags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "isg.Main", "run", "--config", conf.toString()));
        return cmd;
    }

    private static List<String> java() {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    }

    /** {@code taskset -c <cpu>} in front where the machine has more than one core and taskset. */
    private static List<String> pinned(int cpu, List<String> cmd) {
        List<String> c = new ArrayList<>();
        if (Runtime.getRuntime().availableProcessors() > 1 && Files.isExecutable(Path.of("/usr/bin/taskset"))) {
            c.addAll(List.of("/usr/bin/taskset", "-c", Integer.toString(cpu)));
        }
        c.addAll(cmd);
        return c;
    }

    /**
     * An even port base with {@code span} ports from 20000 up. The gateways bind their own
     * loopback addresses (127.0.0.3 to .5), which nothing else uses, so the range may overlap the
     * kernel's ephemeral ports on 127.0.0.1.
     */
    private static int portBase(int span) throws IOException {
        if (span > 40_000) {
            throw new IOException(span + " ports do not fit between 20000 and 60000: fewer streams per step");
        }
        return (20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(40_000 - span + 1)) & ~1;
    }

    /** A child process with its output collected line by line. */
    static final class Child {
        private final Process p;
        private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        private final long startMillis;
        private final Thread reader;

        private Child(Process p, long startMillis) {
            this.p = p;
            this.startMillis = startMillis;
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "bench-child-output");
            t.setDaemon(true);
            t.start();
            reader = t;
        }

        /** Starts {@code cmd}, with {@code SOFTHSM2_CONF=softHsm} where that is not null. */
        static Child start(List<String> cmd, Path softHsm) throws IOException {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (softHsm != null) {
                pb.environment().put("SOFTHSM2_CONF", softHsm.toString());
            }
            long t0 = System.currentTimeMillis();
            return new Child(pb.start(), t0);
        }

        long pid() {
            // taskset execs the command: the same process
            return p.pid();
        }

        long startMillis() {
            return startMillis;
        }

        boolean alive() {
            return p.isAlive();
        }

        List<String> lines() {
            synchronized (lines) {
                return new ArrayList<>(lines);
            }
        }

        List<String> tail(int n) {
            List<String> l = lines();
            return l.subList(Math.max(0, l.size() - n), l.size());
        }

        int waitFor(long seconds) throws Exception {
            if (!p.waitFor(seconds, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + seconds + " s: " + String.join("\n", tail(20)));
            }
            reader.join(5000); // the output read to its end
            return p.exitValue();
        }

        void stop() throws InterruptedException {
            p.destroy();
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
