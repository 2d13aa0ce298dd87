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
        byte[] token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim().getBytes(StandardCharsets.UTF_8);
        if (token.length < 16) {
            throw new IOException("the control API token in " + tokenFile + " must be at least 16 characters");
        }
        io.netty.handler.ssl.SslContext ssl = tls == null ? null : sslContext(tls);
        try {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            connections.add(ch);
                            if (ssl != null) {
                                ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                            }
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY));
                            ch.pipeline().addLast(workers, new ControlHandler(relay, token, mc, channelService, () -> partners));
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
