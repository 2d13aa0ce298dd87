package isg.channel;

/**
 * Why a connection between gateways was refused or broken, counted per reason. The handshake
 * reasons are decided before anything reaches the inside.
 */
public enum Refusal {
    /** Bytes that are not a TLS handshake (garbage, a truncated or mangled record). */
    MALFORMED,
    /** A protocol version this gateway does not allow (TLS 1.2 or older where 1.3 is required). */
    TLS_VERSION,
    /** No cipher suite, group or signature algorithm in common (e.g. a peer offering only RSA or RSA-PSS). */
    NO_COMMON_ALGORITHM,
    /** The peer sent no certificate. */
    NO_CERTIFICATE,
    /** The peer's certificate does not chain to a configured trust anchor (or its signature is bad). */
    UNKNOWN_CA,
    /** A trusted certificate for an identity that is not a configured partner's. */
    WRONG_IDENTITY,
    /** The peer's certificate (or one in its chain) has expired. */
    EXPIRED,
    /** The peer's certificate (or one in its chain) is not valid yet. */
    NOT_YET_VALID,
    /** The peer's certificate is on a configured CRL. */
    REVOKED,
    /** A configured CRL does not cover the certificate or is out of date: status unknown, so refused. */
    REVOCATION_UNKNOWN,
    /** The certificate's public key is not the SHA-256 SPKI pin configured for the partner. */
    PIN_MISMATCH,
    /** The certificate's key is not EC P-256. */
    BAD_KEY,
    /** The peer's handshake signature (CertificateVerify) or Finished did not verify. */
    BAD_SIGNATURE,
    /** The handshake did not finish in time. */
    HANDSHAKE_TIMEOUT,
    /** The vault cannot sign: new handshakes fail fast; established connections keep running. */
    VAULT_UNAVAILABLE,
    /** Too many connections or handshakes in progress. */
    LIMIT,
    /** The peer refused us with a TLS alert (client side: the partner did not accept our certificate). */
    PEER_ALERT,
    /** The peer's ISG channel HELLO was missing, of another version, or named another gateway. */
    CHANNEL_VERSION,
    /** A TLS or channel protocol error after the handshake. */
    PROTOCOL,
    /** The peer closed, reset, or could not be reached. */
    CLOSED;

    /** The metric/label form: lower case with dashes. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
