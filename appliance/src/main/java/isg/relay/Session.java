package isg.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpStatus;
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
    static final int MAX_PACKET = 4096;

    final String id;
    final Mode mode;
    final String partner;
    final Leg inside;
    final Leg outside;
    private final Counters totals;
    private final byte[] scratch = new byte[MAX_PACKET + ROOM];
    private final PacketBuffer pb = new PacketBuffer();
    volatile long lastActivityNanos = System.nanoTime();
    final long createdMillis = System.currentTimeMillis();

    private final boolean connectedSockets;

    Session(String id, Mode mode, String partner, Leg inside, Leg outside, Counters totals) {
        this(id, mode, partner, inside, outside, totals, false);
    }

    Session(String id, Mode mode, String partner, Leg inside, Leg outside, Counters totals, boolean connectedSockets) {
        this.connectedSockets = connectedSockets;
        this.id = id;
        this.mode = mode;
        this.partner = partner;
        this.inside = inside;
        this.outside = outside;
        this.totals = totals;
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

    private void drop(Leg leg, DropReason r) {
        leg.counters.drop(r);
        totals.drop(r);
    }

    /**
     * One datagram that arrived on {@code from}: check its source, remove the arriving leg's
     * protection (if it has any), add the other leg's, send it on. Anything refused is dropped
     * and counted; nothing that failed authentication is forwarded.
     *
     * @return the channel written to (to flush when the read batch ends), or null
     */
    Channel forward(Leg from, boolean rtcp, DatagramPacket datagram) {
        ByteBuf content = datagram.content();
        int len = content.readableBytes();
        from.counters.in(len);
        totals.in(len);
        InetSocketAddress expected = rtcp ? from.remoteRtcp : from.remoteRtp;
        InetSocketAddress source = datagram.sender();
        boolean latchNow = false;
        if (expected == null) {
            if (!from.latch) {
                drop(from, DropReason.WRONG_SOURCE);
                return null;
            }
            latchNow = true;
        } else if (!expected.equals(source)) {
            drop(from, DropReason.WRONG_SOURCE);
            return null;
        }
        if (len > MAX_PACKET) {
            drop(from, DropReason.MALFORMED);
            return null;
        }
        content.getBytes(content.readerIndex(), scratch, 0, len);
        pb.set(scratch, 0, len);
        if (from.receiver != null) {
            SrtpStatus s = rtcp ? from.receiver.unprotectRtcp(pb) : from.receiver.unprotectRtp(pb);
            if (s != SrtpStatus.OK) {
                drop(from, DropReason.of(s));
                return null;
            }
        }
        if (latchNow) {
            // only an authenticated packet may set where this leg's peer is
            if (from.receiver == null) {
                drop(from, DropReason.WRONG_SOURCE);
                return null;
            }
            from.remote(rtcp ? new InetSocketAddress(source.getAddress(), source.getPort() - 1) : source);
            if (connectedSockets) {
                connect(from.rtpChannel, from.remoteRtp);
                connect(from.rtcpChannel, from.remoteRtcp);
            }
        }
        Leg to = from == inside ? outside : inside;
        if (to.sender != null) {
            SrtpStatus s = rtcp ? to.sender.protectRtcp(pb) : to.sender.protectRtp(pb);
            if (s != SrtpStatus.OK) {
                drop(from, DropReason.of(s));
                return null;
            }
        }
        InetSocketAddress dest = rtcp ? to.remoteRtcp : to.remoteRtp;
        Channel out = rtcp ? to.rtcpChannel : to.rtpChannel;
        if (dest == null || out == null || !out.isActive()) {
            drop(from, DropReason.NO_ROUTE);
            return null;
        }
        int n = pb.length();
        ByteBuf buf = out.alloc().directBuffer(n);
        buf.writeBytes(scratch, 0, n);
        if (connectedSockets && dest.equals(out.remoteAddress())) {
            out.write(buf, out.voidPromise()); // connected: no envelope, no address per packet
        } else {
            out.write(new DatagramPacket(buf, dest), out.voidPromise());
        }
        to.counters.out(n);
        totals.out(n);
        lastActivityNanos = System.nanoTime();
        return out;
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
                ((io.netty.channel.socket.DatagramChannel) ch).disconnect();
            }
            ch.connect(peer);
        });
    }

    /** Wipes every key of the session. Channels are closed by the relay. */
    void closeKeys() {
        inside.closeKeys();
        outside.closeKeys();
    }

    /** JSON for the control API and status. */
    public String toJson() {
        return "{\"id\":\"" + id + "\",\"mode\":\"" + mode + "\",\"partner\":\"" + partner + "\",\"inside\":"
                + legJson(inside) + ",\"outside\":" + legJson(outside) + "}";
    }

    private static String legJson(Leg l) {
        return "{\"local\":\"" + l.localRtp.getAddress().getHostAddress() + ":" + l.localRtp.getPort() + "\",\"remote\":"
                + (l.remoteRtp == null ? "null" : "\"" + l.remoteRtp.getAddress().getHostAddress() + ":"
                        + l.remoteRtp.getPort() + "\"") + ",\"counters\":" + l.counters.toJson() + "}";
    }
}
