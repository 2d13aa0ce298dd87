package isg.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpUnprotector;
import isg.srtp.crypto.Bytes;
import java.net.InetSocketAddress;

/**
 * One call leg crossing the border: an inside leg and an outside leg, and how packets cross
 * between them (DESIGN §3). Runs on one event loop: all four channels of a session are registered
 * with the same one, so its SRTP contexts and scratch buffer are never shared between threads.
 */
public final class Session {

    public enum Mode {
        /** Decrypt with the receiving leg's keys, encrypt with the sending leg's. */
        REPROTECT,
        /** Inside: end-to-end SRTP passes untouched; outside: an AEAD layer over it, removed by the partner. */
        HOP
    }

    /** Room behind a packet for the tag, SRTCP index and MKI protection adds. */
    static final int ROOM = 64;
    /**
     * Bytes every read can take: more than any UDP payload (65,507 over IPv4, 65,527 over IPv6),
     * so a datagram is never cut short and is counted with its true size.
     */
    static final int READ_BUFFER = 65_536;

    final String id;
    final Mode mode;
    final String partner;
    final Leg inside;
    final Leg outside;
    final OutsideKeying keying;
    final LoopShare share;
    private final int maxDatagram;
    volatile long lastActivityNanos = System.nanoTime();
    final long createdMillis = System.currentTimeMillis();

    private final boolean connectedSockets;

    Session(String id, Mode mode, String partner, Leg inside, Leg outside, OutsideKeying keying, LoopShare share,
            int maxDatagram, boolean connectedSockets) {
        this.connectedSockets = connectedSockets;
        this.id = id;
        this.mode = mode;
        this.partner = partner;
        this.inside = inside;
        this.outside = outside;
        this.keying = keying;
        this.share = share;
        this.maxDatagram = maxDatagram;
    }

    public String id() {
        return id;
    }

    public Mode mode() {
        return mode;
    }

    public String partner() {
        return partner;
    }

    public Leg inside() {
        return inside;
    }

    public Leg outside() {
        return outside;
    }

    /** This gateway's interconnect v2 nonce for this incarnation (public: the partner gateway needs it). */
    public byte[] localNonce() {
        return keying.localNonce();
    }

    /** The partner gateway's nonce the outside leg is keyed with, or null while it is not keyed. */
    public byte[] partnerNonce() {
        return keying.partnerNonce();
    }

    /**
     * A datagram counted out on {@code leg} did not leave: its socket refused it (SEND_FAILED) or
     * closed first (CLOSED, the session being deleted). On the session's event loop.
     */
    void unsent(Leg leg, Throwable cause) {
        boolean closed = cause instanceof java.nio.channels.ClosedChannelException;
        DropReason r = closed ? DropReason.CLOSED : DropReason.SEND_FAILED;
        // packetsOut already counted it, handed to the socket, and stays as it is: a counter that
        // went back would read as a restart to Prometheus (a scrape can fall between write and flush)
        leg.counters.drop(r);
        share.totals.drop(r);
        if (!closed) {
            RateLimitedLog.warn(SendFailures.class, "session " + id + " " + leg.side + ": the kernel refused a datagram: "
                    + cause.getMessage());
        }
    }

    /**
     * A datagram that waited in the kernel longer than the latency bound: counted in, and dropped
     * as LATE without a look inside (on the event loop).
     */
    void late(Leg from, DatagramPacket datagram) {
        int len = datagram.content().readableBytes();
        from.counters.in(len);
        share.totals.in(len);
        drop(from, DropReason.LATE);
    }

    private Channel drop(Leg leg, DropReason r) {
        leg.counters.drop(r);
        share.totals.drop(r);
        return null;
    }

