package isg.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import isg.hsm.Actor;
import isg.hsm.KeyInfo;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import isg.srtp.SessionKeys;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpUnprotector;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;
import java.net.InetSocketAddress;
import java.security.InvalidKeyException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The media relay: sessions of an inside and an outside leg on UDP port pairs, over Netty with
 * the native epoll transport where it loads and NIO elsewhere. Creating a session allocates its
 * ports, keys its legs (inside: from the request; outside: derived in the vault from the
 * partner's interconnect master key) and binds its four sockets on one event loop. Deleting it
 * closes the sockets, wipes the keys and frees the ports. Idle sessions are deleted.
 */
public final class Relay implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Relay.class.getName());

    private volatile RelayConfig config;
    private final KeyVault vault;
    private final EventLoopGroup group;
    private final Class<? extends DatagramChannel> channelClass;
    private final String transport;
    private final PortPool insidePorts;
    private final PortPool outsidePorts;
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final Counters totals = new Counters();
    private final CryptoBackend backend;
    private volatile boolean zeroised;

    public Relay(RelayConfig config, KeyVault vault, int threads) {
        this.config = config;
        this.vault = vault;
        this.backend = CryptoBackend.named(config.backend());
        if (Epoll.isAvailable()) {
            group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
            channelClass = EpollDatagramChannel.class;
            transport = "epoll";
        } else {
            group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
            channelClass = NioDatagramChannel.class;
            transport = "nio (epoll unavailable: " + Epoll.unavailabilityCause() + ")";
        }
        insidePorts = new PortPool(config.insidePortMin(), config.insidePortMax());
        outsidePorts = new PortPool(config.outsidePortMin(), config.outsidePortMax());
        long sweep = Math.max(1, Math.min(5, config.idleTimeout().toSeconds()));
        group.scheduleAtFixedRate(this::expireIdle, sweep, sweep, TimeUnit.SECONDS);
    }

    public String transport() {
        return transport;
    }

    public RelayConfig config() {
        return config;
    }

    public Counters totals() {
        return totals;
    }

    public Collection<Session> sessions() {
        return sessions.values();
    }

    public Session session(String id) {
        return sessions.get(id);
    }

    /** Creates a session; nothing is left half-created when it is refused. */
    public synchronized Session create(SessionSpec spec) throws RelayException {
        return create(spec, null);
    }

    /**
     * As {@link #create(SessionSpec)}, with the inside leg's receiving side given whole: e.g. an
     * {@code isg.mc.MkiReceiveContext} that keys each talker of a group call from its MKI, where
     * the gateway is a member of the group and holds its GMK. {@code spec.insideReceiveKey()} is
     * then not used. The session owns {@code insideReceiver} from here (and closes it on failure).
     */
    public synchronized Session create(SessionSpec spec, SrtpUnprotector insideReceiver) throws RelayException {
        try {
            validate(spec, insideReceiver != null);
        } catch (RelayException e) {
            if (insideReceiver != null) {
                insideReceiver.close();
            }
            throw e;
        }
        String masterUri = config.partners().get(spec.partner());
        SrtpSuite outsideSuite;
        SessionKeys sendKeys = null;
        SessionKeys receiveKeys = null;
        List<AutoCloseable> undo = new ArrayList<>();
        if (insideReceiver != null) {
            undo.add(insideReceiver);
        }
        try {
            KeyInfo master = vault.info(Actor.INTERNAL, masterUri);
            outsideSuite = master.bits() == 128 ? SrtpSuite.AEAD_AES_128_GCM : SrtpSuite.AEAD_AES_256_GCM;
            sendKeys = InterconnectKeys.derive(vault, masterUri, spec.id(), config.gatewayId(), outsideSuite);
            receiveKeys = InterconnectKeys.derive(vault, masterUri, spec.id(), spec.partner(), outsideSuite);
            SrtpPolicy outsidePolicy = SrtpPolicy.builder(outsideSuite).backend(backend).build();
            SrtpReceiver outRx = new SrtpReceiver(outsidePolicy, receiveKeys);
            undo.add(outRx);
            SrtpSender outTx = new SrtpSender(outsidePolicy, sendKeys);
            undo.add(outTx);
            SrtpUnprotector inRx = insideReceiver;
            SrtpSender inTx = null;
            if (spec.mode() == Session.Mode.REPROTECT) {
                if (inRx == null) {
                    SrtpPolicy insidePolicy = SrtpPolicy.builder(spec.insideSuite()).backend(backend)
                            .mkiLength(spec.insideReceiveKey().mki().length).build();
                    inRx = new SrtpReceiver(insidePolicy, spec.insideReceiveKey());
                    undo.add(inRx);
                }
                inTx = new SrtpSender(SrtpPolicy.builder(spec.insideSuite()).backend(backend)
                        .mkiLength(spec.insideSendKey().mki().length).build(), spec.insideSendKey());
                undo.add(inTx);
            }
            int inPort = insidePorts.take();
            if (inPort < 0) {
                throw new RelayException(503, "no free inside port pair in " + config.insidePortMin() + "-"
                        + config.insidePortMax());
            }
            undo.add(() -> insidePorts.give(inPort));
            int outPort = outsidePorts.take();
            if (outPort < 0) {
                throw new RelayException(503, "no free outside port pair in " + config.outsidePortMin() + "-"
                        + config.outsidePortMax());
            }
            undo.add(() -> outsidePorts.give(outPort));
            Leg inside = new Leg(Leg.Side.INSIDE, new InetSocketAddress(config.insideAddress(), inPort),
                    spec.insideRemote(), false, inRx, inTx);
            Leg outside = new Leg(Leg.Side.OUTSIDE, new InetSocketAddress(config.outsideAddress(), outPort),
                    spec.outsideRemote(), true, outRx, outTx);
            Session s = new Session(spec.id(), spec.mode(), spec.partner(), inside, outside, totals,
                    config.connectedSockets());
            EventLoop loop = group.next();
            inside.rtpChannel = bind(loop, s, inside, false);
            undo.add(inside.rtpChannel::close);
            inside.rtcpChannel = bind(loop, s, inside, true);
            undo.add(inside.rtcpChannel::close);
            outside.rtpChannel = bind(loop, s, outside, false);
            undo.add(outside.rtpChannel::close);
            outside.rtcpChannel = bind(loop, s, outside, true);
            undo.add(outside.rtcpChannel::close);
            sessions.put(s.id, s);
            undo.clear();
            LOG.log(System.Logger.Level.INFO, "session " + s.id + " (" + s.mode + ", partner " + s.partner
                    + ") inside " + inside.localRtp + " outside " + outside.localRtp);
            return s;
        } catch (VaultException e) {
            throw new RelayException(e.reason() == VaultException.Reason.UNAVAILABLE ? 503 : 422,
                    "interconnect key of partner '" + spec.partner() + "': " + e.getMessage(), e);
        } catch (InvalidKeyException e) {
            throw new RelayException(400, "inside keys: " + e.getMessage(), e);
        } finally {
            for (int i = undo.size() - 1; i >= 0; i--) {
                try {
                    undo.get(i).close();
                } catch (Exception ignored) {
                    // best effort while refusing the request
                }
            }
            if (sendKeys != null) {
                sendKeys.close();
            }
            if (receiveKeys != null) {
                receiveKeys.close();
            }
        }
    }

    /**
     * Tamper or the zeroise button: every session key in memory is overwritten at once, so no
     * session forwards another packet in either direction (each arrives as CLOSED and is dropped);
     * new sessions are refused until the box is re-keyed and restarted. Returns how many sessions
     * were wiped.
     */
    public int zeroise() {
        zeroised = true;
        int n = 0;
        for (Session s : sessions.values()) {
            s.closeKeys();
            n++;
        }
        return n;
    }

    public boolean zeroised() {
        return zeroised;
    }

    private void validate(SessionSpec spec, boolean receiverGiven) throws RelayException {
        if (zeroised) {
            throw new RelayException(503, "the gateway was zeroised (tamper or zeroise button): it takes no sessions "
                    + "until it is re-keyed and restarted");
        }
        if (spec.id() == null || !spec.id().matches("[A-Za-z0-9._:-]{1,64}")) {
            throw new RelayException(400, "session id must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        }
        if (sessions.containsKey(spec.id())) {
            throw new RelayException(409, "session '" + spec.id() + "' exists");
        }
        if (sessions.size() >= config.maxSessions()) {
            throw new RelayException(503, "the relay holds its maximum of " + config.maxSessions() + " sessions");
        }
        if (spec.mode() == null) {
            throw new RelayException(400, "mode must be reprotect or hop");
        }
        if (!config.partners().containsKey(spec.partner())) {
            throw new RelayException(422, "partner '" + spec.partner() + "' is not configured; known: "
                    + config.partners().keySet());
        }
        if (spec.insideRemote() == null) {
            throw new RelayException(400, "inside.remote (host:port of the MC side) is required");
        }
        if (spec.mode() == Session.Mode.REPROTECT
                && (spec.insideSuite() == null || (spec.insideReceiveKey() == null && !receiverGiven)
                        || spec.insideSendKey() == null)) {
            throw new RelayException(400, "a reprotect session needs inside.suite, inside.receiveKey and inside.sendKey");
        }
    }

    private Channel bind(EventLoop loop, Session s, Leg leg, boolean rtcp) throws RelayException {
        InetSocketAddress local = rtcp ? leg.localRtcp : leg.localRtp;
        Bootstrap b = new Bootstrap().group(loop).channel(channelClass)
                // pooled: its slices and buffers are recycled (Netty 4.2's adaptive default allocates a
                // slice object per received datagram)
                .option(ChannelOption.ALLOCATOR, io.netty.buffer.PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.SO_RCVBUF, 1 << 20).option(ChannelOption.SO_SNDBUF, 1 << 20)
                .handler(new LegHandler(s, leg, rtcp));
        if (channelClass == EpollDatagramChannel.class && !config.connectedSockets()) {
            // batch reads: recvmmsg up to 16 datagrams a call; flushes of several writes already
            // go out with sendmmsg
            b.option(io.netty.channel.epoll.EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, Session.MAX_PACKET)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new io.netty.channel.FixedRecvByteBufAllocator(Session.MAX_PACKET * 16));
        }
        ChannelFuture f = b.bind(local).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new RelayException(503, "cannot bind " + local + ": " + f.cause().getMessage(), f.cause());
        }
        InetSocketAddress remote = rtcp ? leg.remoteRtcp : leg.remoteRtp;
        if (config.connectedSockets() && remote != null) {
            ChannelFuture c = f.channel().connect(remote).awaitUninterruptibly();
            if (!c.isSuccess()) {
                f.channel().close();
                throw new RelayException(503, "cannot connect " + local + " to " + remote + ": " + c.cause().getMessage(),
                        c.cause());
            }
        }
        return f.channel();
    }

    /**
     * Takes a new configuration while running: partners, limits and idle timeout change at once;
     * a different gateway id, address, port range or backend needs a restart and is refused.
     */
    public synchronized void reconfigure(RelayConfig next) throws RelayException {
        RelayConfig now = config;
        if (!now.gatewayId().equals(next.gatewayId()) || !now.insideAddress().equals(next.insideAddress())
                || !now.outsideAddress().equals(next.outsideAddress()) || now.insidePortMin() != next.insidePortMin()
                || now.insidePortMax() != next.insidePortMax() || now.outsidePortMin() != next.outsidePortMin()
                || now.outsidePortMax() != next.outsidePortMax() || !now.backend().equals(next.backend())) {
            throw new RelayException(409, "gateway id, addresses, port ranges and crypto backend change only with a "
                    + "restart; the running configuration stays in force");
        }
        config = next;
    }

    /** Sets where a leg's peer is (RTP port; RTCP is the next one). */
    public void remote(String id, Leg.Side side, InetSocketAddress rtp) throws RelayException {
        Session s = sessions.get(id);
        if (s == null) {
            throw new RelayException(404, "no session '" + id + "'");
        }
        Leg leg = side == Leg.Side.INSIDE ? s.inside : s.outside;
        leg.remote(rtp);
        if (config.connectedSockets()) {
            Session.connect(leg.rtpChannel, leg.remoteRtp);
            Session.connect(leg.rtcpChannel, leg.remoteRtcp);
        }
    }

    /** Deletes a session: sockets closed, keys wiped, ports freed. */
    public synchronized boolean delete(String id) {
        Session s = sessions.remove(id);
        if (s == null) {
            return false;
        }
        for (Channel c : new Channel[] {s.inside.rtpChannel, s.inside.rtcpChannel, s.outside.rtpChannel,
                s.outside.rtcpChannel}) {
            c.close().awaitUninterruptibly();
        }
        s.closeKeys();
        insidePorts.give(s.inside.localRtp.getPort());
        outsidePorts.give(s.outside.localRtp.getPort());
        LOG.log(System.Logger.Level.INFO, "session " + id + " deleted");
        return true;
    }

    /** Every few seconds: deletes idle sessions and lets the receiving contexts tidy up. */
    private void expireIdle() {
        long limit = config.idleTimeout().toNanos();
        long now = System.nanoTime();
        for (Session s : sessions.values()) {
            for (Leg leg : new Leg[] {s.inside, s.outside}) {
                if (leg.receiver != null) {
                    leg.receiver.housekeeping(now);
                }
            }
            if (now - s.lastActivityNanos > limit) {
                LOG.log(System.Logger.Level.INFO, "session " + s.id + " idle for " + config.idleTimeout() + ": deleting");
                delete(s.id);
            }
        }
    }

    @Override
    public void close() {
        for (String id : new ArrayList<>(sessions.keySet())) {
            delete(id);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
