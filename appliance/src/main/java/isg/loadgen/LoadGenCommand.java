package isg.loadgen;

import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code isg loadgen}: the relay benchmark's load generator as its own process, so that the
 * gateway under test (ISG or rtpengine) is measured alone, on its own core. It sets up the calls
 * through the gateway's control protocol, sends G.711-sized SRTP at 50 packets/s per stream
 * (each stream at its own offset), checks every packet that arrives, and prints one line:
 *
 * <pre>BENCH relay gw=&lt;isg|rtpengine&gt; streams=&lt;n&gt; offered_pps=… delivered_pps=… loss=… late=… p50_us=… p99_us=… p999_us=…
 *     cpu_us_per_pkt=… rss_kb=… dup=… reordered=… bad=… not_reprotected=… generator=kept-up|behind gen_late=… max_lag_us=…
 *     gw_late_drops=… rx_time=kernel|user sink_drops=…</pre>
 *
 * {@code late} is the fraction of delivered packets that took longer than 60 ms; {@code gw_late_drops}
 * what the gateway itself dropped as too late during the run (ISG's LATE; n/a for rtpengine); latency
 * runs to the kernel's arrival stamp at the sink with {@code rx_time=kernel} (to when the generator
 * read it with {@code user}); {@code sink_drops} is what the generator's own sink socket overflowed
 * (counted in {@code loss}, yet lost by the generator); {@code cpu_us_per_pkt}
 * is the gateway's user+system CPU ({@code /proc/<pid>/stat}) over the measured run divided by the
 * packets it delivered; {@code gen_late} is the fraction of its own sends more than 1 ms behind
 * schedule and {@code max_lag_us} its worst lag: over 1 %, or any send 10 ms late, it says
 * {@code generator=behind} and its line is not a gateway result (latency is timed from when each
 * packet really left). Exit status 0 when every delivered packet was authentic and re-protected,
 * 1 when not, 64 on bad usage, 69 when the gateway cannot be set up.
 */
public final class LoadGenCommand {

    public static final String USAGE = String.join("\n",
            "usage: isg loadgen --target isg --api URL --token-file F --keystore F --passphrase-file F --master URI",
            "                   [--gateway-id home] [--partner partner]",
            "       isg loadgen --target rtpengine --ng HOST:PORT",
            "  common: [--streams 100] [--seconds 5] [--warmup 2] [--rate 50] [--bind 127.0.0.1] [--gateway-pid PID]",
            "  Pin it to a core of its own: taskset -c 0 isg loadgen ... (README \"Benchmarks\").");

    private static final Set<String> OPTIONS = Set.of("--target", "--api", "--token-file", "--keystore",
            "--passphrase-file", "--master", "--gateway-id", "--partner", "--ng", "--streams", "--seconds", "--warmup",
            "--rate", "--bind", "--gateway-pid");

    private final PrintStream out;
    private final PrintStream err;

    public LoadGenCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Warm-up runs beyond the first two while the JIT keeps compiling, at most. */
    static final int MAX_EXTRA_WARMUPS = 5;
    /** The JIT counts as quiet once a warm-up run adds no more compile time than this. */
    static final long JIT_QUIET_MILLIS = 20;

