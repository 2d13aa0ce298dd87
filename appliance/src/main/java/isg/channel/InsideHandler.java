package isg.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/** One inside TCP connection of a stream: hands its events to the stream's connection, in order. */
final class InsideHandler extends ChannelInboundHandlerAdapter {

    private final ChannelConnection connection;
    private final ChannelConnection.Stream stream;

    InsideHandler(ChannelConnection connection, ChannelConnection.Stream stream) {
        this.connection = connection;
        this.stream = stream;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        if (!connection.run(() -> connection.insideData(stream, b))) {
            b.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        connection.run(() -> connection.insideReadComplete(stream));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            connection.run(() -> connection.insideFin(stream));
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.run(() -> connection.insideClosed(stream));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
