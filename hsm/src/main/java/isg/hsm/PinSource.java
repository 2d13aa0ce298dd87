package isg.hsm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a PIN or passphrase: from a file named in configuration, or from the systemd
 * credential directory ({@code $CREDENTIALS_DIRECTORY/<name>}, LoadCredential=). Never from the
 * main configuration in clear. One trailing newline is dropped.
 */
public final class PinSource {

    private PinSource() {
    }

    public static char[] fromFile(Path file) throws VaultException {
        if (file == null) {
            throw new VaultException(VaultException.Reason.CREDENTIAL_UNREADABLE,
                    "no PIN file given: name one with --pin-file, or start under systemd with a credential");
        }
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new VaultException(VaultException.Reason.CREDENTIAL_UNREADABLE,
                    "cannot read the PIN/passphrase file " + file + ": " + e.getClass().getSimpleName());
        }
        try {
            int n = raw.length;
            while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r')) {
                n--;
            }
            if (n == 0) {
                throw new VaultException(VaultException.Reason.CREDENTIAL_UNREADABLE,
                        "the PIN/passphrase file " + file + " is empty");
            }
            CharBuffer c = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(raw, 0, n));
            char[] pin = Arrays.copyOf(c.array(), c.limit());
            Arrays.fill(c.array(), '\0');
            return pin;
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** {@code $CREDENTIALS_DIRECTORY/<name>} when systemd passed credentials, else the file. */
    public static char[] fromCredentialOrFile(String credentialName, Path file) throws VaultException {
        String dir = System.getenv("CREDENTIALS_DIRECTORY");
        if (dir != null && credentialName != null && Files.isReadable(Path.of(dir, credentialName))) {
            return fromFile(Path.of(dir, credentialName));
        }
        if (file == null && credentialName != null) {
            throw new VaultException(VaultException.Reason.CREDENTIAL_UNREADABLE, "no PIN given: name a PIN file "
                    + "(vault.pinFile, or --pin-file), or start under systemd with LoadCredential=" + credentialName
                    + (dir == null ? " (no $CREDENTIALS_DIRECTORY here)" : " ($CREDENTIALS_DIRECTORY/" + credentialName
                            + " is missing or unreadable)"));
        }
        return fromFile(file);
    }
}
