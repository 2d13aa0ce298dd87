package isg.srtp;

import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;
import java.security.InvalidKeyException;

/**
 * The cryptographic transform of one master key: its derived SRTP and SRTCP session keys, and
 * where the suite puts tag, MKI and SRTCP index on the wire. One implementation per family:
 * {@link CmHmacTransform} (RFC 3711/6188) and {@link GcmTransform} (RFC 7714). Knows nothing of
 * streams, replay or limits; {@link SrtpSender} and {@link SrtpReceiver} do.
 *
 * <p>Offsets are absolute positions in {@code b}; {@code off} is where the packet starts.
 */
abstract class SrtpTransform implements AutoCloseable {

    /** Length of the SRTCP E flag + index word (RFC 3711 §3.4). */
    static final int SRTCP_INDEX_LENGTH = 4;
    /** RTCP fixed header: V/P/RC, PT, length, SSRC. */
    static final int RTCP_HEADER_LENGTH = 8;

    final SrtpSuite suite;

    SrtpTransform(SrtpSuite suite) {
        this.suite = suite;
    }

    /** Derives the six session keys of RFC 3711 §4.3 from a master key and builds the transform. */
    static SrtpTransform derive(CryptoBackend backend, SrtpSuite suite, MasterKey master) throws InvalidKeyException {
        if (master.keyLength() != suite.masterKeyLength() || master.saltLength() != suite.masterSaltLength()) {
            throw new InvalidKeyException(suite + " needs a " + suite.masterKeyLength() + "-byte master key and a "
                    + suite.masterSaltLength() + "-byte master salt, got " + master.keyLength() + " and "
                    + master.saltLength() + " bytes");
        }
        int kl = suite.masterKeyLength();
        int al = suite.aead() ? 0 : SrtpSuite.HMAC_SHA1_KEY_LENGTH;
        int sl = suite.masterSaltLength();
        int[] lengths = {kl, al, sl, kl, al, sl};
        byte[][] byLabel = new byte[6][];
        for (int label = 0; label < 6; label++) {
            byLabel[label] = KeyDerivation.derive(backend, master.key(), master.salt(), label, lengths[label]);
        }
        try (SessionKeys keys = new SessionKeys(null, byLabel)) {
            return from(backend, suite, keys);
        } finally {
            for (byte[] k : byLabel) {
                Bytes.wipe(k);
            }
        }
    }

    /** Builds a transform from session keys (derived here, or in an HSM). */
    static SrtpTransform from(CryptoBackend backend, SrtpSuite suite, SessionKeys k) {
        return fromSessionKeys(backend, suite, k.rtpKey, k.rtpAuth, k.rtpSalt, k.rtcpKey, k.rtcpAuth, k.rtcpSalt);
    }

    /** Builds a transform from session keys directly (known-answer tests of RFC 7714 §16/§17). */
    static SrtpTransform fromSessionKeys(CryptoBackend backend, SrtpSuite suite,
            byte[] rtpKey, byte[] rtpAuth, byte[] rtpSalt, byte[] rtcpKey, byte[] rtcpAuth, byte[] rtcpSalt) {
        return suite.aead()
                ? new GcmTransform(backend, suite, rtpKey, rtpSalt, rtcpKey, rtcpSalt)
                : new CmHmacTransform(backend, suite, rtpKey, rtpAuth, rtpSalt, rtcpKey, rtcpAuth, rtcpSalt);
    }

    /**
     * Protects the RTP packet {@code b[off, off+len)} whose header is {@code headerLength} bytes,
     * appending MKI and tag as the suite places them. The caller has checked the room.
     *
     * @return the SRTP packet length
     */
    abstract int protectRtp(byte[] b, int off, int len, int headerLength, int ssrc, long index, byte[] mki);

    /**
     * Authenticates and, only then, decrypts the SRTP packet {@code b[off, off+len)}.
     *
     * @return the RTP packet length, or -1 if authentication failed (buffer unchanged)
     */
    abstract int unprotectRtp(byte[] b, int off, int len, int headerLength, int ssrc, long index, int mkiLength);

    /**
     * Protects the RTCP compound packet {@code b[off, off+len)} with SRTCP index {@code index}.
     *
     * @return the SRTCP packet length
     */
    abstract int protectRtcp(byte[] b, int off, int len, int ssrc, int index, boolean encrypt, byte[] mki);

    /**
     * Authenticates and, only then, decrypts the SRTCP packet {@code b[off, off+len)}.
     *
     * @return the RTCP packet length, or -1 if authentication failed (buffer unchanged)
     */
    abstract int unprotectRtcp(byte[] b, int off, int len, int ssrc, int mkiLength);

    /** Overwrites the session keys this transform holds. */
    @Override
    public abstract void close();
}
