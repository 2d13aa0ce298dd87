package isg.control;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import isg.relay.Relay;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The control API server: HTTP on the management address (loopback by default), bearer token
 * read from a file. Its own event loop: a slow request never holds up media.
 */
public final class ControlServer implements AutoCloseable {

    static final int MAX_BODY = 64 * 1024;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    /**
     * Where requests are served: off the event loop that reads and writes the connections, so a
     * request waiting on the vault (a slow or stalled HSM) holds up only itself, not every other
     * request. Requests of one connection stay in order.
     */
    private final DefaultEventExecutorGroup workers = new DefaultEventExecutorGroup(4,
            new io.netty.util.concurrent.DefaultThreadFactory("isg-control", true));
    private final Channel channel;
    /** Open client connections, closed (their pipelines torn down) before the executors stop. */
    private final io.netty.channel.group.ChannelGroup connections =
            new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

    /**
     * TLS for the control API: the server's certificate and key (PKCS#12, password from a file)
     * and the CA whose client certificates are accepted; every client must present one (mutual
     * TLS), and the bearer token is still required on top.
     */
    public record Tls(Path keyStore, Path keyStorePasswordFile, Path clientCa) {
    }

    /**
     * What clients may hold: open connections (more are closed as soon as they are accepted), the
     * silence after which a connection is closed, and the time a request has from its first octet
     * to its last.
     */
    public record Limits(int maxConnections, java.time.Duration idleTimeout, java.time.Duration requestTimeout) {
        public static final Limits DEFAULT = new Limits(64, java.time.Duration.ofSeconds(60),
                java.time.Duration.ofSeconds(10));

        public Limits {
            if (maxConnections < 1 || idleTimeout.isNegative() || idleTimeout.isZero() || requestTimeout.isNegative()
                    || requestTimeout.isZero()) {
                throw new IllegalArgumentException("control limits must be positive");
            }
        }
    }

    /** The longest request line (method, URI, version) and header section: beyond them 414 and 431. */
    static final int MAX_REQUEST_LINE = 4096;
    static final int MAX_HEADERS = 8192;

    private final Token token;
    private final ConnectionGuard.Shared guards = new ConnectionGuard.Shared();
    private volatile isg.hsm.AuditLog audit;
    private volatile Reloader reloader;

    /** The box's alarms: {@code GET /alarms} and {@code POST /alarms/{name}/ack}. */
    public interface Alarms {
        /** A JSON object of alarm name → its state. */
        String list();

        /** Acknowledges a latched alarm whose cause is over; answers its new state as JSON. */
        String ack(String name) throws isg.relay.RelayException;
    }

    private volatile Alarms alarms;

    /** Enables {@code GET /alarms} and {@code POST /alarms/{name}/ack}. */
    public void alarms(Alarms alarms) {
        this.alarms = alarms;
    }

    Alarms alarms() {
        return alarms;
    }

    private volatile java.util.function.Consumer<StringBuilder> metrics;

    /** More of the box for {@code GET /metrics}, appended in the Prometheus text format (vault, board, alarms, legs). */
    public void metrics(java.util.function.Consumer<StringBuilder> metrics) {
        this.metrics = metrics;
    }

    java.util.function.Consumer<StringBuilder> metrics() {
        return metrics;
    }

    /** What {@code POST /reload} runs: the gateway's reload; answers what it applied, or throws what it refused. */
    public interface Reloader {
        String reload() throws Exception;
    }

    public ControlServer(Relay relay, InetSocketAddress bind, Path tokenFile) throws IOException {
        this(relay, bind, tokenFile, null);
    }

    public ControlServer(Relay relay, InetSocketAddress bind, Path tokenFile, Tls tls) throws IOException {
        this(relay, bind, tokenFile, tls, null);
    }

    /** With the gateway's MC key plane: {@code POST /mikey} and group sessions; null without one. */
    public ControlServer(Relay relay, InetSocketAddress bind, Path tokenFile, Tls tls, isg.mc.McPlane mc)
            throws IOException {
        this(relay, bind, tokenFile, tls, mc, null);
    }

    /** With the channel between gateways too ({@code /status}, {@code /metrics}); null without one. */
    public ControlServer(Relay relay, InetSocketAddress bind, Path tokenFile, Tls tls, isg.mc.McPlane mc,
            isg.channel.ChannelService channelService) throws IOException {
        this(relay, bind, tokenFile, tls, mc, channelService, Limits.DEFAULT);
    }

