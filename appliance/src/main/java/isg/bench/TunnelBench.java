package isg.bench;

import isg.channel.CertificateRequests;
import isg.channel.ChannelConfig;
import isg.channel.ChannelService;
import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.Pkcs11Config;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftVault;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The channel between gateways against stunnel4 doing the same job with file keys, in one run:
 *
 * <pre>
 * BENCH tunnel handshakes_per_s isg-soft|isg-pkcs11|stunnel N
 *     full mutual TLS 1.3 handshakes (P-256, TLS_AES_128_GCM_SHA256), one client after another:
 *     OpenSSL's s_time (-new, with a client certificate) against the gateway's listener with
 *     its identity key in the software token, in SoftHSM2, and against stunnel's server
 * BENCH tunnel throughput_MBps isg|stunnel N
 *     one TCP stream of 64 KiB writes through a pair (ISG: service -> TLS -> export; stunnel:
 *     client -> TLS -> server) into a sink that counts, on loopback
 * BENCH-RATIO tunnel handshakes isg-soft/stunnel R, isg-pkcs11/stunnel R; throughput isg/stunnel R
 * BENCH kms_proxy requests_per_s gateways|direct N, latency_ms gateways|direct p50 X p99 Y, added_p99_ms Z
 *     KMS keyprov requests (8 closed-loop clients, HTTPS to the proxy) through home's KMS proxy, the channel and
 *     the partner's gateway to a KMS, both gateways deciding and auditing policy, beside the same
 *     requests straight to the KMS
 * </pre>
 */
public final class TunnelBench {

    private static final Pattern S_TIME = Pattern.compile("(\\d+) connections in [\\d.]+s;");

    private TunnelBench() {
    }

    /** Runs in a child JVM (SoftHSM2 needs its configuration before the module loads). */
    public static List<String> run(double seconds) throws IOException {
        return SoftHsmChild.run(TunnelBench.class, List.of(Double.toString(seconds)), "isg-tunnel-bench");
    }

