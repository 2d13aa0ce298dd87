package isg.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.bench.RelayVersusBench;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code isg loadgen}: its usage errors, and a run through a real rtpengine (Debian's
 * rtpengine-daemon, started here in the foreground), whose every packet must arrive re-protected.
 */
class LoadGenCommandTest {

    private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        return new LoadGenCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(List.of(args));
    }

    @Test
    void badUsageSaysWhatIsWrongAndSetsNothingUp() {
        String[][] cases = {
            {"--target", "nothing"},
            {"--target", "rtpengine"},
            {"--target", "isg", "--api", "http://127.0.0.1:1"},
            {"--target", "rtpengine", "--ng", "127.0.0.1:2223", "--streams", "0"},
            {"--target", "rtpengine", "--ng", "127.0.0.1:2223", "--streams", "many"},
            {"--target", "rtpengine", "--ng", "127.0.0.1:2223", "--rate", "5000"},
            {"--target", "rtpengine", "--ng", "127.0.0.1:2223", "--gateway-pid", "999999999"},
            {"--target", "rtpengine", "--ng"},
            {"--streams", "3", "--colour", "blue"},
            {"--target", "rtpengine", "--ng", "127.0.0.1:abc"},
            {"--target", "rtpengine", "--ng", "127.0.0.1:70000"},
            {"--target", "rtpengine", "--ng", "2223"},
            {"--target", "isg", "--api", "::bad", "--token-file", "/nonexistent", "--keystore", "k", "--passphrase-file", "p",
                "--master", "m"},
            {"--target", "isg", "--api", "http://127.0.0.1:1", "--token-file", "/nonexistent/token", "--keystore", "k",
                "--passphrase-file", "p", "--master", "m"},
        };
        for (String[] c : cases) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(64, run(out, err, c), String.join(" ", c));
            assertEquals("", out.toString(StandardCharsets.UTF_8), String.join(" ", c));
            assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("isg loadgen: "), err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aGatewayThatDoesNotAnswerIsNamed() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int port = isg.demo.Lab.freeUdpPort();
        assertEquals(69, run(out, err, "--target", "rtpengine", "--ng", "127.0.0.1:" + port, "--streams", "1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no answer to offer from /127.0.0.1:" + port),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void throughRtpengineEveryPacketArrivesReprotected() throws Exception {
        int ng = isg.demo.Lab.freeUdpPort();
        int base = 20_000 + 2 * java.util.concurrent.ThreadLocalRandom.current().nextInt(5_000);
        Process rtpengine = new ProcessBuilder("rtpengine", "--foreground", "--table=-1", "--interface=127.0.0.4",
                "--listen-ng=127.0.0.1:" + ng, "--num-threads=1", "--port-min=" + base, "--port-max=" + (base + 99),
                "--log-stderr", "--log-level=4").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = -1;
            // rtpengine answers once it has bound its control port: until then the offer goes unanswered
            for (int attempt = 0; attempt < 20 && rc != 0; attempt++) {
                out.reset();
                err.reset();
                rc = run(out, err, "--target", "rtpengine", "--ng", "127.0.0.1:" + ng, "--streams", "5", "--seconds", "1",
                        "--warmup", "0.2", "--bind", "127.0.0.2", "--gateway-pid", Long.toString(rtpengine.pid()));
                if (rc != 69) {
                    break;
                }
            }
            String line = out.toString(StandardCharsets.UTF_8).trim();
            assertEquals(0, rc, line + "\n" + err.toString(StandardCharsets.UTF_8));
            assertTrue(line.matches("BENCH relay gw=rtpengine streams=5 offered_pps=\\d+ delivered_pps=\\d+ loss=0\\.\\d{4} "
                    + "late=0\\.\\d{4} p50_us=\\d+ p99_us=\\d+ p999_us=\\d+ cpu_us_per_pkt=[\\d.]+ rss_kb=[1-9]\\d* dup=0 "
                    + "reordered=\\d+ bad=0 not_reprotected=0 generator=(kept-up|behind) gen_late=[01]\\.\\d{4} max_lag_us=\\d+"
                    + " gw_late_drops=n/a rx_time=kernel sink_drops=0"), line);
            Map<String, String> f = RelayVersusBench.fields(line);
            // 5 streams at 50 packets/s for a second: about 250 sent, and on loopback every one arrives
            assertTrue(Integer.parseInt(f.get("offered_pps")) >= 200, line);
            assertEquals(f.get("offered_pps"), f.get("delivered_pps"), line);
        } finally {
            rtpengine.destroy();
            rtpengine.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
