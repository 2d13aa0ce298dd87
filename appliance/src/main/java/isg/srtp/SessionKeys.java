package isg.srtp;

import isg.srtp.crypto.Bytes;

/**
 * Session keys derived elsewhere (inside an HSM, from a master key that never leaves it): the
 * SRTP and SRTCP encryption key, authentication key and salt of RFC 3711 §4.3, with the MKI that
 * names them. The context copies them into its transform; {@link #close()} overwrites these.
 */
public final class SessionKeys implements AutoCloseable {

    final byte[] mki;
    final byte[] rtpKey;
    final byte[] rtpAuth;
    final byte[] rtpSalt;
    final byte[] rtcpKey;
    final byte[] rtcpAuth;
    final byte[] rtcpSalt;

    /** Keys in RFC 3711 label order 0..5: SRTP encryption, auth, salt; SRTCP encryption, auth, salt. */
    public SessionKeys(byte[] mki, byte[][] byLabel) {
        if (byLabel.length != 6) {
            throw new IllegalArgumentException("six session keys, labels 0..5");
        }
        this.mki = mki == null ? new byte[0] : mki.clone();
        this.rtpKey = byLabel[0].clone();
        this.rtpAuth = byLabel[1].clone();
        this.rtpSalt = byLabel[2].clone();
        this.rtcpKey = byLabel[3].clone();
        this.rtcpAuth = byLabel[4].clone();
        this.rtcpSalt = byLabel[5].clone();
    }

    void check(SrtpSuite suite) throws java.security.InvalidKeyException {
        int auth = suite.aead() ? 0 : SrtpSuite.HMAC_SHA1_KEY_LENGTH;
        if (rtpKey.length != suite.masterKeyLength() || rtcpKey.length != suite.masterKeyLength()
                || rtpSalt.length != suite.masterSaltLength() || rtcpSalt.length != suite.masterSaltLength()
                || rtpAuth.length != auth || rtcpAuth.length != auth) {
            throw new java.security.InvalidKeyException("session keys do not have the lengths " + suite + " needs");
        }
    }

    @Override
    public void close() {
        Bytes.wipe(rtpKey);
        Bytes.wipe(rtpAuth);
        Bytes.wipe(rtpSalt);
        Bytes.wipe(rtcpKey);
        Bytes.wipe(rtcpAuth);
        Bytes.wipe(rtcpSalt);
    }

    @Override
    public String toString() {
        return "SessionKeys[mki=" + (mki.length == 0 ? "none" : Bytes.toHex(mki)) + "]";
    }
}
