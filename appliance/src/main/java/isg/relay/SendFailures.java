package isg.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;

/**
 * The promise every write of one leg's channel carries: it never completes, and it counts each
 * datagram the socket did not send ({@link Session#unsent}). A void promise would cost no more
 * (one object per channel, none per packet) but only hands a failure to {@code exceptionCaught},
 * where it cannot be told from a read error, and nothing counts it.
 *
 * <p>Netty notifies it on the channel's event loop, which is the session's: the counters keep
 * their single writer.
 */
final class SendFailures extends DefaultChannelPromise {

    private final Session session;
    private final Leg leg;

    SendFailures(Channel channel, Session session, Leg leg) {
        super(channel);
        this.session = session;
        this.leg = leg;
    }

    @Override
    public boolean tryFailure(Throwable cause) {
        session.unsent(leg, cause);
        return true;
    }

    @Override
    public ChannelPromise setFailure(Throwable cause) {
        tryFailure(cause);
        return this;
    }

    // the no-argument trySuccess() and setSuccess() of DefaultChannelPromise come here with null

    @Override
    public boolean trySuccess(Void result) {
        return true;
    }

    @Override
    public ChannelPromise setSuccess(Void result) {
        return this;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return false;
    }

    @Override
    public String toString() {
        return "SendFailures(" + session.id + " " + leg.side + ")";
    }
}
