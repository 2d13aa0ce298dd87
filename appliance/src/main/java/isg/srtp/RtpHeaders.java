package isg.srtp;

import isg.srtp.crypto.Bytes;

/** Bounds-checked reading of RTP (RFC 3550 §5.1, §5.3.1) and RTCP (§6.4) fixed headers. */
final class RtpHeaders {

    static final int RTP_FIXED = 12;

    private RtpHeaders() {
    }

    /**
     * The length of the RTP header including CSRCs and the header extension, or -1 when the
     * version is not 2 or any of those does not fit in {@code len} bytes.
     */
    static int rtpHeaderLength(byte[] b, int off, int len) {
        if (len < RTP_FIXED) {
            return -1;
        }
        int first = b[off] & 0xff;
        if ((first >>> 6) != 2) {
            return -1;
        }
        int h = RTP_FIXED + 4 * (first & 0x0f);
        if ((first & 0x10) != 0) {
            if (h + 4 > len) {
                return -1;
            }
            h += 4 + 4 * Bytes.getShort(b, off + h + 2);
        }
        return h <= len ? h : -1;
    }

    static int sequence(byte[] b, int off) {
        return Bytes.getShort(b, off + 2);
    }

    static int ssrc(byte[] b, int off) {
        return Bytes.getInt(b, off + 8);
    }

    /** Whether an RTCP packet starts here: version 2 and the 8-byte fixed header fits. */
    static boolean rtcpValid(byte[] b, int off, int len) {
        return len >= SrtpTransform.RTCP_HEADER_LENGTH && ((b[off] & 0xff) >>> 6) == 2;
    }

    static int rtcpSsrc(byte[] b, int off) {
        return Bytes.getInt(b, off + 4);
    }
}
