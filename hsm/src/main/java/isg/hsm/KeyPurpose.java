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
    /** Group master key (33.180 purpose 0); keys the MIKEY KDF (HMAC-SHA-256) inside the vault. */
    GMK(KeyType.GENERIC_SECRET),
    /** Private call key (purpose 1). */
    PCK(KeyType.GENERIC_SECRET),
    /** Client-server key (purpose 2). */
    CSK(KeyType.GENERIC_SECRET),
    /** Server-to-server key (purpose 3). */
    SPK(KeyType.GENERIC_SECRET),
    /** The gateway's SAKKE receiver secret key for one domain and key period (RFC 6508 RSK). */
    SAKKE_RSK(KeyType.SECRET_DATA),
    /** The gateway's own TLS identity (P-256): signs the handshakes of the channel between gateways. */
    TLS_IDENTITY(KeyType.EC_P256),
    /** The certificate a CA issued for the gateway's TLS_IDENTITY key (from 'isg keys csr'). */
    TLS_CERTIFICATE(KeyType.CERTIFICATE),
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

    /**
     * Whether a key of this purpose may key the RFC 3711 KDF in the vault: interconnect master keys.
     * MC keys derive SRTP master keys by the MIKEY KDF instead ({@link KeyVault#hmacSha256}).
     */
    public boolean derivesSrtp() {
        return this == INTERCONNECT_MASTER;
    }

    /** Whether this is an MC key distributed by MIKEY-SAKKE (33.180 §5.2.2 purposes 0-3). */
    public boolean mcKey() {
        return this == GMK || this == PCK || this == CSK || this == SPK;
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