    /** The JIT's compile time so far, in milliseconds (0 where the JVM does not say). */
    private static long compileMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    /** @return the exit status */
    public int run(List<String> args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.size(); i += 2) {
            if (!OPTIONS.contains(args.get(i)) || i + 1 >= args.size()) {
                err.println("isg loadgen: " + (OPTIONS.contains(args.get(i)) ? args.get(i) + " needs a value"
                        : "unknown option '" + args.get(i) + "'") + "\n" + USAGE);
                return 64;
            }
            o.put(args.get(i), args.get(i + 1));
        }
        int streams;
        int rate;
        double seconds;
        double warmup;
        long pid;
        try {
            streams = Integer.parseInt(o.getOrDefault("--streams", "100"));
            rate = Integer.parseInt(o.getOrDefault("--rate", "50"));
            seconds = Double.parseDouble(o.getOrDefault("--seconds", "5"));
            warmup = Double.parseDouble(o.getOrDefault("--warmup", "2"));
            pid = Long.parseLong(o.getOrDefault("--gateway-pid", "0"));
        } catch (NumberFormatException e) {
            err.println("isg loadgen: --streams, --rate and --gateway-pid take whole numbers, --seconds and --warmup"
                    + " numbers: " + e.getMessage());
            return 64;
        }
        if (streams < 1 || rate < 1 || rate > 1000 || !(seconds > 0) || !(warmup >= 0)) {
            err.println("isg loadgen: --streams at least 1, --rate 1 to 1000 packets/s, --seconds more than 0, --warmup 0 or more");
            return 64;
        }
        if (pid != 0 && !Files.isReadable(Path.of("/proc/" + pid + "/stat"))) {
            err.println("isg loadgen: --gateway-pid " + pid + ": no such process");
            return 64;
        }
        String problem = checkTarget(o);
        if (problem != null) {
            err.println("isg loadgen: " + problem + "\n" + USAGE);
            return 64;
        }
        String bind = o.getOrDefault("--bind", "127.0.0.1");
        try (Target target = target(o); DatagramChannel source = LoadGen.open(bind); DatagramChannel sink = LoadGen.open(bind);
                LoadGen gen = new LoadGen(source, sink)) {
            if (target == null) {
                return 64;
            }
            List<LoadGen.Stream> list = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                Target.Call c = target.open(i, (InetSocketAddress) source.getLocalAddress(),
                        (InetSocketAddress) sink.getLocalAddress());
                LoadGen.Stream s = new LoadGen.Stream(0x10000 + i, c.sendTo(), c.protect(), c.check())
                        .checkReprotected(c.senderKeyAtSink());
                gen.add(s);
                list.add(s);
            }
            // two warm-up runs: the measured run enters code the JIT compiled whole, not mid-loop;
            // then more while the JIT is still compiling, since its threads share this one core and
            // took it from the sender in slices of a scheduler tick (a late generator, not a late gateway)
            if (warmup > 0) {
                gen.run(list, rate, warmup / 2, 300);
                long compiled = compileMillis();
                gen.run(list, rate, warmup / 2, 300);
                for (int extra = 0; extra < MAX_EXTRA_WARMUPS && compileMillis() - compiled > JIT_QUIET_MILLIS; extra++) {
                    compiled = compileMillis();
                    gen.run(list, rate, Math.max(1.0, warmup / 2), 300);
                }
            }
            long late0 = target.droppedLate();
            long[] cpu0 = cpu(pid);
            LoadGen.Result r = gen.run(list, rate, seconds, 300);
            long[] cpu1 = cpu(pid);
            long late1 = target.droppedLate();
            long rss = rssKb(pid);
            double cpuSeconds = cpu0 == null || cpu1 == null ? Double.NaN : (cpu1[0] + cpu1[1] - cpu0[0] - cpu0[1]) / 100.0;
            out.printf(java.util.Locale.ROOT, "BENCH relay gw=%s streams=%d offered_pps=%.0f delivered_pps=%.0f loss=%.4f late=%.4f"
                    + " p50_us=%d p99_us=%d p999_us=%d cpu_us_per_pkt=%.2f rss_kb=%d dup=%d reordered=%d bad=%d"
                    + " not_reprotected=%d generator=%s gen_late=%.4f max_lag_us=%d gw_late_drops=%s rx_time=%s"
                    + " sink_drops=%s%n",
                    target.name(), streams, r.offeredPerSecond(), r.receivedPerSecond(), r.loss(),
                    r.received() == 0 ? 0.0 : r.arrivedLate() / (double) r.received(), r.p50Micros(), r.p99Micros(),
                    r.p999Micros(), r.received() == 0 ? Double.NaN : cpuSeconds * 1e6 / r.received(), rss, r.duplicates(),
                    r.reordered(), r.bad(), r.notReprotected(), r.generatorKeptUp() ? "kept-up" : "behind",
                    r.sent() == 0 ? 0.0 : r.late() / (double) r.sent(), r.maxLagMicros(),
                    late0 < 0 || late1 < 0 ? "n/a" : Long.toString(late1 - late0), gen.arrivalTime(),
                    r.sinkDrops() < 0 ? "n/a" : Long.toString(r.sinkDrops()));
            out.flush();
            if (r.bad() > 0 || r.notReprotected() > 0) {
                err.println("isg loadgen: " + r.bad() + " packets failed their checks and " + r.notReprotected()
                        + " streams arrived readable under the sender's own key");
                return 1;
            }
            return 0;
        } catch (IOException e) {
            err.println("isg loadgen: " + e.getMessage());
            return 69;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** What is wrong with the target's options before anything is set up, or null. */
    private static String checkTarget(Map<String, String> o) {
        if ("rtpengine".equals(o.get("--target")) && o.containsKey("--ng")) {
            String ng = o.get("--ng");
            int colon = ng.lastIndexOf(':');
            try {
                int port = Integer.parseInt(ng.substring(colon + 1));
                if (colon <= 0 || port < 1 || port > 65535) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                return "--ng takes HOST:PORT with a port 1 to 65535, not '" + ng + "'";
            }
        }
        if ("isg".equals(o.get("--target"))) {
            if (o.containsKey("--api")) {
                try {
                    URI api = URI.create(o.get("--api"));
                    if (!"http".equals(api.getScheme()) && !"https".equals(api.getScheme()) || api.getHost() == null) {
                        throw new IllegalArgumentException();
                    }
                } catch (IllegalArgumentException e) {
                    return "--api takes an http:// or https:// URL, not '" + o.get("--api") + "'";
                }
            }
            for (String file : List.of("--token-file", "--passphrase-file", "--keystore")) {
                if (o.containsKey(file) && !Files.isReadable(Path.of(o.get(file)))) {
                    return file + " " + o.get(file) + ": no such readable file";
                }
            }
        }
        return null;
    }

    private Target target(Map<String, String> o) throws IOException {
        String kind = o.get("--target");
        if ("rtpengine".equals(kind)) {
            String ng = o.get("--ng");
            int colon = ng == null ? -1 : ng.lastIndexOf(':');
            if (colon < 0) {
                err.println("isg loadgen: --target rtpengine needs --ng HOST:PORT\n" + USAGE);
                return null;
            }
            return new RtpengineTarget(new InetSocketAddress(ng.substring(0, colon).replace("[", "").replace("]", ""),
                    Integer.parseInt(ng.substring(colon + 1))));
        }
        if ("isg".equals(kind)) {
            for (String need : List.of("--api", "--token-file", "--keystore", "--passphrase-file", "--master")) {
                if (!o.containsKey(need)) {
                    err.println("isg loadgen: --target isg needs " + need + "\n" + USAGE);
                    return null;
                }
            }
            String token = Files.readString(Path.of(o.get("--token-file"))).trim();
            char[] pass = Files.readString(Path.of(o.get("--passphrase-file"))).trim().toCharArray();
            KeyVault vault;
            try {
                vault = SoftVault.open(Path.of(o.get("--keystore")), pass, false, AuditLog.inMemory());
            } catch (isg.hsm.VaultException e) {
                throw new IOException("the partner's keystore " + o.get("--keystore") + ": " + e.getMessage(), e);
            } finally {
                java.util.Arrays.fill(pass, '\0');
            }
            return new IsgTarget(URI.create(o.get("--api")), token, vault, o.get("--master"),
                    o.getOrDefault("--gateway-id", "home"), o.getOrDefault("--partner", "partner"));
        }
        err.println("isg loadgen: --target takes isg or rtpengine\n" + USAGE);
        return null;
    }

    /** utime and stime of a process in clock ticks (USER_HZ, 100 on Linux), or null without one. */
    static long[] cpu(long pid) throws IOException {
        if (pid == 0) {
            return null;
        }
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }

    /** The resident set of a process in KiB, or 0 without one. */
    public static long rssKb(long pid) throws IOException {
        if (pid == 0) {
            return 0;
        }
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
