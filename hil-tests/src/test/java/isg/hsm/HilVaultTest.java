package isg.hsm;

import java.nio.file.Path;

/**
 * The vault contract against the bench's USB PKCS#11 token: ISG_HIL_PKCS11_MODULE (the token's
 * PKCS#11 library), ISG_HIL_PKCS11_TOKEN (its label) and ISG_HIL_PKCS11_PIN_FILE; because every test
 * starts from an empty token, ISG_HIL_TOKEN_MAY_BE_WIPED=yes must say that this token is the bench's
 * own. Without them (CI), SoftHSM2.
 */
class HilVaultTest extends KeyVaultContract {

    private static Pkcs11Config config() throws Exception {
        String module = System.getenv("ISG_HIL_PKCS11_MODULE");
        if (module == null || module.isBlank()) {
            return SoftHsm.get().config();
        }
        String token = System.getenv("ISG_HIL_PKCS11_TOKEN");
        String pin = System.getenv("ISG_HIL_PKCS11_PIN_FILE");
        if (token == null || pin == null) {
            throw new IllegalStateException("ISG_HIL_PKCS11_MODULE is set: set ISG_HIL_PKCS11_TOKEN and "
                    + "ISG_HIL_PKCS11_PIN_FILE too");
        }
        if (!"yes".equals(System.getenv("ISG_HIL_TOKEN_MAY_BE_WIPED"))) {
            throw new IllegalStateException("the vault contract deletes every object on token '" + token
                    + "': set ISG_HIL_TOKEN_MAY_BE_WIPED=yes if it is the bench's own token");
        }
        return new Pkcs11Config(Path.of(module), token, Path.of(pin));
    }

    @Override
    protected KeyVault openFresh(AuditLog audit) throws Exception {
        try (Pkcs11Vault v = Pkcs11Vault.open(config(), AuditLog.inMemory())) {
            for (KeyInfo k : v.list(Actor.INTERNAL)) {
                v.destroy(Actor.INTERNAL, k.uri());
            }
        }
        return Pkcs11Vault.open(config(), audit);
    }

    @Override
    protected KeyVault reopen(AuditLog audit) throws Exception {
        return Pkcs11Vault.open(config(), audit);
    }

    @Override
    protected String token() {
        String t = System.getenv("ISG_HIL_PKCS11_TOKEN");
        return t == null || System.getenv("ISG_HIL_PKCS11_MODULE") == null ? SoftHsm.LABEL : t;
    }
}
