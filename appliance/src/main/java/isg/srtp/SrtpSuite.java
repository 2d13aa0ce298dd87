package isg.srtp;

/**
 * The SRTP protection profiles ISG speaks, with the lengths the standards give them.
 *
 * <ul>
 *   <li>AES_CM_128_HMAC_SHA1_80 / _32: RFC 3711 §5, RFC 4568 §6.2 (SRTCP keeps the 80-bit tag
 *       with _32: RFC 4568 §6.2.2).</li>
 *   <li>AES_256_CM_HMAC_SHA1_80: RFC 6188 §3.</li>
 *   <li>AEAD_AES_128_GCM / _256_GCM: RFC 7714 §12, 96-bit salt, 128-bit tag; the MC mandatory
 *       suite (TS 33.180 §7.5).</li>
 * </ul>
 */
public enum SrtpSuite {
    AES_CM_128_HMAC_SHA1_80(16, 14, 10, 10, false),
    AES_CM_128_HMAC_SHA1_32(16, 14, 4, 10, false),
    AES_256_CM_HMAC_SHA1_80(32, 14, 10, 10, false),
    AEAD_AES_128_GCM(16, 12, 16, 16, true),
    AEAD_AES_256_GCM(32, 12, 16, 16, true);

    /** n_a of RFC 3711 §4.2.1 for HMAC-SHA1, in bytes. */
    public static final int HMAC_SHA1_KEY_LENGTH = 20;

    private final int masterKeyLength;
    private final int masterSaltLength;
    private final int srtpTagLength;
    private final int srtcpTagLength;
    private final boolean aead;

    SrtpSuite(int masterKeyLength, int masterSaltLength, int srtpTagLength, int srtcpTagLength, boolean aead) {
        this.masterKeyLength = masterKeyLength;
        this.masterSaltLength = masterSaltLength;
        this.srtpTagLength = srtpTagLength;
        this.srtcpTagLength = srtcpTagLength;
        this.aead = aead;
    }

    public int masterKeyLength() {
        return masterKeyLength;
    }

    /** Master salt length; the session salt has the same length (RFC 3711 §8.2, RFC 7714 §12). */
    public int masterSaltLength() {
        return masterSaltLength;
    }

    public int srtpTagLength() {
        return srtpTagLength;
    }

    public int srtcpTagLength() {
        return srtcpTagLength;
    }

    /** AEAD suites place the tag inside the ciphertext and any MKI after it (RFC 7714 §8). */
    public boolean aead() {
        return aead;
    }

    /**
     * Where the MKI starts in an SRTP packet ending at {@code end}: before the tag for
     * HMAC suites (RFC 3711 §3.1), after it for AEAD suites (RFC 7714 §8).
     */
    public int srtpMkiOffset(int end, int mkiLength) {
        return end - mkiLength - (aead ? 0 : srtpTagLength);
    }

    /**
     * Where the E flag and SRTCP index word starts in an SRTCP packet ending at {@code end}; the
     * MKI follows it, then (HMAC suites) the tag (RFC 3711 §3.4, RFC 7714 §9).
     */
    public int srtcpIndexOffset(int end, int mkiLength) {
        return end - mkiLength - 4 - (aead ? 0 : srtcpTagLength);
    }

    /** Shortest SRTP packet: header plus tag plus MKI (an empty payload is legal). */
    public int srtpOverhead(int mkiLength) {
        return srtpTagLength + mkiLength;
    }

    /** What SRTCP adds to an RTCP packet: tag, E+index word, MKI. */
    public int srtcpOverhead(int mkiLength) {
        return srtcpTagLength + 4 + mkiLength;
    }

    /** Parses the SDES/configuration name, e.g. {@code AEAD_AES_128_GCM}. */
    public static SrtpSuite fromName(String name) {
        for (SrtpSuite s : values()) {
            if (s.name().equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("SRTP suite '" + name + "' is not supported; expected one of "
                + java.util.Arrays.toString(values()));
    }
}
