package isg.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Whether Netty's native epoll datagram path really receives here, asked once per process.
 *
 * <p>{@link Epoll#isAvailable()} says only that the native library loaded. Under qemu-user (the
 * aarch64 run in CI) it loads, yet every batched receive fails: Netty asks for
 * {@code IP_RECVORIGDSTADDR}, which the emulator does not implement (ENOPROTOOPT), and nothing ever
 * arrives. A kernel built without it would do the same. So before the relay chooses epoll it binds a
 * socket with the relay's own receive options on loopback, sends it one datagram from a plain JDK
 * socket and waits for it; with {@code relay.transport: auto} a failure means NIO, with the reason.
 */
final class EpollProbe {

    private EpollProbe() {
    }

    private static final class Holder {
        static final String RESULT = run();
    }

    /** null when epoll receives datagrams here; otherwise why not. */
    static String failure() {
        return Holder.RESULT;
    }

    private static String run() {
        if (!Epoll.isAvailable()) {
            return "epoll unavailable: " + Epoll.unavailabilityCause();
        }
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        CompletableFuture<String> got = new CompletableFuture<>();
        try (DatagramChannel sender = DatagramChannel.open()) {
            Channel ch = Relay.batchedEpollReads(new Bootstrap().group(group).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT))
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            got.complete(null);
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            got.complete("epoll receive failed: " + cause);
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            try {
                sender.send(ByteBuffer.wrap(new byte[] {'i', 's', 'g'}), ch.localAddress());
                return got.get(2, TimeUnit.SECONDS);
            } finally {
                ch.close().awaitUninterruptibly();
            }
        } catch (java.util.concurrent.TimeoutException e) {
            return "epoll received nothing from loopback within 2 s";
        } catch (Exception e) {
            return "epoll probe failed: " + e;
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}
