package isg.srtp;

import isg.srtp.crypto.AesGcm;
import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;

/**
 * AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714).
 *
 * <pre>
 * SRTP  (§8):  header | ciphertext+tag | MKI             AAD = header
 * SRTCP (§9):  header(8) | ciphertext+tag | E+index | MKI AAD = header(8) || E+index
 *              with E = 0: AAD = whole RTCP packet || E+index, nothing encrypted
 * IV (§8.1):  (00 00 || SSRC || ROC || SEQ) XOR salt; SRTCP (§9.1): (00 00 || SSRC || 00 00 || 0+index) XOR salt
 * </pre>
 */
final class GcmTransform extends SrtpTransform {

    private static final int TAG = AesGcm.TAG_LENGTH;

    private final AesGcm rtpGcm;
    private final AesGcm rtcpGcm;
    private final byte[] rtpSalt;
    private final byte[] rtcpSalt;
    private final byte[] iv = new byte[AesGcm.IV_LENGTH];
    private final byte[] word = new byte[SRTCP_INDEX_LENGTH];

    GcmTransform(CryptoBackend backend, SrtpSuite suite, byte[] rtpKey, byte[] rtpSalt, byte[] rtcpKey,
            byte[] rtcpSalt) {
        super(suite);
        this.rtpGcm = backend.aesGcm(rtpKey);
        this.rtcpGcm = backend.aesGcm(rtcpKey);
        this.rtpSalt = rtpSalt.clone();
        this.rtcpSalt = rtcpSalt.clone();
    }

    private void iv(byte[] salt, int ssrc, int high, int low) {
        iv[0] = salt[0];
        iv[1] = salt[1];
        Bytes.putInt(iv, 2, Bytes.getInt(salt, 2) ^ ssrc);
        Bytes.putInt(iv, 6, Bytes.getInt(salt, 6) ^ high);
        iv[10] = (byte) (salt[10] ^ (low >>> 8));
        iv[11] = (byte) (salt[11] ^ low);
    }

    /** §8.1: ROC in bytes 6..9, SEQ in 10..11. */
    private void rtpIv(int ssrc, long index) {
        iv(rtpSalt, ssrc, (int) (index >>> 16), (int) index & 0xFFFF);
    }

    /** §9.1: two zero bytes then the 31-bit index in bytes 8..11. */
    private void rtcpIv(int ssrc, int index) {
        iv(rtcpSalt, ssrc, index >>> 16, index & 0xFFFF);
    }

    @Override
    int protectRtp(byte[] b, int off, int len, int headerLength, int ssrc, long index, byte[] mki) {
        rtpIv(ssrc, index);
        rtpGcm.begin(iv);
        rtpGcm.aad(b, off, headerLength);
        rtpGcm.seal(b, off + headerLength, len - headerLength);
        System.arraycopy(mki, 0, b, off + len + TAG, mki.length);
        return len + TAG + mki.length;
    }

    @Override
    int unprotectRtp(byte[] b, int off, int len, int headerLength, int ssrc, long index, int mkiLength) {
        int sealedEnd = off + len - mkiLength;
        rtpIv(ssrc, index);
        rtpGcm.begin(iv);
        rtpGcm.aad(b, off, headerLength);
        if (!rtpGcm.open(b, off + headerLength, sealedEnd - off - headerLength)) {
            return -1;
        }
        return sealedEnd - TAG - off;
    }

    @Override
    int protectRtcp(byte[] b, int off, int len, int ssrc, int index, boolean encrypt, byte[] mki) {
        Bytes.putInt(word, 0, encrypt ? index | 0x80000000 : index);
        rtcpIv(ssrc, index);
        rtcpGcm.begin(iv);
        if (encrypt) {
            rtcpGcm.aad(b, off, RTCP_HEADER_LENGTH);
            rtcpGcm.aad(word, 0, SRTCP_INDEX_LENGTH);
            rtcpGcm.seal(b, off + RTCP_HEADER_LENGTH, len - RTCP_HEADER_LENGTH);
        } else {
            rtcpGcm.aad(b, off, len);
            rtcpGcm.aad(word, 0, SRTCP_INDEX_LENGTH);
            rtcpGcm.seal(b, off + len, 0);
        }
        int wordAt = off + len + TAG;
        System.arraycopy(word, 0, b, wordAt, SRTCP_INDEX_LENGTH);
        System.arraycopy(mki, 0, b, wordAt + SRTCP_INDEX_LENGTH, mki.length);
        return len + TAG + SRTCP_INDEX_LENGTH + mki.length;
    }

    @Override
    int unprotectRtcp(byte[] b, int off, int len, int ssrc, int mkiLength) {
        int wordAt = suite.srtcpIndexOffset(off + len, mkiLength);
        int w = Bytes.getInt(b, wordAt);
        rtcpIv(ssrc, w & 0x7FFFFFFF);
        rtcpGcm.begin(iv);
        boolean ok;
        if (w < 0) {
            rtcpGcm.aad(b, off, RTCP_HEADER_LENGTH);
            rtcpGcm.aad(b, wordAt, SRTCP_INDEX_LENGTH);
            ok = rtcpGcm.open(b, off + RTCP_HEADER_LENGTH, wordAt - off - RTCP_HEADER_LENGTH);
        } else {
            rtcpGcm.aad(b, off, wordAt - TAG - off);
            rtcpGcm.aad(b, wordAt, SRTCP_INDEX_LENGTH);
            ok = rtcpGcm.open(b, wordAt - TAG, TAG);
        }
        return ok ? wordAt - TAG - off : -1;
    }

    @Override
    public void close() {
        rtpGcm.close();
        rtcpGcm.close();
        Bytes.wipe(rtpSalt);
        Bytes.wipe(rtcpSalt);
        Bytes.wipe(iv);
    }
}
