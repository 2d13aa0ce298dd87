package isg.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.SrtpSuite;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Short runs of both benchmarks so they cannot rot: the harness must print every line a tool
 * reads (all ops, suites, sizes, impls incl. libsrtp, ratios), and the JMH benchmark must run.
 * The figures themselves are not judged here: timing belongs in benchmarks, not unit tests.
 */
class BenchSmokeTest {

    private static final Pattern BENCH = Pattern.compile("BENCH (\\w+) (\\w+) (\\d+) (jdk|fips|libsrtp) (\\d+)");

    @Test
    void theHarnessPrintsEveryMeasurementAndRatio() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc = new BenchCommand(new PrintStream(buf, true, StandardCharsets.UTF_8), 0.01, 0.02, true).run();
        assertEquals(0, rc);
        List<String> lines = Arrays.asList(buf.toString(StandardCharsets.UTF_8).split("\n"));
        Set<String> seen = new HashSet<>();
        for (String l : lines) {
            Matcher m = BENCH.matcher(l);
            if (m.matches()) {
                assertTrue(Long.parseLong(m.group(5)) > 0, l);
                seen.add(m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4));
            }
        }
        for (String impl : new String[] {"jdk", "fips", "libsrtp"}) {
            for (SrtpSuite suite : EngineBench.SUITES) {
                for (int size : EngineBench.SIZES) {
                    for (String op : EngineBench.OPS) {
                        assertTrue(seen.contains(op + " " + suite + " " + size + " " + impl),
                                "missing " + op + " " + suite + " " + size + " " + impl);
                    }
                }
            }
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH derive pkcs11 [1-9]\\d*")), String.join("\n", lines));
        for (String impl : new String[] {"isg-soft", "isg-pkcs11", "stunnel"}) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH tunnel handshakes_per_s " + impl + " [1-9]\\d*")),
                    String.join("\n", lines));
        }
        for (String impl : new String[] {"isg", "stunnel"}) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH tunnel throughput_MBps " + impl + " [1-9][\\d.]*")),
                    String.join("\n", lines));
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH-RATIO tunnel throughput isg/stunnel \\d+\\.\\d\\d")),
                String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH derive soft [1-9]\\d*")), String.join("\n", lines));
        for (String path : new String[] {"gateways", "direct"}) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH kms_proxy requests_per_s " + path + " [1-9]\\d*")),
                    path + "\n" + String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH kms_proxy latency_ms " + path
                    + " p50 \\d+\\.\\d\\d p99 \\d+\\.\\d\\d")), path + "\n" + String.join("\n", lines));
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH-RATIO kms_proxy requests gateways/direct \\d+\\.\\d\\d")),
                String.join("\n", lines));
        // the relay beside rtpengine: both gateways, both steps, every packet authentic and re-protected
        for (String gw : new String[] {"isg", "rtpengine"}) {
            for (int n : new int[] {20, 100}) {
                assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH relay gw=" + gw + " streams=" + n
                        + " offered_pps=[1-9]\\d* delivered_pps=[1-9]\\d* loss=0\\.\\d{4} late=0\\.\\d{4} p50_us=\\d+"
                        + " p99_us=\\d+ p999_us=\\d+ cpu_us_per_pkt=[\\d.]+ rss_kb=[1-9]\\d* dup=0 reordered=\\d+ bad=0"
                        + " not_reprotected=0 generator=(kept-up|behind) gen_late=[01]\\.\\d{4} max_lag_us=\\d+"
                        + " gw_late_drops=" + (gw.equals("isg") ? "\\d+" : "n/a") + " rx_time=kernel sink_drops=\\d+")),
                        gw + " " + n + "\n"
                        + String.join("\n", lines));
            }
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH startup_to_forwarding_ms " + gw + " [1-9]\\d*")),
                    String.join("\n", lines));
            if (gw.equals("isg")) {
                // the first start after an install (no class-data archive yet), then the archive the
                // start script makes from it: none from a build tree's class directories, as here
                assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH startup_to_forwarding_ms isg_first_start [1-9]\\d*")),
                        String.join("\n", lines));
                assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH cds_archive_ms isg (\\d+|n/a \\(.*directory.*\\))")),
                        String.join("\n", lines));
            }
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH relay_rss gw=" + gw + " one_session_kb=[1-9]\\d*"
                    + " per_session_kb=-?\\d+\\.\\d")), String.join("\n", lines));
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH-RATIO relay streams_at_5ms (\\d+\\.\\d\\d|n/a) isg=\\d+ rtpengine=\\d+")),
                String.join("\n", lines));
        for (String op : new String[] {"eccsi_verify", "eccsi_sign", "sakke_decap", "sakke_encap", "mikey_receive"}) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH " + op + " [1-9]\\d*")), op + "\n" + String.join("\n", lines));
        }
        for (int talkers : new int[] {1, 16, 256}) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH group_receive_" + talkers + "_talkers [1-9]\\d*")),
                    talkers + " talkers\n" + String.join("\n", lines));
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("BENCH tamper_to_wiped_ms \\d+\\.\\d+")), String.join("\n", lines));
        List<String> ratios = lines.stream().filter(l -> l.startsWith("BENCH-RATIO reprotect ")).collect(Collectors.toList());
        assertEquals(EngineBench.SUITES.length * EngineBench.SIZES.length, ratios.size(), String.join("\n", lines));
        long allocs = lines.stream().filter(l -> l.startsWith("BENCH-ALLOC ")).count();
        assertEquals(2 * EngineBench.SUITES.length * EngineBench.SIZES.length * EngineBench.OPS.length, allocs);
    }

    @Test
    void theRelayBenchmarkRunsIsgWithTheFlagsTheBoxStartsItWith() throws Exception {
        String script = java.nio.file.Files.readString(java.nio.file.Path.of("..", "image", "isg.sh"));
        for (String flag : RelayVersusBench.BOX_FLAGS) {
            assertTrue(script.contains(flag), flag + " is not in image/isg.sh any more: measure ISG as the box starts it");
        }
    }

    @Test
    void theJmhBenchmarkRuns() throws Exception {
        Options opt = new OptionsBuilder()
                .include(SrtpBenchmark.class.getSimpleName() + ".reprotect")
                .param("backend", "jdk")
                .param("bytes", "172")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(200))
                .build();
        java.util.Collection<RunResult> results = new Runner(opt).run();
        assertEquals(2, results.size(), "one result per suite");
        for (RunResult r : results) {
            assertTrue(r.getPrimaryResult().getScore() > 0, r.getParams().toString());
        }
    }
}
