package isg.hsm;

/** What kind of object a vault entry is. */
public enum KeyType {
    /** An AES key that never leaves the vault (128 or 256 bits). */
    AES,
    /** An EC P-256 key pair; the private half never leaves the vault. */
    EC_P256,
    /** A public X.509 certificate (partner KMS or TLS certificate). */
    CERTIFICATE,
    /**
     * A secret key that keys HMAC-SHA-256 inside the vault and never leaves it (128 or 256 bits):
     * the MC keys (GMK, PCK, CSK, SPK), from which the MIKEY KDF derives SRTP master keys.
     */
    GENERIC_SECRET,
    /**
     * A secret value the gateway itself must read to use (a SAKKE receiver secret key: no HSM
     * implements SAKKE): kept private and encrypted in the vault, read by ISG at start, never
     * written to a file in clear. Arrives wrapped under a transport key.
     */
    SECRET_DATA
}
