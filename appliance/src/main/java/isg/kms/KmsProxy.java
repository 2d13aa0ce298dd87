package isg.kms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import isg.channel.ChannelService;
import isg.policy.Policy;
import isg.policy.PolicyPoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The gateway as the border's pseudo KMS (TS 33.180 Annex L.3): key material from a partner
 * system's KMS reaches our users only through both gateways, each applying its own policy.
 *
 * <p>Outbound: an HTTP endpoint on the inside takes the KMS interface's requests (33.180 D.2:
 * {@code POST /keymanagement/identity/v1/init|keyprov[/..]|certcache[/n]}) aimed at a partner's
 * KMS. The gateway reads the request's {@code UserUri} and {@code KmsUri}, finds the partner whose
 * domains include that KMS, asks its OUTBOUND policy, and sends the request over the channel to
 * that partner's gateway. Inbound: the partner's gateway reads it again, asks its INBOUND policy
 * (for the partner it came from), and forwards it to its own KMS; the KMS's answer returns to the
 * client byte for byte (signatures intact). A request from partner A for the KMS of partner B is
 * transit: it needs this gateway's INBOUND rule for A and OUTBOUND rule for B, and B's gateway
 * decides too (R-6.17.2-006). Every refusal is a {@code KmsError} (see {@link KmsXml#error}).
 *
 * <p>On the channel the request and the answer are CONTROL messages, "ISG channel v1" types
 * {@code kms-request} and {@code kms-response} (see the README's wire contract).
 */
public final class KmsProxy implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KmsProxy.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The largest KMS answer the gateway carries back (a KmsInit or KmsKeyProv is 1-3 KiB, a
     * CertCache of many domains tens of KiB); larger ones are refused by name.
     */
    public static final int MAX_RESPONSE = 1024 * 1024;
    /**
     * Octets of an answer per {@code kms-response} part: base64 of it and the other members stay
     * within one CONTROL frame (16,384 octets; a content type is cut to 256 characters).
     */
    static final int PART = 11 * 1024;
    static final int MAX_PARTS = (MAX_RESPONSE + PART - 1) / PART;

    /**
     * @param listen the inside HTTP endpoint for our users' requests to partner KMSs; null for none
     * @param partnerKms partner id → the KMS URIs of its MC domains
     * @param ownKms the KMS URIs of our own domains (what partners may ask for)
     * @param kms our KMS's base URL (http or https), where allowed inbound requests go; null for none
     * @param uri how the gateway names itself in the KmsError answers it makes (its pseudo-KMS URI)
     * @param https whether {@code listen} is HTTPS (TLS 1.3 with the gateway's identity, key in the vault)
     */
    public record Config(InetSocketAddress listen, Map<String, List<String>> partnerKms, Set<String> ownKms, URI kms,
            String uri, Duration timeout, boolean https) {
        public Config {
            partnerKms = Map.copyOf(partnerKms);
            ownKms = Set.copyOf(ownKms);
        }

        /** Plain HTTP on {@code listen} (a lab, or a test that looks at the proxy alone). */
        public Config(InetSocketAddress listen, Map<String, List<String>> partnerKms, Set<String> ownKms, URI kms,
                String uri, Duration timeout) {
            this(listen, partnerKms, ownKms, kms, uri, timeout, false);
        }
    }

    /**
     * What the gateway answers itself, as the border's pseudo KMS (TS 33.180 Annex L.3), to a
     * {@code certcache} request whose KmsUri is the gateway's own URI: the partner KMS
     * certificates it verified, in a KmsCertCache signed with its vault key.
     */
    public record CertCache(VaultXmlSigner signer, List<java.nio.file.Path> certificates) {
        public CertCache {
            certificates = List.copyOf(certificates);
        }
    }

    /** An answer: from a KMS, or the gateway's own refusal. */
    record Answer(int status, String contentType, byte[] body) {
    }

    private final Config config;
    private final ChannelService channel;
    private final PolicyPoint policy;
    private final Clock clock;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    /**
     * Calls to our KMS: HttpURLConnection (kept-alive connections) on a few threads of their own.
     * The JDK's asynchronous HttpClient cost 1.3-2.7 ms a request here against 0.1 ms for this.
     */
    private final java.util.concurrent.ThreadPoolExecutor kmsCalls = new java.util.concurrent.ThreadPoolExecutor(4, 4,
            30, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(1024), r -> {
                Thread t = new Thread(r, "isg-kms-client");
                t.setDaemon(true);
                return t;
            });
    private final AtomicLong ids = new AtomicLong();
    /** "partner|id" → the request waiting for that partner's answer. */
    private final Map<String, CompletableFuture<Answer>> pending = new ConcurrentHashMap<>();
    /** outcome → count ("forwarded", "answered", "refused:<reason>"). */
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();

    private final CertCache cache;
    private final List<org.w3c.dom.Document> cached = new java.util.ArrayList<>();

    private KmsProxy(Config config, ChannelService channel, PolicyPoint policy, Clock clock, CertCache cache)
            throws IOException {
        this.config = config;
        this.cache = cache;
        if (cache != null) {
            for (java.nio.file.Path f : cache.certificates()) {
                try {
                    cached.add(KmsXml.parse(java.nio.file.Files.readAllBytes(f)));
                } catch (KmsXml.BadRequest e) {
                    throw new IOException(f + ": " + e.getMessage());
                }
            }
        }
        this.channel = channel;
        this.policy = policy;
        this.clock = clock;
        kmsCalls.allowCoreThreadTimeOut(true);
        channel.onControl("kms-request", this::onRequest);
        channel.onControl("kms-response", this::onResponse);
        if (config.listen() != null) {
            try {
                server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                if (config.https()) {
                                    ch.pipeline().addLast(channel.insideTlsServer(reason -> {
                                        count("refused:tls");
                                        LOG.log(System.Logger.Level.DEBUG, "KMS proxy TLS: " + reason);
                                    }));
                                }
                                ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192),
                                        new HttpObjectAggregator(KmsXml.MAX_REQUEST), new Inside());
                            }
                        }).bind(config.listen()).sync().channel();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                group.shutdownGracefully();
                throw new IOException("interrupted while binding the KMS proxy", e);
            } catch (RuntimeException e) {
                group.shutdownGracefully();
                throw new IOException("cannot bind the KMS proxy on " + config.listen() + ": " + e.getMessage(), e);
            }
        } else {
            server = null;
        }
    }

    public static KmsProxy start(Config config, ChannelService channel, PolicyPoint policy, Clock clock)
            throws IOException {
        return new KmsProxy(config, channel, policy, clock, null);
    }

    /** As above, answering certcache requests for the gateway's own URI from {@code cache}. */
    public static KmsProxy start(Config config, ChannelService channel, PolicyPoint policy, Clock clock, CertCache cache)
            throws IOException {
        return new KmsProxy(config, channel, policy, clock, cache);
    }

    public InetSocketAddress address() {
        return server == null ? null : (InetSocketAddress) server.localAddress();
    }

    private void count(String outcome) {
        counters.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
    }

    /** Outcome counts: forwarded (sent to a partner), answered (a KMS answered), refused:&lt;reason&gt;. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    private Answer refuse(KmsXml.Request r, int status, String reason, String message) {
        count("refused:" + reason);
        return new Answer(status, KmsXml.CONTENT_TYPE, KmsXml.error(r, config.uri(), status, message, clock.instant()));
    }

    private String partnerFor(String kmsUri) {
        for (Map.Entry<String, List<String>> e : config.partnerKms().entrySet()) {
            if (e.getValue().contains(kmsUri)) {
                return e.getKey();
            }
        }
        return null;
    }

    // ---- outbound: our users' requests ----

    private final class Inside extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (!req.decoderResult().isSuccess()) {
                reply(ctx, refuse(null, 400, "bad-request", "the HTTP request cannot be read"), false);
                return;
            }
            String path = req.uri();
            String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
            String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
            byte[] body = ByteBufUtil.getBytes(req.content());
            outbound(req.method(), path, auth, type, body).whenComplete((a, e) -> {
                Answer answer = e == null ? a : refuse(null, 502, "internal", "the gateway could not complete the request");
                ctx.executor().execute(() -> reply(ctx, answer, keepAlive));
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof io.netty.handler.codec.TooLongFrameException) {
                reply(ctx, refuse(null, 413, "too-large", "the request is larger than " + KmsXml.MAX_REQUEST
                        + " octets"), false);
            } else {
                ctx.close();
            }
        }
    }

    private static void reply(ChannelHandlerContext ctx, Answer a, boolean keepAlive) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(a.status()),
                Unpooled.wrappedBuffer(a.body()));
        if (a.contentType() != null) {
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType());
        }
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length);
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(res);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** One of our users' requests for a partner's KMS. */
    CompletableFuture<Answer> outbound(HttpMethod method, String path, String auth, String type, byte[] body) {
        if (!KmsXml.isKmsPath(path)) {
            return CompletableFuture.completedFuture(refuse(null, 404, "not-kms-path", "not a KMS interface path: "
                    + "POST /keymanagement/identity/v1/init, keyprov[/...] or certcache[/n]"));
        }
        if (!HttpMethod.POST.equals(method)) {
            return CompletableFuture.completedFuture(refuse(null, 405, "method", "the KMS interface takes POST"));
        }
        KmsXml.Request r;
        try {
            r = KmsXml.parseRequest(body);
        } catch (KmsXml.BadRequest e) {
            return CompletableFuture.completedFuture(refuse(null, 400, "bad-request", e.getMessage()));
        }
        if (r.kmsUri().equals(config.uri())) {
            return CompletableFuture.completedFuture(ownAnswer(r, path));
        }
        String partner = partnerFor(r.kmsUri());
        if (partner == null) {
            return CompletableFuture.completedFuture(refuse(r, 404, "no-partner", config.ownKms().contains(r.kmsUri())
                    ? r.kmsUri() + " is this system's own KMS: ask it directly"
                    : "no partner's domains include the KMS " + r.kmsUri()));
        }
        Policy.Decision d = policy.decide(new Policy.Request(Policy.Direction.OUTBOUND, partner, Policy.Action.KEY_MATERIAL,
                r.userUri(), r.kmsUri()), "KMS " + path);
        if (!d.allowed()) {
            return CompletableFuture.completedFuture(refuse(r, 403, "outbound-policy", "key material of " + r.kmsUri()
                    + " is not authorised for " + r.userUri() + " by this system (" + d.rule() + ")"));
        }
        return forward(partner, r, path, auth, type, body);
    }

    /** A request to the gateway itself as KMS: certcache is answered, signed; nothing else is. */
    private Answer ownAnswer(KmsXml.Request r, String path) {
        boolean init = path.equals("/keymanagement/identity/v1/init");
        if (cache == null || !(init || path.startsWith("/keymanagement/identity/v1/certcache"))) {
            return refuse(r, 404, "not-served", "the gateway as KMS (" + config.uri() + ") answers init and certcache only"
                    + (cache == null ? ", and has no signing identity configured" : ""));
        }
        try {
            org.w3c.dom.Document d = KmsXml.newDocument();
            org.w3c.dom.Element root = d.createElementNS(KmsXml.NS, "KmsResponse");
            // the declaration as an attribute too: canonicalisation (what is signed) sees only attributes
            root.setAttributeNS("http://www.w3.org/2000/xmlns/", "xmlns", KmsXml.NS);
            root.setAttribute("Version", "1.1.0");
            d.appendChild(root);
            KmsXml.child(root, "UserUri", r.userUri());
            KmsXml.child(root, "KmsUri", config.uri());
            KmsXml.child(root, "Time", clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            KmsXml.child(root, "ClientReqUrl", r.clientReqUrl());
            org.w3c.dom.Element message = d.createElementNS(KmsXml.NS, "KmsMessage");
            root.appendChild(message);
            if (init) {
                message.appendChild(ownCertificate(d));
            } else {
                org.w3c.dom.Element certCache = d.createElementNS(KmsXml.NS, "KmsCertCache");
                certCache.setAttribute("Version", "1.0.0");
                message.appendChild(certCache);
                for (org.w3c.dom.Document c : cached) {
                    certCache.appendChild(d.importNode(c.getDocumentElement(), true));
                }
            }
            cache.signer().signEnveloped(d);
            count("answered-by-gateway");
            return new Answer(200, KmsXml.CONTENT_TYPE, KmsXml.serialize(d));
        } catch (isg.hsm.VaultException e) {
            LOG.log(System.Logger.Level.WARNING, "signing a KMS answer: " + e.getMessage());
            return refuse(r, 503, "vault", "the gateway cannot sign its answer now (vault unavailable)");
        }
    }

    /**
     * The gateway's own KMS certificate (a KmsInit), {@code IsSecurityGateway="true"}: its KMS URI,
     * issuer and validity (those of its identity certificate, whose key signs the answer). It
     * carries no PubEncKey/PubAuthKey: the gateway issues no user keys; the keys of the partner
     * domains come in the certificates of its certcache.
     */
    private org.w3c.dom.Element ownCertificate(org.w3c.dom.Document d) {
        org.w3c.dom.Element kmsInit = d.createElementNS(KmsXml.NS, "KmsInit");
        kmsInit.setAttribute("Version", "1.0.0");
        org.w3c.dom.Element cert = d.createElementNS(KmsXml.NS, "KmsCertificate");
        cert.setAttribute("Version", "1.1.0");
        cert.setAttribute("Role", "Root");
        cert.setAttribute("IsSecurityGateway", "true");
        kmsInit.appendChild(cert);
        java.security.cert.X509Certificate id = cache.signer().certificate();
        KmsXml.child(cert, "KmsUri", config.uri());
        KmsXml.child(cert, "Issuer", id.getSubjectX500Principal().getName());
        KmsXml.child(cert, "ValidFrom", id.getNotBefore().toInstant().toString());
        KmsXml.child(cert, "ValidTo", id.getNotAfter().toInstant().toString());
        KmsXml.child(cert, "Revoked", "false");
        return kmsInit;
    }

    /** Sends a request to a partner's gateway and waits for its answer (or the timeout). */
    private CompletableFuture<Answer> forward(String partner, KmsXml.Request r, String path, String auth, String type,
            byte[] body) {
        long id = ids.incrementAndGet();
        String message = requestMessage(id, path, auth, type, body);
        if (message.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > isg.channel.Frame.MAX_PAYLOAD) {
            return CompletableFuture.completedFuture(refuse(r, 413, "too-large", "the request and its headers do not fit "
                    + "the channel's " + isg.channel.Frame.MAX_PAYLOAD + "-octet message"));
        }
        String key = partner + "|" + id;
        CompletableFuture<Answer> f = new CompletableFuture<>();
        pending.put(key, f);
        if (!channel.sendControlOnce(partner, message)) {
            pending.remove(key);
            return CompletableFuture.completedFuture(refuse(r, 502, "partner-down", "the gateway of partner " + partner
                    + " is not reachable"));
        }
        count("forwarded");
        group.schedule(() -> {
            assemblies.remove(key);
            if (pending.remove(key, f)) {
                f.complete(refuse(r, 504, "timeout", "the gateway of partner " + partner + " did not answer within "
                        + config.timeout().toMillis() + " ms"));
            }
        }, config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        return f;
    }

    /** The {@code kms-request} CONTROL message, ISG channel v1. */
    static String requestMessage(long id, String path, String auth, String type, byte[] body) {
        ObjectNode m = JSON.createObjectNode();
        m.put("type", "kms-request").put("v", 1).put("id", id).put("method", "POST").put("path", path);
        if (type != null) {
            m.put("contentType", type);
        }
        if (auth != null) {
            m.put("authorization", auth);
        }
        m.put("body", Base64.getEncoder().encodeToString(body));
        return m.toString();
    }

    /**
     * The {@code kms-response} CONTROL messages of an answer, ISG channel v1: the body in parts of
     * at most {@link #PART} octets, each message saying which part of how many it is.
     */
    static List<String> responseMessages(long id, Answer a) {
        byte[] body = a.body();
        int parts = Math.max(1, (body.length + PART - 1) / PART);
        List<String> out = new java.util.ArrayList<>(parts);
        String type = a.contentType() == null ? null : a.contentType().length() > 256 ? a.contentType().substring(0, 256)
                : a.contentType();
        for (int i = 0; i < parts; i++) {
            ObjectNode m = JSON.createObjectNode();
            m.put("type", "kms-response").put("v", 1).put("id", id).put("status", a.status());
            if (type != null) {
                m.put("contentType", type);
            }
            m.put("part", i).put("parts", parts);
            int from = i * PART;
            m.put("body", Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(body, from,
                    Math.min(body.length, from + PART))));
            out.add(m.toString());
        }
        return out;
    }

    /** The parts of one answer received so far. */
    private static final class Assembly {
        final int status;
        final String contentType;
        final byte[][] parts;
        int received;
        int octets;

        Assembly(int status, String contentType, int parts) {
            this.status = status;
            this.contentType = contentType;
            this.parts = new byte[parts][];
        }
    }

    /** "partner|id" → the answer being put together (parts may come over several connections: under this). */
    private final Map<String, Assembly> assemblies = new ConcurrentHashMap<>();

    private synchronized void onResponse(String partner, String json) {
        JsonNode m;
        try {
            m = JSON.readTree(json);
        } catch (IOException e) {
            count("refused:bad-message");
            return;
        }
        String key = partner + "|" + m.path("id").asLong(-1);
        CompletableFuture<Answer> f = pending.get(key);
        if (f == null) {
            count("refused:late-or-unknown-answer");
            return;
        }
        int status = m.path("status").asInt(0);
        int part = m.path("part").asInt(-1);
        int parts = m.path("parts").asInt(-1);
        byte[] body;
        try {
            body = Base64.getDecoder().decode(m.path("body").asText(""));
        } catch (IllegalArgumentException e) {
            body = null;
        }
        String type = m.hasNonNull("contentType") ? m.get("contentType").asText() : null;
        Assembly a = parts >= 1 && parts <= MAX_PARTS ? assemblies.computeIfAbsent(key, k -> new Assembly(status, type,
                parts)) : null;
        if (m.path("v").asInt() != 1 || status < 100 || status > 599 || body == null || body.length > PART || a == null
                || a.parts.length != parts || a.status != status || part < 0 || part >= parts || a.parts[part] != null
                || a.octets + body.length > MAX_RESPONSE) {
            assemblies.remove(key);
            if (pending.remove(key, f)) {
                f.complete(refuse(null, 502, "bad-answer", "the gateway of partner " + partner + " sent an answer this "
                        + "gateway cannot read"));
            }
            return;
        }
        a.parts[part] = body;
        a.octets += body.length;
        if (++a.received < parts) {
            return;
        }
        assemblies.remove(key);
        if (!pending.remove(key, f)) {
            return; // timed out meanwhile
        }
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream(a.octets);
        for (byte[] b : a.parts) {
            whole.writeBytes(b);
        }
        count("answered");
        f.complete(new Answer(a.status, a.contentType, whole.toByteArray()));
    }

    // ---- inbound: a partner's users' requests ----

    private void onRequest(String partner, String json) {
        JsonNode m;
        long id;
        try {
            m = JSON.readTree(json);
            id = m.path("id").asLong(-1);
        } catch (IOException e) {
            count("refused:bad-message");
            return;
        }
        inbound(partner, m).whenComplete((a, e) -> {
            Answer answer = e == null ? a : refuse(null, 502, "internal", "the partner gateway could not complete the request");
            for (String message : responseMessages(id, answer)) {
                if (!channel.sendControlOnce(partner, message)) {
                    break; // the partner went away: its request times out there
                }
            }
        });
    }

    CompletableFuture<Answer> inbound(String from, JsonNode m) {
        String path = m.path("path").asText("");
        byte[] body;
        try {
            body = Base64.getDecoder().decode(m.path("body").asText(""));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(refuse(null, 400, "bad-request", "the request's body is not base64"));
        }
        if (m.path("v").asInt() != 1) {
            return CompletableFuture.completedFuture(refuse(null, 400, "bad-request", "kms-request version "
                    + m.path("v").asText() + " is not 1"));
        }
        if (!KmsXml.isKmsPath(path) || !"POST".equals(m.path("method").asText())) {
            return CompletableFuture.completedFuture(refuse(null, 404, "not-kms-path", "not a KMS interface request"));
        }
        KmsXml.Request r;
        try {
            r = KmsXml.parseRequest(body);
        } catch (KmsXml.BadRequest e) {
            return CompletableFuture.completedFuture(refuse(null, 400, "bad-request", e.getMessage()));
        }
        String auth = m.hasNonNull("authorization") ? m.get("authorization").asText() : null;
        String type = m.hasNonNull("contentType") ? m.get("contentType").asText() : null;
        Policy.Decision in = policy.decide(new Policy.Request(Policy.Direction.INBOUND, from, Policy.Action.KEY_MATERIAL,
                r.userUri(), r.kmsUri()), "KMS " + path);
        if (!in.allowed()) {
            return CompletableFuture.completedFuture(refuse(r, 403, "inbound-policy", "key material of " + r.kmsUri()
                    + " is not authorised for " + r.userUri() + " by the partner system (" + in.rule() + ")"));
        }
        if (config.ownKms().contains(r.kmsUri())) {
            return toOwnKms(r, path, auth, type, body);
        }
        String next = partnerFor(r.kmsUri());
        if (next == null || next.equals(from)) {
            return CompletableFuture.completedFuture(refuse(r, 404, "no-partner", "the KMS " + r.kmsUri()
                    + " is not served through this gateway"));
        }
        // transit (R-6.17.2-006): our OUTBOUND rule towards the system that holds the KMS, and its gateway decides too
        Policy.Decision out = policy.decide(new Policy.Request(Policy.Direction.OUTBOUND, next, Policy.Action.KEY_MATERIAL,
                r.userUri(), r.kmsUri()), "transit from " + from + ", KMS " + path);
        if (!out.allowed()) {
            return CompletableFuture.completedFuture(refuse(r, 403, "transit-policy", "key material of " + r.kmsUri()
                    + " is not authorised for " + r.userUri() + " in transit (" + out.rule() + ")"));
        }
        return forward(next, r, path, auth, type, body);
    }

    private CompletableFuture<Answer> toOwnKms(KmsXml.Request r, String path, String auth, String type, byte[] body) {
        if (config.kms() == null) {
            return CompletableFuture.completedFuture(refuse(r, 502, "no-kms", "this gateway has no KMS configured"));
        }
        try {
            return CompletableFuture.supplyAsync(() -> callKms(r, path, auth, type, body), kmsCalls);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.completedFuture(refuse(r, 503, "kms-busy", "too many requests wait for the KMS"));
        }
    }

    private Answer callKms(KmsXml.Request r, String path, String auth, String type, byte[] body) {
        java.net.HttpURLConnection h = null;
        try {
            h = (java.net.HttpURLConnection) config.kms().resolve(path).toURL().openConnection();
            int ms = (int) config.timeout().toMillis();
            h.setConnectTimeout(ms);
            h.setReadTimeout(ms);
            h.setRequestMethod("POST");
            h.setDoOutput(true);
            // buffered, not streamed: headers and body leave in one write (streamed, the body waited
            // for the KMS's delayed ACK of the headers: ~2 ms a request)
            h.setRequestProperty("Content-Type", type == null ? KmsXml.CONTENT_TYPE : type);
            if (auth != null) {
                h.setRequestProperty("Authorization", auth);
            }
            try (java.io.OutputStream o = h.getOutputStream()) {
                o.write(body);
            }
            int status = h.getResponseCode();
            long length = h.getContentLengthLong();
            if (length > MAX_RESPONSE) {
                h.disconnect();
                return refuse(r, 502, "kms-too-large", "the KMS's answer is larger than " + MAX_RESPONSE + " octets");
            }
            byte[] answer;
            try (java.io.InputStream in = status < 400 ? h.getInputStream() : h.getErrorStream()) {
                answer = in == null ? new byte[0] : in.readNBytes(MAX_RESPONSE + 1);
            }
            if (answer.length > MAX_RESPONSE) {
                h.disconnect();
                return refuse(r, 502, "kms-too-large", "the KMS's answer is larger than " + MAX_RESPONSE + " octets");
            }
            count("answered-by-kms");
            return new Answer(status, h.getContentType(), answer);
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "KMS " + config.kms() + ": " + e.getMessage());
            if (h != null) {
                h.disconnect();
            }
            return refuse(r, 502, "kms-unreachable", "the KMS behind the partner gateway cannot be reached");
        }
    }

    /** {@code {"listen":..,"counters":{..},"pending":n}} for {@code /status}. */
    public String statusJson() {
        ObjectNode m = JSON.createObjectNode();
        m.put("listen", config.listen() == null ? null : String.valueOf(address()));
        ObjectNode c = m.putObject("counters");
        counters().forEach(c::put);
        m.put("pending", pending.size());
        return m.toString();
    }

    /** Prometheus lines: requests by outcome. */
    public void prometheus(StringBuilder b) {
        b.append("# HELP isg_kms_proxy_requests_total KMS requests through the gateway by outcome.\n");
        b.append("# TYPE isg_kms_proxy_requests_total counter\n");
        counters().forEach((k, v) -> b.append("isg_kms_proxy_requests_total{outcome=\"").append(k).append("\"} ")
                .append(v).append('\n'));
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().awaitUninterruptibly();
        }
        pending.values().forEach(f -> f.complete(refuse(null, 503, "stopping", "the gateway is stopping")));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        kmsCalls.shutdownNow();
    }
}
