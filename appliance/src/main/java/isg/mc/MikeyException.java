package isg.mc;

/** Why a MIKEY-SAKKE message was refused. The message names the field; it never holds key material. */
public final class MikeyException extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Truncated, a length that overruns, a payload twice, a required payload missing. */
        MALFORMED,
        /** Well-formed but outside what MC uses: another version, PRF, data type, timestamp type, signature type. */
        UNSUPPORTED,
        /** Addressed to a UID or KMS that is not this gateway's. */
        NOT_ADDRESSED_TO_US,
        /** Signed under a KMS this gateway does not trust. */
        UNKNOWN_KMS,
        /** Timestamp outside the accepted window. */
        STALE,
        /** Seen before. */
        REPLAYED,
        /** ECCSI signature does not verify. */
        BAD_SIGNATURE,
        /** SAKKE encapsulation does not open to a verifiable SSV for this gateway. */
        BAD_ENCAPSULATION,
        /** Key identifier with a purpose this gateway does not take, or inconsistent with the message. */
        BAD_KEY_ID,
        /** The 3GPP key parameters extension does not open under the key, or contradicts the message. */
        BAD_KEY_PARAMETERS,
        /** The sender's key parameters say the key is revoked: it is not stored (and withdrawn if held). */
        KEY_REVOKED,
        /** The sender's key parameters give an expiry time already past. */
        KEY_EXPIRED,
        /**
         * The SP payload asks for media protection the gateway cannot apply exactly (an algorithm,
         * length, rate or parameter it does not speak): nothing is stored.
         */
        UNSUPPORTED_POLICY,
        /** The vault refused the key. */
        STORE_FAILED
    }

    private final Reason reason;

    public MikeyException(Reason reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
