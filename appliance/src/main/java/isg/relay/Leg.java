package isg.relay;

import io.netty.channel.Channel;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpUnprotector;
import java.net.InetSocketAddress;

/**
 * One side of a session: an RTP/RTCP port pair on this gateway, the peer it talks to, and the
 * SRTP contexts that check what arrives ({@code receiver}) and protect what leaves
 * ({@code sender}). The inside leg of a {@code hop} session has neither: end-to-end SRTP passes
 * it untouched, and the outside leg's AEAD layer protects it across the interconnect.
 */
public final class Leg {

    public enum Side {
        INSIDE, OUTSIDE
    }

    final Side side;
    final InetSocketAddress localRtp;
    final InetSocketAddress localRtcp;
    /** Where this leg's peer sends from and is sent to; null until known (latching). */
    volatile InetSocketAddress remoteRtp;
    volatile InetSocketAddress remoteRtcp;
    final boolean latch;
    final SrtpUnprotector receiver;
    final SrtpSender sender;
    final Counters counters = new Counters();
    Channel rtpChannel;
    Channel rtcpChannel;

    Leg(Side side, InetSocketAddress localRtp, InetSocketAddress remoteRtp, boolean latch, SrtpUnprotector receiver,
            SrtpSender sender) {
        this.side = side;
        this.localRtp = localRtp;
        this.localRtcp = new InetSocketAddress(localRtp.getAddress(), localRtp.getPort() + 1);
        this.latch = latch;
        this.receiver = receiver;
        this.sender = sender;
        remote(remoteRtp);
    }

    /** Sets the peer: RTP at {@code rtp}, RTCP on the next port (RFC 3550 §11). */
    void remote(InetSocketAddress rtp) {
        this.remoteRtp = rtp;
        this.remoteRtcp = rtp == null ? null : new InetSocketAddress(rtp.getAddress(), rtp.getPort() + 1);
    }

    public Side side() {
        return side;
    }

    public InetSocketAddress localRtp() {
        return localRtp;
    }

    public InetSocketAddress remoteRtp() {
        return remoteRtp;
    }

    public Counters counters() {
        return counters;
    }

    /** The smallest key-expiry horizon (packets) of this leg's contexts; Long.MAX_VALUE without keys. */
    public long keyHorizon() {
        long h = Long.MAX_VALUE;
        if (receiver != null && !receiver.closed()) {
            h = Math.min(h, receiver.srtpPacketsLeft());
        }
        if (sender != null && !sender.closed()) {
            h = Math.min(h, sender.srtpPacketsLeft());
        }
        return h;
    }

    /** Whether every SRTP context of this leg has been closed and its keys overwritten. */
    public boolean keysWiped() {
        return (receiver == null || receiver.closed()) && (sender == null || sender.closed());
    }

    /** Wipes this leg's keys. */
    void closeKeys() {
        if (receiver != null) {
            receiver.close();
        }
        if (sender != null) {
            sender.close();
        }
    }
}
