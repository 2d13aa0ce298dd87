package isg.hsm;

/** What kind of object a vault entry is. */
public enum KeyType {
    /** An AES key that never leaves the vault (128 or 256 bits). */
    AES,
    /** An EC P-256 key pair; the private half never leaves the vault. */
    EC_P256,
    /** A public X.509 certificate (partner KMS or TLS certificate). */
    CERTIFICATE
}
