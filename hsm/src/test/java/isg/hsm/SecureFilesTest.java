package isg.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The modes of what the vault writes, whatever the umask the gateway was started with (the JVM
 * here runs under the shell's, Debian's 022), rotation of the audit log, and the start-up check.
 */
class SecureFilesTest {

    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void theKeystoreAndAuditLogAreOwnerOnlyAndAnOperatorsModeSurvivesAKeyChange() throws Exception {
        Path state = dir.resolve("state");
        Path store = state.resolve("keys.bcfks");
        Path auditFile = state.resolve("audit").resolve("audit.jsonl");
        try (AuditLog audit = new AuditLog(auditFile);
                KeyVault v = SoftVault.open(store, "correct horse battery staple".toCharArray(), true, audit)) {
            v.generate(Actor.CLI, NewKey.of("a", KeyPurpose.INTERCONNECT_MASTER, "p").withBits(128));
            assertEquals("rw-------", mode(store));
            assertEquals("rw-------", mode(auditFile));
            assertEquals("rwx------", mode(state), "a directory the vault made");
            assertEquals("rwx------", mode(auditFile.getParent()));
            assertFalse(Files.exists(store.resolveSibling("keys.bcfks.tmp")), "no temporary file left");
            // an operator lets a backup group read the keystore; the next key change keeps that, and never more
            Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rw-r-----"));
            v.generate(Actor.CLI, NewKey.of("b", KeyPurpose.INTERCONNECT_MASTER, "p").withBits(128));
            assertEquals("rw-r-----", mode(store));
            Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rw-rw-rw-"));
            v.generate(Actor.CLI, NewKey.of("c", KeyPurpose.INTERCONNECT_MASTER, "p").withBits(128));
            assertEquals("rw-r-----", mode(store), "a replacement is never writable or readable by others");
        }
    }

    @Test
    void theAuditLogRotatesBySizeKeepingN() throws Exception {
        Path f = dir.resolve("audit.jsonl");
        try (AuditLog a = new AuditLog(f, Clock.systemUTC(), 4096, 3)) {
            for (int i = 0; i < 200; i++) {
                a.event(Actor.API, "session-create", java.util.Map.of("session", "s-" + i), "OK", null);
            }
        }
        List<String> current = Files.readAllLines(f);
        assertTrue(Files.size(f) <= 4096);
        assertTrue(current.get(current.size() - 1).contains("\"session\":\"s-199\""));
        for (int i = 1; i <= 3; i++) {
            Path r = dir.resolve("audit.jsonl." + i);
            assertTrue(Files.exists(r), r + " kept");
            assertTrue(Files.size(r) <= 4096);
            assertEquals("rw-------", mode(r));
        }
        assertFalse(Files.exists(dir.resolve("audit.jsonl.4")), "only three earlier files are kept");
        // the files hold consecutive lines: the newest rotated file ends where the current one begins
        List<String> one = Files.readAllLines(dir.resolve("audit.jsonl.1"));
        int last = Integer.parseInt(one.get(one.size() - 1).replaceAll(".*\"s-(\\d+)\".*", "$1"));
        int first = Integer.parseInt(current.get(0).replaceAll(".*\"s-(\\d+)\".*", "$1"));
        assertEquals(last + 1, first);
    }

    @Test
    void filesOthersCanWriteOrReadAreRefusedNamingTheirMode() throws Exception {
        Path secret = dir.resolve("pin");
        SecureFiles.writeSecret(secret, "1234");
        assertEquals("rw-------", mode(secret));
        SecureFiles.checkOwnedAndPrivate(secret, "PIN file", true);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
        String m = assertThrows(java.io.IOException.class, () -> SecureFiles.checkOwnedAndPrivate(secret, "PIN file",
                true)).getMessage();
        assertTrue(m.contains("PIN file " + secret + " has mode rw-r--r--") && m.contains("chmod 600"), m);
        Path config = dir.resolve("isg.yaml");
        Files.writeString(config, "gateway: {id: a}\n");
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        SecureFiles.checkOwnedAndPrivate(config, "configuration", false);
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-rw-r--"));
        m = assertThrows(java.io.IOException.class, () -> SecureFiles.checkOwnedAndPrivate(config, "configuration",
                false)).getMessage();
        assertTrue(m.contains("has mode rw-rw-r--: others can change it"), m);
        if (SecureFiles.currentUid() == 0) {
            // as root (CI): a file owned by another ordinary user is refused
            Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
            Files.setAttribute(config, "unix:uid", 65534);
            m = assertThrows(java.io.IOException.class, () -> SecureFiles.checkOwnedAndPrivate(config, "configuration",
                    false)).getMessage();
            assertTrue(m.contains("is owned by user 65534"), m);
        }
    }
}
