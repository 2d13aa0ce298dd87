package isg.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.EventExecutor;
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
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The media relay: sessions of an inside and an outside leg on UDP port pairs, over Netty with
 * the native epoll transport where it loads and NIO elsewhere. Creating a session allocates its
 * ports, keys its legs (inside: from the request; outside: derived in the vault from the
 * partner's interconnect master key and both gateways' nonces, {@link InterconnectKeys}) and
 * binds its four sockets on one event loop. Deleting it closes the sockets, wipes the keys and
 * frees the ports. Idle sessions are deleted.
 *
 * <p>No lock is held across a vault call or a bind: a session id is claimed in a concurrent map
 * first, so two creates of one id cannot both proceed, and everything slow happens after. The
 * idle sweep runs on a thread of its own, never on an event loop, so a slow vault or a bind never
 * stalls a loop that forwards packets.
 */
public final class Relay implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Relay.class.getName());

    private volatile RelayConfig config;
    private final KeyVault vault;
    private final EventLoopGroup group;
    private final Class<? extends DatagramChannel> channelClass;
    private final String transport;
    private final String lateness;
    private final PortPool insidePorts;
    private final PortPool outsidePorts;
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    /** Ids being created or deleted right now: a second create of one of them is a conflict. */
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();
    /** Sessions held plus those being created, against {@code maxSessions}. */
    private final AtomicInteger admitted = new AtomicInteger();
    private final Map<EventLoop, LoopShare> shares = new IdentityHashMap<>();
    private final ScheduledExecutorService sweeper;
    private final CryptoBackend backend;
    private volatile boolean zeroised;

    public Relay(RelayConfig config, KeyVault vault, int threads) {
        this.config = config;
        this.vault = vault;
        this.backend = CryptoBackend.named(config.backend());
        String epollFailure = config.transport().equals("nio") ? null : EpollProbe.failure();
        boolean epoll = !config.transport().equals("nio") && epollFailure == null;
        if (config.transport().equals("epoll") && !epoll) {
            throw new IllegalStateException("relay.transport is epoll, but it does not work here: " + epollFailure);
        }
        if (epoll) {
            group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
            channelClass = EpollDatagramChannel.class;
            transport = "epoll";
        } else {
            group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
            channelClass = NioDatagramChannel.class;
            transport = config.transport().equals("nio") ? "nio" : "nio (" + epollFailure + ")";
        }
        long bound = config.latencyBound().toNanos();
        String noStamps = ArrivalClock.unavailable();
        boolean judged = bound != 0 && epoll && noStamps == null;
        if (judged) {
            lateness = config.latencyBound().toMillis() + " ms from kernel arrival";
        } else if (bound == 0) {
            lateness = "off (relay.latencyBound: off)";
        } else if (!epoll) {
            lateness = "off: judging lateness needs the epoll transport";
        } else {
            lateness = "off: " + noStamps;
        }
        for (EventExecutor e : group) {
            shares.put((EventLoop) e, judged ? new LoopShare(config.maxDatagram(), ArrivalClock.create(), bound)
                    : new LoopShare(config.maxDatagram()));
        }
        if (bound != 0 && !judged) {
            LOG.log(System.Logger.Level.WARNING, "relay.latencyBound " + config.latencyBound().toMillis()
                    + " ms is not applied, datagrams are forwarded however long they waited: " + lateness);
        }
        insidePorts = new PortPool(config.insidePortMin(), config.insidePortMax());
        outsidePorts = new PortPool(config.outsidePortMin(), config.outsidePortMax());
        long sweep = Math.max(1, Math.min(5, config.idleTimeout().toSeconds()));
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isg-relay-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.SECONDS);
    }

    /**
     * Whether every event loop runs a task within {@code timeout}: the liveness the service watchdog
     * reports (a loop stuck in a vault call or a bug would hold up its sessions' packets).
     */
    public boolean loopsAnswer(java.time.Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        java.util.List<io.netty.util.concurrent.Future<?>> pings = new java.util.ArrayList<>();
        for (EventExecutor e : group) {
            pings.add(e.submit(() -> { }));
        }
        for (io.netty.util.concurrent.Future<?> f : pings) {
            long left = end - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(left, TimeUnit.NANOSECONDS) || !f.isSuccess()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Batch reads: recvmmsg up to 16 datagrams a call, each slot as large as any datagram (flushes
     * of several writes already go out with sendmmsg). The epoll probe reads the same way, so that
     * it fails where the relay's own reads would.
     */
    static Bootstrap batchedEpollReads(Bootstrap b) {
        return b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, Session.READ_BUFFER)
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(Session.READ_BUFFER * LegHandler.BATCH)
                                .maxMessagesPerRead(LegHandler.BATCH));
    }

    /** What {@code relay.transport: auto} chooses on this machine: "epoll", or "nio (why not epoll)". */
    public static String autoTransport() {
        String failure = EpollProbe.failure();
        return failure == null ? "epoll" : "nio (" + failure + ")";
    }

    public String transport() {
        return transport;
    }

    /**
     * Whether and how datagrams that waited too long are dropped as LATE: "60 ms from kernel
     * arrival", or "off…" with the reason.
     */
    public String lateness() {
        return lateness;
    }

    public RelayConfig config() {
        return config;
    }

    /** Every datagram the relay has seen, forwarded and dropped, summed over its event loops: exact. */
    public Counters totals() {
        List<Counters> parts = new ArrayList<>(shares.size());
        for (LoopShare s : shares.values()) {
            parts.add(s.totals);
        }
        return Counters.sum(parts);
    }

    public Collection<Session> sessions() {
        return sessions.values();
    }

    public Session session(String id) {
        return sessions.get(id);
    }

    /** Sweeps done so far (for status and tests: the sweep keeps running whatever a create waits for). */
    public long sweeps() {
        return sweeps.get();
    }

    private final AtomicLong sweeps = new AtomicLong();

    /** Creates a session; nothing is left half-created when it is refused. */
    public Session create(SessionSpec spec) throws RelayException {
        return create(spec, null);
    }

    /**
     * As {@link #create(SessionSpec)}, with the inside leg's receiving side given whole: e.g. an
     * {@code isg.mc.MkiReceiveContext} that keys each talker of a group call from its MKI, where
     * the gateway is a member of the group and holds its GMK. {@code spec.insideReceiveKey()} is
     * then not used. The session owns {@code insideReceiver} from here (and closes it on failure).
     *
     * <p>The outside leg is keyed at once when {@code spec.partnerNonce()} is given (the partner
     * gateway created its half first); otherwise it waits for {@link #key} and drops its packets
     * as {@code NOT_KEYED} until then.
     */
    public Session create(SessionSpec spec, SrtpUnprotector insideReceiver) throws RelayException {
        List<AutoCloseable> undo = new ArrayList<>();
        if (insideReceiver != null) {
            undo.add(insideReceiver);
        }
        try {
            validate(spec, insideReceiver != null);
            if (!claimed.add(spec.id())) {
                throw new RelayException(409, "session '" + spec.id() + "' is being created or deleted");
            }
            undo.add(() -> claimed.remove(spec.id()));
            if (sessions.containsKey(spec.id())) {
                throw new RelayException(409, "session '" + spec.id() + "' exists");
            }
            if (admitted.incrementAndGet() > config.maxSessions()) {
                admitted.decrementAndGet();
                throw new RelayException(503, "the relay holds its maximum of " + config.maxSessions() + " sessions");
            }
            undo.add(admitted::decrementAndGet);
            RelayConfig c = config;
            String masterUri = c.partners().get(spec.partner());
            KeyInfo master;
            try (isg.hsm.AuditLog.Context why = isg.hsm.AuditLog.context("session", spec.id())) {
                master = vault.info(Actor.INTERNAL, masterUri);
            }
            OutsideKeying keying = new OutsideKeying(masterUri, InterconnectKeys.suite(master.bits()),
                    InterconnectKeys.newNonce(backend.random()));
            if (spec.partnerNonce() != null) {
                keying.check(spec.partnerNonce());
            }
            SrtpUnprotector inRx = insideReceiver;
            SrtpSender inTx = null;
            if (spec.mode() == Session.Mode.REPROTECT) {
                if (inRx == null) {
                    SrtpPolicy insidePolicy = SrtpPolicy.builder(spec.insideSuite()).backend(backend)
                            .mkiLength(spec.insideReceiveKey().mki().length).rocTransmissionRate(spec.insideRocRate())
                            .build();
                    inRx = new SrtpReceiver(insidePolicy, spec.insideReceiveKey());
                    undo.add(inRx);
                }
                inTx = new SrtpSender(SrtpPolicy.builder(spec.insideSuite()).backend(backend)
                        .mkiLength(spec.insideSendKey().mki().length).rocTransmissionRate(spec.insideRocRate()).build(),
                        spec.insideSendKey());
                undo.add(inTx);
            }
            int inPort = insidePorts.take();
            if (inPort < 0) {
                throw new RelayException(503, "no free inside port pair in " + c.insidePortMin() + "-"
                        + c.insidePortMax());
            }
            undo.add(() -> insidePorts.give(inPort));
            int outPort = outsidePorts.take();
            if (outPort < 0) {
                throw new RelayException(503, "no free outside port pair in " + c.outsidePortMin() + "-"
                        + c.outsidePortMax());
            }
            undo.add(() -> outsidePorts.give(outPort));
            Leg inside = new Leg(Leg.Side.INSIDE, new InetSocketAddress(c.insideAddress(), inPort),
                    spec.insideRemote(), false, inRx, inTx);
            Leg outside = new Leg(Leg.Side.OUTSIDE, new InetSocketAddress(c.outsideAddress(), outPort),
                    spec.outsideRemote(), true, null, null);
            undo.add(outside::closeKeys);
            if (spec.partnerNonce() != null) {
                installOutsideKeys(spec.id(), spec.partner(), keying, outside, spec.partnerNonce(), c.gatewayId());
            }
            EventLoop loop = group.next();
            Session s = new Session(spec.id(), spec.mode(), spec.partner(), inside, outside, keying, shares.get(loop),
                    c.maxDatagram(), c.connectedSockets());
            for (Leg leg : new Leg[] {inside, outside}) {
                Channel rtp = bind(loop, s, leg, false);
                undo.add(rtp::close);
                Channel rtcp = bind(loop, s, leg, true);
                undo.add(rtcp::close);
                leg.channels(s, rtp, rtcp);
            }
            sessions.put(s.id, s);
            claimed.remove(s.id);
            undo.clear();
            if (zeroised) {
                // zeroised while this one was being made: it keeps no key either
                s.closeKeys();
            }
            LOG.log(System.Logger.Level.INFO, "session " + s.id + " (" + s.mode + ", partner " + s.partner
                    + ") inside " + inside.localRtp + " outside " + outside.localRtp
                    + (outside.keyed() ? ", outside keyed" : ", outside waits for the partner's nonce"));
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
        }
    }

    /**
     * Keys (or re-keys) a session's outside leg with the partner gateway's nonce for it
     * (interconnect v2). The same nonce again changes nothing; a nonce this incarnation was keyed
     * with before is refused (it would repeat this gateway's send keys). Re-keying replaces both
     * directions' contexts: packets under the earlier keys fail authentication from then on.
     */
    public Session key(String id, byte[] partnerNonce) throws RelayException {
        Session s = sessions.get(id);
        if (s == null) {
            throw new RelayException(404, "no session '" + id + "'");
        }
        // the session's keying lock: only control threads take it, never an event loop
        synchronized (s.keying) {
            if (s.keying.current(partnerNonce)) {
                return s;
            }
            s.keying.check(partnerNonce);
            try {
                installOutsideKeys(id, s.partner, s.keying, s.outside, partnerNonce, config.gatewayId());
            } catch (VaultException e) {
                throw new RelayException(e.reason() == VaultException.Reason.UNAVAILABLE ? 503 : 422,
                        "interconnect key of partner '" + s.partner + "': " + e.getMessage(), e);
            } catch (InvalidKeyException e) {
                throw new IllegalStateException("derived keys do not fit " + s.keying.suite, e);
            }
        }
        LOG.log(System.Logger.Level.INFO, "session " + id + ": outside keyed with the partner's nonce");
        return s;
    }

    /** Derives both directions' outside keys in the vault and puts them in place on the leg. */
    private void installOutsideKeys(String id, String partner, OutsideKeying keying, Leg outside, byte[] partnerNonce,
            String self) throws VaultException, InvalidKeyException, RelayException {
        byte[] mine = keying.localNonce();
        SrtpPolicy policy = SrtpPolicy.builder(keying.suite).backend(backend).build();
        SrtpReceiver rx = null;
        SrtpSender tx = null;
        try (SessionKeys sendKeys = InterconnectKeys.derive(vault, keying.masterUri, keying.suite, id, self, partner,
                mine, partnerNonce);
                SessionKeys receiveKeys = InterconnectKeys.derive(vault, keying.masterUri, keying.suite, id, partner,
                        self, partnerNonce, mine)) {
            rx = new SrtpReceiver(policy, receiveKeys);
            tx = new SrtpSender(policy, sendKeys);
        } catch (VaultException | InvalidKeyException | RuntimeException e) {
            if (rx != null) {
                rx.close();
            }
            throw e;
        }
        if (!outside.install(rx, tx)) {
            throw new RelayException(409, "session '" + id + "' was deleted or the gateway zeroised meanwhile");
        }
        keying.took(partnerNonce);
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
        Remotes.check(spec.insideRemote().getAddress(), config.insideAddress(), config.multicastRemotes(),
                "inside.remote");
        if (spec.outsideRemote() != null) {
            Remotes.check(spec.outsideRemote().getAddress(), config.outsideAddress(), false, "outside.remote");
        }
        if (spec.mode() == Session.Mode.REPROTECT
                && (spec.insideSuite() == null || (spec.insideReceiveKey() == null && !receiverGiven)
                        || spec.insideSendKey() == null)) {
            throw new RelayException(400, "a reprotect session needs inside.suite, inside.receiveKey and inside.sendKey");
        }
        if (spec.insideRocRate() < 0 || spec.insideRocRate() > 0xFFFF) {
            throw new RelayException(400, "inside.rocTransmissionRate must be 0-65535 (0: the ROC is not carried)");
        }
        if (spec.insideRocRate() != 0 && (spec.insideSuite() == null || !spec.insideSuite().aead())) {
            throw new RelayException(400, "inside.rocTransmissionRate (RFC 4771 RCCm3) needs an AEAD inside.suite");
        }
    }

    private Channel bind(EventLoop loop, Session s, Leg leg, boolean rtcp) throws RelayException {
        InetSocketAddress local = rtcp ? leg.localRtcp : leg.localRtp;
        Bootstrap b = new Bootstrap().group(loop).channel(channelClass)
                // pooled: its slices and buffers are recycled (Netty 4.2's adaptive default allocates a
                // slice object per received datagram)
                .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .option(ChannelOption.SO_RCVBUF, 1 << 20).option(ChannelOption.SO_SNDBUF, 1 << 20)
                // every read has room for the largest UDP payload: nothing is ever cut short
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(Session.READ_BUFFER).maxMessagesPerRead(LegHandler.BATCH))
                .handler(new LegHandler(s, leg, rtcp));
        // where lateness is judged, one datagram per read: the kernel's stamp is then that datagram's
        // own (a batch's would be its newest's, and its older ones would pass for as young)
        if (channelClass == EpollDatagramChannel.class && !config.connectedSockets() && s.share.clock == null) {
            batchedEpollReads(b);
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
     * a different gateway id, address, port range, datagram limit or backend needs a restart and
     * is refused.
     */
    public synchronized void reconfigure(RelayConfig next) throws RelayException {
        RelayConfig now = config;
        if (!now.gatewayId().equals(next.gatewayId()) || !now.insideAddress().equals(next.insideAddress())
                || !now.outsideAddress().equals(next.outsideAddress()) || now.insidePortMin() != next.insidePortMin()
                || now.insidePortMax() != next.insidePortMax() || now.outsidePortMin() != next.outsidePortMin()
                || now.outsidePortMax() != next.outsidePortMax() || !now.backend().equals(next.backend())
                || now.maxDatagram() != next.maxDatagram() || !now.transport().equals(next.transport())
                || !now.latencyBound().equals(next.latencyBound())) {
            throw new RelayException(409, "gateway id, addresses, port ranges, relay.maxDatagram, relay.transport, "
                    + "relay.latencyBound and crypto backend change only with a restart; the running configuration "
                    + "stays in force");
        }
        config = next;
    }

    /** Sets where a leg's peer is (RTP port; RTCP is the next one). */
    public void remote(String id, Leg.Side side, InetSocketAddress rtp) throws RelayException {
        update(id, side == Leg.Side.INSIDE ? rtp : null, side == Leg.Side.OUTSIDE ? rtp : null, null);
    }

    /**
     * Changes a session: either leg's peer and/or the partner gateway's nonce (any may be null).
     * Everything is checked before anything changes; a refused change leaves the session as it was.
     */
    public Session update(String id, InetSocketAddress insideRemote, InetSocketAddress outsideRemote,
            byte[] partnerNonce) throws RelayException {
        Session s = sessions.get(id);
        if (s == null) {
            throw new RelayException(404, "no session '" + id + "'");
        }
        RelayConfig c = config;
        if (insideRemote != null) {
            Remotes.check(insideRemote.getAddress(), c.insideAddress(), c.multicastRemotes(), "inside.remote");
        }
        if (outsideRemote != null) {
            Remotes.check(outsideRemote.getAddress(), c.outsideAddress(), false, "outside.remote");
        }
        if (partnerNonce != null) {
            key(id, partnerNonce);
        }
        for (Leg leg : new Leg[] {s.inside, s.outside}) {
            InetSocketAddress rtp = leg == s.inside ? insideRemote : outsideRemote;
            if (rtp == null) {
                continue;
            }
            leg.remote(rtp);
            if (c.connectedSockets()) {
                Session.connect(leg.rtpChannel, leg.remoteRtp);
                Session.connect(leg.rtcpChannel, leg.remoteRtcp);
            }
        }
        return s;
    }

    /** Deletes a session: sockets closed, keys wiped, ports freed. Never called on an event loop. */
    public boolean delete(String id) {
        Session s = sessions.remove(id);
        if (s == null) {
            return false;
        }
        s.closeKeys();
        for (Channel c : new Channel[] {s.inside.rtpChannel, s.inside.rtcpChannel, s.outside.rtpChannel,
                s.outside.rtcpChannel}) {
            c.close().awaitUninterruptibly();
        }
        insidePorts.give(s.inside.localRtp.getPort());
        outsidePorts.give(s.outside.localRtp.getPort());
        admitted.decrementAndGet();
        LOG.log(System.Logger.Level.INFO, "session " + id + " deleted");
        return true;
    }

    private volatile java.util.function.Consumer<Session> idleDeleted;

    /** Told of each session the sweep deleted for idleness (for the audit log), on the sweep thread. */
    public void onIdleDeleted(java.util.function.Consumer<Session> listener) {
        idleDeleted = listener;
    }

    /** Every few seconds, on the sweep thread: deletes idle sessions and lets the receiving contexts tidy up. */
    private void sweep() {
        try {
            long limit = config.idleTimeout().toNanos();
            long now = System.nanoTime();
            for (Session s : sessions.values()) {
                for (Leg leg : new Leg[] {s.inside, s.outside}) {
                    SrtpUnprotector r = leg.receiver;
                    if (r != null) {
                        r.housekeeping(now);
                    }
                }
                if (now - s.lastActivityNanos > limit) {
                    LOG.log(System.Logger.Level.INFO, "session " + s.id + " idle for " + config.idleTimeout()
                            + ": deleting");
                    if (delete(s.id)) {
                        java.util.function.Consumer<Session> l = idleDeleted;
                        if (l != null) {
                            l.accept(s);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "idle sweep failed; it runs again", e);
        }
        sweeps.incrementAndGet();
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        for (String id : new ArrayList<>(sessions.keySet())) {
            delete(id);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
