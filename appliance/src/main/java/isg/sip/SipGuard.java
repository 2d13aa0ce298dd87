package isg.sip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import isg.policy.Policy;
import isg.policy.PolicyPoint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The policy enforcement point on a SIP service of the channel (TS 24.282 §6.8, TS 24.281 §6.9),
 * sitting on the inside socket of one stream, between the socket and the channel:
 *
 * <ul>
 * <li>requests read from the inside socket go to the partner: a request naming one of the
 *     partner's groups (its Request-URI, or a URI in its body such as a group list) needs this
 *     gateway's OUTBOUND {@code affiliate} rule for the asking user;</li>
 * <li>requests written to the inside socket came from the partner: one naming one of our groups
 *     needs our INBOUND {@code affiliate} rule.</li>
 * </ul>
 *
 * A refused request goes no further; the gateway answers it with {@code 403 Forbidden} carrying
 * {@code Warning: 399 <gateway> "service not authorized with the interconnected system"}, sent
 * back the way the request came. Everything else passes byte for byte. Each direction is cut into
 * whole messages ({@link SipFramer}), so an answer is only ever put between two messages. The asking
 * user is the P-Asserted-Identity, else the From URI. A stream that is not SIP is closed and
 * counted.
 */
public final class SipGuard extends ChannelDuplexHandler {

    public static final String WARNING_TEXT = "service not authorized with the interconnected system";
    private static final Pattern URI = Pattern.compile("sips?:[^\\s\"'<>,;]+");
    /** Requests that belong to a dialog already decided, or cannot be answered. */
    private static final Set<String> IN_DIALOG = Set.of("ACK", "CANCEL", "BYE", "PRACK", "UPDATE", "INFO");

    private final String partner;
    private final String gatewayId;
    private final PolicyPoint policy;
    private final List<Pattern> partnerGroups;
    private final List<Pattern> ownGroups;
    private final Consumer<String> counter;
    private SipFramer fromInside;
    private SipFramer toInside;
    /** Write promises of the channel's data, completed once their octets are on the socket (or refused). */
    private final ArrayDeque<Object[]> pending = new ArrayDeque<>();
    private long accepted;
    private long done;

    /**
     * @param partnerGroups globs of the partner's group URIs; {@code ownGroups} of ours
     * @param counter receives "refused:&lt;reason&gt;" and "forbidden" outcomes for the service's counters
     */
    public SipGuard(String partner, String gatewayId, PolicyPoint policy, List<Pattern> partnerGroups,
            List<Pattern> ownGroups, Consumer<String> counter) {
        this.partner = partner;
        this.gatewayId = gatewayId;
        this.policy = policy;
        this.partnerGroups = partnerGroups;
        this.ownGroups = ownGroups;
        this.counter = counter;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        fromInside = new SipFramer(ctx.alloc());
        toInside = new SipFramer(ctx.alloc());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        fromInside.close();
        toInside.close();
        failPending(new java.nio.channels.ClosedChannelException());
    }

