package isg.hsm;

import java.nio.file.Path;

/**
 * Where the PKCS#11 token is: the module library, the token label and where the user PIN comes
 * from (a file, or the systemd credential {@code isg-hsm-pin}); the PIN itself is never part of
 * the configuration.
 */
public record Pkcs11Config(Path module, String tokenLabel, Path pinFile) {

    public static final String PIN_CREDENTIAL = "isg-hsm-pin";

    public Pkcs11Config {
        if (module == null || tokenLabel == null || tokenLabel.isBlank()) {
            throw new IllegalArgumentException("a PKCS#11 vault needs a module path and a token label");
        }
    }
}
