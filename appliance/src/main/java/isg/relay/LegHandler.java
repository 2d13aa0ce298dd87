package isg.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

/**
 * The handler of one local port: every datagram that arrives goes through its session; the
 * datagram is released by the base class after {@code channelRead0} (we copied what we needed).
 * Writes to the other leg are flushed once per read batch.
 */
final class LegHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private final Session session;
    private final Leg leg;
    private final boolean rtcp;
    private Channel pending;

    LegHandler(Session session, Leg leg, boolean rtcp) {
        this.session = session;
        this.leg = leg;
        this.rtcp = rtcp;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        Channel out = session.forward(leg, rtcp, packet);
        if (out != null) {
            pending = out;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Channel out = pending;
        if (out != null) {
            pending = null;
            out.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a UDP socket error (e.g. ICMP port unreachable) is not a reason to stop the leg
        RateLimitedLog.warn(LegHandler.class, "session " + session.id + " " + leg.side + (rtcp ? " RTCP" : " RTP")
                + ": " + cause);
    }
}
