package isg.system;

import com.fasterxml.jackson.databind.JsonNode;
import isg.box.Sh;
import isg.loadgen.LoadGen;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import java.io.PrintStream;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The soak: the whole system of {@link WholeSystemTest} (three namespaces, two gateway processes,
 * an impaired interconnect) carrying many calls for a long time, watching what a slow leak would show.
 *
 * <ul>
 * <li>every received packet authentic and in its stream, and every packet accounted for: endpoints,
 * both gateways' counters, the relay's losses and duplicates, and the kernel's receive-buffer drops
 * in each namespace;
 * <li>the gateways' heap and Netty's pooled direct memory after a full GC, at the end against after
 * warm-up; their RSS;
 * <li>Netty's leak detector (sampling) in both gateways: no {@code LEAK:} line.
 * </ul>
 *
 * <pre>
 * appliance/soak [--minutes 30] [--streams 1000]      (as root: it makes network namespaces)
 * </pre>
 * Prints a {@code SOAK} line per sample and a {@code SOAK-RESULT} line; exits 0 when it held.
 */
public final class Soak {

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = 1800;
        int streams = 1000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--minutes" -> seconds = Double.parseDouble(args[i + 1]) * 60;
                case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                case "--streams" -> streams = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("usage: Soak [--minutes M | --seconds S] [--streams N]");
                    System.exit(64);
                }
            }
        }
        Path dir = Files.createTempDirectory("isg-soak");
        String failure = run(dir, seconds, streams, System.out);
        System.out.println("logs in " + dir);
        System.exit(failure == null ? 0 : 1);
    }

    /** Runs the soak; returns null when everything held, else what did not. */
    static String run(Path dir, double seconds, int streams, PrintStream out) throws Exception {
        int calls = Math.max(1, streams / 2);
        try (SystemLab lab = new SystemLab()) {
            lab.dir = dir;
            lab.pairs = calls + 4;
            lab.gatewayJvm = List.of("-Dio.netty.leakDetection.level=advanced");
            SystemLab.network();
            byte[] kek = new byte[32];
            byte[] interconnect = new byte[16];
            isg.hsm.Fips.DRBG.nextBytes(kek);
            isg.hsm.Fips.DRBG.nextBytes(interconnect);
            Path homeConf = lab.gatewayFiles("home", "partner", "198.18.1.2", "198.18.11.2", "198.18.11.1", kek,
                    interconnect, false);
            Path partnerConf = lab.gatewayFiles("partner", "home", "198.18.2.2", "198.18.12.2", "198.18.12.1", kek,
                    interconnect, false);
            for (Object[] g : new Object[][] {{SystemLab.HOME, homeConf}, {SystemLab.PARTNER, partnerConf}}) {
                Path rules = dir.resolve(g[0] + ".nft");
                Files.writeString(rules, isg.box.Firewall.generate(isg.config.ConfigLoader.load((Path) g[1]), List.of()));
                Sh.run("ip", "netns", "exec", (String) g[0], "nft", "-f", rules.toString());
            }
            lab.mosquitto(SystemLab.HOME, homeConf.resolveSibling("mosquitto.conf"), "mosquitto-home");
            lab.mosquitto(SystemLab.PARTNER, partnerConf.resolveSibling("mosquitto.conf"), "mosquitto-partner");
            SystemLab.Proc relay = lab.javaIn(SystemLab.IC, "relay.log", ImpairRelay.class.getName(), "198.18.11.1",
                    "198.18.12.1", "198.18.11.2", "198.18.12.2", Integer.toString(SystemLab.OUT_MIN),
                    Integer.toString(lab.outMax()), "1", "0.5", "1", "7");
            relay.await(l -> l.startsWith("ready"), "the impairment relay", 60);
            String homeApi = "198.18.1.2:8443";
            String partnerApi = "198.18.2.2:8443";
            SystemLab.Proc home = lab.startGateway(SystemLab.HOME, homeConf, homeApi);
            SystemLab.Proc partner = lab.startGateway(SystemLab.PARTNER, partnerConf, partnerApi);

            // every call's endpoints share one socket per side; the generators tell streams by SSRC
            DatagramChannel homeEnd = SystemLab.Call.endpoint("198.18.1.1");
            DatagramChannel partnerEnd = SystemLab.Call.endpoint("198.18.2.1");
            List<SystemLab.Call> all = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                all.add(new SystemLab.Call("soak-" + i, homeEnd, partnerEnd));
            }
            lab.setUp(all, homeApi, partnerApi);
            SrtpPolicy p = SrtpPolicy.builder(SystemLab.INSIDE).build();
            LoadGen up = new LoadGen(homeEnd, partnerEnd);
            LoadGen down = new LoadGen(partnerEnd, homeEnd);
            for (int i = 0; i < calls; i++) {
                SystemLab.Call c = all.get(i);
                up.add(new LoadGen.Stream(0x100000 + i, c.homeInside, new SrtpSender(p, c.homeUp.mk()),
                        new SrtpReceiver(p, c.partnerDown.mk())));
                down.add(new LoadGen.Stream(0x200000 + i, c.partnerInside, new SrtpSender(p, c.partnerUp.mk()),
                        new SrtpReceiver(p, c.homeDown.mk())));
            }
            long[] kernelBefore = kernelDrops();
            LoadGen.Result[] results = new LoadGen.Result[2];
            Thread tu = new Thread(() -> results[0] = runQuietly(up, seconds));
            Thread td = new Thread(() -> results[1] = runQuietly(down, seconds));
            long start = System.nanoTime();
            tu.start();
            td.start();
            // samples: every 30 s (or a tenth of a short run); the one after warm-up is the baseline
            long every = (long) Math.min(30e9, seconds * 1e9 / 10);
            long warm = (long) Math.min(60e9, seconds * 1e9 / 4);
            long[] baseline = null;
            for (long next = start + every; tu.isAlive() || td.isAlive(); next += every) {
                while (System.nanoTime() < next && (tu.isAlive() || td.isAlive())) {
                    Thread.sleep(100);
                }
                if (!(tu.isAlive() || td.isAlive())) {
                    break;
                }
                boolean gc = baseline == null && System.nanoTime() - start >= warm;
                long[] m = memory(lab, home, homeApi, partner, partnerApi, gc);
                out.println(sample((System.nanoTime() - start) / 1_000_000_000L, m, gc ? " (after GC: baseline)" : ""));
                if (gc) {
                    baseline = m;
                }
            }
            tu.join();
            td.join();
            long[] end = memory(lab, home, homeApi, partner, partnerApi, true);
            out.println(sample((System.nanoTime() - start) / 1_000_000_000L, end, " (after GC: end)"));
            if (baseline == null) {
                baseline = end;
            }
            long[] kernel = kernelDrops();
            relay.say("stats");
            String stats = relay.await(l -> l.startsWith("stats"), "relay stats", 10);

            // accounting, both directions together: what was sent, and the relay's copies, either
            // arrived or were dropped somewhere that counts it
            long sent = results[0].sent() + results[1].sent();
            long received = results[0].received() + results[1].received();
            long bad = results[0].bad() + results[1].bad();
            long dup = SystemLab.stat(stats, "left->right", "duplicated") + SystemLab.stat(stats, "right->left", "duplicated");
            long relayDropped = SystemLab.stat(stats, "left->right", "dropped") + SystemLab.stat(stats, "right->left", "dropped");
            long isgDrops = 0;
            for (String api : List.of(homeApi, partnerApi)) {
                for (String leg : List.of("inside", "outside")) {
                    for (Map.Entry<String, Long> e : lab.leg(api, leg).entrySet()) {
                        if (!e.getKey().equals("in") && !e.getKey().equals("out")) {
                            isgDrops += e.getValue();
                        }
                    }
                }
            }
            long kernelDropped = 0;
            for (int i = 0; i < kernel.length; i++) {
                kernelDropped += kernel[i] - kernelBefore[i];
            }
            long unaccounted = sent + dup - received - relayDropped - isgDrops - kernelDropped;
            long leaks = 0;
            for (SystemLab.Proc g : List.of(home, partner)) {
                leaks += g.all.stream().filter(l -> l.contains("LEAK:")).count();
            }
            long p99 = Math.max(results[0].p99Micros(), results[1].p99Micros());
            long p50 = Math.max(results[0].p50Micros(), results[1].p50Micros());
            List<String> failed = new ArrayList<>();
            if (bad != 0) {
                failed.add(bad + " packets not authentic or in the wrong stream");
            }
            if (unaccounted != 0) {
                failed.add(unaccounted + " packets unaccounted for");
            }
            if (leaks != 0) {
                failed.add(leaks + " Netty LEAK reports");
            }
            long mib = 1 << 20;
            for (int g = 0; g < 2; g++) {
                if (end[4 * g] > baseline[4 * g] + 16 * mib) {
                    failed.add((g == 0 ? "home" : "partner") + " heap grew from " + baseline[4 * g] / mib + " to "
                            + end[4 * g] / mib + " MiB after GC");
                }
                if (end[4 * g + 1] > baseline[4 * g + 1] + 8 * mib) {
                    failed.add((g == 0 ? "home" : "partner") + " direct memory grew from " + baseline[4 * g + 1] / mib
                            + " to " + end[4 * g + 1] / mib + " MiB");
                }
            }
            out.printf("SOAK-RESULT streams=%d seconds=%.0f sent=%d received=%d loss=%.3f%% bad=%d p50_us=%d p99_us=%d "
                    + "relay_dropped=%d duplicated=%d isg_drops=%d kernel_drops=%d unaccounted=%d leaks=%d "
                    + "heap_mib(home,partner)=%d->%d,%d->%d direct_mib=%d->%d,%d->%d rss_mib=%d->%d,%d->%d %s%n",
                    calls * 2, seconds, sent, received, 100.0 * (sent - received) / Math.max(1, sent), bad, p50, p99,
                    relayDropped, dup, isgDrops, kernelDropped, unaccounted, leaks, baseline[0] / mib, end[0] / mib,
                    baseline[4] / mib, end[4] / mib, baseline[1] / mib, end[1] / mib, baseline[5] / mib, end[5] / mib,
                    baseline[2] / 1024, end[2] / 1024, baseline[6] / 1024, end[6] / 1024,
                    failed.isEmpty() ? "PASS" : "FAIL " + failed);
            return failed.isEmpty() ? null : String.join("; ", failed);
        }
    }

    private static LoadGen.Result runQuietly(LoadGen g, double seconds) {
        try {
            // a gateway past saturation holds packets for seconds: wait them out before counting
            return g.run(g.streams(), SystemLab.PPS, seconds, 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String sample(long t, long[] m, String note) {
        long mib = 1 << 20;
        return String.format("SOAK t=%ds home heap=%dMiB direct=%dMiB rss=%dMiB sessions=%d partner heap=%dMiB direct=%dMiB "
                + "rss=%dMiB sessions=%d%s", t, m[0] / mib, m[1] / mib, m[2] / 1024, m[3], m[4] / mib, m[5] / mib,
                m[6] / 1024, m[7], note);
    }

    /** {heap, direct, rss KiB, sessions} of home then partner; after a full GC when asked. */
    private static long[] memory(SystemLab lab, SystemLab.Proc home, String homeApi, SystemLab.Proc partner,
            String partnerApi, boolean gc) throws Exception {
        long[] m = new long[8];
        int i = 0;
        for (Object[] g : new Object[][] {{home, homeApi}, {partner, partnerApi}}) {
            SystemLab.Proc proc = (SystemLab.Proc) g[0];
            String api = (String) g[1];
            if (gc) {
                Sh.run(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(proc.p.pid()),
                        "GC.run");
            }
            m[i] = lab.metric(api, "isg_heap_used_bytes");
            m[i + 1] = lab.metric(api, "isg_direct_memory_used_bytes");
            m[i + 2] = rssKib(proc.p.pid());
            m[i + 3] = lab.metric(api, "isg_sessions");
            i += 4;
        }
        return m;
    }

    private static long rssKib(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /**
     * Datagrams the kernel dropped: UDP receive errors (InErrors: a full receive buffer, mostly) per
     * namespace and here, and packets a CPU's backlog had no room for (softnet_stat, host-wide).
     */
    static long[] kernelDrops() throws Exception {
        List<String> snmps = new ArrayList<>();
        for (String ns : List.of(SystemLab.HOME, SystemLab.IC, SystemLab.PARTNER)) {
            snmps.add(Sh.run("ip", "netns", "exec", ns, "cat", "/proc/net/snmp"));
        }
        snmps.add(Files.readString(Path.of("/proc/net/snmp")));
        long[] out = new long[snmps.size() + 1];
        for (String l : Files.readAllLines(Path.of("/proc/net/softnet_stat"))) {
            out[snmps.size()] += Long.parseLong(l.trim().split("\\s+")[1], 16);
        }
        for (int i = 0; i < snmps.size(); i++) {
            String[] head = null;
            for (String l : snmps.get(i).split("\n")) {
                if (l.startsWith("Udp: ")) {
                    if (head == null) {
                        head = l.split(" ");
                    } else {
                        String[] v = l.split(" ");
                        for (int k = 0; k < head.length; k++) {
                            if (head[k].equals("InErrors")) {
                                out[i] = Long.parseLong(v[k]);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
}
