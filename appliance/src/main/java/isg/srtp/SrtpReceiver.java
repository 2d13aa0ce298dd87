package isg.srtp;

import java.security.InvalidKeyException;

/**
 * Verifies and decrypts incoming SRTP and SRTCP. For each packet: bounds → key by MKI → replay
 * check → authenticate, then decrypt → commit. Replay is checked before authentication so that
 * floods of old packets cost no crypto, and recorded only after authentication so that a forged
 * packet moves nothing (a new stream is only created by an authentic packet).
 */
public final class SrtpReceiver extends SrtpContext implements SrtpUnprotector {

    /** A context keyed with session keys derived elsewhere (an HSM). */
    public SrtpReceiver(SrtpPolicy policy, SessionKeys keys) throws InvalidKeyException {
        super(policy, keys);
    }

    public SrtpReceiver(SrtpPolicy policy, MasterKey... keys) throws InvalidKeyException {
        super(policy, keys);
    }

    /** Whether the packet last accepted was newer than anything its stream (RTP or RTCP) had seen. */
    @Override
    public boolean lastPacketAdvanced() {
        return lastAdvanced;
    }

    /** Unprotects the SRTP packet in {@code p}; on {@code OK} it holds the RTP packet. */
    public SrtpStatus unprotectRtp(PacketBuffer p) {
        if (!enter()) {
            return SrtpStatus.CLOSED;
        }
        try {
            return unprotectRtpInside(p);
        } finally {
            exit();
        }
    }

    private SrtpStatus unprotectRtpInside(PacketBuffer p) {
        byte[] b = p.array();
        int off = p.offset();
        int len = p.length();
        int h = RtpHeaders.rtpHeaderLength(b, off, len);
        if (h < 0) {
            return SrtpStatus.MALFORMED;
        }
        int seq = RtpHeaders.sequence(b, off);
        boolean carriesRoc = policy.carriesRoc(seq);
        // RFC 4771 RCCm3: the sender's ROC is the last four octets, after the MKI
        int body = carriesRoc ? len - ROC_LENGTH : len;
        if (body - h < suite.srtpOverhead(mkiLength)) {
            return SrtpStatus.MALFORMED;
        }
        KeySlot slot = slotAt(b, suite.srtpMkiOffset(off + body, mkiLength));
        if (slot == null) {
            return SrtpStatus.UNKNOWN_KEY;
        }
        if (slot.srtpPackets >= policy.maxSrtpPackets()) {
            return SrtpStatus.KEY_EXPIRED;
        }
        int ssrc = RtpHeaders.ssrc(b, off);
        SrtpStream stream = streams.get(ssrc);
        // a carried ROC names the index outright (a receiver joining late needs no estimate); a
        // wrong one fails authentication, since the index enters the AEAD IV
        long index = carriesRoc ? checkedIndex(stream, (isg.srtp.crypto.Bytes.getInt(b, off + body) & 0xFFFFFFFFL) << 16 | seq)
                : rtpIndex(stream, seq);
        if (index < 0) {
            return refusal(index);
        }
        int n = slot.transform.unprotectRtp(b, off, body, h, ssrc, index, mkiLength);
        if (n < 0) {
            return SrtpStatus.AUTH_FAIL;
        }
        // RTP padding is the application's business, as for libsrtp: not judged, not removed
        commitRtp(stream, ssrc, index, slot);
        p.length(n);
        return SrtpStatus.OK;
    }

    /** Unprotects the SRTCP packet in {@code p}; on {@code OK} it holds the RTCP packet. */
    public SrtpStatus unprotectRtcp(PacketBuffer p) {
        if (!enter()) {
            return SrtpStatus.CLOSED;
        }
        try {
            return unprotectRtcpInside(p);
        } finally {
            exit();
        }
    }

    private SrtpStatus unprotectRtcpInside(PacketBuffer p) {
        byte[] b = p.array();
        int off = p.offset();
        int len = p.length();
        if (!RtpHeaders.rtcpValid(b, off, len)
                || len - SrtpTransform.RTCP_HEADER_LENGTH < suite.srtcpOverhead(mkiLength)) {
            return SrtpStatus.MALFORMED;
        }
        int indexAt = suite.srtcpIndexOffset(off + len, mkiLength);
        KeySlot slot = slotAt(b, indexAt + SrtpTransform.SRTCP_INDEX_LENGTH);
        if (slot == null) {
            return SrtpStatus.UNKNOWN_KEY;
        }
        if (slot.srtcpPackets >= policy.maxSrtcpPackets()) {
            return SrtpStatus.KEY_EXPIRED;
        }
        long index = isg.srtp.crypto.Bytes.getInt(b, indexAt) & 0x7FFFFFFFL;
        int ssrc = RtpHeaders.rtcpSsrc(b, off);
        SrtpStream stream = streams.get(ssrc);
        if (stream == null) {
            if (streams.full()) {
                return SrtpStatus.STREAM_LIMIT;
            }
        } else {
            int r = stream.rtcp.check(index);
            if (r != ReplayWindow.OK) {
                return r == ReplayWindow.REPLAY ? SrtpStatus.REPLAY : SrtpStatus.TOO_OLD;
            }
        }
        int n = slot.transform.unprotectRtcp(b, off, len, ssrc, mkiLength);
        if (n < 0) {
            return SrtpStatus.AUTH_FAIL;
        }
        if (stream == null) {
            stream = newStream(ssrc);
        }
        lastAdvanced = index > stream.rtcp.top();
        stream.rtcp.commit(index);
        slot.srtcpPackets++;
        p.length(n);
        return SrtpStatus.OK;
    }
}
