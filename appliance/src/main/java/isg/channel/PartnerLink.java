package isg.channel;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything this gateway keeps about one partner gateway: its trust, the TLS connections that
 * are up (streams are spread over them), the dialers that keep outbound connections up with
 * backoff, its services and exports with their counters, and whether it is reachable (the
 * {@code partner-down:<id>} alarm).
 */
final class PartnerLink {

    private static final System.Logger LOG = System.getLogger(PartnerLink.class.getName());
    static final Duration MIN_BACKOFF = Duration.ofMillis(250);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    record ExportTarget(java.net.InetSocketAddress target, int maxConnections, Duration idleTimeout,
            StreamCounters counters) {
    }

    private final ChannelService owner;
    final ChannelConfig.Partner config;
    final PartnerTrust trust;
    private final Map<String, ExportTarget> exports = new LinkedHashMap<>();
    private final Map<String, StreamCounters> services = new LinkedHashMap<>();
    private final StreamCounters unknownService;
    private final CopyOnWriteArrayList<ChannelConnection> ready = new CopyOnWriteArrayList<>();
    private final AtomicInteger streams = new AtomicInteger();
    private final Map<Refusal, LongAdder> refusals = new EnumMap<>(Refusal.class);
    final LongAdder handshakes = new LongAdder();
    final LongAdder dials = new LongAdder();
    private volatile boolean down;
    private volatile String lastError;
    private volatile Instant upSince;
    private volatile X509Certificate peerCertificate;
    private volatile String peerStatus;
    private volatile boolean closed;

    PartnerLink(ChannelService owner, ChannelConfig.Partner config, PartnerTrust trust) {
        this.owner = owner;
        this.config = config;
        this.trust = trust;
        for (ChannelConfig.Export e : config.exports().values()) {
            exports.put(e.name(), new ExportTarget(e.target(), e.maxConnections(), e.idleTimeout(),
                    new StreamCounters(config.id(), e.name(), "export")));
        }
        for (ChannelConfig.Service s : config.services().values()) {
            services.put(s.name(), new StreamCounters(config.id(), s.name(), "service"));
        }
        unknownService = new StreamCounters(config.id(), "?", "export");
        for (Refusal r : Refusal.values()) {
            refusals.put(r, new LongAdder());
        }
    }

    String id() {
        return config.id();
    }

    ExportTarget export(String service) {
        return exports.get(service);
    }

    StreamCounters service(String name) {
        return services.get(name);
    }

    StreamCounters unknownService() {
        return unknownService;
    }

    Iterable<StreamCounters> allCounters() {
        java.util.List<StreamCounters> all = new java.util.ArrayList<>(services.values());
        for (ExportTarget e : exports.values()) {
            all.add(e.counters());
        }
        if (unknownService.refusals().size() > 0) {
            all.add(unknownService);
        }
        return all;
    }

    /** Admits one more stream of a service (null) or says which limit stops it. */
    Frame.Reason admit(StreamCounters c, int max) {
        if (streams.incrementAndGet() > config.maxStreams()) {
            streams.decrementAndGet();
            return Frame.Reason.LIMIT;
        }
        if (c.active.incrementAndGet() > max) {
            c.active.decrementAndGet();
            streams.decrementAndGet();
            return Frame.Reason.LIMIT;
        }
        return null;
    }

    void release(StreamCounters c) {
        c.active.decrementAndGet();
        streams.decrementAndGet();
    }

    /** The ready connection with the fewest streams, or null when the partner is unreachable. */
    ChannelConnection pick() {
        ChannelConnection best = null;
        for (ChannelConnection c : ready) {
            if (best == null || c.streamCount() < best.streamCount()) {
                best = c;
            }
        }
        return best;
    }

    boolean connectionReady(ChannelConnection c) {
        if (closed || ready.size() >= maxConnections()) {
            return false;
        }
        ready.add(c);
        if (upSince == null) {
            upSince = Instant.now();
        }
        if (down) {
            down = false;
            owner.alarms().clear("partner-down:" + id());
        }
        owner.alarms().event("partner-up", id() + " over " + ready.size() + " connection(s)");
        owner.changed();
        c.sendControl(owner.statusMessage());
        return true;
    }

