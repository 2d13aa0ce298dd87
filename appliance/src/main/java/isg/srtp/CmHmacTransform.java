package isg.srtp;

import isg.srtp.crypto.AesCtr;
import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;
import isg.srtp.crypto.HmacSha1;

/**
 * AES counter mode with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1; AES-256 per RFC 6188).
 *
 * <pre>
 * SRTP:  header | encrypted payload | MKI | tag          tag = HMAC(header..payload || ROC)
 * SRTCP: header(8) | encrypted part | E+index | MKI | tag  tag = HMAC(header..E+index)
 * </pre>
 */
final class CmHmacTransform extends SrtpTransform {

    private final AesCtr rtpCipher;
    private final AesCtr rtcpCipher;
    private final HmacSha1 rtpAuth;
    private final HmacSha1 rtcpAuth;
    private final byte[] rtpSalt;
    private final byte[] rtcpSalt;
    private final int rtpTag;
    private final int rtcpTag;
    private final byte[] iv = new byte[16];
    private final byte[] mac = new byte[HmacSha1.LENGTH];
    private final byte[] roc = new byte[4];

    CmHmacTransform(CryptoBackend backend, SrtpSuite suite, byte[] rtpKey, byte[] rtpAuthKey, byte[] rtpSalt,
            byte[] rtcpKey, byte[] rtcpAuthKey, byte[] rtcpSalt) {
        super(suite);
        this.rtpCipher = backend.aesCtr(rtpKey);
        this.rtcpCipher = backend.aesCtr(rtcpKey);
        this.rtpAuth = backend.hmacSha1(rtpAuthKey);
        this.rtcpAuth = backend.hmacSha1(rtcpAuthKey);
        this.rtpSalt = rtpSalt.clone();
        this.rtcpSalt = rtcpSalt.clone();
        this.rtpTag = suite.srtpTagLength();
        this.rtcpTag = suite.srtcpTagLength();
    }

    /** RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). */
    private void iv(byte[] salt, int ssrc, long index) {
        System.arraycopy(salt, 0, iv, 0, 14);
        iv[14] = 0;
        iv[15] = 0;
        Bytes.putInt(iv, 4, Bytes.getInt(iv, 4) ^ ssrc);
        Bytes.putInt(iv, 8, Bytes.getInt(iv, 8) ^ (int) (index >>> 16));
        iv[12] ^= (byte) (index >>> 8);
        iv[13] ^= (byte) index;
    }

    private void rtpMac(byte[] b, int from, int to, long index) {
        Bytes.putInt(roc, 0, (int) (index >>> 16));
        rtpAuth.update(b, from, to - from);
        rtpAuth.update(roc, 0, 4);
        rtpAuth.doFinal(mac, 0);
    }

    @Override
    int protectRtp(byte[] b, int off, int len, int headerLength, int ssrc, long index, byte[] mki) {
        int end = off + len;
        iv(rtpSalt, ssrc, index);
        rtpCipher.apply(iv, b, off + headerLength, len - headerLength);
        rtpMac(b, off, end, index);
        System.arraycopy(mki, 0, b, end, mki.length);
        System.arraycopy(mac, 0, b, end + mki.length, rtpTag);
        return len + mki.length + rtpTag;
    }

    @Override
    int unprotectRtp(byte[] b, int off, int len, int headerLength, int ssrc, long index, int mkiLength) {
        int end = off + len;
        int authEnd = end - rtpTag - mkiLength;
        rtpMac(b, off, authEnd, index);
        if (!Bytes.constantTimeEquals(mac, 0, b, end - rtpTag, rtpTag)) {
            return -1;
        }
        iv(rtpSalt, ssrc, index);
        rtpCipher.apply(iv, b, off + headerLength, authEnd - off - headerLength);
        return authEnd - off;
    }

    @Override
    int protectRtcp(byte[] b, int off, int len, int ssrc, int index, boolean encrypt, byte[] mki) {
        int end = off + len;
        if (encrypt) {
            iv(rtcpSalt, ssrc, index & 0xFFFFFFFFL);
            rtcpCipher.apply(iv, b, off + RTCP_HEADER_LENGTH, len - RTCP_HEADER_LENGTH);
        }
        Bytes.putInt(b, end, encrypt ? index | 0x80000000 : index);
        rtcpAuth.update(b, off, len + SRTCP_INDEX_LENGTH);
        rtcpAuth.doFinal(mac, 0);
        int mkiAt = end + SRTCP_INDEX_LENGTH;
        System.arraycopy(mki, 0, b, mkiAt, mki.length);
        System.arraycopy(mac, 0, b, mkiAt + mki.length, rtcpTag);
        return len + SRTCP_INDEX_LENGTH + mki.length + rtcpTag;
    }

    @Override
    int unprotectRtcp(byte[] b, int off, int len, int ssrc, int mkiLength) {
        int end = off + len;
        int indexAt = suite.srtcpIndexOffset(end, mkiLength);
        rtcpAuth.update(b, off, indexAt + SRTCP_INDEX_LENGTH - off);
        rtcpAuth.doFinal(mac, 0);
        if (!Bytes.constantTimeEquals(mac, 0, b, end - rtcpTag, rtcpTag)) {
            return -1;
        }
        int word = Bytes.getInt(b, indexAt);
        if (word < 0) {
            iv(rtcpSalt, ssrc, word & 0x7FFFFFFFL);
            rtcpCipher.apply(iv, b, off + RTCP_HEADER_LENGTH, indexAt - off - RTCP_HEADER_LENGTH);
        }
        return indexAt - off;
    }

    @Override
    public void close() {
        rtpCipher.close();
        rtcpCipher.close();
        rtpAuth.close();
        rtcpAuth.close();
        Bytes.wipe(rtpSalt);
        Bytes.wipe(rtcpSalt);
        Bytes.wipe(iv);
        Bytes.wipe(mac);
    }
}
