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

    SrtpStream(int ssrc, int window) {
        this.ssrc = ssrc;
        this.rtp = new ReplayWindow(window);
        this.rtcp = new ReplayWindow(window);
    }

    /**
     * The packet index of sequence number {@code seq}, estimated from the highest index so far as
     * RFC 3711 Appendix A does (the guess of ROC that puts the index closest to s_l).
     *
     * @param top the highest index so far, or -1 for a stream's first packet (ROC 0)
     * @return the 48-bit index, or -1 when the guess would make ROC negative (a packet from
     *     before the stream began) or overflow 32 bits
     */
    static long estimateIndex(long top, int seq) {
        if (top < 0) {
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
        if (v < 0 || v > 0xFFFFFFFFL) {
            return -1;
        }
        return (v << 16) | seq;
    }

    /** The ROC this stream is at (RFC 3711 §3.3.1). */
    long roc() {
        long top = rtp.top();
        return top < 0 ? 0 : top >>> 16;
    }
}