    /** With the connection limits set. */
    public ControlServer(Relay relay, InetSocketAddress bind, Path tokenFile, Tls tls, isg.mc.McPlane mc,
            isg.channel.ChannelService channelService, Limits limits) throws IOException {
        this.token = new Token(tokenFile);
        io.netty.handler.ssl.SslContext ssl = tls == null ? null : sslContext(tls);
        try {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            ConnectionGuard guard = new ConnectionGuard(guards, limits);
                            if (ssl != null) {
                                ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new TlsRefusals());
                            }
                            // the idle handler's event goes to the handlers after it: the guard
                            ch.pipeline().addLast(new io.netty.handler.timeout.IdleStateHandler(0, 0,
                                    limits.idleTimeout().toMillis(), TimeUnit.MILLISECONDS), guard);
                            ch.pipeline().addLast(new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEADERS, 8192),
                                    new Aggregator(), guard.completion());
                            ch.pipeline().addLast(workers, new ControlHandler(relay, token, mc, channelService,
                                    () -> partners, ControlServer.this));
                        }
                    }).bind(bind).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the control API", e);
        } catch (RuntimeException e) {
            group.shutdownGracefully();
            workers.shutdownGracefully();
            throw new IOException("cannot bind the control API on " + bind + ": " + e.getMessage(), e);
        }
    }

    private static io.netty.handler.ssl.SslContext sslContext(Tls tls) throws IOException {
        try {
            char[] pw = Files.readString(tls.keyStorePasswordFile(), StandardCharsets.UTF_8).trim().toCharArray();
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(tls.keyStore())) {
                ks.load(in, pw);
            }
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory
                    .getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            java.util.Arrays.fill(pw, '\0');
            return io.netty.handler.ssl.SslContextBuilder.forServer(kmf)
                    .sslProvider(io.netty.handler.ssl.SslProvider.JDK)
                    .trustManager(tls.clientCa().toFile())
                    .clientAuth(io.netty.handler.ssl.ClientAuth.REQUIRE)
                    .protocols("TLSv1.3", "TLSv1.2").build();
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            throw new IOException("control API TLS (" + tls.keyStore() + ", client CA " + tls.clientCa()
                    + ") cannot be used: " + e.getMessage(), e);
        }
    }

    private volatile Partners partners;

    /**
     * Collects a request's body; answers {@code Expect: 100-continue} only for a request that
     * carries the token (anyone else gets 401 and sends no body).
     */
    private final class Aggregator extends HttpObjectAggregator {
        Aggregator() {
            super(MAX_BODY);
        }

        @Override
        protected Object newContinueResponse(io.netty.handler.codec.http.HttpMessage start, int maxContentLength,
                io.netty.channel.ChannelPipeline pipeline) {
            if (io.netty.handler.codec.http.HttpUtil.is100ContinueExpected(start)
                    && !token.accepts(start.headers().get(io.netty.handler.codec.http.HttpHeaderNames.AUTHORIZATION))) {
                authFailed(pipeline.channel(), start.headers().contains(io.netty.handler.codec.http.HttpHeaderNames
                        .AUTHORIZATION) ? "wrong-token" : "no-token");
                io.netty.handler.codec.http.FullHttpResponse r = ControlHandler.unauthorized();
                r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, "close");
                return r;
            }
            return super.newContinueResponse(start, maxContentLength, pipeline);
        }
    }

    /** A client whose TLS handshake failed (no or an untrusted client certificate): audited. */
    private final class TlsRefusals extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(io.netty.channel.ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e && !e.isSuccess()) {
                authFailed(ctx.channel(), "tls: " + e.cause().getClass().getSimpleName()
                        + (e.cause().getMessage() == null ? "" : " " + e.cause().getMessage()));
            }
            super.userEventTriggered(ctx, evt);
        }
    }

    /** Audits a refused client (rate of the log is bounded by the file's rotation). */
    void authFailed(io.netty.channel.Channel ch, String reason) {
        audit("api-authenticate", ch, java.util.Map.of(), "REFUSED", reason);
    }

    /** One audit line for something a control API client did; the actor is the API, from its address (and TLS subject). */
    void audit(String action, io.netty.channel.Channel ch, java.util.Map<String, String> fields, String result,
            String reason) {
        isg.hsm.AuditLog a = audit;
        if (a == null) {
            return;
        }
        java.util.Map<String, String> all = new java.util.LinkedHashMap<>();
        all.put("from", String.valueOf(ch.remoteAddress()));
        io.netty.handler.ssl.SslHandler tls = ch.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (tls != null) {
            try {
                all.put("client", tls.engine().getSession().getPeerPrincipal().getName());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                // no verified client: the address says who it was
            }
        }
        all.putAll(fields);
        try {
            a.event(isg.hsm.Actor.API, action, all, result, reason);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit log: " + e.getMessage());
        }
    }

    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());

    /** Where control API events are audited: who was refused, who created, changed or deleted which session, reloads. */
    public void audit(isg.hsm.AuditLog audit) {
        this.audit = audit;
    }

    /** Enables {@code POST /reload}. */
    public void reloader(Reloader reloader) {
        this.reloader = reloader;
    }

    Reloader reloader() {
        return reloader;
    }

    /**
     * Re-reads the token file: the new token works and the old one stops at once. A file that
     * cannot be used (missing, too short) keeps the running token and says why.
     */
    public boolean reloadToken() throws IOException {
        return token.reload();
    }

    /**
     * Reads and checks the token file now, for a reload that has more to check: the returned
     * action puts it in force (and says whether it changed). A file that cannot be used throws here.
     */
    public java.util.function.BooleanSupplier prepareToken() throws IOException {
        Token.Prepared p = token.prepare();
        return p::install;
    }

    /** Connections open now, and those refused at the limit, closed idle or closed for a slow request. */
    public long[] connectionCounters() {
        return new long[] {guards.open.get(), guards.refusedLimit.get(), guards.closedIdle.get(),
                guards.closedSlowRequest.get()};
    }

    /** Shows {@code partners} at GET /partners and /partners/{id}. */
    public void partners(Partners partners) {
        this.partners = partners;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
        // a closed connection's pipeline is torn down on both executors, back and forth: the loop
        // stays for a quiet moment so the workers' last hand-back is not refused
        group.shutdownGracefully(200, 2000, TimeUnit.MILLISECONDS).awaitUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
