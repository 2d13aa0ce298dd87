package isg.control;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one control API connection may hold: it counts against the server's connection limit
 * (beyond it the connection is closed as soon as it is accepted, holding no descriptor), it is
 * closed after {@code idleTimeout} with nothing read or written, and a request must arrive whole
 * within {@code requestTimeout} of its first octet (a client sending a byte now and then is cut
 * off, not waited for). Runs on the connection's event loop.
 */
final class ConnectionGuard extends ChannelDuplexHandler {

    private static final System.Logger LOG = System.getLogger(ConnectionGuard.class.getName());

    /** Counters shared by every connection of one server. */
    static final class Shared {
        final AtomicInteger open = new AtomicInteger();
        final AtomicLong refusedLimit = new AtomicLong();
        final AtomicLong closedIdle = new AtomicLong();
        final AtomicLong closedSlowRequest = new AtomicLong();
        private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - 10_000_000_000L);
        private final AtomicLong suppressed = new AtomicLong();

        /** At most one line per ten seconds, with a count of the rest: a flood must not flood the log. */
        void warn(String message) {
            long now = System.nanoTime();
            long last = lastWarning.get();
            if (now - last < 10_000_000_000L || !lastWarning.compareAndSet(last, now)) {
                suppressed.incrementAndGet();
                return;
            }
            long more = suppressed.getAndSet(0);
            LOG.log(System.Logger.Level.WARNING, message + (more > 0 ? " (" + more + " similar suppressed)" : ""));
        }
    }

    private final Shared shared;
    private final ControlServer.Limits limits;
    private boolean counted;
    private ScheduledFuture<?> deadline;

    ConnectionGuard(Shared shared, ControlServer.Limits limits) {
        this.shared = shared;
        this.limits = limits;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (shared.open.incrementAndGet() > limits.maxConnections()) {
            shared.open.decrementAndGet();
            shared.refusedLimit.incrementAndGet();
            shared.warn("control API: connection from " + ctx.channel().remoteAddress() + " refused: "
                    + limits.maxConnections() + " connections are open (control.maxConnections)");
            ctx.close();
            return;
        }
        counted = true;
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (counted) {
            counted = false;
            shared.open.decrementAndGet();
        }
        disarm();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (deadline == null && msg instanceof ByteBuf b && b.isReadable()) {
            deadline = ctx.executor().schedule(() -> {
                shared.closedSlowRequest.incrementAndGet();
                shared.warn("control API: " + ctx.channel().remoteAddress() + " did not send a whole request within "
                        + limits.requestTimeout().toMillis() + " ms (control.requestTimeout); closed");
                ctx.close();
            }, limits.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            shared.closedIdle.incrementAndGet();
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    /** Placed after the aggregator: a whole request has arrived, so the read deadline is met. */
    ChannelInboundHandlerAdapter completion() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (msg instanceof FullHttpRequest) {
                    disarm();
                }
                super.channelRead(ctx, msg);
            }
        };
    }
}
