package isg.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's TLS against peers nobody here wrote: OpenSSL 3's {@code s_client} and
 * {@code s_server} as the partner, with the right certificate and each wrong one, with TLS 1.2,
 * with signature algorithms and groups the gateway does not take; and mutated handshakes.
 * Every refusal is counted under its own reason, and the gateway keeps serving.
 */
class ChannelTlsInteropTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    ChannelPki pki;
    KeyVault vault;
    ChannelService home;
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void pki() throws Exception {
        pki = new ChannelPki(dir).ca("home-ca").ca("partner-ca").ca("other-ca");
        vault = SoftVault.open(dir.resolve("home.bcfks"), "pass".toCharArray(), true, AuditLog.inMemory());
        pki.gateway(vault, "home-tls", "home-ca", "isg:home");
        pki.peer("good", "partner-ca", "isg:partner");
        pki.peer("good2", "partner-ca", "isg:partner");
        pki.peer("other", "other-ca", "isg:partner");
        pki.peer("wrongid", "partner-ca", "isg:somebody-else");
        pki.peer("expired", "partner-ca", "isg:partner", false, "20200101000000Z", "20200201000000Z");
        pki.peer("revoked", "partner-ca", "isg:partner");
        pki.revoke("partner-ca", "revoked.pem");
    }

    @AfterEach
    void stop() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        if (home != null) {
            home.close();
        }
        vault.close();
    }

    /** Home listening for "partner", or dialling it at {@code connectPort} (0: no dialling). */
    private void startHome(int connectPort, byte[] pin, boolean tls12, boolean crl) throws Exception {
        startHome(connectPort, pin, tls12, crl, Map.of());
    }

    private int maxConnections = 64;

    private void startHome(int connectPort, byte[] pin, boolean tls12, boolean crl,
            Map<String, ChannelConfig.Export> exports) throws Exception {
        String pinHex = pin == null ? null : HexFormat.of().formatHex(pin);
        ChannelConfig.Partner p = new ChannelConfig.Partner("partner",
                connectPort == 0 ? null : ChannelPair.loop(connectPort), 1, List.of(pki.path("partner-ca.pem")),
                crl ? List.of(pki.path("partner-ca.crl.pem")) : List.of(), "uri:isg:partner", pinHex, tls12, 100,
                Map.of(), exports);
        ChannelConfig c = new ChannelConfig(ChannelPair.loop(ChannelPair.freePort()), "pkcs11:object=home-tls",
                "pkcs11:object=home-tls-cert", null, Duration.ofSeconds(5), Duration.ofSeconds(1), 7, maxConnections, 16, 1,
                Map.of("partner", p));
        home = ChannelService.start(c, vault, "home", Clock.systemUTC(), AuditLog.inMemory(), ChannelService.Alarms.NONE);
    }

    private JsonNode status() throws IOException {
        return JSON.readTree(home.statusJson());
    }

    private long refused(String reason) throws IOException {
        JsonNode s = status();
        return s.path("refusedUnidentified").path(reason).asLong() + s.path("partners").path("partner").path("refused")
                .path(reason).asLong();
    }

    private void awaitRefused(String reason, long n) throws Exception {
        ChannelPair.await(reason + " counted " + n, 20, () -> {
            try {
                return refused(reason) == n;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Runs s_client against the gateway with {@code args}; returns its output. */
    private String sClient(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect",
                "127.0.0.1:" + home.outsideAddress().getPort(), "-CAfile", "home-ca.pem", "-verify_return_error"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        processes.add(p);
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(20, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void sClientWithThePartnersCertificateCompletesMutualTls13() throws Exception {
        startHome(0, null, false, false);
        String out = sClient("-cert", "good.pem", "-key", "good.key");
        assertTrue(out.contains("Verification: OK"), out);
        assertTrue(out.contains("TLSv1.3"), out);
        assertTrue(out.matches("(?s).*Cipher is TLS_AES_(128_GCM_SHA256|256_GCM_SHA384).*"), out);
        ChannelPair.await("the handshake counted for the partner", 10,
                () -> home.statusJson().contains("\"handshakes\":1"));
        // certificates good for 30 days, a warning 7 days ahead: no expiry alarm
        assertTrue(home.activeAlarms().keySet().stream().noneMatch(a -> a.startsWith("cert-expiry")),
                home.activeAlarms().toString());
    }

    /**
     * OpenSSL as the partner gateway, speaking ISG channel v1 written out by hand from the
     * README: HELLO, OPEN of the "echo" export, DATA, FIN; the gateway answers in kind.
     */
    @Test
    void anOpensslPartnerSpeakingHandWrittenChannelFramesReachesAnExport() throws Exception {
        try (Echo echo = new Echo()) {
            startHome(0, null, false, false, Map.of("echo", new ChannelConfig.Export("echo", echo.address(), 10,
                    Duration.ofMinutes(1))));
            Process p = new ProcessBuilder("openssl", "s_client", "-quiet", "-connect", "127.0.0.1:"
                    + home.outsideAddress().getPort(), "-CAfile", "home-ca.pem", "-verify_return_error", "-cert",
                    "good.pem", "-key", "good.key").directory(dir.toFile())
                    .redirectError(dir.resolve("s_client.err").toFile()).start();
            processes.add(p);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try {
                    p.getInputStream().transferTo(new OutputStream() {
                        @Override
                        public void write(int b) {
                            synchronized (got) {
                                got.write(b);
                            }
                        }
                    });
                } catch (IOException e) {
                    // ended
                }
            });
            reader.start();
            // s_client is connected once the gateway's HELLO has come through it
            ChannelPair.await("the gateway's HELLO through s_client", 20, () -> {
                synchronized (got) {
                    return got.size() >= 18;
                }
            });
            OutputStream out = p.getOutputStream();
            out.write(HexFormat.of().parseHex("01" + "00000000" + "00000d" + "49534743" + "01" + "07"
                    + "706172746e6572" // HELLO from "partner"
                    + "02" + "00000001" + "000009" + "00010000" + "04" + "6563686f")); // OPEN 1, window 64 KiB, "echo"
            out.flush();
            String accept = "03" + "00000001" + "000004" + "00100000"; // ACCEPT 1, window 1 MiB
            try {
                ChannelPair.await("HELLO and ACCEPT from the gateway", 20, () -> {
                    synchronized (got) {
                        return HexFormat.of().formatHex(got.toByteArray()).contains(accept);
                    }
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; s_client said: " + Files.readString(dir.resolve("s_client.err"))
                        + "; got " + HexFormat.of().formatHex(got.toByteArray()) + "; " + home.statusJson(), e);
            }
            out.write(HexFormat.of().parseHex("05" + "00000001" + "000004" + "70696e67" // DATA 1 "ping"
                    + "06" + "00000001" + "000000")); // FIN 1
            out.flush();
            String data = "05" + "00000001" + "000004" + "70696e67";
            String fin = "06" + "00000001" + "000000";
            ChannelPair.await("ACCEPT, the echoed DATA and FIN back from the gateway", 20, () -> {
                synchronized (got) {
                    String h = HexFormat.of().formatHex(got.toByteArray());
                    return h.startsWith("01" + "00000000" + "00000a" + "49534743" + "01" + "04" + "686f6d65")
                            && h.contains(accept) && h.indexOf(data) > h.indexOf(accept) && h.indexOf(fin) > h.indexOf(data);
                }
            });
            assertEquals(4, echo.bytes.get());
            ChannelPair.await("the export's counters", 10, () -> home.statusJson().contains("\"name\":\"echo\","
                    + "\"direction\":\"export\",\"active\":0,\"opened\":1,\"bytesToPartner\":4,\"bytesFromPartner\":4"));
            p.destroy();
        }
    }

    @Test
    void eachWrongCertificateIsRefusedUnderItsOwnReason() throws Exception {
        startHome(0, null, false, true);
        sClient("-cert", "other.pem", "-key", "other.key");
        awaitRefused("unknown-ca", 1);
        sClient("-cert", "wrongid.pem", "-key", "wrongid.key");
        awaitRefused("wrong-identity", 1);
        sClient("-cert", "expired.pem", "-key", "expired.key");
        awaitRefused("expired", 1);
        sClient("-cert", "revoked.pem", "-key", "revoked.key");
        awaitRefused("revoked", 1);
        sClient();
        awaitRefused("no-certificate", 1);
        assertEquals(0, status().path("partners").path("partner").path("handshakes").asLong());
    }

    @Test
    void aPinnedKeyRefusesAnotherKeyFromTheRightCaForTheRightIdentity() throws Exception {
        byte[] pin = PartnerTrust.spkiSha256(PartnerTrust.readCertificates(pki.path("good.pem")).get(0).getPublicKey());
        startHome(0, pin, false, false);
        sClient("-cert", "good2.pem", "-key", "good2.key");
        awaitRefused("pin-mismatch", 1);
        String ok = sClient("-cert", "good.pem", "-key", "good.key");
        assertTrue(ok.contains("Verification: OK"), ok);
        ChannelPair.await("the pinned key is accepted", 10, () -> home.statusJson().contains("\"handshakes\":1"));
    }

    @Test
    void tls12AlgorithmsAndGroupsTheGatewayDoesNotTakeAreRefused() throws Exception {
        startHome(0, null, false, false);
        sClient("-tls1_2", "-cert", "good.pem", "-key", "good.key");
        awaitRefused("tls-version", 1);
        sClient("-sigalgs", "RSA-PSS+SHA256:ECDSA+SHA384", "-cert", "good.pem", "-key", "good.key");
        awaitRefused("no-common-algorithm", 1);
        sClient("-groups", "X25519", "-cert", "good.pem", "-key", "good.key");
        awaitRefused("no-common-algorithm", 2);
        assertEquals(0, status().path("partners").path("partner").path("handshakes").asLong());
    }

    @Test
    void aPartnerConfiguredForTls12GetsTls12WithAnAeadSuite() throws Exception {
        startHome(0, null, true, false);
        String out = sClient("-tls1_2", "-cert", "good.pem", "-key", "good.key");
        assertTrue(out.contains("Protocol  : TLSv1.2") || out.contains("TLSv1.2"), out);
        assertTrue(out.matches("(?s).*Cipher is ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384).*"), out);
        ChannelPair.await("the TLS 1.2 handshake counted", 10, () -> home.statusJson().contains("\"handshakes\":1"));
    }

    /** s_server as the partner, the gateway dialling it; returns s_server's output once it has ended. */
    private String withSServer(String cert, String... extra) throws Exception {
        int port = ChannelPair.freePort();
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert",
                cert + ".pem", "-key", cert + ".key", "-CAfile", "home-ca.pem", "-Verify", "2", "-verify_return_error",
                "-naccept", "1"));
        cmd.addAll(List.of(extra));
        // s_server writes to a file (line-buffered by coreutils' stdbuf): nothing depends on pipe timing
        Path log = Files.createTempFile(dir, "s_server", ".log");
        List<String> buffered = new ArrayList<>(List.of("stdbuf", "-oL", "-eL"));
        buffered.addAll(cmd);
        Process p = new ProcessBuilder(buffered).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        processes.add(p);
        ChannelPair.await("s_server listening", 20, () -> {
            try {
                return Files.readString(log).contains("ACCEPT");
            } catch (IOException e) {
                return false;
            }
        });
        startHome(port, null, false, false);
        p.waitFor(15, TimeUnit.SECONDS);
        p.destroy();
        p.waitFor(5, TimeUnit.SECONDS);
        return Files.readString(log);
    }

    @Test
    void theGatewayDiallingSServerAuthenticatesItAndIsAuthenticatedByIt() throws Exception {
        String out = withSServer("good");
        assertTrue(out.contains("CIPHER is TLS_AES_128_GCM_SHA256") || out.contains("CIPHER is TLS_AES_256_GCM_SHA384"),
                out);
        assertTrue(out.contains("subject=CN = home-tls"), "s_server saw and verified the gateway's certificate: " + out);
        ChannelPair.await("the handshake counted", 10, () -> home.statusJson().contains("\"handshakes\":1"));
        // s_server speaks no ISG channel: no HELLO, so the partner never comes up
        assertTrue(!home.partnerUp("partner"));
    }

    @Test
    void theGatewayDiallingAWrongSServerRefusesIt() throws Exception {
        withSServer("other");
        awaitRefused("unknown-ca", 1);
        home.close();
        home = null;
        withSServer("wrongid");
        awaitRefused("wrong-identity", 1);
        home.close();
        home = null;
        withSServer("good", "-tls1_2");
        awaitRefused("tls-version", 1);
    }

    @Test
    void garbageTruncatedAndMutatedHandshakesAreRefusedAndTheGatewayKeepsServing() throws Exception {
        startHome(0, null, false, false);
        byte[] hello = captureClientHello();
        Random r = new Random(7);
        int port = home.outsideAddress().getPort();
        int attempts = 200;
        for (int i = 0; i < attempts; i++) {
            byte[] m;
            switch (i % 4) {
                case 0 -> {
                    m = new byte[1 + r.nextInt(2000)];
                    r.nextBytes(m);
                }
                case 1 -> m = java.util.Arrays.copyOf(hello, 1 + r.nextInt(hello.length - 1));
                default -> {
                    m = hello.clone();
                    for (int k = 0; k < 1 + r.nextInt(4); k++) {
                        m[r.nextInt(m.length)] ^= (byte) (1 + r.nextInt(255));
                    }
                }
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(10000);
                s.getOutputStream().write(m);
                s.shutdownOutput(); // a truncated handshake ends here instead of waiting for the timeout
                s.getInputStream().readAllBytes();
            } catch (IOException e) {
                // reset by the gateway: fine
            }
        }
        ChannelPair.await("every attempt accounted for", 30, () -> {
            try {
                long n = 0;
                for (JsonNode v : status().path("refusedUnidentified")) {
                    n += v.asLong();
                }
                return n == attempts;
            } catch (IOException e) {
                return false;
            }
        });
        // a refusal is counted before its connection's close completes: wait for the close, do not race it
        ChannelPair.await("no connection left behind", 10, () -> {
            try {
                return status().path("connections").asInt() == 0;
            } catch (IOException e) {
                return false;
            }
        });
        String ok = sClient("-cert", "good.pem", "-key", "good.key");
        assertTrue(ok.contains("Verification: OK"), "still serving: " + ok);
    }

    @Test
    void peersThatConnectAndStallCannotTakeMoreThanTheConnectionLimit() throws Exception {
        maxConnections = 4;
        startHome(0, null, false, false);
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                stalled.add(new Socket("127.0.0.1", home.outsideAddress().getPort()));
            }
            ChannelPair.await("four connections held", 10, () -> {
                try {
                    return status().path("connections").asInt() == 4;
                } catch (IOException e) {
                    return false;
                }
            });
            try (Socket fifth = new Socket("127.0.0.1", home.outsideAddress().getPort())) {
                fifth.setSoTimeout(10000);
                assertEquals(-1, fifth.getInputStream().read(), "the fifth is closed at once");
            }
            awaitRefused("limit", 1);
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
        // the stalled ones gave their places back: a real partner gets in
        ChannelPair.await("connections released", 10, () -> {
            try {
                return status().path("connections").asInt() == 0;
            } catch (IOException e) {
                return false;
            }
        });
        String ok = sClient("-cert", "good.pem", "-key", "good.key");
        assertTrue(ok.contains("Verification: OK"), ok);
    }

    @Test
    void aStalledHandshakeEndsAtItsTimeout() throws Exception {
        startHome(0, null, false, false);
        byte[] hello = captureClientHello();
        try (Socket s = new Socket("127.0.0.1", home.outsideAddress().getPort())) {
            s.getOutputStream().write(hello, 0, hello.length / 2);
            s.setSoTimeout(10000);
            assertEquals(-1, s.getInputStream().read(), "closed by the gateway");
        }
        awaitRefused("handshake-timeout", 1);
    }

    /** The first flight of OpenSSL's s_client (a real ClientHello), captured on a plain socket. */
    private byte[] captureClientHello() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + ss.getLocalPort(),
                    "-cert", "good.pem", "-key", "good.key").directory(dir.toFile()).redirectErrorStream(true).start();
            processes.add(p);
            try (Socket s = ss.accept()) {
                s.setSoTimeout(10000);
                InputStream in = s.getInputStream();
                byte[] header = in.readNBytes(5);
                int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                byte[] body = in.readNBytes(length);
                byte[] all = new byte[5 + length];
                System.arraycopy(header, 0, all, 0, 5);
                System.arraycopy(body, 0, all, 5, length);
                assertEquals(0x16, all[0], "a handshake record: " + HexFormat.of().formatHex(header));
                return all;
            } finally {
                p.destroyForcibly();
            }
        }
    }
}
