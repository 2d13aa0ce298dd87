package isg.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One TLS connection between two gateways once its handshake is done: ISG channel v1 frames
 * ({@link Frame}), streams multiplexed over it, each stream one TCP connection on an inside.
 *
 * <p>All state lives on the connection's event loop; inside sockets (which may be on other loops)
 * hand their events over with {@link #run}. Flow control is per stream: a side may send as many
 * DATA octets as the other has granted (ACCEPT/OPEN window, then CREDIT), and grants more only
 * once it has written what it received to its inside socket, so a slow inside reader slows its
 * partner's sender and nothing piles up in memory. An inside socket is read only while its
 * stream has credit and the TLS connection is writable.
 */
final class ChannelConnection extends ChannelInboundHandlerAdapter {

    private static final System.Logger LOG = System.getLogger(ChannelConnection.class.getName());

    /** The receive window each side offers per stream, and the point at which credit is returned. */
    static final int WINDOW = 1024 * 1024;

    private final ChannelService owner;
    private final boolean tlsClient;
    private final Map<Integer, Stream> streams = new HashMap<>();
    private ChannelHandlerContext ctx;
    private PartnerLink link;
    private boolean helloReceived;
    private boolean goingAway;
    private int nextStream;
    private volatile int streamCount;
    private long lastReceived = System.nanoTime();
    private ScheduledFuture<?> tick;
    private long pingsOutstanding;

    ChannelConnection(ChannelService owner, boolean tlsClient) {
        this.owner = owner;
        this.tlsClient = tlsClient;
        this.nextStream = tlsClient ? 1 : 2;
    }

    int streamCount() {
        return streamCount;
    }

    PartnerLink link() {
        return link;
    }

    boolean tlsClient() {
        return tlsClient;
    }

    Channel channel() {
        return ctx.channel();
    }

    /** Runs {@code r} on this connection's event loop; false when that loop has stopped (r will not run). */
    boolean run(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
            return true;
        }
        try {
            ctx.executor().execute(r);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false; // the gateway is stopping: the connection and its streams are going anyway
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof TlsBridge.Established e) {
            link = owner.partner(e.outcome().partner.partner());
            ctx.writeAndFlush(Frame.hello(ctx.alloc(), owner.gatewayId()));
            long every = owner.keepAlive().toMillis();
            tick = ctx.executor().scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
        }
        super.userEventTriggered(ctx, evt);
    }

    /** Keep-alive and idle streams, once per keep-alive period. */
    private void tick() {
        long now = System.nanoTime();
        long silent = now - lastReceived;
        long every = owner.keepAlive().toNanos();
        if (silent > 3 * every) {
            goAway(Frame.Reason.PROTOCOL, "the partner has been silent for " + TimeUnit.NANOSECONDS.toMillis(silent)
                    + " ms", Refusal.CLOSED);
            return;
        }
        if (silent >= every) {
            ctx.writeAndFlush(Frame.ping(ctx.alloc(), Frame.PING, ++pingsOutstanding));
        }
        for (Stream s : new ArrayList<>(streams.values())) {
            if (s.idleNanos > 0 && now - s.lastActivity > s.idleNanos) {
                reset(s, Frame.Reason.IDLE_TIMEOUT, "idle for " + TimeUnit.NANOSECONDS.toSeconds(now - s.lastActivity) + " s");
            }
        }
    }

    // ---- frames from the partner ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame f = (Frame) msg;
        lastReceived = System.nanoTime();
        try {
            if (!helloReceived) {
                if (f.type != Frame.HELLO || f.stream != 0) {
                    goAway(Frame.Reason.CHANNEL_VERSION, "the first frame must be HELLO, got " + Frame.typeName(f.type),
                            Refusal.CHANNEL_VERSION);
                    return;
                }
                hello(f.payload);
                return;
            }
            switch (f.type) {
                case Frame.OPEN -> open(f.stream, f.payload);
                case Frame.ACCEPT -> accepted(f.stream, f.payload);
                case Frame.REFUSE -> refused(f.stream, f.payload);
                case Frame.DATA -> {
                    data(f.stream, f.payload);
                    return; // the payload was handed on (or released) there
                }
                case Frame.FIN -> fin(f.stream);
                case Frame.RESET -> remoteReset(f.stream, f.payload);
                case Frame.CREDIT -> credit(f.stream, f.payload);
                case Frame.PING -> {
                    if (f.payload.readableBytes() != 8) {
                        throw new ProtocolError("PING of " + f.payload.readableBytes() + " octets");
                    }
                    ctx.writeAndFlush(Frame.ping(ctx.alloc(), Frame.PONG, f.payload.getLong(f.payload.readerIndex())));
                }
                case Frame.PONG -> pingsOutstanding = 0;
                case Frame.CONTROL -> link.control(this, f.payload.toString(StandardCharsets.UTF_8));
                case Frame.GOAWAY -> {
                    int code = f.payload.isReadable() ? f.payload.readUnsignedByte() : 0;
                    String text = f.payload.toString(StandardCharsets.UTF_8);
                    goingAway = true;
                    link.goingAway(this, Frame.Reason.of(code).label() + (text.isEmpty() ? "" : ": " + text));
                }
                case Frame.HELLO -> throw new ProtocolError("a second HELLO");
                default -> throw new ProtocolError("unexpected " + Frame.typeName(f.type));
            }
        } catch (ProtocolError e) {
            goAway(Frame.Reason.PROTOCOL, e.getMessage(), Refusal.PROTOCOL);
        } finally {
            if (f.type != Frame.DATA) {
                f.payload.release();
            }
        }
    }

    private static final class ProtocolError extends Exception {
        ProtocolError(String m) {
            super(m, null, false, false);
        }
    }

    private void hello(ByteBuf p) {
        byte[] magic = new byte[4];
        if (p.readableBytes() < 6) {
            goAway(Frame.Reason.CHANNEL_VERSION, "HELLO too short", Refusal.CHANNEL_VERSION);
            return;
        }
        p.readBytes(magic);
        int version = p.readUnsignedByte();
        int idLength = p.readUnsignedByte();
        if (!java.util.Arrays.equals(magic, Frame.MAGIC) || version < 1 || p.readableBytes() != idLength) {
            goAway(Frame.Reason.CHANNEL_VERSION, "not an ISG channel HELLO (this gateway speaks ISG channel v"
                    + Frame.VERSION + ")", Refusal.CHANNEL_VERSION);
            return;
        }
        String id = p.readCharSequence(idLength, StandardCharsets.US_ASCII).toString();
        if (!id.equals(link.id())) {
            goAway(Frame.Reason.CHANNEL_VERSION, "HELLO names gateway '" + id + "' but the certificate is partner '"
                    + link.id() + "'s", Refusal.WRONG_IDENTITY);
            return;
        }
        helloReceived = true;
        ctx.channel().attr(ChannelService.READY).set(Boolean.TRUE);
        if (!link.connectionReady(this)) {
            goAway(Frame.Reason.LIMIT, "too many connections with this gateway", Refusal.LIMIT);
        }
    }

    /** The partner opens a stream to one of our exports. */
    private void open(int id, ByteBuf p) throws ProtocolError {
        if (id == 0 || (id & 1) == (tlsClient ? 1 : 0)) {
            throw new ProtocolError("OPEN of stream " + id + ", which is not the partner's to open");
        }
        if (streams.containsKey(id)) {
            throw new ProtocolError("OPEN of stream " + id + ", which is open");
        }
        if (p.readableBytes() < 5) {
            throw new ProtocolError("OPEN too short");
        }
        int window = p.readInt();
        int n = p.readUnsignedByte();
        if (window <= 0 || p.readableBytes() != n) {
            throw new ProtocolError("OPEN malformed");
        }
        String service = p.readCharSequence(n, StandardCharsets.US_ASCII).toString();
        PartnerLink.ExportTarget export = link.export(service);
        if (export == null) {
            link.unknownService().refused(Frame.Reason.NO_SUCH_SERVICE);
            ctx.writeAndFlush(Frame.reason(ctx.alloc(), Frame.REFUSE, id, Frame.Reason.NO_SUCH_SERVICE,
                    "no service '" + service + "' here"));
            return;
        }
        Frame.Reason limit = goingAway ? Frame.Reason.SHUTTING_DOWN : link.admit(export.counters(), export.maxConnections());
        if (limit != null) {
            export.counters().refused(limit);
            ctx.writeAndFlush(Frame.reason(ctx.alloc(), Frame.REFUSE, id, limit, limit == Frame.Reason.LIMIT
                    ? "service '" + service + "' is at its connection limit" : "shutting down"));
            return;
        }
        Stream s = new Stream(id, export.counters(), export.idleTimeout().toNanos());
        s.sendCredit = window;
        s.state = Stream.State.CONNECTING;
        streams.put(id, s);
        streamCount = streams.size();
        owner.connectInside(ctx.channel().eventLoop(), export.target(), this, s, link.id(), service);
    }

    /** Called (on our loop) when the inside target of an export answered, or not. */
    void insideConnected(Stream s, Channel inside, Throwable failure) {
        if (streams.get(s.id) != s) {
            if (inside != null) {
                inside.close();
            }
            return;
        }
        if (failure != null) {
            streams.remove(s.id);
            streamCount = streams.size();
            s.state = Stream.State.CLOSED;
            link.release(s.counters);
            s.counters.refused(Frame.Reason.TARGET_UNREACHABLE);
            ctx.writeAndFlush(Frame.reason(ctx.alloc(), Frame.REFUSE, s.id, Frame.Reason.TARGET_UNREACHABLE,
                    "the inside target does not answer"));
            return;
        }
        s.inside = inside;
        s.state = Stream.State.OPEN;
        s.counters.opened.increment();
        s.touch();
        ctx.writeAndFlush(Frame.accept(ctx.alloc(), s.id, WINDOW));
        readMore(s);
    }

    /**
     * Opens a stream for an inside connection to one of our services; false when this connection
     * cannot take it (going away).
     */
    boolean openStream(Stream s, String service) {
        if (goingAway || !ctx.channel().isActive()) {
            return false;
        }
        s.id = nextStream;
        nextStream += 2;
        s.state = Stream.State.OPENING;
        streams.put(s.id, s);
        streamCount = streams.size();
        ctx.writeAndFlush(Frame.open(ctx.alloc(), s.id, WINDOW, service));
        return true;
    }

    private void accepted(int id, ByteBuf p) throws ProtocolError {
        Stream s = streams.get(id);
        if (s == null) {
            return; // it crossed our RESET
        }
        if (s.state != Stream.State.OPENING || p.readableBytes() != 4) {
            throw new ProtocolError("unexpected ACCEPT of stream " + id);
        }
        int window = p.readInt();
        if (window <= 0) {
            throw new ProtocolError("ACCEPT with window " + window);
        }
        s.sendCredit = window;
        s.state = Stream.State.OPEN;
        s.counters.opened.increment();
        s.touch();
        readMore(s);
    }

    private void refused(int id, ByteBuf p) {
        Stream s = streams.remove(id);
        streamCount = streams.size();
        if (s == null) {
            return;
        }
        Frame.Reason r = Frame.Reason.of(p.isReadable() ? p.readUnsignedByte() : 0);
        s.counters.refused(r);
        link.release(s.counters);
        s.state = Stream.State.CLOSED;
        if (s.inside != null) {
            s.inside.close();
        }
    }

    private void data(int id, ByteBuf payload) {
        Stream s = streams.get(id);
        if (s == null) {
            payload.release(); // it crossed our RESET
            return;
        }
        if (s.state != Stream.State.OPEN) {
            payload.release();
            reset(s, Frame.Reason.PROTOCOL, "DATA before ACCEPT");
            return;
        }
        int n = payload.readableBytes();
        if (s.remoteFin || n == 0 || n > s.receiveWindow) {
            payload.release();
            reset(s, Frame.Reason.PROTOCOL, s.remoteFin ? "DATA after FIN" : "DATA beyond the window");
            return;
        }
        s.receiveWindow -= n;
        s.counters.bytesFromPartner.add(n);
        s.touch();
        s.lastWrite = s.inside.writeAndFlush(payload);
        s.lastWrite.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                run(() -> consumed(s, n));
            }
        });
    }

    /** {@code n} octets of a stream reached its inside socket: return credit once half a window is used. */
    private void consumed(Stream s, int n) {
        if (s.state == Stream.State.CLOSED) {
            return;
        }
        s.unacknowledged += n;
        if (s.unacknowledged >= WINDOW / 4) {
            s.receiveWindow += s.unacknowledged;
            ctx.writeAndFlush(Frame.credit(ctx.alloc(), s.id, s.unacknowledged));
            s.unacknowledged = 0;
        }
    }

    private void credit(int id, ByteBuf p) throws ProtocolError {
        Stream s = streams.get(id);
        if (s == null) {
            return;
        }
        if (p.readableBytes() != 4) {
            throw new ProtocolError("CREDIT malformed");
        }
        int inc = p.readInt();
        if (inc <= 0 || (long) s.sendCredit + inc > Integer.MAX_VALUE) {
            reset(s, Frame.Reason.PROTOCOL, "CREDIT of " + inc);
            return;
        }
        s.sendCredit += inc;
        sendHeld(s);
        readMore(s);
    }

    private void fin(int id) {
        Stream s = streams.get(id);
        if (s == null || s.remoteFin) {
            return;
        }
        if (s.state != Stream.State.OPEN) {
            reset(s, Frame.Reason.PROTOCOL, "FIN before ACCEPT");
            return;
        }
        s.remoteFin = true;
        s.touch();
        if (s.inside instanceof SocketChannel sc) {
            // only after everything written has gone: a shutdown fails the writes still pending
            if (s.lastWrite == null) {
                sc.shutdownOutput();
            } else {
                s.lastWrite.addListener(f -> sc.shutdownOutput());
            }
        }
        finishIfDone(s);
    }

    private void remoteReset(int id, ByteBuf p) {
        Stream s = streams.get(id);
        if (s == null) {
            return;
        }
        Frame.Reason r = Frame.Reason.of(p.isReadable() ? p.readUnsignedByte() : 0);
        s.counters.refused(r);
        close(s, true);
    }

    // ---- inside sockets ----

    /** Asks the inside socket for more when the stream may send and the TLS connection can take it. */
    void readMore(Stream s) {
        if (s.state == Stream.State.OPEN && !s.localFin && s.sendCredit > 0 && s.held == null && !s.reading
                && ctx.channel().isWritable() && s.inside != null) {
            s.reading = true;
            s.inside.read();
        }
    }

    /** Data read from a stream's inside socket (on our loop). */
    void insideData(Stream s, ByteBuf data) {
        if (s.state != Stream.State.OPEN || s.localFin) {
            data.release();
            return;
        }
        s.touch();
        if (s.held != null) {
            s.held = ctx.alloc().compositeBuffer().addComponents(true, s.held, data);
        } else {
            s.held = data;
        }
        sendHeld(s);
    }

    void insideReadComplete(Stream s) {
        s.reading = false;
        ctx.flush();
        readMore(s);
    }

    private void sendHeld(Stream s) {
        ByteBuf h = s.held;
        if (h == null) {
            return;
        }
        boolean wrote = false;
        while (h.isReadable() && s.sendCredit > 0) {
            int n = Math.min(Math.min(h.readableBytes(), s.sendCredit), Frame.MAX_PAYLOAD);
            ctx.write(Frame.dataHeader(ctx.alloc(), s.id, n));
            ctx.write(h.readRetainedSlice(n));
            s.sendCredit -= n;
            s.counters.bytesToPartner.add(n);
            wrote = true;
        }
        if (!h.isReadable()) {
            h.release();
            s.held = null;
            if (s.finAfterHeld) {
                sendFin(s);
            }
        }
        if (wrote) {
            ctx.flush();
        }
    }

    /** The inside peer shut down its output: tell the partner (after any data still held). */
    void insideFin(Stream s) {
        if (s.state == Stream.State.CLOSED || s.localFin) {
            return;
        }
        if (s.state != Stream.State.OPEN) {
            close(s, false);
            return;
        }
        if (s.held != null) {
            s.finAfterHeld = true;
            return;
        }
        sendFin(s);
    }

    private void sendFin(Stream s) {
        s.localFin = true;
        ctx.writeAndFlush(Frame.empty(ctx.alloc(), Frame.FIN, s.id));
        finishIfDone(s);
    }

    /** The inside socket closed. */
    void insideClosed(Stream s) {
        if (s.state == Stream.State.CLOSED) {
            return;
        }
        if (s.localFin && s.remoteFin) {
            close(s, false);
        } else {
            reset(s, Frame.Reason.INSIDE_CLOSED, "the inside connection closed");
        }
    }

    private void finishIfDone(Stream s) {
        if (s.localFin && s.remoteFin) {
            close(s, false);
        }
    }

    void reset(Stream s, Frame.Reason r, String why) {
        if (s.state == Stream.State.CLOSED) {
            return;
        }
        if (s.id != 0 && ctx.channel().isActive()) {
            ctx.writeAndFlush(Frame.reason(ctx.alloc(), Frame.RESET, s.id, r, why));
        }
        s.counters.refused(r);
        close(s, true);
    }

    private void close(Stream s, boolean abort) {
        boolean wasCounted = s.state == Stream.State.OPEN || s.state == Stream.State.CONNECTING
                || s.state == Stream.State.OPENING;
        s.state = Stream.State.CLOSED;
        if (streams.get(s.id) == s) {
            streams.remove(s.id);
            streamCount = streams.size();
        }
        if (wasCounted) {
            link.release(s.counters);
        }
        if (s.held != null) {
            s.held.release();
            s.held = null;
        }
        if (s.inside != null) {
            io.netty.channel.Channel inside = s.inside;
            if (abort && inside.isActive()) {
                inside.config().setOption(ChannelOption.SO_LINGER, 0);
                inside.close();
            } else if (s.lastWrite != null && !s.lastWrite.isDone()) {
                // a clean end: what the partner sent is still queued for the inside peer, and a close
                // now would discard it; close once it has gone, or after the idle timeout if the
                // peer never reads it
                s.lastWrite.addListener(f -> inside.close());
                java.util.concurrent.Future<?> deadline = inside.eventLoop().schedule(() -> inside.close(),
                        s.idleNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
                inside.closeFuture().addListener(f -> deadline.cancel(false));
            } else {
                inside.close();
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            for (Stream s : streams.values()) {
                readMore(s);
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    /** Sends GOAWAY and closes the connection; every stream on it ends. */
    void goAway(Frame.Reason r, String why, Refusal counted) {
        if (!ctx.channel().isActive()) {
            return;
        }
        goingAway = true;
        if (link != null) {
            link.countFailure(counted, why);
        } else {
            owner.countUnidentified(counted, why);
        }
        LOG.log(System.Logger.Level.WARNING, "channel to " + (link == null ? "?" : link.id()) + ": " + r.label() + ": " + why);
        ctx.writeAndFlush(Frame.reason(ctx.alloc(), Frame.GOAWAY, 0, r, why)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Closes gracefully (gateway shutdown): GOAWAY, then close. */
    void shutdown() {
        run(() -> {
            goingAway = true;
            if (ctx.channel().isActive()) {
                ctx.writeAndFlush(Frame.reason(ctx.alloc(), Frame.GOAWAY, 0, Frame.Reason.SHUTTING_DOWN, "gateway stopping"))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        });
    }

    void sendControl(String json) {
        run(() -> {
            if (helloReceived && ctx.channel().isActive()) {
                ctx.writeAndFlush(Frame.control(ctx.alloc(), json.getBytes(StandardCharsets.UTF_8)));
            }
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (tick != null) {
            tick.cancel(false);
        }
        for (Stream s : new ArrayList<>(streams.values())) {
            s.counters.refused(Frame.Reason.PARTNER_DOWN);
            close(s, true);
        }
        if (link != null) {
            link.connectionClosed(this);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!helloReceived) {
            goAway(Frame.Reason.CHANNEL_VERSION, "not an ISG channel peer: " + cause.getMessage(), Refusal.CHANNEL_VERSION);
        } else {
            goAway(Frame.Reason.PROTOCOL, String.valueOf(cause.getMessage()), Refusal.PROTOCOL);
        }
    }

    /** One stream: a TCP connection on an inside, carried to the partner. Touched on the connection's loop only. */
    static final class Stream {
        enum State { OPENING, CONNECTING, OPEN, CLOSED }

        int id;
        final StreamCounters counters;
        final long idleNanos;
        State state;
        Channel inside;
        int sendCredit;
        int receiveWindow = WINDOW;
        int unacknowledged;
        boolean localFin;
        boolean remoteFin;
        boolean finAfterHeld;
        boolean reading;
        ByteBuf held;
        io.netty.channel.ChannelFuture lastWrite;
        long lastActivity = System.nanoTime();

        Stream(int id, StreamCounters counters, long idleNanos) {
            this.id = id;
            this.counters = counters;
            this.idleNanos = idleNanos;
        }

        void touch() {
            lastActivity = System.nanoTime();
        }
    }
}
