package isg.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The reference implementation: {@code libsrtp_harness.c} (shipped as a resource beside this
 * class) compiled with gcc against the system's libsrtp2 on first use, and run as a child
 * process. Used by the interop tests and by the benchmark, so both meet the same libsrtp.
 */
public final class LibsrtpHarness {

    private static final String SOURCE = "libsrtp_harness.c";
    private static Path binary;

    private LibsrtpHarness() {
    }

    /** Compiles the harness once per JVM (cached by source hash under the temp directory). */
    public static synchronized Path binary() throws IOException {
        if (binary != null) {
            return binary;
        }
        byte[] source;
        try (InputStream in = LibsrtpHarness.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException(SOURCE + " is missing from the classpath");
            }
            source = in.readAllBytes();
        }
        String hash;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(source);
            hash = isg.srtp.crypto.Bytes.toHex(d, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "isg-libsrtp-" + hash);
        Path exe = dir.resolve("libsrtp_harness");
        if (!Files.isExecutable(exe)) {
            Files.createDirectories(dir);
            Path src = dir.resolve(SOURCE);
            Files.write(src, source);
            Path tmp = dir.resolve("libsrtp_harness.tmp" + ProcessHandle.current().pid());
            List<String> cmd = List.of("gcc", "-O2", "-o", tmp.toString(), src.toString(), "-lsrtp2");
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IOException("cannot run gcc to build the libsrtp harness; install it: "
                        + "apt-get install gcc libsrtp2-dev", e);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("building the libsrtp harness failed (is libsrtp2-dev installed? "
                            + "apt-get install libsrtp2-dev):\n" + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while building the libsrtp harness", e);
            }
            Files.move(tmp, exe, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        binary = exe;
        return exe;
    }

    /**
     * Runs the harness with {@code args}, feeding {@code input} lines on stdin, and returns its
     * stdout lines. Fails with the harness's stderr when it exits non-zero.
     */
    public static List<String> run(List<String> args, List<String> input, long timeoutSeconds) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary().toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        CompletableFuture<Void> feed = CompletableFuture.runAsync(() -> {
            try (OutputStream os = p.getOutputStream()) {
                for (String line : input) {
                    os.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                lines.add(l);
            }
        }
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("libsrtp harness timed out after " + timeoutSeconds + " s");
            }
            feed.join();
            if (p.exitValue() != 0) {
                throw new IOException("libsrtp harness " + args + " exited " + p.exitValue() + ": " + err.join());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return lines;
    }

    private static String drain(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