    /**
     * One datagram that arrived on {@code from}: check its source, remove the arriving leg's
     * protection (if it has any), find the route, add the other leg's protection, send it on.
     * Anything refused is dropped and counted; nothing that failed authentication is forwarded,
     * and nothing crosses the outside without the outside leg's keys.
     *
     * <p>A latching leg (the outside) learns its peer from the first authenticated packet, and
     * moves it later only for a packet that authenticates under the current keys and is newer
     * than anything its stream has seen: a packet recorded earlier, or from an earlier session
     * incarnation (other keys), moves nothing.
     *
     * @return the channel written to (to flush when the read batch ends), or null
     */
    Channel forward(Leg from, boolean rtcp, DatagramPacket datagram) {
        ByteBuf content = datagram.content();
        int len = content.readableBytes();
        from.counters.in(len);
        share.totals.in(len);
        InetSocketAddress expected = rtcp ? from.remoteRtcp : from.remoteRtp;
        InetSocketAddress source = datagram.sender();
        boolean newSource = expected == null || !expected.equals(source);
        if (newSource && !from.latch) {
            return drop(from, DropReason.WRONG_SOURCE);
        }
        // the outside carries what the inside accepted plus the protection the partner added
        if (len > (from.side == Leg.Side.OUTSIDE ? maxDatagram + ROOM : maxDatagram)) {
            return drop(from, DropReason.MALFORMED);
        }
        SrtpUnprotector rx = from.receiver;
        if (rx == null && from.side == Leg.Side.OUTSIDE) {
            return drop(from, DropReason.NOT_KEYED);
        }
        if (newSource && rx == null) {
            // only an authenticated packet may say where a leg's peer is
            return drop(from, DropReason.WRONG_SOURCE);
        }
        byte[] scratch = share.scratch;
        PacketBuffer pb = share.pb;
        content.getBytes(content.readerIndex(), scratch, 0, len);
        pb.set(scratch, 0, len);
        if (rx != null) {
            SrtpStatus s = rtcp ? rx.unprotectRtcp(pb) : rx.unprotectRtp(pb);
            if (s != SrtpStatus.OK) {
                return drop(from, DropReason.of(s));
            }
            if (newSource && (expected == null || rx.lastPacketAdvanced())) {
                latch(from, rtcp, source);
            }
        }
        Leg to = from == inside ? outside : inside;
        SrtpSender tx = to.sender;
        if (tx == null && to.side == Leg.Side.OUTSIDE) {
            return drop(from, DropReason.NOT_KEYED);
        }
        InetSocketAddress dest = rtcp ? to.remoteRtcp : to.remoteRtp;
        Channel out = rtcp ? to.rtcpChannel : to.rtpChannel;
        // one promise per channel for every write: no object per packet, and what the kernel
        // refuses is counted (SEND_FAILED) rather than lost in a void promise
        SendFailures sent = rtcp ? to.rtcpSent : to.rtpSent;
        if (dest == null || out == null || sent == null || !out.isActive()) {
            return drop(from, DropReason.NO_ROUTE);
        }
        if (tx != null) {
            SrtpStatus s = rtcp ? tx.protectRtcp(pb) : tx.protectRtp(pb);
            if (s != SrtpStatus.OK) {
                return drop(from, DropReason.of(s));
            }
        }
        int n = pb.length();
        ByteBuf buf = out.alloc().directBuffer(n);
        buf.writeBytes(scratch, 0, n);
        if (connectedSockets && dest.equals(out.remoteAddress())) {
            out.write(buf, sent); // connected: no envelope, no address per packet
        } else {
            out.write(new DatagramPacket(buf, dest), sent);
        }
        to.counters.out(n);
        share.totals.out(n);
        lastActivityNanos = System.nanoTime();
        return out;
    }

    /** Sets a latching leg's peer from an authenticated packet's source (RTCP: RTP is the port below). */
    private void latch(Leg leg, boolean rtcp, InetSocketAddress source) {
        leg.remote(rtcp ? new InetSocketAddress(source.getAddress(), source.getPort() - 1) : source);
        if (connectedSockets) {
            connect(leg.rtpChannel, leg.remoteRtp);
            connect(leg.rtcpChannel, leg.remoteRtcp);
        }
    }

    /**
     * (Re)connects a leg's socket to its peer on the socket's event loop; from then on the kernel
     * drops datagrams from any other source.
     */
    static void connect(Channel ch, InetSocketAddress peer) {
        if (ch == null || peer == null) {
            return;
        }
        ch.eventLoop().execute(() -> {
            if (peer.equals(ch.remoteAddress())) {
                return;
            }
            if (ch.remoteAddress() != null) {
                ((DatagramChannel) ch).disconnect();
            }
            ch.connect(peer);
        });
    }

    /** Wipes every key of the session. Channels are closed by the relay. */
    void closeKeys() {
        inside.closeKeys();
        outside.closeKeys();
    }

    /**
     * JSON for the control API and status. The outside leg shows the interconnect v2 keying:
     * this gateway's nonce (public, for the partner gateway's create or PATCH), the partner's,
     * and whether the leg is keyed. Never a key.
     */
    public String toJson() {
        byte[] theirs = keying.partnerNonce();
        String outsideKeying = ",\"keying\":\"" + InterconnectKeys.VERSION + "\",\"nonce\":\""
                + Bytes.toHex(keying.localNonce()) + "\",\"partnerNonce\":"
                + (theirs == null ? "null" : "\"" + Bytes.toHex(theirs) + "\"") + ",\"keyed\":" + outside.keyed();
        return "{\"id\":\"" + id + "\",\"mode\":\"" + mode + "\",\"partner\":\"" + partner + "\",\"inside\":"
                + legJson(inside, "") + ",\"outside\":" + legJson(outside, outsideKeying) + "}";
    }

    private static String legJson(Leg l, String more) {
        InetSocketAddress remote = l.remoteRtp;
        return "{\"local\":\"" + hostPort(l.localRtp) + "\",\"remote\":"
                + (remote == null ? "null" : "\"" + hostPort(remote) + "\"") + more + ",\"counters\":"
                + l.counters.toJson() + "}";
    }

    /** host:port, with an IPv6 host in brackets (what the API takes back). */
    static String hostPort(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }
}
