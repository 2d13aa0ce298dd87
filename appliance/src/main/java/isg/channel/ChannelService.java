package isg.channel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.AttributeKey;
import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * The channel between gateways (DESIGN §3, signalling plane): mutual TLS 1.3 to each partner
 * gateway with the identity key in the vault, ISG channel v1 inside it, and the configured TCP
 * services carried across. Listens for partners on the outside, dials the partners it is
 * configured to reach (each connection kept up with backoff and keep-alive), and listens on the
 * inside for each service. Counters, alarms ({@code partner-down:<id>}, {@code cert-expiry:<who>})
 * and a versioned control stream for the gateways' own business.
 */
public final class ChannelService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ChannelService.class.getName());
    static final AttributeKey<Boolean> READY = AttributeKey.valueOf("isg.channel.ready");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Kernel buffers of every inside socket (service listeners' connections and export targets),
     * fixed rather than autotuned: with the stream window they bound what one stream can hold in
     * flight (the kernel doubles the value for its bookkeeping), whatever the host's tcp_rmem
     * allows — a stalled reader costs the box a known amount, not up to the sysctl maximum.
     * 256 KiB covers a LAN's bandwidth-delay product many times over.
     */
    static final int INSIDE_SOCKET_BUFFER = 256 * 1024;
    /** Reads of 16 KiB to 256 KiB as the traffic asks: bulk streams in few system calls, SIP in small buffers. */
    private static final io.netty.channel.AdaptiveRecvByteBufAllocator READS =
            new io.netty.channel.AdaptiveRecvByteBufAllocator(16 * 1024, 64 * 1024, 256 * 1024);

    /** Where alarms and events go (MQTT in the gateway); called from any thread, must not block long. */
    public interface Alarms {
        void raise(String name, String detail);

        void clear(String name);

        void event(String type, String detail);

        Alarms NONE = new Alarms() {
            @Override
            public void raise(String name, String detail) {
            }

            @Override
            public void clear(String name) {
            }

            @Override
            public void event(String type, String detail) {
            }
        };
    }

    private final ChannelConfig config;
    private final String gatewayId;
    private final ChannelTls tls;
    private final LocalIdentity identity;
    private final Clock clock;
    private final AuditLog audit;
    private final Alarms sink;
    private final Map<String, String> activeAlarms = new ConcurrentHashMap<>();
    private final EventLoopGroup group;
    private final ThreadPoolExecutor handshakes;
    private final ThreadPoolExecutor auditor;
    private final Map<String, PartnerLink> links = new LinkedHashMap<>();
    private final Map<Refusal, LongAdder> unidentified = new EnumMap<>(Refusal.class);
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger handshaking = new AtomicInteger();
    private final AtomicLong auditSuppressed = new AtomicLong();
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, List<BiConsumer<String, String>>> controlListeners = new ConcurrentHashMap<>();
    private final Instant started;
    private volatile Runnable onChange = () -> { };
    private volatile Channel outside;
    private volatile boolean closed;

    private ChannelService(ChannelConfig config, String gatewayId, LocalIdentity identity, List<PartnerTrust> trusts,
            Clock clock, AuditLog audit, Alarms sink, String backend) {
        this.config = config;
        this.gatewayId = gatewayId;
        this.identity = identity;
        this.clock = clock;
        this.audit = audit;
        this.sink = sink;
        this.started = clock.instant();
        this.tls = new ChannelTls(identity, trusts, clock, backend);
        for (Refusal r : Refusal.values()) {
            unidentified.put(r, new LongAdder());
        }
        for (PartnerTrust t : trusts) {
            links.put(t.partner(), new PartnerLink(this, config.partners().get(t.partner()), t));
        }
        this.group = new MultiThreadIoEventLoopGroup(config.ioThreads(),
                NioIoHandler.newFactory());
        // Handshake steps (the vault signs in them) run here, never on an event loop; a full queue refuses (LIMIT).
        this.handshakes = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(16, config.maxHandshakes() * 4)), r -> {
                    Thread t = new Thread(r, "isg-channel-handshake");
                    t.setDaemon(true);
                    return t;
                });
        this.auditor = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256), r -> {
            Thread t = new Thread(r, "isg-channel-audit");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the channel: loads the identity from the vault and each partner's trust from its
     * files, binds the outside listener and the inside service listeners, and starts dialling.
     * Anything missing or wrong is an exception naming it, and nothing is left running.
     */
    public static ChannelService start(ChannelConfig config, KeyVault vault, String gatewayId, Clock clock,
            AuditLog audit, Alarms alarms) throws IOException, VaultException {
        return start(config, vault, gatewayId, clock, audit, alarms, "jdk");
    }

    /**
     * As above, with the record layer's AES-GCM from {@code backend} ("jdk" or "fips", the
     * gateway's crypto.backend; approved-only mode is always "fips").
     */
    public static ChannelService start(ChannelConfig config, KeyVault vault, String gatewayId, Clock clock,
            AuditLog audit, Alarms alarms, String backend) throws IOException, VaultException {
        return start(config, vault, gatewayId, clock, audit, alarms, backend, InsideGuards.NONE);
    }

    /**
     * A handler put on a service's or export's inside socket, between the socket and the channel
     * (the SIP policy enforcement point); null for none. {@code outcome} counts what it refuses:
     * "forbidden" (a policy refusal) or "refused:..." (not the protocol).
     */
    public interface InsideGuards {
        InsideGuards NONE = (partner, service, outcome) -> null;

        io.netty.channel.ChannelHandler guard(String partner, String service, java.util.function.Consumer<String> outcome);
    }

    private volatile InsideGuards guards = InsideGuards.NONE;

    private io.netty.channel.ChannelHandler guard(String partner, String service, StreamCounters counters) {
        return guards.guard(partner, service, o -> counters.refused(o.equals("forbidden") ? Frame.Reason.POLICY
                : Frame.Reason.PROTOCOL));
    }

    /** As above, with guards on inside sockets, in place before the first connection is taken. */
    public static ChannelService start(ChannelConfig config, KeyVault vault, String gatewayId, Clock clock,
            AuditLog audit, Alarms alarms, String backend, InsideGuards guards) throws IOException, VaultException {
        List<X509Certificate> chain = config.chain() == null ? List.of() : PartnerTrust.readCertificates(config.chain());
        LocalIdentity identity = LocalIdentity.load(vault, config.keyUri(), config.certificateUri(), chain);
        List<PartnerTrust> trusts = new ArrayList<>();
        for (ChannelConfig.Partner p : config.partners().values()) {
            List<X509Certificate> anchors = new ArrayList<>();
            for (java.nio.file.Path f : p.ca()) {
                anchors.addAll(PartnerTrust.readCertificates(f));
            }
            List<java.security.cert.X509CRL> crls = new ArrayList<>();
            for (java.nio.file.Path f : p.crls()) {
                crls.addAll(PartnerTrust.readCrls(f));
            }
            trusts.add(new PartnerTrust(p.id(), anchors, crls, PartnerTrust.Identity.parse(p.identity()),
                    p.spkiSha256() == null ? null : java.util.HexFormat.of().parseHex(p.spkiSha256()), p.tls12()));
        }
        ChannelService s = new ChannelService(config, gatewayId, identity, trusts, clock, audit, alarms, backend);
        s.guards = guards;
        try {
            s.bind();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void bind() throws IOException {
        if (config.listen() != null) {
            outside = bindOrFail(new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 128)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            acceptPartner(ch);
                        }
                    }), config.listen(), "channel.listen");
        }
        for (PartnerLink link : links.values()) {
            for (ChannelConfig.Service svc : link.config.services().values()) {
                bindOrFail(new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                        .childOption(ChannelOption.AUTO_READ, false)
                        .childOption(ChannelOption.RCVBUF_ALLOCATOR, READS)
                        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.SO_RCVBUF, INSIDE_SOCKET_BUFFER)
                        .childOption(ChannelOption.SO_SNDBUF, INSIDE_SOCKET_BUFFER)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                acceptInside(link, svc, ch);
                            }
                        }), svc.listen(), "partners." + link.id() + ".channel.services." + svc.name() + ".listen");
            }
        }
        Bootstrap dial = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, READS)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024));
        for (PartnerLink link : links.values()) {
            link.startDialing(dial.clone().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    connections.incrementAndGet();
                    ch.closeFuture().addListener(f -> connections.decrementAndGet());
                    ch.pipeline().addLast("tls", TlsBridge.client(tls, link.trust, handshakes, config.handshakeTimeout(),
                            clientEvents(link)));
                    ch.pipeline().addLast("frames", new Frame.Decoder());
                    ch.pipeline().addLast("mux", new ChannelConnection(ChannelService.this, true));
                }
            }));
        }
        // A partner that has not come up within a grace period is down (dialled or not).
        long grace = config.handshakeTimeout().plus(config.keepAlive()).toMillis();
        group.next().schedule(() -> {
            for (PartnerLink l : links.values()) {
                if (!l.up()) {
                    l.checkDown(l.lastError() != null ? l.lastError() : "no connection with the partner yet");
                }
            }
        }, grace, TimeUnit.MILLISECONDS);
        group.next().scheduleAtFixedRate(this::checkExpiry, 0, 1, TimeUnit.HOURS);
        group.next().scheduleAtFixedRate(() -> {
            String status = statusMessage();
            for (PartnerLink l : links.values()) {
                l.sendControl(status);
            }
        }, 30, 30, TimeUnit.SECONDS);
    }

    private Channel bindOrFail(ServerBootstrap b, InetSocketAddress at, String field) throws IOException {
        try {
            Channel ch = b.bind(at).sync().channel();
            listeners.add(ch);
            return ch;
        } catch (Exception e) {
            throw new IOException(field + ": cannot listen on " + at + ": " + e.getMessage(), e);
        }
    }

    /** A partner gateway (or anybody) connected to the outside listener. */
    private void acceptPartner(SocketChannel ch) {
        if (closed) {
            ch.close();
            return;
        }
        String from = String.valueOf(ch.remoteAddress());
        if (connections.incrementAndGet() > config.maxConnections()) {
            connections.decrementAndGet();
            countUnidentified(Refusal.LIMIT, "more than " + config.maxConnections() + " connections, from " + from);
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> connections.decrementAndGet());
        if (handshaking.incrementAndGet() > config.maxHandshakes()) {
            handshaking.decrementAndGet();
            countUnidentified(Refusal.LIMIT, "more than " + config.maxHandshakes() + " handshakes at once, from " + from);
            ch.close();
            return;
        }
        ch.pipeline().addLast("tls", TlsBridge.server(tls, handshakes, config.handshakeTimeout(), serverEvents(from)));
        ch.pipeline().addLast("frames", new Frame.Decoder());
        ch.pipeline().addLast("mux", new ChannelConnection(this, false));
    }

    private TlsBridge.Events serverEvents(String from) {
        return new TlsBridge.Events() {
            @Override
            public void established(ChannelHandlerContext ctx, ChannelTls.Outcome o) {
                handshaking.decrementAndGet();
                PartnerLink link = links.get(o.partner.partner());
                link.established(o);
                auditLater("channel-accepted", link.id(), "OK", "from " + from + ", " + o.version + ", suite 0x"
                        + Integer.toHexString(o.cipherSuite));
            }

            @Override
            public void failed(ChannelHandlerContext ctx, ChannelTls.Outcome o, Refusal reason, String detail,
                    boolean handshake) {
                if (handshake) {
                    handshaking.decrementAndGet();
                }
                if (o.partner != null) {
                    PartnerLink link = links.get(o.partner.partner());
                    link.countFailure(reason, detail);
                } else {
                    countUnidentified(reason, detail + " (from " + from + ")");
                }
                if (handshake) {
                    refusedLater(o.partner == null ? from : o.partner.partner(), reason, detail);
                }
            }
        };
    }

    private TlsBridge.Events clientEvents(PartnerLink link) {
        return new TlsBridge.Events() {
            @Override
            public void established(ChannelHandlerContext ctx, ChannelTls.Outcome o) {
                link.established(o);
                auditLater("channel-connected", link.id(), "OK", "to " + link.config.connect() + ", " + o.version
                        + ", suite 0x" + Integer.toHexString(o.cipherSuite));
            }

            @Override
            public void failed(ChannelHandlerContext ctx, ChannelTls.Outcome o, Refusal reason, String detail,
                    boolean handshake) {
                link.countFailure(reason, detail);
                if (handshake) {
                    refusedLater(link.id(), reason, detail);
                }
                link.checkDown(link.lastError());
            }
        };
    }

    /** An inside client connected to a service listener: a stream to the partner's export of that name. */
    private void acceptInside(PartnerLink link, ChannelConfig.Service svc, SocketChannel ch) {
        StreamCounters counters = link.service(svc.name());
        ChannelConnection conn = closed ? null : link.pick();
        if (conn == null) {
            counters.refused(Frame.Reason.PARTNER_DOWN);
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ch.close();
            return;
        }
        Frame.Reason limit = link.admit(counters, svc.maxConnections());
        if (limit != null) {
            counters.refused(limit);
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ch.close();
            return;
        }
        ChannelConnection.Stream s = new ChannelConnection.Stream(0, counters, svc.idleTimeout().toNanos());
        s.inside = ch;
        io.netty.channel.ChannelHandler g = guard(link.id(), svc.name(), counters);
        if (g != null) {
            ch.pipeline().addLast("guard", g);
        }
        ch.pipeline().addLast("inside", new InsideHandler(conn, s));
        conn.run(() -> {
            if (!conn.openStream(s, svc.name())) {
                link.release(counters);
                counters.refused(Frame.Reason.PARTNER_DOWN);
                s.state = ChannelConnection.Stream.State.CLOSED;
                ch.close();
            }
        });
    }

    /** Connects an export's inside target for a stream the partner opened, on the connection's loop. */
    void connectInside(EventLoop loop, InetSocketAddress target, ChannelConnection conn, ChannelConnection.Stream s,
            String partner, String service) {
        io.netty.channel.ChannelHandler g = guard(partner, service, s.counters);
        Bootstrap b = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.RCVBUF_ALLOCATOR, READS)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_RCVBUF, INSIDE_SOCKET_BUFFER)
                .option(ChannelOption.SO_SNDBUF, INSIDE_SOCKET_BUFFER)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (g != null) {
                            ch.pipeline().addLast("guard", g);
                        }
                        ch.pipeline().addLast("inside", new InsideHandler(conn, s));
                    }
                });
        b.connect(target).addListener(f -> {
            io.netty.channel.ChannelFuture cf = (io.netty.channel.ChannelFuture) f;
            conn.run(() -> conn.insideConnected(s, f.isSuccess() ? cf.channel() : null, f.cause()));
        });
    }

    // ---- what the rest of the gateway sees ----

    PartnerLink partner(String id) {
        return links.get(id);
    }

    String gatewayId() {
        return gatewayId;
    }

    Duration keepAlive() {
        return config.keepAlive();
    }

    Duration handshakeTimeout() {
        return config.handshakeTimeout();
    }

    Alarms alarms() {
        return new Alarms() {
            @Override
            public void raise(String name, String detail) {
                activeAlarms.put(name, detail);
                sink.raise(name, detail);
            }

            @Override
            public void clear(String name) {
                if (activeAlarms.remove(name) != null) {
                    sink.clear(name);
                }
            }

            @Override
            public void event(String type, String detail) {
                sink.event(type, detail);
            }
        };
    }

    /** Called when something an operator sees changed (a partner up or down). */
    public void onChange(Runnable r) {
        this.onChange = r;
    }

    void changed() {
        onChange.run();
    }

    /** The outside listener's address (for tests and status), or null. */
    public InetSocketAddress outsideAddress() {
        return outside == null ? null : (InetSocketAddress) outside.localAddress();
    }

    /** Whether a partner has a ready connection now. */
    public boolean partnerUp(String partner) {
        PartnerLink l = links.get(partner);
        return l != null && l.up();
    }

    /** The alarms the channel holds raised now: name → detail. */
    public Map<String, String> activeAlarms() {
        return Map.copyOf(activeAlarms);
    }

    void countUnidentified(Refusal r, String why) {
        unidentified.get(r).increment();
        LOG.log(System.Logger.Level.DEBUG, "channel: " + r.label() + ": " + why);
    }

    private void refusedLater(String who, Refusal reason, String detail) {
        auditLater("channel-refused", who, "REFUSED " + reason.label(), detail);
    }

    /**
     * Logs and audits off the event loop; a flood of refusals fills a bounded queue and the rest
     * are counted (never lost from the counters, only from the log).
     */
    private void auditLater(String action, String who, String result, String detail) {
        try {
            auditor.execute(() -> {
                long more = auditSuppressed.getAndSet(0);
                String d = detail + (more > 0 ? " (" + more + " more not logged)" : "");
                LOG.log(result.startsWith("OK") ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                        "channel " + action + " " + who + ": " + result + ": " + d);
                if (audit != null) {
                    try {
                        audit.record(Actor.INTERNAL, action, who, null, result, d, false);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "audit: " + e.getMessage());
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            auditSuppressed.incrementAndGet();
        }
    }

    /** Raises or clears cert-expiry alarms for our certificate and each partner's (as last seen). */
    void checkExpiry() {
        Instant now = clock.instant();
        Duration warn = Duration.ofDays(config.expiryWarningDays());
        expiry("cert-expiry:local", "this gateway's TLS certificate", identity.notAfter(), now, warn);
        for (PartnerLink l : links.values()) {
            X509Certificate c = l.peerCertificate();
            if (c != null) {
                expiry("cert-expiry:" + l.id(), "partner " + l.id() + "'s TLS certificate", c.getNotAfter().toInstant(),
                        now, warn);
            }
        }
    }

    private void expiry(String alarm, String what, Instant notAfter, Instant now, Duration warn) {
        if (notAfter.isBefore(now)) {
            alarms().raise(alarm, what + " expired at " + notAfter);
        } else if (notAfter.isBefore(now.plus(warn))) {
            alarms().raise(alarm, what + " expires at " + notAfter + ", within " + warn.toDays() + " days");
        } else {
            alarms().clear(alarm);
        }
    }

    // ---- the control stream ----

    /** Sends a CONTROL message (a JSON object with a "type") to a partner; false when it is not reachable. */
    public boolean sendControl(String partner, String json) {
        PartnerLink l = controlTo(partner, json);
        if (l == null) {
            return false;
        }
        l.sendControl(json);
        return true;
    }

    /**
     * Sends a CONTROL message over exactly one of the partner's connections (a request or an
     * answer, which must arrive once); false when the partner is not reachable.
     */
    public boolean sendControlOnce(String partner, String json) {
        PartnerLink l = controlTo(partner, json);
        return l != null && l.sendControlOnce(json);
    }

    /** The partner's link if it is up (null if not), after checking {@code json} is a CONTROL message that may be sent. */
    private PartnerLink controlTo(String partner, String json) {
        if (controlType(json) == null) {
            throw new IllegalArgumentException("a control message is a JSON object with a \"type\" string");
        }
        if (json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Frame.MAX_PAYLOAD) {
            // the partner would end the connection over an oversized frame
            throw new IllegalArgumentException("a control message is at most " + Frame.MAX_PAYLOAD + " octets");
        }
        PartnerLink l = links.get(partner);
        return l == null || !l.up() ? null : l;
    }

    /** Calls {@code listener(partner, json)} for each CONTROL message of that type (on an event loop). */
    public void onControl(String type, BiConsumer<String, String> listener) {
        controlListeners.computeIfAbsent(type, t -> new CopyOnWriteArrayList<>()).add(listener);
    }

    void control(PartnerLink from, String type, String json) {
        if (type == null) {
            from.countFailure(Refusal.PROTOCOL, "a CONTROL message that is not a JSON object with a \"type\"");
            return;
        }
        for (BiConsumer<String, String> l : controlListeners.getOrDefault(type, List.of())) {
            l.accept(from.id(), json);
        }
    }

    static String controlType(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            return n != null && n.isObject() && n.path("type").isTextual() ? n.path("type").asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** This gateway's status as CONTROL "status": what a partner shows about us. */
    String statusMessage() {
        return "{\"type\":\"status\",\"gateway\":" + quote(gatewayId) + ",\"channel\":" + Frame.VERSION
                + ",\"time\":\"" + clock.instant() + "\",\"upSeconds\":"
                + Duration.between(started, clock.instant()).toSeconds() + "}";
    }

    // ---- status, metrics ----

    /** What the MQTT state shows (it changes when a partner comes up or goes down, not with traffic). */
    public String summaryJson() {
        StringBuilder b = new StringBuilder("{\"partners\":{");
        boolean first = true;
        for (PartnerLink l : links.values()) {
            b.append(first ? "" : ",").append(quote(l.id())).append(":{\"up\":").append(l.up()).append(",\"connections\":")
                    .append(l.connections()).append('}');
            first = false;
        }
        return b.append("}}").toString();
    }

    /** The channel's part of /status and of the MQTT metrics: partners, connections, services, refusals. */
    public String statusJson() {
        StringBuilder b = new StringBuilder("{\"listen\":").append(outside == null ? "null"
                : quote(String.valueOf(outside.localAddress()))).append(",\"recordCrypto\":\"").append(tls.recordCrypto())
                .append("\",\"connections\":").append(connections.get())
                .append(",\"handshaking\":").append(handshaking.get()).append(",\"identity\":{\"subject\":")
                .append(quote(identity.leaf().getSubjectX500Principal().getName())).append(",\"notAfter\":\"")
                .append(identity.notAfter()).append("\"},\"refusedUnidentified\":").append(refusalJson(unidentifiedMap()))
                .append(",\"partners\":{");
        boolean first = true;
        for (PartnerLink l : links.values()) {
            b.append(first ? "" : ",").append(quote(l.id())).append(':');
            partnerJson(b, l);
            first = false;
        }
        b.append('}');
        for (Map.Entry<String, Report> r : reports.entrySet()) {
            b.append(",\"").append(r.getKey()).append("\":").append(r.getValue().json().get());
        }
        return b.append('}').toString();
    }

    /**
     * A handler that makes an inside listener HTTPS: TLS 1.3 with this gateway's identity (its key
     * signs in the vault), no client certificate asked; handshakes run on the channel's handshake
     * threads. {@code failed} hears why a connection ended before or during use.
     */
    public io.netty.channel.ChannelHandler insideTlsServer(java.util.function.Consumer<String> failed) {
        return TlsBridge.insideServer(tls, handshakes, config.handshakeTimeout(), new TlsBridge.Events() {
            @Override
            public void established(io.netty.channel.ChannelHandlerContext ctx, ChannelTls.Outcome outcome) {
            }

            @Override
            public void failed(io.netty.channel.ChannelHandlerContext ctx, ChannelTls.Outcome outcome, Refusal reason,
                    String detail, boolean handshake) {
                if (handshake) {
                    failed.accept(reason.label() + ": " + detail);
                }
            }
        });
    }

    /** This gateway's certificate (its key is in the vault, at {@code channel.key}). */
    public java.security.cert.X509Certificate identityCertificate() {
        return identity.leaf();
    }

    /** One partner's channel state, as in {@link #statusJson()}; null for a partner the channel does not know. */
    public String partnerStatusJson(String partner) {
        PartnerLink l = links.get(partner);
        if (l == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        partnerJson(b, l);
        return b.toString();
    }

    private void partnerJson(StringBuilder b, PartnerLink l) {
        b.append("{\"up\":").append(l.up()).append(",\"connections\":")
                .append(l.connections()).append(",\"streams\":").append(l.streams()).append(",\"handshakes\":")
                .append(l.handshakes.sum()).append(",\"dials\":").append(l.dials.sum()).append(",\"upSince\":")
                .append(l.upSince() == null ? "null" : "\"" + l.upSince() + "\"").append(",\"lastError\":")
                .append(l.lastError() == null ? "null" : quote(l.lastError())).append(",\"certificateNotAfter\":")
                .append(l.peerCertificate() == null ? "null" : "\"" + l.peerCertificate().getNotAfter().toInstant() + "\"")
                .append(",\"refused\":").append(refusalJson(l.refusals())).append(",\"peer\":")
                .append(l.peerStatus() == null ? "null" : l.peerStatus()).append(",\"services\":[");
        boolean f2 = true;
        for (StreamCounters c : l.allCounters()) {
            b.append(f2 ? "" : ",").append("{\"name\":").append(quote(c.service())).append(",\"direction\":\"")
                    .append(c.direction()).append("\",\"active\":").append(c.active()).append(",\"opened\":")
                    .append(c.opened()).append(",\"bytesToPartner\":").append(c.bytesToPartner())
                    .append(",\"bytesFromPartner\":").append(c.bytesFromPartner()).append(",\"refused\":{");
            boolean f3 = true;
            for (Map.Entry<Frame.Reason, Long> e : c.refusals().entrySet()) {
                b.append(f3 ? "" : ",").append('"').append(e.getKey().label()).append("\":").append(e.getValue());
                f3 = false;
            }
            b.append("}}");
            f2 = false;
        }
        b.append("]}");
    }

    /** What a feature carried over the channel (the policy, the KMS proxy) adds to /status and /metrics. */
    public record Report(java.util.function.Supplier<String> json, java.util.function.Consumer<StringBuilder> prometheus) {
    }

    private final Map<String, Report> reports = new java.util.concurrent.ConcurrentSkipListMap<>();

    /** Adds {@code "name": json} to {@link #statusJson()} and its lines to {@link #prometheus}. */
    public void addReport(String name, Report report) {
        reports.put(name, report);
    }

    private Map<Refusal, Long> unidentifiedMap() {
        Map<Refusal, Long> m = new EnumMap<>(Refusal.class);
        unidentified.forEach((r, n) -> {
            if (n.sum() > 0) {
                m.put(r, n.sum());
            }
        });
        return m;
    }

    private static String refusalJson(Map<Refusal, Long> m) {
        StringBuilder b = new StringBuilder("{");
        m.forEach((r, n) -> b.append(b.length() > 1 ? "," : "").append('"').append(r.label()).append("\":").append(n));
        return b.append('}').toString();
    }

    /** Prometheus text exposition lines (no HELP/TYPE duplication with the caller's). */
    public void prometheus(StringBuilder out) {
        out.append("# HELP isg_channel_partner_up 1 when the partner gateway has a ready connection\n")
                .append("# TYPE isg_channel_partner_up gauge\n");
        for (PartnerLink l : links.values()) {
            out.append("isg_channel_partner_up{partner=\"").append(l.id()).append("\"} ").append(l.up() ? 1 : 0).append('\n');
        }
        out.append("# HELP isg_channel_connections TLS connections with the partner that are ready\n")
                .append("# TYPE isg_channel_connections gauge\n");
        for (PartnerLink l : links.values()) {
            out.append("isg_channel_connections{partner=\"").append(l.id()).append("\"} ").append(l.connections()).append('\n');
        }
        out.append("# HELP isg_channel_handshakes_total completed mutual TLS handshakes\n")
                .append("# TYPE isg_channel_handshakes_total counter\n");
        for (PartnerLink l : links.values()) {
            out.append("isg_channel_handshakes_total{partner=\"").append(l.id()).append("\"} ").append(l.handshakes.sum())
                    .append('\n');
        }
        out.append("# HELP isg_channel_refused_total connections refused or broken, by reason\n")
                .append("# TYPE isg_channel_refused_total counter\n");
        for (PartnerLink l : links.values()) {
            l.refusals().forEach((r, n) -> out.append("isg_channel_refused_total{partner=\"").append(l.id())
                    .append("\",reason=\"").append(r.label()).append("\"} ").append(n).append('\n'));
        }
        unidentifiedMap().forEach((r, n) -> out.append("isg_channel_refused_total{partner=\"\",reason=\"")
                .append(r.label()).append("\"} ").append(n).append('\n'));
        out.append("# HELP isg_channel_streams streams open now, by service\n# TYPE isg_channel_streams gauge\n");
        StringBuilder opened = new StringBuilder("# HELP isg_channel_streams_opened_total streams opened, by service\n"
                + "# TYPE isg_channel_streams_opened_total counter\n");
        StringBuilder bytes = new StringBuilder("# HELP isg_channel_bytes_total octets carried, by service and direction\n"
                + "# TYPE isg_channel_bytes_total counter\n");
        StringBuilder refused = new StringBuilder("# HELP isg_channel_streams_refused_total streams refused or reset, "
                + "by service and reason\n# TYPE isg_channel_streams_refused_total counter\n");
        for (PartnerLink l : links.values()) {
            for (StreamCounters c : l.allCounters()) {
                String labels = "partner=\"" + l.id() + "\",service=\"" + c.service() + "\",kind=\"" + c.direction() + "\"";
                out.append("isg_channel_streams{").append(labels).append("} ").append(c.active()).append('\n');
                opened.append("isg_channel_streams_opened_total{").append(labels).append("} ").append(c.opened()).append('\n');
                bytes.append("isg_channel_bytes_total{").append(labels).append(",direction=\"to_partner\"} ")
                        .append(c.bytesToPartner()).append('\n');
                bytes.append("isg_channel_bytes_total{").append(labels).append(",direction=\"from_partner\"} ")
                        .append(c.bytesFromPartner()).append('\n');
                c.refusals().forEach((r, n) -> refused.append("isg_channel_streams_refused_total{").append(labels)
                        .append(",reason=\"").append(r.label()).append("\"} ").append(n).append('\n'));
            }
        }
        out.append(opened).append(bytes).append(refused);
        out.append("# HELP isg_channel_certificate_expiry_seconds seconds until a TLS certificate expires\n")
                .append("# TYPE isg_channel_certificate_expiry_seconds gauge\n")
                .append("isg_channel_certificate_expiry_seconds{who=\"local\"} ")
                .append(Duration.between(clock.instant(), identity.notAfter()).toSeconds()).append('\n');
        for (PartnerLink l : links.values()) {
            if (l.peerCertificate() != null) {
                out.append("isg_channel_certificate_expiry_seconds{who=\"").append(l.id()).append("\"} ")
                        .append(Duration.between(clock.instant(), l.peerCertificate().getNotAfter().toInstant()).toSeconds())
                        .append('\n');
            }
        }
        for (Report r : reports.values()) {
            r.prometheus().accept(out);
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * Tamper: drops every connection and listener at once, without GOAWAY and without waiting
     * (the caller is on its way to zeroising the vault).
     */
    public void abort() {
        closed = true;
        for (PartnerLink l : links.values()) {
            l.abort();
        }
        for (Channel c : listeners) {
            c.close();
        }
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        handshakes.shutdownNow();
    }

    @Override
    public void close() {
        if (closed) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            return;
        }
        closed = true;
        for (PartnerLink l : links.values()) {
            l.close();
        }
        for (Channel c : listeners) {
            c.close();
        }
        group.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS).syncUninterruptibly();
        handshakes.shutdownNow();
        auditor.shutdown();
        try {
            auditor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
