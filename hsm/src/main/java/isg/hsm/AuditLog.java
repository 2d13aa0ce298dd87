package isg.hsm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** Rotated at 10 MiB, keeping five earlier files (file.1 the newest) unless configured otherwise. */
    public static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
    public static final int DEFAULT_KEEP = 5;

    private final Path file;
    private final Clock clock;
    private final long maxBytes;
    private final int keep;
    private OutputStream out;
    private FileChannel channel;
    private long size;

    public AuditLog(Path file) throws IOException {
        this(file, Clock.systemUTC());
    }

    public AuditLog(Path file, Clock clock) throws IOException {
        this(file, clock, DEFAULT_MAX_BYTES, DEFAULT_KEEP);
    }

    /**
     * An audit file created 0600 (its directory 0700), rotated once it would pass {@code maxBytes}:
     * {@code file} becomes {@code file.1}, {@code file.1} becomes {@code file.2}, and so on up to
     * {@code keep} files; the oldest is removed.
     */
    public AuditLog(Path file, Clock clock, long maxBytes, int keep) throws IOException {
        if (maxBytes < 1024 || keep < 1) {
            throw new IllegalArgumentException("audit rotation: at least 1 KiB and one file kept");
        }
        this.file = file;
        this.clock = clock;
        this.maxBytes = maxBytes;
        this.keep = keep;
        open();
    }

    private void open() throws IOException {
        this.channel = SecureFiles.openAppend(file);
        this.size = channel.size();
        this.out = java.nio.channels.Channels.newOutputStream(channel);
    }

    /** Moves the full file aside (file.1, file.2, ...; the oldest beyond {@code keep} goes) and starts a new one. */
    private void rotate() throws IOException {
        channel.force(true);
        out.close();
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + "." + keep));
        for (int i = keep - 1; i >= 1; i--) {
            Path from = file.resolveSibling(file.getFileName() + "." + i);
            if (Files.exists(from)) {
                Files.move(from, file.resolveSibling(file.getFileName() + "." + (i + 1)),
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        open();
        SecureFiles.forceDirectory(file.toAbsolutePath().getParent());
    }

    /** An audit log that keeps lines in memory only (tests, and tools that print their own). */
    public static AuditLog inMemory() {
        return new AuditLog();
    }

    private final List<String> memory = new ArrayList<>();

    private AuditLog() {
        this.file = null;
        this.clock = Clock.systemUTC();
        this.maxBytes = Long.MAX_VALUE;
        this.keep = 1;
    }

    public Path file() {
        return file;
    }

    private static final ThreadLocal<String> CONTEXT = new ThreadLocal<>();

    /** What the current thread's vault operations are for; closing it ends that. */
    public interface Context extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Every line this thread records until the context is closed carries {@code name: value} (the
     * session a key derivation is for, say): the vault's own lines then say why they happened.
     */
    public static Context context(String name, String value) {
        String before = CONTEXT.get();
        CONTEXT.set(Json.field(name, value));
        return () -> {
            if (before == null) {
                CONTEXT.remove();
            } else {
                CONTEXT.set(before);
            }
        };
    }

    /** Records one operation. */
    public synchronized void record(Actor actor, String action, String label, String id, String result,
            String reason, boolean durable) {
        String line = "{" + Json.field("time", clock.instant().toString()) + "," + Json.field("actor", actor.name())
                + "," + Json.field("action", action) + "," + Json.field("label", label) + "," + Json.field("id", id)
                + "," + Json.field("result", result) + (reason == null ? "" : "," + Json.field("reason", reason))
                + (CONTEXT.get() == null ? "" : "," + CONTEXT.get()) + "}";
        write(line, durable);
    }

    private void write(String line, boolean durable) {
        if (out == null) {
            memory.add(line);
            return;
        }
        try {
            byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
            if (size > 0 && size + bytes.length > maxBytes) {
                rotate();
            }
            out.write(bytes);
            out.flush();
            size += bytes.length;
            if (durable) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Records something that is not a key operation (a refused client, a session created, a
     * reload, a tamper): time, actor, action, then the given fields in order, result and reason.
     * The callers pass identifiers only, never secrets. Always forced to disk: these are rare.
     */
    public synchronized void event(Actor actor, String action, java.util.Map<String, String> fields, String result,
            String reason) {
        StringBuilder b = new StringBuilder("{").append(Json.field("time", clock.instant().toString())).append(',')
                .append(Json.field("actor", actor.name())).append(',').append(Json.field("action", action));
        fields.forEach((k, v) -> b.append(',').append(Json.field(k, v)));
        b.append(',').append(Json.field("result", result));
        if (reason != null) {
            b.append(',').append(Json.field("reason", reason));
        }
        write(b.append('}').toString(), true);
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
