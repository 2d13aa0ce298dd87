package isg.box;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command for a test: its output, or a failure naming the command and what it said. */
public final class Sh {

    private Sh() {
    }

    /** Runs {@code cmd} (at most 60 s); returns standard output and error together; throws unless it exits 0. */
    public static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + ": still running after 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + said);
        }
        return said;
    }

    /** Runs {@code cmd} with {@code input} on standard input; as {@link #run(String...)}. */
    public static String runWithInput(String input, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", List.of(cmd)) + ": exit " + (p.isAlive() ? "none" : p.exitValue())
                    + ": " + said);
        }
        return said;
    }

    public static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }
}
