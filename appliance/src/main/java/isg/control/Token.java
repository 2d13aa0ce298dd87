package isg.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The control API's bearer token, read from its file and re-read on reload: rotating the token
 * needs no restart. The old token stops working the moment the new one is read. The token is
 * never logged, echoed or shown.
 */
final class Token {

    private final Path file;
    private volatile byte[] value;

    Token(Path file) throws IOException {
        this.file = file;
        this.value = read(file);
    }

    private static byte[] read(Path file) throws IOException {
        byte[] t = Files.readString(file, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8);
        if (t.length < 16) {
            throw new IOException("the control API token in " + file + " must be at least 16 characters");
        }
        return t;
    }

    /** Reads the file again; true when the token changed. A file that cannot be used changes nothing. */
    boolean reload() throws IOException {
        return prepare().install();
    }

    /** A token read and checked, not yet in force. */
    final class Prepared {
        private final byte[] next;

        private Prepared(byte[] next) {
            this.next = next;
        }

        /** Puts it in force; true when it differs from the one it replaces. */
        boolean install() {
            boolean changed = !MessageDigest.isEqual(next, value);
            value = next;
            return changed;
        }
    }

    /** Reads and checks the file; nothing changes until {@link Prepared#install()}. */
    Prepared prepare() throws IOException {
        return new Prepared(read(file));
    }

    /** Whether an Authorization header carries the token (compared in constant time). */
    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(value, authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    Path file() {
        return file;
    }
}
