package isg.channel;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsProtocol;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * Runs one TLS connection (BC's protocol classes in non-blocking mode) under a Netty channel:
 * ciphertext in from the socket, plaintext up the pipeline; plaintext writes down, ciphertext out.
 *
 * <p>While handshaking, every step of the protocol runs on the handshake executor, never on the
 * event loop: a step may ask the vault to sign (CertificateVerify), and a slow token must not
 * hold up the other connections of the loop. One step runs at a time per connection; bytes that
 * arrive meanwhile queue (bounded) and are offered by the next step. Once the handshake is done,
 * records are processed on the event loop (nothing after the handshake calls the vault).
 * A handshake that does not finish within its timeout is ended.
 */
final class TlsBridge extends ChannelDuplexHandler {

    /** Fired down the pipeline (user event) when the handshake completes. */
    record Established(ChannelTls.Outcome outcome) {
    }

    /** What the owner learns about the connection; called on the channel's event loop. */
    interface Events {
        void established(ChannelHandlerContext ctx, ChannelTls.Outcome outcome);

        /** The connection ended in failure; {@code handshake} says whether it never became established. */
        void failed(ChannelHandlerContext ctx, ChannelTls.Outcome outcome, Refusal reason, String detail, boolean handshake);
    }

    /** Bound on ciphertext queued while a handshake step runs (a whole TLS 1.3 flight is a few KiB). */
    static final int MAX_PENDING = 64 * 1024;
    private static final int CHUNK = 16 * 1024 + 256;

    private enum Phase { HANDSHAKE, OPEN, CLOSED }

    private final TlsProtocol protocol;
    private final ChannelTls.GatewayClient client;
    private final ChannelTls.GatewayServer server;
    private final ChannelTls.Outcome outcome;
    private final Executor handshakeExecutor;
    private final Duration handshakeTimeout;
    private final Events events;
    private final LocalIdentity identity;
    private final ConcurrentLinkedQueue<byte[]> pending = new ConcurrentLinkedQueue<>();
    private final ArrayDeque<Object[]> writesBeforeOpen = new ArrayDeque<>();
    private final byte[] chunk = new byte[CHUNK];
    /** The largest TLS plaintext record. */
    private static final int RECORD = 16384;
    private final byte[] staging = new byte[RECORD];
    private int staged;
    private final java.util.List<ChannelPromise> stagedPromises = new java.util.ArrayList<>();
    private Phase phase = Phase.HANDSHAKE;
    private boolean started;
    private boolean stepRunning;
    private boolean inputClosed;
    private int pendingBytes;
    private ScheduledFuture<?> timeout;

    private TlsBridge(TlsProtocol protocol, ChannelTls.GatewayClient client, ChannelTls.GatewayServer server,
            ChannelTls.Outcome outcome, LocalIdentity identity, Executor handshakeExecutor, Duration handshakeTimeout,
            Events events) {
        this.protocol = protocol;
        this.identity = identity;
        this.client = client;
        this.server = server;
        this.outcome = outcome;
        this.handshakeExecutor = handshakeExecutor;
        this.handshakeTimeout = handshakeTimeout;
        this.events = events;
    }

    static TlsBridge server(ChannelTls tls, Executor handshakeExecutor, Duration timeout, Events events) {
        ChannelTls.Outcome o = new ChannelTls.Outcome();
        return new TlsBridge(new TlsServerProtocol(), null, tls.server(o), o, tls.identity(), handshakeExecutor, timeout, events);
    }

    /** A TLS 1.3 server with the gateway's identity that asks no client certificate (inside HTTPS). */
    static TlsBridge insideServer(ChannelTls tls, Executor handshakeExecutor, Duration timeout, Events events) {
        ChannelTls.Outcome o = new ChannelTls.Outcome();
        return new TlsBridge(new TlsServerProtocol(), null, tls.insideServer(o), o, tls.identity(), handshakeExecutor,
                timeout, events);
    }

    static TlsBridge client(ChannelTls tls, PartnerTrust partner, Executor handshakeExecutor, Duration timeout,
            Events events) {
        ChannelTls.Outcome o = new ChannelTls.Outcome();
        return new TlsBridge(new TlsClientProtocol(), tls.client(partner, o), null, o, tls.identity(), handshakeExecutor, timeout, events);
    }

    ChannelTls.Outcome outcome() {
        return outcome;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timeout = ctx.executor().schedule(() -> {
            if (phase == Phase.HANDSHAKE) {
                fail(ctx, Refusal.HANDSHAKE_TIMEOUT, "no complete handshake within " + handshakeTimeout.toMillis() + " ms");
            }
        }, handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        // The vault signs every handshake: a down vault refuses at once rather than after a timeout.
        if (!identity.available()) {
            fail(ctx, Refusal.VAULT_UNAVAILABLE, "the vault is unavailable: no new handshakes");
            return;
        }
        step(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (phase == Phase.CLOSED) {
                return;
            }
            if (phase == Phase.HANDSHAKE) {
                int n = in.readableBytes();
                pendingBytes += n;
                if (pendingBytes > MAX_PENDING) {
                    fail(ctx, Refusal.LIMIT, "more than " + MAX_PENDING + " bytes sent during the handshake");
                    return;
                }
                byte[] b = new byte[n];
                in.readBytes(b);
                pending.add(b);
                if (!stepRunning) {
                    step(ctx);
                }
                return;
            }
            while (in.isReadable()) {
                int n = Math.min(in.readableBytes(), chunk.length);
                in.readBytes(chunk, 0, n);
                protocol.offerInput(chunk, 0, n);
            }
        } catch (IOException e) {
            flushOutput(ctx);
            fail(ctx, classify(e, false), detail(e));
            return;
        } finally {
            ReferenceCountUtil.release(in);
        }
        flushOutput(ctx);
        deliver(ctx);
        if (protocol.isClosed() && phase == Phase.OPEN) {
            phase = Phase.CLOSED;
            ctx.close();
        }
    }

    /** Runs one protocol step on the handshake executor, then resumes on the event loop. */
    private void step(ChannelHandlerContext ctx) {
        stepRunning = true;
        boolean first = !started;
        started = true;
        try {
            handshakeExecutor.execute(() -> {
                IOException error = null;
                try {
                    if (first) {
                        if (client != null) {
                            ((TlsClientProtocol) protocol).connect(client);
                        } else {
                            ((TlsServerProtocol) protocol).accept(server);
                        }
                    }
                    for (byte[] b = pending.poll(); b != null; b = pending.poll()) {
                        protocol.offerInput(b);
                    }
                } catch (IOException e) {
                    error = e;
                } catch (RuntimeException | org.bouncycastle.crypto.fips.FipsUnapprovedOperationError e) {
                    // the latter: something unapproved asked for in approved-only mode; the handshake fails, named
                    error = new IOException("TLS: " + e, e);
                }
                IOException failure = error;
                try {
                    ctx.executor().execute(() -> afterStep(ctx, failure));
                } catch (RejectedExecutionException e) {
                    // the event loop is stopping with the gateway: the connection goes with it
                }
            });
        } catch (RejectedExecutionException e) {
            stepRunning = false;
            fail(ctx, Refusal.LIMIT, "too many handshakes in progress");
        }
    }

    private void afterStep(ChannelHandlerContext ctx, IOException error) {
        stepRunning = false;
        if (phase == Phase.CLOSED) {
            if (inputClosed) {
                ctx.fireChannelInactive();
            }
            return;
        }
        flushOutput(ctx);
        if (error != null) {
            fail(ctx, classify(error, true), detail(error));
        } else if (outcome.version != null) {
            // the handshake completed (the peer may already have closed after it: that follows below)
            phase = Phase.OPEN;
            pendingBytes = 0;
            if (timeout != null) {
                timeout.cancel(false);
            }
            events.established(ctx, outcome);
            ctx.fireUserEventTriggered(new Established(outcome));
            for (Object[] w = writesBeforeOpen.poll(); w != null; w = writesBeforeOpen.poll()) {
                write(ctx, w[0], (ChannelPromise) w[1]);
            }
            flush(ctx);
            // records that arrived while the last step ran (the peer writes as soon as its side is done)
            try {
                for (byte[] b = pending.poll(); b != null; b = pending.poll()) {
                    protocol.offerInput(b);
                }
            } catch (IOException e) {
                flushOutput(ctx);
                fail(ctx, classify(e, false), detail(e));
                return;
            }
            flushOutput(ctx);
            deliver(ctx);
        } else if (!pending.isEmpty()) {
            step(ctx);
            return;
        }
        if (inputClosed) {
            ended(ctx);
            ctx.fireChannelInactive();
        }
    }

    private void deliver(ChannelHandlerContext ctx) {
        if (phase != Phase.OPEN) {
            return;
        }
        int n;
        boolean any = false;
        while ((n = protocol.getAvailableInputBytes()) > 0) {
            // direct: DATA is sliced from here and written to an inside socket without another copy
            ByteBuf b = ctx.alloc().directBuffer(n);
            protocol.readInput(b.nioBuffer(0, n), n);
            b.writerIndex(n);
            ctx.fireChannelRead(b);
            any = true;
        }
        if (any) {
            ctx.fireChannelReadComplete();
        }
    }

    private void flushOutput(ChannelHandlerContext ctx) {
        int n = protocol.getAvailableOutputBytes();
        if (n > 0 && ctx.channel().isActive()) {
            ByteBuf out = ctx.alloc().directBuffer(n);
            ByteBuffer nio = out.nioBuffer(0, n);
            protocol.readOutput(nio, n);
            out.writerIndex(n);
            ctx.writeAndFlush(out);
        } else if (n > 0) {
            protocol.readOutput(new byte[n], 0, n);
        }
    }

    /**
     * Plaintext is staged and sealed in full records (16 KiB) or at flush: the 8-octet frame
     * headers and their payloads share records instead of each costing one.
     */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (phase == Phase.HANDSHAKE) {
            writesBeforeOpen.add(new Object[] {msg, promise});
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            if (phase == Phase.CLOSED) {
                promise.tryFailure(new IOException("the channel is closed"));
                return;
            }
            while (in.isReadable()) {
                int n = Math.min(in.readableBytes(), RECORD - staged);
                in.readBytes(staging, staged, n);
                staged += n;
                if (staged == RECORD) {
                    protocol.writeApplicationData(staging, 0, RECORD);
                    staged = 0;
                }
            }
            if (!promise.isVoid()) {
                stagedPromises.add(promise);
            }
        } catch (IOException e) {
            promise.tryFailure(e);
            fail(ctx, Refusal.PROTOCOL, detail(e));
        } finally {
            ReferenceCountUtil.release(in);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (phase == Phase.OPEN) {
            try {
                if (staged > 0) {
                    protocol.writeApplicationData(staging, 0, staged);
                    staged = 0;
                }
            } catch (IOException e) {
                failStaged(e);
                fail(ctx, Refusal.PROTOCOL, detail(e));
                return;
            }
            int n = protocol.getAvailableOutputBytes();
            if (n > 0) {
                ByteBuf out = ctx.alloc().directBuffer(n);
                protocol.readOutput(out.nioBuffer(0, n), n);
                out.writerIndex(n);
                if (stagedPromises.isEmpty()) {
                    ctx.write(out, ctx.voidPromise());
                } else {
                    ChannelPromise[] waiting = stagedPromises.toArray(new ChannelPromise[0]);
                    stagedPromises.clear();
                    ctx.write(out).addListener(f -> {
                        for (ChannelPromise p : waiting) {
                            if (f.isSuccess()) {
                                p.trySuccess();
                            } else {
                                p.tryFailure(f.cause());
                            }
                        }
                    });
                }
            }
        }
        ctx.flush();
    }

    private void failStaged(Throwable cause) {
        for (ChannelPromise p : stagedPromises) {
            p.tryFailure(cause);
        }
        stagedPromises.clear();
        staged = 0;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        if (phase == Phase.OPEN) {
            flush(ctx); // what was written before the close goes first (e.g. a GOAWAY)
            phase = Phase.CLOSED;
            try {
                protocol.close();
            } catch (IOException e) {
                // closing anyway
            }
            flushOutput(ctx);
        }
        phase = Phase.CLOSED;
        releaseQueuedWrites();
        failStaged(new IOException("the channel closed"));
        super.close(ctx, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (phase == Phase.HANDSHAKE && (stepRunning || !pending.isEmpty())) {
            // The peer's last flight may have arrived with its FIN: finish the step that processes
            // it before deciding how the handshake ended (afterStep passes the inactivity on).
            inputClosed = true;
            if (!stepRunning) {
                step(ctx);
            }
            return;
        }
        ended(ctx);
        super.channelInactive(ctx);
    }

    private void ended(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
        if (phase == Phase.HANDSHAKE) {
            phase = Phase.CLOSED;
            events.failed(ctx, outcome, outcome.refusal != null ? outcome.refusal : Refusal.CLOSED,
                    outcome.detail != null ? outcome.detail : "the peer closed during the handshake", true);
        } else if (phase == Phase.OPEN) {
            phase = Phase.CLOSED;
        }
        releaseQueuedWrites();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (phase == Phase.HANDSHAKE) {
            // e.g. a reset right after the peer's last flight: channelInactive lets that flight finish first
            ctx.close();
            return;
        }
        fail(ctx, Refusal.PROTOCOL, String.valueOf(cause.getMessage()));
    }

    private void releaseQueuedWrites() {
        for (Object[] w = writesBeforeOpen.poll(); w != null; w = writesBeforeOpen.poll()) {
            ReferenceCountUtil.release(w[0]);
            ((ChannelPromise) w[1]).tryFailure(new IOException("the channel closed"));
        }
    }

    private void fail(ChannelHandlerContext ctx, Refusal reason, String detail) {
        if (phase == Phase.CLOSED) {
            return;
        }
        boolean handshake = phase == Phase.HANDSHAKE;
        phase = Phase.CLOSED;
        if (timeout != null) {
            timeout.cancel(false);
        }
        events.failed(ctx, outcome, reason, detail, handshake);
        ctx.close();
    }

    private Refusal classify(IOException e, boolean handshake) {
        if (outcome.refusal != null) {
            return outcome.refusal;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof LocalIdentity.VaultSignFailure) {
                return Refusal.VAULT_UNAVAILABLE;
            }
        }
        if (e instanceof TlsFatalAlertReceived r) {
            return r.getAlertDescription() == AlertDescription.protocol_version ? Refusal.TLS_VERSION : Refusal.PEER_ALERT;
        }
        if (!handshake) {
            return Refusal.PROTOCOL;
        }
        if (e instanceof TlsFatalAlert a) {
            switch (a.getAlertDescription()) {
                case AlertDescription.protocol_version:
                    return Refusal.TLS_VERSION;
                case AlertDescription.handshake_failure:
                case AlertDescription.insufficient_security:
                    return Refusal.NO_COMMON_ALGORITHM;
                case AlertDescription.decrypt_error:
                    return Refusal.BAD_SIGNATURE;
                case AlertDescription.certificate_required:
                    return Refusal.NO_CERTIFICATE;
                case AlertDescription.bad_certificate:
                case AlertDescription.unsupported_certificate:
                    return Refusal.BAD_KEY;
                case AlertDescription.internal_error:
                    return String.valueOf(e.getMessage()).contains("exceeds the maximum") ? Refusal.LIMIT : Refusal.PROTOCOL;
                case AlertDescription.decode_error:
                case AlertDescription.unexpected_message:
                case AlertDescription.record_overflow:
                case AlertDescription.illegal_parameter:
                case AlertDescription.bad_record_mac:
                    return Refusal.MALFORMED;
                default:
                    return Refusal.PROTOCOL;
            }
        }
        return Refusal.MALFORMED;
    }

    private String detail(IOException e) {
        if (outcome.detail != null) {
            return outcome.detail;
        }
        if (e instanceof TlsFatalAlertReceived r) {
            return "the peer sent alert " + AlertDescription.getText(r.getAlertDescription());
        }
        StringBuilder b = new StringBuilder(e instanceof TlsFatalAlert a ? AlertDescription.getText(a.getAlertDescription())
                : e.getClass().getSimpleName());
        if (e.getMessage() != null && !e.getMessage().isEmpty() && !(e instanceof TlsFatalAlert a2
                && e.getMessage().equals(AlertDescription.getText(a2.getAlertDescription())))) {
            b.append(": ").append(e.getMessage());
        }
        // what caused it (e.g. a provider's refusal), without stack traces; messages here carry no key material
        for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
            b.append("; ").append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
        }
        return b.toString();
    }
}
