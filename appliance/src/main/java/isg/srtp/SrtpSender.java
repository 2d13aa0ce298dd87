package isg.srtp;

import java.security.InvalidKeyException;
import java.util.Arrays;

/**
 * Protects outgoing RTP and RTCP (RFC 3711 §3.3, §3.4). The packet index of each RTP packet is
 * estimated from its sequence number like a receiver does, so a re-protecting gateway can pass on
 * reordered packets; an index already sent is refused ({@link SrtpStatus#REPLAY}) because reusing
 * it would reuse keystream.
 */
public final class SrtpSender extends SrtpContext {

    private volatile KeySlot active;

    /** A context keyed with session keys derived elsewhere (an HSM). */
    public SrtpSender(SrtpPolicy policy, SessionKeys keys) throws InvalidKeyException {
        super(policy, keys);
        active = slots[0];
    }

    public SrtpSender(SrtpPolicy policy, MasterKey... keys) throws InvalidKeyException {
        super(policy, keys);
        active = slots[0];
    }

    /** Switches protection to the key with this MKI (added before with {@link #addKey}). */
    public synchronized void useKey(byte[] mki) {
        for (KeySlot s : slots) {
            if (Arrays.equals(s.mki, mki)) {
                active = s;
                return;
            }
        }
        throw new IllegalArgumentException("no master key with that MKI in this context");
    }

    @Override
    void keyRemoved(KeySlot slot) {
        if (slot == active) {
            active = slots.length > 0 ? slots[0] : null;
        }
    }

    /** Protects the RTP packet in {@code p}; on {@code OK} it holds the SRTP packet. */
    public SrtpStatus protectRtp(PacketBuffer p) {
        if (!enter()) {
            return SrtpStatus.CLOSED;
        }
        try {
            return protectRtpInside(p);
        } finally {
            exit();
        }
    }

    private SrtpStatus protectRtpInside(PacketBuffer p) {
        byte[] b = p.array();
        int off = p.offset();
        int len = p.length();
        int h = RtpHeaders.rtpHeaderLength(b, off, len);
        // RTP padding is the application's business, as for libsrtp: not judged
        if (h < 0) {
            return SrtpStatus.MALFORMED;
        }
        KeySlot slot = active;
        if (slot == null) {
            return SrtpStatus.UNKNOWN_KEY;
        }
        if (slot.srtpPackets >= policy.maxSrtpPackets()) {
            return SrtpStatus.KEY_EXPIRED;
        }
        int seq = RtpHeaders.sequence(b, off);
        boolean carriesRoc = policy.carriesRoc(seq);
        if (len + suite.srtpOverhead(mkiLength) + (carriesRoc ? ROC_LENGTH : 0) > p.capacity()) {
            return SrtpStatus.BUFFER_TOO_SMALL;
        }
        int ssrc = RtpHeaders.ssrc(b, off);
        SrtpStream stream = streams.get(ssrc);
        long index = rtpIndex(stream, seq);
        if (index < 0) {
            return refusal(index);
        }
        int n = slot.transform.protectRtp(b, off, len, h, ssrc, index, slot.mki);
        if (carriesRoc) {
            // RFC 4771 RCCm3: the ROC as the last four octets, after the MKI
            isg.srtp.crypto.Bytes.putInt(b, off + n, (int) (index >>> 16));
            n += ROC_LENGTH;
        }
        commitRtp(stream, ssrc, index, slot);
        p.length(n);
        return SrtpStatus.OK;
    }

    /** Protects the RTCP compound packet in {@code p} with the stream's next SRTCP index. */
    public SrtpStatus protectRtcp(PacketBuffer p) {
        if (!enter()) {
            return SrtpStatus.CLOSED;
        }
        try {
            return protectRtcpInside(p);
        } finally {
            exit();
        }
    }

    private SrtpStatus protectRtcpInside(PacketBuffer p) {
        byte[] b = p.array();
        int off = p.offset();
        int len = p.length();
        if (!RtpHeaders.rtcpValid(b, off, len)) {
            return SrtpStatus.MALFORMED;
        }
        KeySlot slot = active;
        if (slot == null) {
            return SrtpStatus.UNKNOWN_KEY;
        }
        if (slot.srtcpPackets >= policy.maxSrtcpPackets()) {
            return SrtpStatus.KEY_EXPIRED;
        }
        if (len + suite.srtcpOverhead(mkiLength) > p.capacity()) {
            return SrtpStatus.BUFFER_TOO_SMALL;
        }
        int ssrc = RtpHeaders.rtcpSsrc(b, off);
        SrtpStream stream = streams.get(ssrc);
        if (stream == null && streams.full()) {
            return SrtpStatus.STREAM_LIMIT;
        }
        int index = stream == null ? 0 : stream.nextSrtcpIndex;
        if (index < 0) {
            // the 31-bit SRTCP index is exhausted (RFC 3711 §9.2)
            return SrtpStatus.KEY_EXPIRED;
        }
        int n = slot.transform.protectRtcp(b, off, len, ssrc, index, policy.srtcpEncryption(), slot.mki);
        if (stream == null) {
            stream = newStream(ssrc);
        }
        stream.nextSrtcpIndex = index + 1;
        slot.srtcpPackets++;
        p.length(n);
        return SrtpStatus.OK;
    }

    /** Sets the SRTCP index the next packet of {@code ssrc} will carry (resumption, tests). */
    public void setNextSrtcpIndex(int ssrc, int index) {
        checkOpen();
        if (index < 0) {
            throw new IllegalArgumentException("SRTCP index is 31 bits");
        }
        SrtpStream s = streams.get(ssrc);
        if (s == null) {
            s = newStream(ssrc);
        }
        s.nextSrtcpIndex = index;
    }
}
