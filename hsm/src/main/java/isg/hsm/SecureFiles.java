package isg.hsm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Files that hold secrets or the record of what was done with them (the software token, the
 * audit log): created 0600 in directories created 0700 whatever the umask, replaced atomically
 * with the file and its directory forced to disk before and after the rename (a power cut leaves
 * the old file or the new one, never a torn or empty one), and the mode an operator set kept
 * across replacements (never wider than owner and group). And the start-up check of the files a
 * gateway reads: no one else may write them, and no one else may read a secret.
 */
public final class SecureFiles {

    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

    private SecureFiles() {
    }

    /** Whether the file system speaks POSIX permissions (a FAT-formatted card does not: nothing to set there). */
    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Creates a directory (and its missing parents) 0700; an existing one is left as it is. */
    public static void createDirectories(Path dir) throws IOException {
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        createDirectories(dir.toAbsolutePath().getParent());
        try {
            if (posix(dir)) {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
                Files.setPosixFilePermissions(dir, OWNER_DIR);
            } else {
                Files.createDirectory(dir);
            }
        } catch (FileAlreadyExistsException e) {
            // made by someone else in the meantime
        }
    }

    /** What a replacement of {@code file} is created with: its present mode without the others' bits, else 0600. */
    private static Set<PosixFilePermission> modeFor(Path file) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return OWNER_ONLY;
        }
        Set<PosixFilePermission> m = EnumSet.copyOf(Files.getPosixFilePermissions(file));
        m.removeAll(EnumSet.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OWNER_EXECUTE));
        m.add(PosixFilePermission.OWNER_READ);
        m.add(PosixFilePermission.OWNER_WRITE);
        return m;
    }

    /** Writes what {@code body} writes. */
    public interface Body {
        void write(OutputStream out) throws IOException, java.security.GeneralSecurityException;
    }

    /**
     * Replaces {@code file} with what {@code body} writes: a temporary file beside it (0600, or the
     * mode the file has now), forced to disk, renamed over the file atomically, and the directory
     * forced so the rename survives a power cut.
     */
    public static void replace(Path file, Body body) throws IOException, java.security.GeneralSecurityException {
        Path dir = file.toAbsolutePath().getParent();
        createDirectories(dir);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        boolean posix = posix(file);
        Set<PosixFilePermission> mode = posix ? modeFor(file) : null;
        FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
        try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                attrs)) {
            if (posix) {
                Files.setPosixFilePermissions(tmp, mode);
            }
            OutputStream out = Channels.newOutputStream(ch);
            body.write(out);
            out.flush();
            ch.force(true);
        } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        forceDirectory(dir);
    }

    /** Forces a directory's entries to disk (a rename or a new file in it). */
    public static void forceDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // not every file system lets a directory be opened or synced; the rename itself stands
        }
    }

    /** Opens {@code file} to append, creating it 0600 (its directory 0700) if it is not there. */
    public static FileChannel openAppend(Path file) throws IOException {
        createDirectories(file.toAbsolutePath().getParent());
        boolean posix = posix(file);
        boolean created = !Files.exists(file);
        FileChannel ch = posix
                ? FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (created) {
            forceDirectory(file.toAbsolutePath().getParent());
        }
        return ch;
    }

    /** Writes a small secret file (a PIN, a token) 0600, replacing any file there. */
    public static void writeSecret(Path file, String text) throws IOException {
        try {
            replace(file, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The user this process runs as, or -1 where that cannot be told (not Linux). */
    public static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Refuses a file the gateway reads at start when someone else could change it (written by
     * group or others, or owned by another user who is not root) or, for a secret, read it (any
     * group or other bit). The message names the file, its mode and its owner. Symbolic links are
     * followed: it is the file read that counts.
     */
    public static void checkOwnedAndPrivate(Path file, String what, boolean secret) throws IOException {
        if (file == null || !Files.exists(file) || !posix(file)) {
            return;
        }
        Set<PosixFilePermission> m = Files.getPosixFilePermissions(file);
        String mode = PosixFilePermissions.toString(m);
        int owner;
        try {
            owner = (Integer) Files.getAttribute(file, "unix:uid");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            owner = -1;
        }
        int me = currentUid();
        if (owner >= 0 && me >= 0 && owner != me && owner != 0) {
            throw new IOException(what + " " + file + " is owned by user " + owner + ", neither this user (" + me
                    + ") nor root; anyone who owns it can change what the gateway does (chown it)");
        }
        if (m.contains(PosixFilePermission.GROUP_WRITE) || m.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(what + " " + file + " has mode " + mode + ": others can change it; make it "
                    + "writable by its owner only (chmod go-w " + file + ")");
        }
        if (secret && (m.contains(PosixFilePermission.GROUP_READ) || m.contains(PosixFilePermission.OTHERS_READ))) {
            throw new IOException(what + " " + file + " has mode " + mode + ": it holds a secret others can read; "
                    + "make it readable by its owner only (chmod 600 " + file + ")");
        }
    }
}
