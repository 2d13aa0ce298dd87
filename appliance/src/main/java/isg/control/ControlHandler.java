package isg.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import isg.mc.KeyMaterialException;
import isg.mc.MediaProfile;
import isg.relay.Relay;
import isg.relay.RelayException;
import isg.relay.Session;
import isg.relay.SessionSpec;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.StringJoiner;

/**
 * The control API: sessions as JSON over HTTP, every request authenticated with a bearer token.
 *
 * <pre>
 * GET /sessions            list          POST /sessions        create (201)
 * GET /sessions/{id}       show          PATCH /sessions/{id}  a leg's remote, the partner's nonce
 * DELETE /sessions/{id}    delete (204)  GET /status           relay totals, the channel's partners
 * GET /metrics             Prometheus text exposition (relay, channel)
 * GET /partners            the partner systems   GET /partners/{id}   one of them (404 if unknown)
 * </pre>
 * Answers: 400 malformed (field named), 401 no or wrong token, 404 no such path or session,
 * 405 method not allowed, 409 session exists, 415 not JSON, 422 unknown partner or key, 503 no
 * room or vault down.
 */
final class ControlHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final System.Logger LOG = System.getLogger(ControlHandler.class.getName());

    private final Relay relay;
    private final Token token;
    private final isg.mc.McPlane mc;
    private final isg.channel.ChannelService channel;
    /** The partner view, read when asked (it is set once the gateway has it); null for none. */
    private final java.util.function.Supplier<Partners> partners;
    private final ControlServer server;

    ControlHandler(Relay relay, Token token, isg.mc.McPlane mc, isg.channel.ChannelService channel,
            java.util.function.Supplier<Partners> partners, ControlServer server) {
        this.relay = relay;
        this.token = token;
        this.mc = mc;
        this.channel = channel;
        this.partners = partners;
        this.server = server;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            // before the token is looked at: a request that is not HTTP as RFC 9112 has it gets no further
            Throwable cause = req.decoderResult().cause();
            FullHttpResponse res = cause instanceof io.netty.handler.codec.http.TooLongHttpLineException
                    ? error(414, "the request line is longer than " + ControlServer.MAX_REQUEST_LINE + " octets")
                    : cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException
                            ? error(431, "the request's headers are longer than " + ControlServer.MAX_HEADERS + " octets")
                            : error(400, "not a valid HTTP/1.1 request: " + cause.getMessage());
            HttpUtil.setKeepAlive(res, false);
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        FullHttpResponse res;
        String created = null;
        try {
            res = route(ctx, req);
            if (res.status().code() == 201 && req.method().equals(HttpMethod.POST) && pathOf(req).equals("/sessions")) {
                created = res.headers().get(HttpHeaderNames.LOCATION).substring("/sessions/".length());
            }
        } catch (RelayException e) {
            res = error(e.status(), e.getMessage());
            if (e instanceof MethodNotAllowed) {
                res.headers().set(HttpHeaderNames.ALLOW, ((MethodNotAllowed) e).allow);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "control request " + req.method() + " " + pathOf(req) + " failed", e);
            res = error(500, "internal error: " + e.getClass().getSimpleName());
        }
        if (created != null && !ctx.channel().isActive()) {
            // the client went away while the session was made: nobody will use it or delete it
            undo(ctx, created, "the client closed the connection before the answer");
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        String undoIfUnsent = created;
        io.netty.channel.ChannelFuture f = ctx.writeAndFlush(res);
        f.addListener(done -> {
            if (!done.isSuccess() && undoIfUnsent != null) {
                undo(ctx, undoIfUnsent, "the answer could not be sent (" + done.cause().getMessage() + ")");
            }
        });
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void undo(ChannelHandlerContext ctx, String id, String why) {
        relay.delete(id);
        LOG.log(System.Logger.Level.WARNING, "session " + id + " created and deleted again: " + why);
        server.audit("session-delete", ctx.channel(), java.util.Map.of("session", id), "OK", "undone: " + why);
    }

    private static String pathOf(FullHttpRequest req) {
        String path = req.uri();
        int q = path.indexOf('?');
        return q >= 0 ? path.substring(0, q) : path;
    }

    static FullHttpResponse unauthorized() {
        FullHttpResponse r = error(401, "a valid bearer token is required (Authorization: Bearer <token>)");
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"isg\"");
        return r;
    }

    private FullHttpResponse route(ChannelHandlerContext ctx, FullHttpRequest req) throws RelayException {
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (!token.accepts(auth)) {
            server.authFailed(ctx.channel(), auth == null ? "no-token" : "wrong-token");
            return unauthorized();
        }
        String path = pathOf(req);
        HttpMethod m = req.method();
        if (path.equals("/reload")) {
            requireMethod(m, "POST", HttpMethod.POST);
            ControlServer.Reloader r = server.reloader();
            if (r == null) {
                throw new RelayException(404, "this server has no configuration file to reload");
            }
            try {
                String applied = r.reload();
                server.audit("reload", ctx.channel(), java.util.Map.of(), "OK", applied);
                return json(200, "{\"reloaded\":true,\"applied\":" + SessionRequests.JSON.valueToTree(applied) + "}");
            } catch (Exception e) {
                server.audit("reload", ctx.channel(), java.util.Map.of(), "REFUSED", e.getMessage());
                throw new RelayException(409, e.getMessage());
            }
        }
        if (path.equals("/alarms") || path.startsWith("/alarms/")) {
            ControlServer.Alarms a = server.alarms();
            if (a == null) {
                throw new RelayException(404, "this server keeps no alarms");
            }
            if (path.equals("/alarms")) {
                requireMethod(m, "GET", HttpMethod.GET);
                return json(200, a.list());
            }
            String name = path.substring("/alarms/".length());
            if (!name.endsWith("/ack") || !name.substring(0, name.length() - 4).matches("[A-Za-z0-9:._-]{1,80}")) {
                throw new RelayException(404, "no resource " + path.replaceAll("[^A-Za-z0-9:._/-]", "?")
                        + "; alarms are acknowledged at POST /alarms/{name}/ack");
            }
            requireMethod(m, "POST", HttpMethod.POST);
            name = name.substring(0, name.length() - 4);
            try {
                String state = a.ack(name);
                server.audit("alarm-ack", ctx.channel(), java.util.Map.of("alarm", name), "OK", null);
                return json(200, state);
            } catch (RelayException e) {
                server.audit("alarm-ack", ctx.channel(), java.util.Map.of("alarm", name), "REFUSED", e.getMessage());
                throw e;
            }
        }
        if (path.equals("/status")) {
            requireMethod(m, "GET", HttpMethod.GET);
            return json(200, "{\"transport\":\"" + relay.transport() + "\",\"lateness\":\"" + relay.lateness()
                    + "\",\"sessions\":" + relay.sessions().size()
                    + ",\"totals\":" + relay.totals().toJson() + ",\"kernelUdpNoPorts\":"
                    + isg.relay.Counters.kernelUdpNoPorts() + ",\"channel\":"
                    + (channel == null ? "null" : channel.statusJson()) + "}");
        }
        if (path.equals("/partners") || path.startsWith("/partners/")) {
            requireMethod(m, "GET", HttpMethod.GET);
            Partners p = partners.get();
            if (p == null) {
                return path.equals("/partners") ? json(200, "[]") : error(404, "no partner is configured");
            }
            if (path.equals("/partners")) {
                return json(200, p.list());
            }
            String id = path.substring("/partners/".length());
            String one = id.matches("[A-Za-z0-9._-]{1,64}") ? p.show(id) : null;
            return one == null ? error(404, "no partner '" + id.replaceAll("[^A-Za-z0-9._-]", "?") + "'") : json(200, one);
        }
        if (path.equals("/metrics")) {
            requireMethod(m, "GET", HttpMethod.GET);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer(prometheus(), StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            return r;
        }
        if (path.equals("/sessions")) {
            if (m.equals(HttpMethod.GET)) {
                StringJoiner j = new StringJoiner(",", "[", "]");
                for (Session s : relay.sessions()) {
                    j.add(s.toJson());
                }
                return json(200, j.toString());
            }
            requireMethod(m, "GET, POST", HttpMethod.POST);
            requireJson(req);
            JsonNode body = SessionRequests.parse(ByteBufUtil.getBytes(req.content()));
            SessionSpec spec = SessionRequests.create(body);
            Session s;
            try {
                SessionRequests.Group group = SessionRequests.group(body);
                if (group == null) {
                    s = relay.create(spec);
                } else {
                    if (mc == null) {
                        throw new RelayException(409, "inside.group needs the gateway to be a member of an MC domain "
                                + "(an mc: section in its configuration)");
                    }
                    MediaProfile profile = groupProfile(group);
                    spec = spec.withInsideProfile(profile.suite(), profile.rocTransmissionRate());
                    if (group.sendGmkId() != null) {
                        try {
                            spec = spec.withInsideSendKey(mc.groupSendKey(group.sendGmkId(), group.csId(),
                                    profile.suite()));
                        } catch (KeyMaterialException e) {
                            throw new RelayException(422, "inside.group.gmkId: " + e.getMessage());
                        }
                    }
                    SrtpPolicy members = profile.policy(CryptoBackend.named(relay.config().backend()),
                            group.mkiLength()).maxStreams(mc.streamsPerGroup()).build();
                    s = relay.create(spec, mc.receiveContext(members, group.csId()));
                }
            } finally {
                // the contexts hold session keys now; the master keys of the request are not kept
                for (MasterKey k : new MasterKey[] {spec.insideReceiveKey(), spec.insideSendKey()}) {
                    if (k != null) {
                        k.close();
                    }
                }
            }
            server.audit("session-create", ctx.channel(), java.util.Map.of("session", s.id(), "partner", s.partner(),
                    "mode", s.mode().name()), "OK", null);
            FullHttpResponse r = json(201, s.toJson());
            r.headers().set(HttpHeaderNames.LOCATION, "/sessions/" + s.id());
            return r;
        }
        if (path.startsWith("/sessions/") && path.indexOf('/', 10) < 0 && path.length() > 10) {
            String id = path.substring(10);
            if (m.equals(HttpMethod.GET)) {
                return json(200, session(id).toJson());
            }
            if (m.equals(HttpMethod.DELETE)) {
                Session gone = relay.session(id);
                if (gone == null || !relay.delete(id)) {
                    throw new RelayException(404, "no session '" + id + "'");
                }
                server.audit("session-delete", ctx.channel(), java.util.Map.of("session", id, "partner", gone.partner()),
                        "OK", null);
                return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            }
            requireMethod(m, "GET, PATCH, DELETE", HttpMethod.PATCH);
            requireJson(req);
            session(id);
            SessionRequests.Patch p = SessionRequests.patch(SessionRequests.parse(ByteBufUtil.getBytes(req.content())));
            Session changed = relay.update(id, p.insideRemote(), p.outsideRemote(), p.partnerNonce());
            server.audit("session-update", ctx.channel(), java.util.Map.of("session", id, "partner", changed.partner(),
                    "changed", p.describe()), "OK", null);
            return json(200, changed.toJson());
        }
        if (path.equals("/mikey")) {
            requireMethod(m, "POST", HttpMethod.POST);
            requireJson(req);
            if (mc == null) {
                throw new RelayException(409, "this gateway is a member of no MC domain (no mc: section in its configuration)");
            }
            JsonNode n = SessionRequests.parse(ByteBufUtil.getBytes(req.content()));
            byte[] message = SessionRequests.base64(n, "message");
            try {
                isg.mc.MikeySakkeReceiver.ReceivedKey k = mc.receive(message);
                ObjectNode a = SessionRequests.JSON.createObjectNode();
                a.put("domain", k.domain()).put("purpose", k.purpose().name())
                        .put("keyId", String.format("%08x", k.keyId())).put("csbId", String.format("%08x", k.csbId()))
                        .put("key", k.stored().uri());
                if (k.notBefore() != null) {
                    a.put("notBefore", k.notBefore().toString());
                }
                a.put("notAfter", k.notAfter().toString());
                // how media under the key is protected, by crypto session ("*": every one, #CS = 0)
                ObjectNode media = a.putObject("media");
                k.profiles().forEach((cs, profile) -> media.put(cs == isg.mc.McKeyRing.ANY_CRYPTO_SESSION ? "*"
                        : Integer.toString(cs), profile.toString()));
                return json(201, a.toString());
            } catch (isg.mc.MikeyException e) {
                throw new RelayException(422, e.getMessage());
            }
        }
        throw new RelayException(404, "no resource " + path + "; the API has /sessions, /sessions/{id}, /status, /metrics, "
                + "/partners, /mikey, /reload");
    }

    /**
     * A group's media profile: what the request names (inside.suite, inside.rocTransmissionRate;
     * RCCm3 with R = 1 by default on an AEAD suite), else what the GMK's I_MESSAGE said for this
     * crypto session, else TS 33.180's default. A request that contradicts the GMK is refused.
     */
    private MediaProfile groupProfile(SessionRequests.Group group) throws RelayException {
        MediaProfile fromKey = null;
        if (group.sendGmkId() != null) {
            try {
                fromKey = mc.profile(group.sendGmkId(), group.csId());
            } catch (KeyMaterialException e) {
                throw new RelayException(422, "inside.group.gmkId: " + e.getMessage());
            }
        }
        if (group.suite() == null && group.rocTransmissionRate() == null) {
            return fromKey != null ? fromKey : MediaProfile.MC_DEFAULT;
        }
        SrtpSuite suite = group.suite() != null ? group.suite()
                : fromKey != null ? fromKey.suite() : MediaProfile.MC_DEFAULT.suite();
        int rate = group.rocTransmissionRate() != null ? group.rocTransmissionRate() : suite.aead() ? 1 : 0;
        if (rate != 0 && !suite.aead()) {
            throw new RelayException(400, "inside.rocTransmissionRate (RFC 4771 RCCm3) needs an AEAD inside.suite");
        }
        MediaProfile asked = new MediaProfile(suite, rate, true);
        if (fromKey != null && (fromKey.suite() != asked.suite()
                || fromKey.rocTransmissionRate() != asked.rocTransmissionRate())) {
            throw new RelayException(409, String.format("inside.suite/rocTransmissionRate ask for %s, but the I_MESSAGE "
                    + "of GMK %08x gives crypto session %d %s", asked, group.sendGmkId(), group.csId(), fromKey));
        }
        return asked;
    }

    private Session session(String id) throws RelayException {
        Session s = relay.session(id);
        if (s == null) {
            throw new RelayException(404, "no session '" + id + "'");
        }
        return s;
    }

    private static void requireMethod(HttpMethod m, String allow, HttpMethod expected) throws RelayException {
        if (!m.equals(expected)) {
            throw new MethodNotAllowed(allow);
        }
    }

    private static void requireJson(FullHttpRequest req) throws RelayException {
        String ct = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (ct == null || !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            throw new RelayException(415, "send Content-Type: application/json");
        }
    }

    /** 405 with the Allow header. */
    static final class MethodNotAllowed extends RelayException {
        private static final long serialVersionUID = 1L;
        final String allow;

        MethodNotAllowed(String allow) {
            super(405, "method not allowed here; allowed: " + allow);
            this.allow = allow;
        }
    }

    /** The Prometheus text exposition format (0.0.4): relay totals, then the channel's metrics. */
    private String prometheus() {
        isg.relay.Counters t = relay.totals();
        StringBuilder b = new StringBuilder()
                .append("# HELP isg_sessions sessions held by the relay\n# TYPE isg_sessions gauge\n")
                .append("isg_sessions ").append(relay.sessions().size()).append('\n')
                .append("# HELP isg_packets_total packets through the relay\n# TYPE isg_packets_total counter\n")
                .append("isg_packets_total{direction=\"in\"} ").append(t.packetsIn()).append('\n')
                .append("isg_packets_total{direction=\"out\"} ").append(t.packetsOut()).append('\n')
                .append("# HELP isg_bytes_total octets through the relay\n# TYPE isg_bytes_total counter\n")
                .append("isg_bytes_total{direction=\"in\"} ").append(t.bytesIn()).append('\n')
                .append("isg_bytes_total{direction=\"out\"} ").append(t.bytesOut()).append('\n')
                .append("# HELP isg_drops_total packets dropped, by reason\n# TYPE isg_drops_total counter\n");
        for (isg.relay.DropReason r : isg.relay.DropReason.values()) {
            b.append("isg_drops_total{reason=\"").append(r.name().toLowerCase(java.util.Locale.ROOT)).append("\"} ")
                    .append(t.drops(r)).append('\n');
        }
        if (channel != null) {
            channel.prometheus(b);
        }
        long[] c = server.connectionCounters();
        b.append("# HELP isg_control_connections open control API connections\n# TYPE isg_control_connections gauge\n")
                .append("isg_control_connections ").append(c[0]).append('\n')
                .append("# HELP isg_control_connections_closed_total control API connections refused or closed by ISG, "
                        + "by reason\n# TYPE isg_control_connections_closed_total counter\n")
                .append("isg_control_connections_closed_total{reason=\"limit\"} ").append(c[1]).append('\n')
                .append("isg_control_connections_closed_total{reason=\"idle\"} ").append(c[2]).append('\n')
                .append("isg_control_connections_closed_total{reason=\"slow-request\"} ").append(c[3]).append('\n');
        java.util.function.Consumer<StringBuilder> more = server.metrics();
        if (more != null) {
            more.accept(b);
        }
        return b.toString();
    }

    private static FullHttpResponse json(int status, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    static FullHttpResponse error(int status, String message) {
        return json(status, "{\"error\":" + SessionRequests.JSON.valueToTree(message) + ",\"status\":" + status + "}");
    }
}
