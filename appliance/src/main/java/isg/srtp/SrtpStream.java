package isg.srtp;

/**
 * Per-SSRC state of one direction (RFC 3711 §3.2.1 "cryptographic context" minus the keys):
 * the SRTP replay window, whose highest index is ROC || s_l, the SRTCP replay window and, on the
 * sending side, the next SRTCP index.
 */
final class SrtpStream {

    final int ssrc;
    final ReplayWindow rtp;
    final ReplayWindow rtcp;
    int nextSrtcpIndex;
    /** The ROC of this stream's first SRTP packet, when it was set before any packet (late join). */
    long initialRoc;

    SrtpStream(int ssrc, int window) {
        this.ssrc = ssrc;
        this.rtp = new ReplayWindow(window);
        this.rtcp = new ReplayWindow(window);
    }

    /**
     * The packet index of sequence number {@code seq}, estimated from the highest index so far as
     * RFC 3711 Appendix A does (the guess of ROC that puts the index closest to s_l), except that,
     * as libsrtp does ({@code srtp_rdbx_estimate_index}), while the highest index is at most
     * 2^15 the ROC is taken to be 0: a forward jump of more than 2^15 early in a stream is a jump,
     * not a packet from before the stream began, and the stream lives on through the next wrap.
     *
     * @param top the highest index so far, or -1 for a stream's first packet
     * @param initialRoc the ROC of a stream's first packet (0 unless set for a late join)
     * @return the 48-bit index, or -1 when the guess would overflow 32 bits of ROC
     */
    static long estimateIndex(long top, int seq, long initialRoc) {
        if (top < 0) {
            return (initialRoc << 16) | seq;
        }
        if (top <= 32768) {
            return seq;
        }
        long roc = top >>> 16;
        int sl = (int) (top & 0xFFFF);
        long v;
        if (sl < 32768) {
            v = seq - sl > 32768 ? roc - 1 : roc;
        } else {
            v = sl - 32768 > seq ? roc + 1 : roc;
        }
        if (v > 0xFFFFFFFFL) {
            return -1;
        }
        return (v << 16) | seq;
    }

    /** The ROC this stream is at (RFC 3711 §3.3.1). */
    long roc() {
        long top = rtp.top();
        return top < 0 ? initialRoc : top >>> 16;
    }
}
