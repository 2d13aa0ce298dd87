package isg.hsm;

/**
 * A vault operation that could not be done. The {@link Reason} says which kind of failure it was;
 * the message names the module/keystore, the token and what the operator should do. Never
 * carries key material or a PIN.
 */
public class VaultException extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** The PKCS#11 module file or the keystore file is missing or cannot be loaded. */
        MODULE_NOT_FOUND,
        /** No token with the configured label. */
        TOKEN_NOT_FOUND,
        /** Wrong PIN or passphrase. Not retried: retries could lock the token. */
        PIN_INCORRECT,
        /** The token has locked its PIN. */
        PIN_LOCKED,
        /** The token has no room for another object. */
        TOKEN_FULL,
        /** The token cannot do a mechanism ISG needs. */
        MECHANISM_UNSUPPORTED,
        /** The token or module stopped answering; health is down until it comes back. */
        UNAVAILABLE,
        /** No such key. */
        KEY_NOT_FOUND,
        /** A key with that label or id exists already. */
        DUPLICATE,
        /** A key used for something its purpose does not allow, or expired. */
        NOT_PERMITTED,
        /** Imported material was malformed, the wrong length, or failed its integrity check. */
        BAD_KEY_MATERIAL,
        /** A request with a missing or malformed field. */
        BAD_REQUEST,
        /** The PIN or passphrase source could not be read. */
        CREDENTIAL_UNREADABLE
    }

    private final Reason reason;

    public VaultException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public VaultException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
