package isg.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a benchmark's measuring half in a child JVM with a SoftHSM2 token made for the run in a
 * temporary directory: SoftHSM2 reads {@code SOFTHSM2_CONF} when the module loads, so the
 * variable has to be set before the JVM starts. The child gets the directory (with the PIN in
 * {@code pin}) as its last argument; its {@code BENCH} lines come back.
 */
final class SoftHsmChild {

    static final String MODULE = "/usr/lib/softhsm/libsofthsm2.so";
    static final String LABEL = "isg-bench";
    static final String PIN = "1234";

    private SoftHsmChild() {
    }

    static List<String> run(Class<?> main, List<String> args, String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        try {
            Path conf = token(dir);
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), main.getName()));
            cmd.addAll(args);
            cmd.add(dir.toString());
            return exec(cmd, conf).stream().filter(l -> l.startsWith("BENCH")).toList();
        } finally {
            isg.demo.Lab.deleteTree(dir);
        }
    }

    /**
     * An empty token {@link #LABEL} (user PIN {@link #PIN}, also in {@code dir/pin}) under {@code
     * dir/tokens}; returns the configuration file {@code SOFTHSM2_CONF} must name.
     */
    static Path token(Path dir) throws IOException {
        Path tokens = Files.createDirectories(dir.resolve("tokens"));
        Path conf = dir.resolve("softhsm2.conf");
        Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pin"), PIN);
        exec(List.of("softhsm2-util", "--init-token", "--free", "--label", LABEL, "--so-pin", "12345678", "--pin", PIN),
                conf);
        return conf;
    }

    static List<String> exec(List<String> cmd, Path conf) throws IOException {
        return exec(cmd, conf, null);
    }

    /** Runs {@code cmd} with {@code SOFTHSM2_CONF=conf}, {@code stdin} (or nothing) piped to it; its output, or why it failed. */
    static List<String> exec(List<String> cmd, Path conf, byte[] stdin) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot run " + cmd.get(0) + " (install softhsm2: apt-get install softhsm2)", e);
        }
        try (java.io.OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        }
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                lines.add(l);
            }
        }
        try {
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd.subList(0, 1)) + " failed:\n" + String.join("\n", lines));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return lines;
    }
}