    /** Child: {@code seconds dir}. */
    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        Path dir = Path.of(args[1]);
        Pki pki = new Pki(dir);
        pki.fileIdentity("client", "isg:client");
        pki.fileIdentity("server", "isg:server");
        try (KeyVault soft = SoftVault.open(dir.resolve("soft.bcfks"), "bench passphrase".toCharArray(), true,
                AuditLog.inMemory());
                KeyVault hsm = Pkcs11Vault.open(new Pkcs11Config(Path.of(SoftHsmChild.MODULE), SoftHsmChild.LABEL,
                        dir.resolve("pin")), AuditLog.inMemory())) {
            pki.vaultIdentity(soft, "home-tls", "isg:home");
            pki.vaultIdentity(hsm, "partner-tls", "isg:partner");
            if ("kms".equals(System.getProperty("isg.bench.tunnel"))) { // the KMS proxy alone
                kmsProxy(dir, soft, hsm, seconds);
                return;
            }
            if ("throughput".equals(System.getProperty("isg.bench.tunnel"))) { // profiling the data path alone
                System.out.printf("BENCH tunnel throughput_MBps isg %.1f%n", isgThroughput(dir, soft, hsm, seconds));
                return;
            }
            int sTime = (int) Math.max(1, Math.round(seconds));
            double isgSoft;
            double isgHsm;
            double stunnel;
            try (ChannelService a = serverOn(soft, "home-tls", dir); ChannelService b = serverOn(hsm, "partner-tls", dir);
                    Stunnel s = Stunnel.server(dir, free(), free())) {
                // warm-up first (the JIT, each vault's first use), so that the order of measuring does not matter
                for (int port : new int[] {a.outsideAddress().getPort(), b.outsideAddress().getPort(), s.accept}) {
                    sTime(dir, port, seconds < 1 ? 1 : 2);
                }
                isgSoft = sTime(dir, a.outsideAddress().getPort(), sTime);
                isgHsm = sTime(dir, b.outsideAddress().getPort(), sTime);
                stunnel = sTime(dir, s.accept, sTime);
            }
            System.out.printf("BENCH tunnel handshakes_per_s isg-soft %.0f%n", isgSoft);
            System.out.printf("BENCH tunnel handshakes_per_s isg-pkcs11 %.0f%n", isgHsm);
            System.out.printf("BENCH tunnel handshakes_per_s stunnel %.0f%n", stunnel);
            double isgMBps = isgThroughput(dir, soft, hsm, seconds);
            double stMBps = stunnelThroughput(dir, seconds);
            System.out.printf("BENCH tunnel throughput_MBps isg %.1f%n", isgMBps);
            System.out.printf("BENCH tunnel throughput_MBps stunnel %.1f%n", stMBps);
            System.out.printf("BENCH-RATIO tunnel handshakes isg-soft/stunnel %.2f%n", isgSoft / stunnel);
            System.out.printf("BENCH-RATIO tunnel handshakes isg-pkcs11/stunnel %.2f%n", isgHsm / stunnel);
            System.out.printf("BENCH-RATIO tunnel throughput isg/stunnel %.2f%n", isgMBps / stMBps);
            kmsProxy(dir, soft, hsm, seconds);
        }
    }

    // ---- the KMS proxy ----

    /**
     * KMS keyprov requests through two gateways (policy decided and audited on both, over the
     * channel) against the same requests sent straight to the KMS, by the same closed-loop
     * clients: requests per second, and p50/p99 latency with the latency the gateways add.
     */
    private static void kmsProxy(Path dir, KeyVault homeVault, KeyVault partnerVault, double seconds) throws Exception {
        byte[] answer = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
                + "Version=\"1.1.0\"><UserUri>sip:officer@police.example</UserUri><KmsUri>kms.fire.example</KmsUri>"
                + "<Time>2026-12-01T00:00:00</Time><ClientReqUrl>https://kms.fire.example/keymanagement/identity/v1/keyprov"
                + "</ClientReqUrl><KmsMessage><KmsKeyProv><KmsKeySet><UserDecryptKey>" + "04" + "ab".repeat(128)
                + "</UserDecryptKey><UserSigningKeySSK>" + "cd".repeat(32) + "</UserSigningKeySSK><UserPubTokenPVT>04"
                + "ef".repeat(64) + "</UserPubTokenPVT></KmsKeySet></KmsKeyProv></KmsMessage></KmsResponse>")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        // the JDK's server writes headers and body apart: without TCP_NODELAY each answer waits out
        // the client's delayed ACK (40 ms), which would measure the kernel, not the KMS or the gateways
        System.setProperty("sun.net.httpserver.nodelay", "true");
        com.sun.net.httpserver.HttpServer kms = com.sun.net.httpserver.HttpServer.create(loop(0), 64);
        kms.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4));
        kms.createContext("/keymanagement/identity/v1/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().set("Content-Type", "application/xml");
            ex.sendResponseHeaders(200, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        kms.start();
        int partnerPort = free();
        ChannelConfig.Partner toPartner = new ChannelConfig.Partner("partner", loop(partnerPort), 1,
                List.of(dir.resolve("ca.pem")), List.of(), "uri:isg:partner", null, false, 16, Map.of(), Map.of());
        ChannelConfig.Partner fromHome = new ChannelConfig.Partner("home", null, 1, List.of(dir.resolve("ca.pem")),
                List.of(), "uri:isg:home", null, false, 16, Map.of(), Map.of());
        isg.policy.Policy homeRules = new isg.policy.Policy(List.of(new isg.policy.Policy.Rule("out", true,
                isg.policy.Policy.Direction.OUTBOUND, "partner", java.util.Set.of(isg.policy.Policy.Action.KEY_MATERIAL),
                "sip:*@police.example", "kms.fire.example")));
        isg.policy.Policy partnerRules = new isg.policy.Policy(List.of(new isg.policy.Policy.Rule("in", true,
                isg.policy.Policy.Direction.INBOUND, "home", java.util.Set.of(isg.policy.Policy.Action.KEY_MATERIAL),
                "sip:*@police.example", "kms.fire.example")));
        try (AuditLog homeAudit = new AuditLog(dir.resolve("home-audit.jsonl"));
                AuditLog partnerAudit = new AuditLog(dir.resolve("partner-audit.jsonl"));
                isg.policy.PolicyPoint homePolicy = new isg.policy.PolicyPoint(homeRules, homeAudit);
                isg.policy.PolicyPoint partnerPolicy = new isg.policy.PolicyPoint(partnerRules, partnerAudit);
                ChannelService partner = ChannelService.start(new ChannelConfig(loop(partnerPort),
                        "pkcs11:object=partner-tls", "pkcs11:object=partner-tls-cert", null, Duration.ofSeconds(10),
                        Duration.ofSeconds(30), 0, 16, 16, 1, Map.of("home", fromHome)), partnerVault, "partner",
                        Clock.systemUTC(), null, ChannelService.Alarms.NONE);
                ChannelService home = ChannelService.start(new ChannelConfig(null, "pkcs11:object=home-tls",
                        "pkcs11:object=home-tls-cert", null, Duration.ofSeconds(10), Duration.ofSeconds(30), 0, 16,
                        16, 1, Map.of("partner", toPartner)), homeVault, "home", Clock.systemUTC(), null,
                        ChannelService.Alarms.NONE);
                isg.kms.KmsProxy homeProxy = isg.kms.KmsProxy.start(new isg.kms.KmsProxy.Config(loop(0),
                        Map.of("partner", List.of("kms.fire.example")), java.util.Set.of(), null, "isg:home",
                        Duration.ofSeconds(5), !"http".equals(System.getProperty("isg.bench.kms"))), home, homePolicy,
                        Clock.systemUTC());
                isg.kms.KmsProxy partnerProxy = isg.kms.KmsProxy.start(new isg.kms.KmsProxy.Config(null, Map.of(),
                        java.util.Set.of("kms.fire.example"), java.net.URI.create("http://127.0.0.1:"
                        + kms.getAddress().getPort()), "isg:partner", Duration.ofSeconds(5)), partner, partnerPolicy,
                        Clock.systemUTC())) {
            long end = System.nanoTime() + 20_000_000_000L;
            while (!home.partnerUp("partner")) {
                if (System.nanoTime() > end) {
                    throw new IOException("the benchmark's channel did not come up: " + home.statusJson());
                }
                Thread.sleep(20);
            }
            // the proxy as deployed: HTTPS (TLS 1.3, the gateway's key in its vault), kept-alive connections
            String via = (homeProxy.address() != null && "http".equals(System.getProperty("isg.bench.kms")) ? "http" : "https")
                    + "://127.0.0.1:" + homeProxy.address().getPort() + "/keymanagement/identity/v1/keyprov";
            String direct = "http://127.0.0.1:" + kms.getAddress().getPort() + "/keymanagement/identity/v1/keyprov";
            javax.net.ssl.SSLSocketFactory tls = trusting(dir.resolve("ca.pem"));
            int clients = Integer.getInteger("isg.bench.kms.clients", 8);
            keyprov(via, tls, clients, warmUp(seconds));
            keyprov(direct, null, clients, warmUp(seconds));
            long[] g = keyprov(via, tls, clients, seconds);
            long[] d = keyprov(direct, null, clients, seconds);
            double gRate = g.length / seconds;
            double dRate = d.length / seconds;
            System.out.printf("BENCH kms_proxy requests_per_s gateways %.0f%n", gRate);
            System.out.printf("BENCH kms_proxy requests_per_s direct %.0f%n", dRate);
            System.out.printf("BENCH kms_proxy latency_ms gateways p50 %.2f p99 %.2f%n", pct(g, 50), pct(g, 99));
            System.out.printf("BENCH kms_proxy latency_ms direct p50 %.2f p99 %.2f%n", pct(d, 50), pct(d, 99));
            System.out.printf("BENCH kms_proxy added_p99_ms %.2f (%d clients, policy on both gateways)%n",
                    pct(g, 99) - pct(d, 99), clients);
            System.out.printf("BENCH-RATIO kms_proxy requests gateways/direct %.2f%n", gRate / dRate);
        } finally {
            kms.stop(0);
            ((java.util.concurrent.ExecutorService) kms.getExecutor()).shutdownNow();
        }
    }

    /** TLS trusting the bench CA; the gateways' certificates name them by SAN URI, which is what is checked. */
    private static javax.net.ssl.SSLSocketFactory trusting(Path ca) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(ca)) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
        c.init(null, tmf.getTrustManagers(), null);
        return c.getSocketFactory();
    }

    private static boolean namesHome(String host, javax.net.ssl.SSLSession session) {
        try {
            return ((java.security.cert.X509Certificate) session.getPeerCertificates()[0]).getSubjectAlternativeNames()
                    .stream().anyMatch(n -> "isg:home".equals(n.get(1)));
        } catch (Exception e) {
            return false;
        }
    }

    /** {@code clients} closed-loop clients posting keyprov requests for {@code seconds}; each request's latency (ns). */
    private static long[] keyprov(String url, javax.net.ssl.SSLSocketFactory tls, int clients, double seconds)
            throws Exception {
        byte[] body = ("<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Version=\"1.1.0\"><UserUri>"
                + "sip:officer@police.example</UserUri><KmsUri>kms.fire.example</KmsUri><Time>2026-12-01T10:00:00</Time>"
                + "<ClientReqUrl>https://kms.fire.example/keymanagement/identity/v1/keyprov</ClientReqUrl></KmsRequest>")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long stop = System.nanoTime() + (long) (seconds * 1e9);
        java.util.List<long[]> all = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                try {
                    while (System.nanoTime() < stop) {
                        long t0 = System.nanoTime();
                        java.net.HttpURLConnection h = (java.net.HttpURLConnection) new java.net.URL(url).openConnection();
                        if (h instanceof javax.net.ssl.HttpsURLConnection s) {
                            s.setSSLSocketFactory(tls);
                            s.setHostnameVerifier(TunnelBench::namesHome);
                        }
                        h.setRequestMethod("POST");
                        h.setDoOutput(true);
                        h.setRequestProperty("Content-Type", "application/xml");
                        h.getOutputStream().write(body);
                        if (h.getResponseCode() != 200) {
                            throw new IOException("HTTP " + h.getResponseCode() + " from " + url);
                        }
                        try (java.io.InputStream in = h.getInputStream()) {
                            in.readAllBytes(); // read to the end: the connection is kept alive for the next request
                        }
                        if (n == lat.length) {
                            lat = java.util.Arrays.copyOf(lat, n * 2);
                        }
                        lat[n++] = System.nanoTime() - t0;
                    }
                } catch (Exception e) {
                    failed.compareAndSet(null, e);
                }
                all.add(java.util.Arrays.copyOf(lat, n));
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        if (failed.get() != null) {
            throw new IOException("KMS proxy benchmark: " + failed.get().getMessage(), failed.get());
        }
        return all.stream().flatMapToLong(java.util.Arrays::stream).sorted().toArray();
    }

    private static double pct(long[] sorted, int p) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p / 100.0))] / 1e6;
    }

    // ---- handshakes ----

    /** A gateway's channel listener with its identity in {@code vault}, accepting the s_time client. */
    private static ChannelService serverOn(KeyVault vault, String label, Path dir) throws Exception {
        ChannelConfig.Partner client = new ChannelConfig.Partner("client", null, 1, List.of(dir.resolve("ca.pem")),
                List.of(), "uri:isg:client", null, false, 16, Map.of(), Map.of());
        ChannelConfig c = new ChannelConfig(loop(free()), "pkcs11:object=" + label, "pkcs11:object=" + label + "-cert",
                null, Duration.ofSeconds(10), Duration.ofSeconds(30), 0, 1024, 1024, 1, Map.of("client", client));
        return ChannelService.start(c, vault, "bench", Clock.systemUTC(), null, ChannelService.Alarms.NONE);
    }

    /** Full handshakes per second of OpenSSL's s_time against a server (client certificate, TLS 1.3). */
    private static double sTime(Path dir, int port, int seconds) throws Exception {
        long t0 = System.nanoTime();
        String out = Pki.run(dir, List.of("openssl", "s_time", "-connect", "127.0.0.1:" + port, "-new", "-time",
                Integer.toString(seconds), "-cert", "client.pem", "-key", "client.key", "-CAfile", "ca.pem"));
        long wall = System.nanoTime() - t0;
        Matcher m = S_TIME.matcher(out);
        if (!m.find()) {
            throw new IOException("s_time printed no count: " + out);
        }
        return Long.parseLong(m.group(1)) * 1e9 / wall;
    }

    // ---- throughput ----

    private static double isgThroughput(Path dir, KeyVault homeVault, KeyVault partnerVault, double seconds)
            throws Exception {
        try (Sink sink = new Sink()) {
            int partnerPort = free();
            int servicePort = free();
            ChannelConfig.Partner toPartner = new ChannelConfig.Partner("partner", loop(partnerPort), 1,
                    List.of(dir.resolve("ca.pem")), List.of(), "uri:isg:partner", null, false, 16,
                    Map.of("bulk", new ChannelConfig.Service("bulk", loop(servicePort), 4, Duration.ofMinutes(5))),
                    Map.of());
            ChannelConfig.Partner fromHome = new ChannelConfig.Partner("home", null, 1, List.of(dir.resolve("ca.pem")),
                    List.of(), "uri:isg:home", null, false, 16, Map.of(),
                    Map.of("bulk", new ChannelConfig.Export("bulk", loop(sink.port()), 4, Duration.ofMinutes(5))));
            try (ChannelService partner = ChannelService.start(new ChannelConfig(loop(partnerPort),
                    "pkcs11:object=partner-tls", "pkcs11:object=partner-tls-cert", null, Duration.ofSeconds(10),
                    Duration.ofSeconds(30), 0, 16, 16, 1, Map.of("home", fromHome)), partnerVault, "partner",
                    Clock.systemUTC(), null, ChannelService.Alarms.NONE);
                    ChannelService home = ChannelService.start(new ChannelConfig(null, "pkcs11:object=home-tls",
                            "pkcs11:object=home-tls-cert", null, Duration.ofSeconds(10), Duration.ofSeconds(30), 0, 16,
                            16, 1, Map.of("partner", toPartner)), homeVault, "home", Clock.systemUTC(), null,
                            ChannelService.Alarms.NONE)) {
                long end = System.nanoTime() + 20_000_000_000L;
                while (!home.partnerUp("partner")) {
                    if (System.nanoTime() > end) {
                        throw new IOException("the benchmark's channel did not come up: " + home.statusJson());
                    }
                    Thread.sleep(20);
                }
                try {
                    push(servicePort, warmUp(seconds)); // warm-up
                    sink.reset();
                    push(servicePort, seconds);
                } catch (IOException e) {
                    throw new IOException("pushing through the channel: " + e.getMessage() + "; home: " + home.statusJson()
                            + "; partner: " + partner.statusJson(), e);
                }
                return sink.megabytesPerSecond();
            }
        }
    }

    private static double stunnelThroughput(Path dir, double seconds) throws Exception {
        try (Sink sink = new Sink()) {
            int serverPort = free();
            try (Stunnel server = Stunnel.server(dir, serverPort, sink.port());
                    Stunnel client = Stunnel.client(dir, free(), serverPort)) {
                push(client.accept, warmUp(seconds));
                sink.reset();
                push(client.accept, seconds);
                return sink.megabytesPerSecond();
            }
        }
    }

    /**
     * Seconds of traffic before a throughput measurement: the JIT compiles the record path first
     * (a 1 s warm-up left ISG at 60% of what it reaches after 3 s). A smoke run stays short.
     */
    private static double warmUp(double seconds) {
        return seconds < 1 ? seconds / 2 : 3;
    }

    /** Writes 64 KiB chunks to {@code port} for {@code seconds}, then closes and waits for the sink. */
    private static void push(int port, double seconds) throws Exception {
        byte[] chunk = new byte[64 * 1024];
        new java.util.Random(1).nextBytes(chunk); // incompressible; nothing secret
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            long end = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                out.write(chunk);
            }
            s.shutdownOutput();
            s.setSoTimeout(30000);
            try {
                s.getInputStream().read(); // the far end's half-close: everything has been delivered
            } catch (IOException e) {
                // a relay that answers a half-close with a reset: delivered all the same
            }
        }
    }

    /** Accepts connections and counts what arrives; measures from the first to the last octet. */
    private static final class Sink implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final Thread thread;
        private volatile long bytes;
        private volatile long first;
        private volatile long last;

        Sink() throws IOException {
            thread = new Thread(() -> {
                byte[] buf = new byte[256 * 1024];
                while (!server.isClosed()) {
                    try (Socket c = server.accept()) {
                        InputStream in = c.getInputStream();
                        for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                            long now = System.nanoTime();
                            if (first == 0) {
                                first = now;
                            }
                            last = now;
                            bytes += n;
                        }
                        c.shutdownOutput();
                    } catch (IOException e) {
                        // closed
                    }
                }
            }, "bench-sink");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void reset() {
            bytes = 0;
            first = 0;
            last = 0;
        }

        double megabytesPerSecond() {
            return bytes / ((last - first) / 1e9) / 1e6;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** stunnel4 as a server (TLS in, plain out) or a client (plain in, TLS out), file keys, TLS 1.3 only. */
    private static final class Stunnel implements AutoCloseable {
        final int accept;
        private final Process process;

        private Stunnel(Path dir, String name, int accept, int connect, boolean client) throws Exception {
            this.accept = accept;
            String who = client ? "client" : "server";
            Path conf = dir.resolve("stunnel-" + name + ".conf");
            Files.writeString(conf, String.join("\n", "foreground = yes", "pid =", "debug = 3", "[" + name + "]",
                    client ? "client = yes" : "requireCert = yes", "accept = 127.0.0.1:" + accept,
                    "connect = 127.0.0.1:" + connect, "cert = " + dir.resolve(who + ".pem"),
                    "key = " + dir.resolve(who + ".key"), "CAfile = " + dir.resolve("ca.pem"), "verifyChain = yes",
                    "sslVersionMin = TLSv1.3", "ciphersuites = TLS_AES_128_GCM_SHA256", ""));
            try {
                process = new ProcessBuilder("stunnel4", conf.toString()).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("stunnel-" + name + ".log").toFile()).start();
            } catch (IOException e) {
                throw new IOException("cannot run stunnel4 (install it: apt-get install stunnel4)", e);
            }
            long end = System.nanoTime() + 10_000_000_000L;
            while (true) {
                try (Socket probe = new Socket("127.0.0.1", accept)) {
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > end || !process.isAlive()) {
                        throw new IOException("stunnel4 did not start: "
                                + Files.readString(dir.resolve("stunnel-" + name + ".log")));
                    }
                    Thread.sleep(20);
                }
            }
        }

        static Stunnel server(Path dir, int accept, int connect) throws Exception {
            return new Stunnel(dir, "server", accept, connect, false);
        }

        static Stunnel client(Path dir, int accept, int connect) throws Exception {
            return new Stunnel(dir, "client", accept, connect, true);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor(5, TimeUnit.SECONDS);
            process.destroyForcibly();
        }
    }

    /** A CA and certificates made with OpenSSL; vault identities certified from their requests. */
    private static final class Pki {
        private final Path dir;

        Pki(Path dir) throws Exception {
            this.dir = dir;
            run(dir, List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA"));
        }

        void fileIdentity(String name, String sanUri) throws Exception {
            run(dir, List.of("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                    name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, "-addext", "subjectAltName=URI:" + sanUri));
            sign(name);
        }

        void vaultIdentity(KeyVault vault, String label, String sanUri) throws Exception {
            vault.generate(Actor.INTERNAL, NewKey.of(label, KeyPurpose.TLS_IDENTITY, "bench"));
            Files.writeString(dir.resolve(label + ".csr"), CertificateRequests.pkcs10Pem(vault, "pkcs11:object=" + label,
                    "CN=" + label, List.of("uri:" + sanUri)));
            sign(label);
            String pem = Files.readString(dir.resolve(label + ".pem"));
            byte[] der = java.util.Base64.getMimeDecoder().decode(pem.substring(pem.indexOf("-----BEGIN CERTIFICATE-----")
                    + 27, pem.indexOf("-----END CERTIFICATE-----")));
            vault.importCertificate(Actor.INTERNAL, NewKey.of(label + "-cert", KeyPurpose.TLS_CERTIFICATE, "bench"), der);
        }

        private void sign(String name) throws Exception {
            run(dir, List.of("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-copy_extensions", "copy", "-days", "2", "-out", name + ".pem"));
        }

        static String run(Path dir, List<String> cmd) throws Exception {
            Process p = new ProcessBuilder(new ArrayList<>(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
            return out;
        }
    }

    private static InetSocketAddress loop(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private static int free() {
        return isg.demo.Lab.freeTcpPort();
    }
}
