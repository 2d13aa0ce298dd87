package isg.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against the software token (a BCFKS file). */
class SoftVaultTest extends KeyVaultContract {

    @TempDir
    Path dir;

    private Path store() {
        return dir.resolve("keys.bcfks");
    }

    @Override
    protected KeyVault openFresh(AuditLog audit) throws Exception {
        return SoftVault.open(store(), "correct horse battery staple".toCharArray(), true, audit);
    }

    @Override
    protected KeyVault reopen(AuditLog audit) throws Exception {
        return SoftVault.open(store(), "correct horse battery staple".toCharArray(), false, audit);
    }

    @Override
    protected String token() {
        return "isg-soft";
    }

    @Test
    void itSaysItIsASoftwareToken() {
        assertTrue(vault.kind().startsWith("software token"), vault.kind());
    }

    @Test
    void aWrongPassphraseOrAMissingFileIsNamed() throws Exception {
        vault.generate(Actor.CLI, NewKey.of("k", KeyPurpose.GMK, "x"));
        VaultException e = assertThrows(VaultException.class,
                () -> SoftVault.open(store(), "wrong".toCharArray(), false, AuditLog.inMemory()));
        assertEquals(VaultException.Reason.PIN_INCORRECT, e.reason());
        assertTrue(e.getMessage().contains(store().toString()), e.getMessage());
        e = assertThrows(VaultException.class,
                () -> SoftVault.open(dir.resolve("none.bcfks"), "x".toCharArray(), false, AuditLog.inMemory()));
        assertEquals(VaultException.Reason.MODULE_NOT_FOUND, e.reason());
        assertTrue(Files.exists(store()));
    }
}
