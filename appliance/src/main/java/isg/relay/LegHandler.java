package isg.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;

/**
 * The handler of one local port: every datagram that arrives goes through its session; the
 * datagram is released by the base class after {@code channelRead0} (we copied what we needed).
 * Writes to the other leg are flushed once per read batch.
 *
 * <p>Where the loop judges lateness ({@link LoopShare#clock}), a datagram that waited in the kernel
 * longer than the bound is dropped as {@link DropReason#LATE} before anything else is done with it,
 * which also spares an overloaded loop the cryptography of what it would deliver too late. Asking
 * the kernel costs a system call, so it is asked only when a datagram could be late at all: when
 * the socket was last found empty (a read batch short of {@link #BATCH}) less than the bound ago,
 * everything in it now arrived since and none of it is late. That holds below capacity, where a
 * socket is read once per packet; the first packet after a pause (a floor change), and every batch
 * of an overloaded loop, is asked about. Such a socket is read one datagram per call (the relay
 * does not batch its reads with recvmmsg then), so each stamp is the datagram's own. Once a
 * datagram of a batch is on time, the rest of the batch, which arrived after it, is too.
 */
final class LegHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    /**
     * Datagrams a socket gives per read batch at most (Netty's messages per read, for each of which
     * the relay reads one datagram, or one recvmmsg of this many): a shorter batch ended because
     * the socket was empty.
     */
    static final int BATCH = 16;

    private final Session session;
    private final Leg leg;
    private final boolean rtcp;
    private final ArrivalClock clock;
    private final long bound;
    private Channel pending;
    /** The socket's descriptor while lateness is judged on it, else -1. */
    private int fd = -1;
    /** When the socket was last seen empty (meaningful while {@code emptyKnown}). */
    private long emptyAt;
    private boolean emptyKnown;
    /** Datagrams of the current read batch, and when its first was read. */
    private int inBatch;
    private long batchStart;
    /** Whether a datagram of this batch may be late (the kernel is asked until one is not). */
    private boolean suspect;

    LegHandler(Session session, Leg leg, boolean rtcp) {
        this.session = session;
        this.leg = leg;
        this.rtcp = rtcp;
        this.clock = session.share.clock;
        this.bound = session.share.boundNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (clock != null && ctx.channel() instanceof EpollDatagramChannel) {
            int d = ((EpollDatagramChannel) ctx.channel()).fd().intValue();
            clock.enable(d);
            fd = d;
            // just bound: whatever it holds arrived from now on
            emptyAt = System.nanoTime();
            emptyKnown = true;
        }
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        if (fd >= 0 && late()) {
            session.late(leg, packet);
            return;
        }
        Channel out = session.forward(leg, rtcp, packet);
        if (out != null) {
            pending = out;
        }
    }

    /** Whether the datagram just read waited longer than the bound (on the event loop). */
    private boolean late() {
        if (inBatch++ == 0) {
            batchStart = System.nanoTime();
            suspect = !emptyKnown || batchStart - emptyAt >= bound;
        }
        if (!suspect) {
            return false;
        }
        long waited = clock.waitedNanos(fd);
        if (waited > bound) {
            return true;
        }
        suspect = false;
        return false;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (inBatch > 0) {
            // a short batch emptied the socket when it was read, just before its first datagram was handled
            emptyKnown = inBatch < BATCH;
            emptyAt = batchStart;
            inBatch = 0;
        }
        Channel out = pending;
        if (out != null) {
            pending = null;
            out.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a read that failed may have left datagrams behind
        emptyKnown = false;
        // a UDP socket error (e.g. ICMP port unreachable) is not a reason to stop the leg
        RateLimitedLog.warn(LegHandler.class, "session " + session.id + " " + leg.side + (rtcp ? " RTCP" : " RTP")
                + ": " + cause);
    }
}
