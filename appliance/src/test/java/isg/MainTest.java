package isg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.crypto.AesCtr;
import isg.srtp.crypto.AesGcm;
import isg.srtp.crypto.CryptoBackend;
import isg.srtp.crypto.HmacSha1;
import isg.srtp.crypto.JdkBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void selftestPassesOnBothBackendsAndSaysWhichGhash() {
        assertEquals(0, run("selftest"));
        assertTrue(out().contains("self-test jdk: passed"), out());
        assertTrue(out().contains("self-test fips: passed"), out());
        assertTrue(out().contains("RFC 7714 16.1"), out());
        assertTrue(out().contains("jdk backend GHASH: "), out());
        // this Linux receives through Netty's epoll: the probe must not send it to NIO
        assertTrue(out().contains("relay transport (auto): epoll"), out());
        // the tests run with the start script's flags: the kernel's arrival stamps can be read
        assertTrue(out().contains("relay arrival stamps (LATE): available"), out());
    }

    @Test
    void theDemoStreamsBothWaysThroughTwoGatewaysAndShowsDrops() {
        assertEquals(0, run("demo", "--seconds", "3"), err());
        String o = out();
        assertTrue(o.contains("[  1s] sessions home=2 partner=2"), o);
        assertTrue(o.contains("front panels: home [RUN ●] [IN ●] [OUT ●] [HSM ●] [ALARM ○]"), o);
        // (the demo's endpoints share this JVM and its two cores with both gateways: while they start,
        // an event loop can wait its turn longer than the 60 ms bound, and what waited is LATE)
        assertTrue(o.matches("(?s).*drops home \\{AUTH=1 REPLAY=1( LATE=\\d+)?\\}.*"),
                "the staged forgery and replay are dropped and counted: " + o);
        assertTrue(o.matches("(?s).*demo done: [1-9]\\d* packets sent by the MC endpoints, [1-9]\\d* arrived authentic "
                + "and intact, 0 bad.*"), o);
        assertEquals(Main.EXIT_USAGE, run("demo", "--seconds", "x"));
    }

    @Test
    void theDemoShowsTheTamperPathWhenAskedTo() {
        assertEquals(0, run("demo", "--seconds", "4", "--tamper-after", "2"), err());
        String o = out();
        assertTrue(o.contains("home: tamper loop opened -> 2 sessions' keys wiped, vault zeroised, ALARM on"), o);
        String[] lines = o.split("\n");
        String lastPanel = java.util.Arrays.stream(lines).filter(l -> l.contains("front panels:")).reduce((a, b) -> b)
                .orElse("");
        assertTrue(lastPanel.matches(".*home \\[RUN .\\] \\[IN .\\] \\[OUT .\\] \\[HSM ○\\] \\[ALARM ●\\]"
                + "   partner .*\\[HSM ●\\] \\[ALARM ○\\]"), lastPanel);
        assertEquals(Main.EXIT_USAGE, run("demo", "--tamper-after", "soon"));
    }

    @Test
    void helpAndBadUsage() {
        assertEquals(0, run("help"));
        assertTrue(out().contains("usage: isg"));
        assertEquals(Main.EXIT_USAGE, run("frobnicate"));
        assertTrue(err().contains("unknown command 'frobnicate'"), err());
        assertEquals(Main.EXIT_USAGE, run("bench", "--fast"));
        assertTrue(err().contains("unknown option '--fast'"), err());
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    /** isg run with a backend that fails its vectors: nothing runs, the front panel says so. */
    @Test
    void aFailedSelfTestUnderRunShowsOnTheFrontPanelAndStops() throws Exception {
        java.nio.file.Path cfg = dir.resolve("isg.yaml");
        java.nio.file.Files.writeString(cfg, "gateway: {id: home}\nvault: {kind: soft, keystore: k.bcfks, passphraseFile: p}\n"
                + "inside: {address: 127.0.0.1, ports: 37000-37019}\noutside: {address: 127.0.0.1, ports: 37100-37119}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: t}\nboard: {kind: simulated}\n");
        java.util.function.Function<String, CryptoBackend> real = Main.backends;
        System.setProperty("isg.selftest.holdSeconds", "0");
        Main.backends = name -> broken();
        try {
            assertEquals(Main.EXIT_SELFTEST, run("run", "--config", cfg.toString()));
        } finally {
            Main.backends = real;
            System.clearProperty("isg.selftest.holdSeconds");
        }
        assertTrue(out().contains("[RUN ◑]") && out().contains("[ALARM ●]"), out());
        assertTrue(err().contains("FAILED: RFC 2202"), err());
    }

    /**
     * isg run proves the backend that will forward, the one the configuration names, before anything
     * starts; a configuration it cannot read stops it before any self-test (exit 78).
     */
    @Test
    void runTestsTheConfiguredBackend() throws Exception {
        String common = "gateway: {id: home}\nvault: {kind: soft, keystore: k.bcfks, passphraseFile: p}\n"
                + "inside: {address: 127.0.0.1, ports: 37000-37019}\noutside: {address: 127.0.0.1, ports: 37100-37119}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: t}\nboard: {kind: simulated}\n";
        java.util.function.Function<String, CryptoBackend> real = Main.backends;
        List<String> asked = new java.util.ArrayList<>();
        System.setProperty("isg.selftest.holdSeconds", "0");
        Main.backends = name -> {
            asked.add(name);
            return broken();
        };
        try {
            java.nio.file.Path cfg = dir.resolve("isg.yaml");
            java.nio.file.Files.writeString(cfg, common);
            assertEquals(Main.EXIT_SELFTEST, run("run", "--config", cfg.toString()));
            assertEquals(List.of("jdk"), asked);
            java.nio.file.Files.writeString(cfg, common + "crypto: {backend: fips}\n");
            assertEquals(Main.EXIT_SELFTEST, run("run", "--config", cfg.toString()));
            assertEquals(List.of("jdk", "fips"), asked);
            java.nio.file.Files.writeString(cfg, common + "crypto: {backend: none}\n");
            assertEquals(78, run("run", "--config", cfg.toString()));
            assertEquals(List.of("jdk", "fips"), asked, "no self-test for a configuration that cannot run");
            assertTrue(err().contains("crypto.backend"), err());
        } finally {
            Main.backends = real;
            System.clearProperty("isg.selftest.holdSeconds");
        }
    }

    /** A backend whose HMAC is off by one bit: the box must refuse to start, saying why. */
    @Test
    void aBackendThatFailsItsVectorsStopsTheBox() {
        CryptoBackend broken = broken();
        boolean ok = Main.selfTest(List.of("broken"), n -> broken, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertFalse(ok);
        assertTrue(err().contains("self-test broken FAILED: RFC 2202"), err());
        assertTrue(err().contains("must not forward traffic"), err());
    }

    private static CryptoBackend broken() {
        return new CryptoBackend() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public java.security.SecureRandom random() {
                return JdkBackend.INSTANCE.random();
            }

            @Override
            public AesCtr aesCtr(byte[] key) {
                return JdkBackend.INSTANCE.aesCtr(key);
            }

            @Override
            public HmacSha1 hmacSha1(byte[] key) {
                HmacSha1 real = JdkBackend.INSTANCE.hmacSha1(key);
                return new HmacSha1() {
                    @Override
                    public void update(byte[] data, int off, int len) {
                        real.update(data, off, len);
                    }

                    @Override
                    public void doFinal(byte[] o, int off) {
                        real.doFinal(o, off);
                        o[off + 19] ^= 1;
                    }

                    @Override
                    public void close() {
                        real.close();
                    }
                };
            }

            @Override
            public AesGcm aesGcm(byte[] key) {
                return JdkBackend.INSTANCE.aesGcm(key);
            }
        };
    }
}
