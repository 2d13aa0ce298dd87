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
    /**
     * The contexts; the outside leg's are replaced whole when its keys change ({@link #install}),
     * read once per packet by the session's event loop. Null on the outside until it is keyed
     * (its packets are then dropped as NOT_KEYED); null on a hop session's inside (end-to-end
     * SRTP passes untouched).
     */
    volatile SrtpUnprotector receiver;
    volatile SrtpSender sender;
    /** Set once the leg's keys were wiped for good (delete, zeroise): no key is installed after. */
    private boolean wiped;
    final Counters counters = new Counters();
    Channel rtpChannel;
    Channel rtcpChannel;
    /** The write promises of those channels: each counts what its socket refused ({@link SendFailures}). */
    SendFailures rtpSent;
    SendFailures rtcpSent;

    /** The leg's bound channels (RTCP may be null where a test has none), each with its write promise. */
    void channels(Session session, Channel rtp, Channel rtcp) {
        rtpSent = new SendFailures(rtp, session, this);
        rtcpSent = rtcp == null ? null : new SendFailures(rtcp, session, this);
        rtpChannel = rtp;
        rtcpChannel = rtcp;
    }

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
        SrtpUnprotector r = receiver;
        SrtpSender t = sender;
        if (r != null && !r.closed()) {
            h = Math.min(h, r.srtpPacketsLeft());
        }
        if (t != null && !t.closed()) {
            h = Math.min(h, t.srtpPacketsLeft());
        }
        return h;
    }

    /** Whether every SRTP context of this leg has been closed and its keys overwritten. */
    public boolean keysWiped() {
        SrtpUnprotector r = receiver;
        SrtpSender t = sender;
        return (r == null || r.closed()) && (t == null || t.closed());
    }

    /** Whether packets can cross this leg (the outside: once it has keys). */
    public boolean keyed() {
        return receiver != null && sender != null;
    }

    /**
     * Puts new contexts in place of the old ones, which are wiped (a packet already inside an old
     * context finishes first; one that reaches it after gets CLOSED). Refused, and the new ones
     * wiped, once the leg's keys have been wiped for good. Never called by an event loop.
     *
     * @return whether the contexts were installed
     */
    synchronized boolean install(SrtpUnprotector newReceiver, SrtpSender newSender) {
        if (wiped) {
            newReceiver.close();
            newSender.close();
            return false;
        }
        SrtpUnprotector oldReceiver = receiver;
        SrtpSender oldSender = sender;
        receiver = newReceiver;
        sender = newSender;
        if (oldReceiver != null) {
            oldReceiver.close();
        }
        if (oldSender != null) {
            oldSender.close();
        }
        return true;
    }

    /** Wipes this leg's keys for good. */
    synchronized void closeKeys() {
        wiped = true;
        SrtpUnprotector r = receiver;
        SrtpSender t = sender;
        if (r != null) {
            r.close();
        }
        if (t != null) {
            t.close();
        }
    }
}