    /** Connections accepted from and dialled to this partner, at most. */
    int maxConnections() {
        return Math.max(2, config.connections() * 2 + 2);
    }

    void connectionClosed(ChannelConnection c) {
        if (ready.remove(c)) {
            owner.changed();
        }
        checkDown(lastError != null ? lastError : "the connection closed");
    }

    void goingAway(ChannelConnection c, String why) {
        ready.remove(c);
        lastError = "the partner is going away: " + why;
        checkDown(lastError);
    }

    /** Raises partner-down when no connection is left. */
    void checkDown(String why) {
        if (ready.isEmpty() && !closed) {
            upSince = null;
            if (!down) {
                down = true;
                owner.alarms().raise("partner-down:" + id(), why);
                owner.changed();
            }
        }
    }

    boolean up() {
        return !ready.isEmpty();
    }

    void countFailure(Refusal r, String why) {
        refusals.get(r).increment();
        lastError = r.label() + ": " + why;
    }

    Map<Refusal, Long> refusals() {
        Map<Refusal, Long> m = new EnumMap<>(Refusal.class);
        refusals.forEach((r, n) -> {
            long v = n.sum();
            if (v > 0) {
                m.put(r, v);
            }
        });
        return m;
    }

    void established(ChannelTls.Outcome o) {
        handshakes.increment();
        peerCertificate = o.peerLeaf;
        owner.checkExpiry();
    }

    X509Certificate peerCertificate() {
        return peerCertificate;
    }

    String lastError() {
        return lastError;
    }

    Instant upSince() {
        return upSince;
    }

    String peerStatus() {
        return peerStatus;
    }

    int connections() {
        return ready.size();
    }

    int streams() {
        return streams.get();
    }

    /** A CONTROL message from the partner. */
    void control(ChannelConnection from, String json) {
        String type = ChannelService.controlType(json);
        if ("status".equals(type)) {
            peerStatus = json;
        }
        owner.control(this, type, json);
    }

    void sendControl(String json) {
        for (ChannelConnection c : ready) {
            c.sendControl(json);
        }
    }

    /** Sends a CONTROL message over one connection (a request: it must arrive once); false when none is up. */
    boolean sendControlOnce(String json) {
        ChannelConnection c = pick();
        if (c == null) {
            return false;
        }
        c.sendControl(json);
        return true;
    }

    // ---- dialling ----

    /** Starts the configured outbound connections, each kept up with backoff. */
    void startDialing(Bootstrap template) {
        if (config.connect() == null) {
            return;
        }
        for (int i = 0; i < config.connections(); i++) {
            new Dialer(template).dial();
        }
    }

    private final class Dialer {
        private final Bootstrap bootstrap;
        private int failures;

        Dialer(Bootstrap template) {
            this.bootstrap = template.clone().option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                    (int) Math.min(Integer.MAX_VALUE, owner.handshakeTimeout().toMillis()));
        }

        void dial() {
            if (closed) {
                return;
            }
            dials.increment();
            ChannelFuture f = bootstrap.connect(config.connect());
            Channel ch = f.channel();
            f.addListener(done -> {
                if (!done.isSuccess()) {
                    countFailure(Refusal.CLOSED, "cannot connect to " + config.connect() + ": "
                            + done.cause().getMessage());
                    checkDown(lastError);
                }
            });
            ch.closeFuture().addListener(x -> again(ch));
        }

        private void again(Channel ch) {
            if (closed) {
                return;
            }
            // a connection that was up starts the backoff again from its shortest step
            failures = Boolean.TRUE.equals(ch.attr(ChannelService.READY).get()) ? 1 : Math.min(failures + 1, 20);
            long base = Math.min(MAX_BACKOFF.toMillis(), MIN_BACKOFF.toMillis() << Math.min(failures - 1, 16));
            long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
            LOG.log(System.Logger.Level.DEBUG, "partner " + id() + ": reconnecting in " + delay + " ms");
            ch.eventLoop().schedule(this::dial, delay, TimeUnit.MILLISECONDS);
        }
    }

    void close() {
        closed = true;
        for (ChannelConnection c : ready) {
            c.shutdown();
        }
    }

    void abort() {
        closed = true;
        for (ChannelConnection c : ready) {
            c.channel().close();
        }
    }
}
