package isg.hsm;

/**
 * What a vault entry is for (DESIGN §3 "Key plane"; key identifier purposes per TS 33.180
 * §5.2.2 for the MC keys). A key is used only for its purpose.
 */
public enum KeyPurpose {
    /** AES master key shared with one partner gateway; per-session SRTP keys derive from it. */
    INTERCONNECT_MASTER(KeyType.AES),
    /** AES key under which other keys arrive wrapped (RFC 5649); wraps and unwraps only. */
    TRANSPORT(KeyType.AES),
    /** Group master key (33.180 purpose 0). */
    GMK(KeyType.AES),
    /** Private call key (purpose 1). */
    PCK(KeyType.AES),
    /** Client-server key (purpose 2). */
    CSK(KeyType.AES),
    /** Server-to-server key (purpose 3). */
    SPK(KeyType.AES),
    /** The gateway's own TLS identity (P-256). */
    TLS_IDENTITY(KeyType.EC_P256),
    /** A partner KMS certificate. */
    KMS_CERTIFICATE(KeyType.CERTIFICATE),
    /** A partner gateway's TLS certificate. */
    PARTNER_TLS_CERTIFICATE(KeyType.CERTIFICATE);

    private final KeyType type;

    KeyPurpose(KeyType type) {
        this.type = type;
    }

    public KeyType type() {
        return type;
    }

    /** Whether an AES key of this purpose may key the SRTP key derivation. */
    public boolean derivesSrtp() {
        return this == INTERCONNECT_MASTER || this == GMK || this == PCK || this == CSK || this == SPK;
    }

    public static KeyPurpose parse(String s) {
        for (KeyPurpose p : values()) {
            if (p.name().equalsIgnoreCase(s.trim().replace('-', '_'))) {
                return p;
            }
        }
        throw new IllegalArgumentException("purpose '" + s + "' is not one of " + java.util.Arrays.toString(values()));
    }
}
