package isg.srtp.crypto;

import java.security.SecureRandom;

/**
 * The small interface between the SRTP engine and whoever does the block-cipher and MAC work.
 *
 * <p>Two implementations exist: {@link JdkBackend} (the JDK provider's AES with its AES-NI/ARMv8
 * intrinsics, GCM and counter mode built here so that nothing is allocated per packet) and
 * {@link FipsBackend} (every cryptographic operation inside the Bouncy Castle FIPS module,
 * approved-only mode honoured). Objects a backend creates are confined to one thread.
 */
public interface CryptoBackend {

    /** The name used in configuration and in benchmark output: {@code jdk} or {@code fips}. */
    String name();

    /** AES in counter mode as RFC 3711 §4.1.1 uses it (also the §4.3.3 key derivation). */
    AesCtr aesCtr(byte[] key);

    /** HMAC-SHA1 (RFC 2104) keyed once, used many times: RFC 3711 §4.2.1. */
    HmacSha1 hmacSha1(byte[] key);

    /** AES-GCM (NIST SP 800-38D) with a 96-bit IV and a 128-bit tag, as RFC 7714 uses it. */
    AesGcm aesGcm(byte[] key);

    /**
     * This backend's random bit generator (NIST SP 800-90A), where the relay draws the fresh values
     * it needs (the interconnect nonces): a gateway that forwards with a backend needs no other
     * cryptographic module before its first packet.
     */
    SecureRandom random();

    /** Looks a backend up by its configuration name. */
    static CryptoBackend named(String name) {
        switch (name) {
            case "jdk":
                return JdkBackend.INSTANCE;
            case "fips":
                return FipsBackend.instance();
            default:
                throw new IllegalArgumentException(
                        "crypto backend '" + name + "' is unknown; expected 'jdk' or 'fips'");
        }
    }
}