    // ---- inside -> partner ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        fromInside.add((ByteBuf) msg);
        try {
            SipFramer.Piece p;
            while ((p = fromInside.next()) != null) {
                String refusal = p.head() == null ? null : decide(p.head(), Policy.Direction.OUTBOUND, partnerGroups);
                if (refusal == null) {
                    ctx.fireChannelRead(p.bytes());
                } else {
                    p.bytes().release();
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(forbidden(p.head())));
                }
            }
        } catch (SipFramer.Malformed e) {
            malformed(ctx, "from the inside", e);
        }
    }

    // ---- partner -> inside ----

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf b)) {
            ctx.write(msg, promise);
            return;
        }
        accepted += b.readableBytes();
        pending.add(new Object[] {accepted, promise});
        toInside.add(b);
        try {
            SipFramer.Piece p;
            while ((p = toInside.next()) != null) {
                int n = p.bytes().readableBytes();
                String refusal = p.head() == null ? null : decide(p.head(), Policy.Direction.INBOUND, ownGroups);
                if (refusal == null) {
                    ctx.write(p.bytes()).addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            written(n);
                        } else {
                            failPending(f.cause());
                        }
                    });
                } else {
                    p.bytes().release();
                    written(n);
                    // the answer goes back to the partner, between two of the messages read from the inside
                    ctx.fireChannelRead(Unpooled.wrappedBuffer(forbidden(p.head())));
                    ctx.fireChannelReadComplete();
                }
            }
        } catch (SipFramer.Malformed e) {
            malformed(ctx, "from the partner", e);
        }
    }

    private void written(int n) {
        done += n;
        while (!pending.isEmpty() && (long) pending.peek()[0] <= done) {
            ((ChannelPromise) pending.poll()[1]).trySuccess();
        }
    }

    private void failPending(Throwable cause) {
        while (!pending.isEmpty()) {
            ((ChannelPromise) pending.poll()[1]).tryFailure(cause);
        }
    }

    private void malformed(ChannelHandlerContext ctx, String from, SipFramer.Malformed e) {
        counter.accept("refused:sip-malformed");
        System.getLogger(SipGuard.class.getName()).log(System.Logger.Level.WARNING, "SIP with partner " + partner + ": "
                + from + ": " + e.getMessage() + "; the connection is closed");
        ctx.close();
    }

    /** Null when the request may pass; else why not. */
    String decide(SipFramer.Head h, Policy.Direction direction, List<Pattern> groups) {
        if (!h.isRequest() || IN_DIALOG.contains(h.method()) || groups.isEmpty()) {
            return null;
        }
        Set<String> named = new LinkedHashSet<>();
        for (String candidate : candidates(h)) {
            for (Pattern g : groups) {
                if (g.matcher(candidate).matches()) {
                    named.add(candidate);
                }
            }
        }
        if (named.isEmpty()) {
            return null;
        }
        String user = user(h);
        for (String group : named) {
            Policy.Decision d = policy.decide(new Policy.Request(direction, partner, Policy.Action.AFFILIATE,
                    user == null ? "" : user, group), "SIP " + h.method());
            if (!d.allowed()) {
                counter.accept("forbidden");
                return d.rule();
            }
        }
        return null;
    }

    private static Set<String> candidates(SipFramer.Head h) {
        Set<String> out = new LinkedHashSet<>();
        out.add(bare(h.requestUri()));
        Matcher m = URI.matcher(h.body());
        while (m.find()) {
            out.add(bare(m.group()));
        }
        return out;
    }

    /** A URI without its parameters and headers ({@code sip:g@x;transport=tcp?a=b} → {@code sip:g@x}). */
    static String bare(String uri) {
        int cut = uri.length();
        for (char c : new char[] {';', '?', '>'}) {
            int i = uri.indexOf(c);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return uri.substring(0, cut);
    }

    private static String user(SipFramer.Head h) {
        String v = h.first("P-Asserted-Identity", null);
        if (v == null) {
            v = h.first("From", "f");
        }
        if (v == null) {
            return null;
        }
        Matcher m = URI.matcher(v);
        return m.find() ? bare(m.group()) : null;
    }

    /** The gateway's 403 to a request (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied). */
    byte[] forbidden(SipFramer.Head h) {
        StringBuilder b = new StringBuilder("SIP/2.0 403 Forbidden\r\n");
        for (String v : h.values("Via", "v")) {
            b.append("Via: ").append(v).append("\r\n");
        }
        append(b, "From", h.first("From", "f"));
        String to = h.first("To", "t");
        if (to != null && !to.contains(";tag=")) {
            to = to + ";tag=isg-" + Long.toHexString(System.nanoTime());
        }
        append(b, "To", to);
        append(b, "Call-ID", h.first("Call-ID", "i"));
        append(b, "CSeq", h.first("CSeq", null));
        b.append("Warning: 399 ").append(gatewayId).append(" \"").append(WARNING_TEXT).append("\"\r\n");
        b.append("Content-Length: 0\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void append(StringBuilder b, String name, String value) {
        if (value != null) {
            b.append(name).append(": ").append(value).append("\r\n");
        }
    }
}
