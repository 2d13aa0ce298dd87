package isg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.SecureFiles;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code isg run} as its own process, the way an operator starts it: under nohup (SIGHUP ignored)
 * it does not claim that SIGHUP reloads, survives one, and reloads through its API; under systemd
 * (JOURNAL_STREAM set) every log record is one line with its priority; exit statuses agree.
 */
class RunProcessTest {

    private static final String TOKEN = "control-token-0123456789abcdef";

    @TempDir
    Path dir;

    private ProcessBuilder isg(String shellPrefix, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "isg.Main"));
        cmd.addAll(List.of(args));
        if (shellPrefix == null) {
            return new ProcessBuilder(cmd);
        }
        StringBuilder line = new StringBuilder(shellPrefix).append(" exec");
        for (String c : cmd) {
            line.append(" '").append(c.replace("'", "'\\''")).append('\'');
        }
        return new ProcessBuilder("sh", "-c", line.toString());
    }

    /** Adds each line of {@code in} to {@code lines} on a thread of its own, until the stream ends. */
    private static Thread collect(java.io.InputStream in, java.util.Collection<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        t.start();
        return t;
    }

    private Path config(int base) throws Exception {
        SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        SecureFiles.writeSecret(dir.resolve("token"), TOKEN + "\n");
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, "gateway: {id: home}\nvault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass}\n"
                + "inside: {address: 127.0.0.1, ports: " + base + "-" + (base + 19) + "}\n"
                + "outside: {address: 127.0.0.1, ports: " + (base + 100) + "-" + (base + 119) + "}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n");
        return f;
    }

    @Test
    void underNohupItOffersTheApiReloadAndUnderSystemdItLogsOneLinePerRecord() throws Exception {
        Path f = config(36800);
        ProcessBuilder pb = isg("trap '' HUP;", "run", "--config", f.toString());
        pb.environment().put("JOURNAL_STREAM", "8:12345");
        Process p = pb.start();
        List<String> errLines = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread errReader = collect(p.getErrorStream(), errLines);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String running = null;
            for (String l; (l = out.readLine()) != null; ) {
                if (l.startsWith("gateway home running")) {
                    running = l;
                    break;
                }
            }
            assertTrue(running != null, "started: " + errLines);
            assertFalse(running.contains("SIGHUP"), running);
            assertTrue(running.contains("POST /reload on the control API (isg reload)"), running);
            int port = Integer.parseInt(running.replaceAll(".*control API on [^:]*:(\\d+);.*", "$1"));
            // a SIGHUP changes nothing: the process is still there and answers
            new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + port + "/reload")).POST(HttpRequest.BodyPublishers.noBody()).header("Authorization", "Bearer "
                    + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(p.isAlive(), "SIGHUP under nohup does not stop the gateway");
            // isg reload does the same from the command line
            Process cli = isg(null, "reload", "--api", "http://127.0.0.1:" + port, "--token-file",
                    dir.resolve("token").toString()).start();
            String said = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, cli.waitFor(), said);
            assertTrue(said.contains("\"reloaded\":true"), said);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            errReader.join(5000);
        }
        assertTrue(errLines.stream().anyMatch(l -> l.contains("SIGHUP is ignored in this process")), errLines.toString());
        List<String> records = errLines.stream().filter(l -> !l.startsWith("SIGHUP is ignored")).toList();
        assertTrue(records.stream().anyMatch(l -> l.startsWith("<6>isg.Gateway: gateway home ready")), records.toString());
        for (String l : records) {
            assertTrue(l.matches("<[3467]>[\\w.$]+: .*"), "a journald record with its priority: '" + l + "'");
        }
    }

    /**
     * Under systemd with Type=notify and WatchdogSec=: READY=1 once it forwards, WATCHDOG=1 at half the
     * interval, STOPPING=1 at SIGTERM. The receiving end is Python's AF_UNIX datagram socket, not ours.
     */
    @Test
    void underSystemdItSaysReadyPingsTheWatchdogAndSaysStopping() throws Exception {
        Path f = config(37000);
        Path sock = dir.resolve("notify");
        Process listener = new ProcessBuilder("python3", "-u", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "s.bind(sys.argv[1])",
                "print('listening', flush=True)",
                "while True:",
                "    m = s.recv(4096).decode()",
                "    print(m.replace('\\n', '|'), flush=True)"), sock.toString()).start();
        java.util.concurrent.BlockingQueue<String> heard = new java.util.concurrent.LinkedBlockingQueue<>();
        collect(listener.getInputStream(), heard);
        java.util.concurrent.Callable<String> next = () -> heard.poll(20, TimeUnit.SECONDS);
        try {
            assertEquals("listening", next.call());
            ProcessBuilder pb = isg(null, "run", "--config", f.toString());
            pb.environment().put("NOTIFY_SOCKET", sock.toString());
            pb.environment().put("WATCHDOG_USEC", "400000");
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            try {
                String ready = next.call();
                assertTrue(ready != null && ready.startsWith("READY=1|STATUS=gateway home running; control API on 127.0.0.1:")
                        && ready.endsWith("|MAINPID=" + p.pid()), ready);
                assertEquals("WATCHDOG=1", next.call());
                long first = System.nanoTime();
                assertEquals("WATCHDOG=1", next.call());
                assertEquals("WATCHDOG=1", next.call());
                long twoIntervals = System.nanoTime() - first;
                assertTrue(twoIntervals < 1_500_000_000L, "pings at half of WatchdogSec=0.4s, two took "
                        + twoIntervals / 1_000_000 + " ms");
            } finally {
                p.destroy();
                assertEquals(143, p.waitFor(), "SIGTERM ends it (the unit counts 143 as success)");
            }
            String l;
            while ("WATCHDOG=1".equals(l = next.call())) {
                // pings sent before the stop
            }
            assertEquals("STOPPING=1", l);
        } finally {
            listener.destroy();
        }
    }

    /**
     * The unit's LoadCredential=isg-hsm-pin: the PIN reaches ISG only through $CREDENTIALS_DIRECTORY
     * (no pinFile in the configuration), and without the credential the start names what is missing.
     */
    @Test
    void theHsmPinComesFromTheSystemdCredential() throws Exception {
        isg.hsm.SoftHsm hsm = isg.hsm.SoftHsm.get();
        SecureFiles.writeSecret(dir.resolve("token"), TOKEN + "\n");
        Path f = dir.resolve("isg.yaml");
        Files.writeString(f, "gateway: {id: home}\nvault: {kind: pkcs11, module: " + isg.hsm.SoftHsm.MODULE + ", token: "
                + isg.hsm.SoftHsm.LABEL + ", audit: audit.jsonl}\n"
                + "inside: {address: 127.0.0.1, ports: 37100-37119}\noutside: {address: 127.0.0.1, ports: 37200-37219}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n");
        Path creds = dir.resolve("credentials");
        Files.createDirectory(creds);
        // as systemd leaves it: read-only for the service's user
        Files.writeString(creds.resolve("isg-hsm-pin"), isg.hsm.SoftHsm.PIN);
        Files.setPosixFilePermissions(creds.resolve("isg-hsm-pin"), java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));

        ProcessBuilder none = isg(null, "run", "--config", f.toString()).redirectErrorStream(true);
        none.environment().put("SOFTHSM2_CONF", System.getenv("SOFTHSM2_CONF"));
        Process p0 = none.start();
        String said = new String(p0.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(69, p0.waitFor(), said);
        assertTrue(said.contains("no PIN given: name a PIN file (vault.pinFile, or --pin-file), or start under systemd "
                + "with LoadCredential=isg-hsm-pin (no $CREDENTIALS_DIRECTORY here)"), said);

        Path classes = dir.resolve("classes.log");
        ProcessBuilder pb = isg(null, "run", "--config", f.toString()).redirectErrorStream(true);
        pb.command().add(1, "-Xlog:class+load=info:file=" + classes);
        pb.environment().put("SOFTHSM2_CONF", System.getenv("SOFTHSM2_CONF"));
        pb.environment().put("CREDENTIALS_DIRECTORY", creds.toString());
        Process p = pb.start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            String running = null;
            for (String l; (l = out.readLine()) != null; ) {
                lines.add(l);
                if (l.startsWith("gateway home running")) {
                    running = l;
                    break;
                }
            }
            assertTrue(running != null, "started with the PIN from the credential: " + lines);
            assertTrue(lines.stream().anyMatch(l -> l.contains("gateway home ready: vault pkcs11")), lines.toString());
            // it forwards with the jdk backend, so that backend is what its self-test proves; with an
            // HSM nothing before the first packet needs the Bouncy Castle FIPS module (seconds of start-up)
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("self-test jdk: passed RFC 2202")), lines.toString());
            assertFalse(lines.stream().anyMatch(l -> l.contains("self-test fips")), lines.toString());
            List<String> fips = Files.readAllLines(classes).stream().filter(l -> l.contains("org.bouncycastle")).toList();
            assertTrue(fips.isEmpty(), "loaded before it ran: " + fips.subList(0, Math.min(3, fips.size())));
        } finally {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWrongPassphraseExitsAlikeFromRunAndFromKeys() throws Exception {
        Path f = config(36900);
        Process create = isg(null, "keys", "generate", "--create", "--keystore", dir.resolve("keys.bcfks").toString(),
                "--passphrase-file", dir.resolve("pass").toString(), "--label", "partner-a", "--purpose",
                "INTERCONNECT_MASTER", "--owner", "partner-a").redirectErrorStream(true).start();
        String said = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, create.waitFor(), said);
        SecureFiles.writeSecret(dir.resolve("pass"), "not the passphrase\n");
        Process run = isg(null, "run", "--config", f.toString()).redirectErrorStream(true).start();
        said = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int runExit = run.waitFor();
        Process keys = isg(null, "keys", "list", "--keystore", dir.resolve("keys.bcfks").toString(), "--passphrase-file",
                dir.resolve("pass").toString()).redirectErrorStream(true).start();
        String keysSaid = new String(keys.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(77, keys.waitFor(), keysSaid);
        assertEquals(77, runExit, said);
        Process none = isg(null).redirectErrorStream(true).start();
        String usage = new String(none.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(64, none.waitFor());
        assertTrue(usage.contains("usage: isg"), usage);
    }

    @Test
    void oneLinePerRecordWithItsCauseAndNoLineBreaks() {
        LogRecord r = new LogRecord(Level.WARNING, "first line\nsecond line");
        r.setLoggerName("isg.x");
        r.setThrown(new IllegalStateException("outer", new java.io.IOException("inner")));
        String plain = new LogSetup.OneLine(false).format(r);
        assertEquals(1, plain.split("\n", -1).length - 1, plain);
        assertTrue(plain.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ WARN  isg\\.x: first line second line; "
                + "java\\.lang\\.IllegalStateException: outer at .*; caused by java\\.io\\.IOException: inner.*\n"), plain);
        assertTrue(new LogSetup.OneLine(true).format(r).startsWith("<4>isg.x: first line"));
    }

    @Test
    void exportPublicPrintsTheKeyAndNothingOfThePkcs11Library() throws Exception {
        isg.hsm.SoftHsm hsm = isg.hsm.SoftHsm.get();
        String label = "export-" + System.nanoTime();
        try (isg.hsm.KeyVault v = isg.hsm.Pkcs11Vault.open(hsm.config(), isg.hsm.AuditLog.inMemory())) {
            v.generate(isg.hsm.Actor.CLI, isg.hsm.NewKey.of(label, isg.hsm.KeyPurpose.TLS_IDENTITY, "isg"));
        }
        Process p = isg(null, "keys", "export-public", "--vault", "pkcs11", "--module", isg.hsm.SoftHsm.MODULE.toString(),
                "--token", isg.hsm.SoftHsm.LABEL, "--pin-file", hsm.config().pinFile().toString(), "--uri",
                "pkcs11:object=" + label).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertTrue(out.matches("-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n"),
                "only the key on standard output: " + out);
        assertFalse(err.contains("ipkcs11wrapper"), "the wrapper's banner is debug output: " + err);
    }
}
