package isg.hsm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Append-only audit of every key operation, one JSON object per line: time, actor, action, key
 * (label and id), result and, on failure, the reason. Never key bytes, PINs or passphrases: the
 * callers pass only names. Lines are flushed as written; operations that change the vault are
 * also forced to disk.
 */
public final class AuditLog implements AutoCloseable {

    private final Path file;
    private final Clock clock;
    private final OutputStream out;
    private final FileChannel channel;

    public AuditLog(Path file) throws IOException {
        this(file, Clock.systemUTC());
    }

    public AuditLog(Path file, Clock clock) throws IOException {
        this.file = file;
        this.clock = clock;
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        this.out = java.nio.channels.Channels.newOutputStream(channel);
    }

    /** An audit log that keeps lines in memory only (tests, and tools that print their own). */
    public static AuditLog inMemory() {
        return new AuditLog();
    }

    private final List<String> memory = new ArrayList<>();

    private AuditLog() {
        this.file = null;
        this.clock = Clock.systemUTC();
        this.out = null;
        this.channel = null;
    }

    public Path file() {
        return file;
    }

    /** Records one operation. */
    public synchronized void record(Actor actor, String action, String label, String id, String result,
            String reason, boolean durable) {
        String line = "{" + Json.field("time", clock.instant().toString()) + "," + Json.field("actor", actor.name())
                + "," + Json.field("action", action) + "," + Json.field("label", label) + "," + Json.field("id", id)
                + "," + Json.field("result", result) + (reason == null ? "" : "," + Json.field("reason", reason)) + "}";
        if (out == null) {
            memory.add(line);
            return;
        }
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            if (durable) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /** The lines written so far (in-memory log) or the file's lines. */
    public synchronized List<String> lines() throws IOException {
        return out == null ? List.copyOf(memory) : Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() throws IOException {
        if (out != null) {
            out.close();
        }
    }
}
