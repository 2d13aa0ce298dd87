package isg.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import isg.relay.InterconnectKeys;
import isg.relay.RelayException;
import isg.relay.Session;
import isg.relay.SessionSpec;
import isg.srtp.MasterKey;
import isg.srtp.SrtpSuite;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses and checks the JSON of session requests; every problem is a 400 naming the field and
 * the expected form. Keys are SDES-style: base64 of master key || master salt (RFC 4568 §6.1).
 *
 * <pre>
 * {"id":"call-1","mode":"reprotect","partner":"partner-a",
 *  "inside":{"remote":"10.0.0.5:40000","suite":"AEAD_AES_128_GCM","receiveKey":"base64","sendKey":"base64","mki":"hex"},
 *  "outside":{"remote":"192.0.2.7:42000","partnerNonce":"32 hex digits"}}
 * </pre>
 * {@code outside.partnerNonce} is the partner gateway's nonce for the session (its own create
 * answer's {@code outside.nonce}): given here when the partner created its half first, or later
 * with PATCH; until then the outside leg has no keys (interconnect v2).
 * For a group the gateway is a member of, {@code "group":{"csId":4,"mki":8}} replaces
 * {@code receiveKey}: each talker is keyed from the GMK by its MKI (TS 33.180). With
 * {@code "gmkId":"0e144748"} it also replaces {@code sendKey}: the gateway sends into the group
 * as a member, keyed from that GMK with its own GUK-ID.
 */
final class SessionRequests {

    /**
     * Strict: a key given twice or anything after the object is refused (a proxy and ISG must
     * never read one request two ways).
     */
    static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private SessionRequests() {
    }

    static JsonNode parse(byte[] body) throws RelayException {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new RelayException(400, "the body must be a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new RelayException(400, "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new RelayException(400, "the body cannot be read: " + e.getMessage());
        }
    }

    private static void onlyFields(JsonNode n, String where, Set<String> allowed) throws RelayException {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new RelayException(400, "unknown field " + where + f + "; expected one of " + allowed);
            }
        }
    }

    private static String text(JsonNode n, String field, String where, boolean required) throws RelayException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new RelayException(400, where + field + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new RelayException(400, where + field + " must be a string");
        }
        return v.asText();
    }

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

    /**
     * host:port with a numeric host in its canonical written form: IPv4 as four decimal octets
     * (no "1.2.3", no leading zeros, no hex), IPv6 in brackets ("[2001:db8::5]:40000") without a
     * zone, not an IPv4-mapped IPv6 address. The port is the even RTP port; RTCP is the next.
     */
    static InetSocketAddress address(String value, String field) throws RelayException {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new RelayException(400, field + " must be host:port, got '" + value + "'");
        }
        String host = value.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 2 || port > 65534 || (port & 1) != 0) {
            throw new RelayException(400, field + ": port must be an even RTP port 2-65534 (RTCP is the next one), got '"
                    + value.substring(colon + 1) + "'");
        }
        InetAddress a;
        if (host.startsWith("[") && host.endsWith("]")) {
            String v6 = host.substring(1, host.length() - 1);
            if (!IPV6.matcher(v6).matches() || v6.indexOf(':') < 0) {
                throw new RelayException(400, field + ": '" + v6 + "' is not an IPv6 address");
            }
            try {
                a = InetAddress.getByName(v6);
            } catch (UnknownHostException e) {
                throw new RelayException(400, field + ": '" + v6 + "' is not an IPv6 address");
            }
            if (!(a instanceof Inet6Address)) {
                throw new RelayException(400, field + ": " + v6 + " is an IPv4-mapped IPv6 address; write the IPv4 "
                        + "address " + a.getHostAddress() + " instead");
            }
        } else if (host.indexOf(':') >= 0) {
            throw new RelayException(400, field + ": write an IPv6 address in brackets, [address]:port, got '" + value
                    + "'");
        } else if (IPV4.matcher(host).matches()) {
            try {
                a = InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new RelayException(400, field + ": '" + host + "' is not an IPv4 address");
            }
        } else {
            throw new RelayException(400, field + " must be a numeric IP address (IPv4 as four decimal octets, IPv6 in "
                    + "brackets), got '" + host + "'");
        }
        return new InetSocketAddress(a, port);
    }

    /** A partner gateway's interconnect v2 nonce: 32 hex digits. */
    static byte[] nonce(String hex, String field) throws RelayException {
        if (hex == null || !hex.matches("[0-9a-fA-F]{" + 2 * InterconnectKeys.NONCE_LENGTH + "}")) {
            throw new RelayException(400, field + " must be the partner gateway's nonce for this session, "
                    + 2 * InterconnectKeys.NONCE_LENGTH + " hex digits (its answer's outside.nonce)");
        }
        return HexFormat.of().parseHex(hex);
    }

    private static MasterKey key(String b64, SrtpSuite suite, byte[] mki, String field) throws RelayException {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new RelayException(400, field + " is not base64");
        }
        int kl = suite.masterKeyLength();
        int sl = suite.masterSaltLength();
        try {
            if (raw.length != kl + sl) {
                throw new RelayException(400, field + " must be " + (kl + sl) + " bytes (key " + kl + " + salt " + sl
                        + ") for " + suite + ", got " + raw.length);
            }
            return new MasterKey(Arrays.copyOfRange(raw, 0, kl), Arrays.copyOfRange(raw, kl, raw.length), mki);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /**
     * {@code inside.group}: receive the MC side by MKI from the key plane (33.180), not by a
     * receiveKey. {@code suite} and {@code rocTransmissionRate} are what the request said, or
     * null: the profile then comes from the GMK's I_MESSAGE or TS 33.180's default.
     */
    record Group(SrtpSuite suite, Integer rocTransmissionRate, int csId, int mkiLength, Integer sendGmkId) {
    }

    /** The inside leg's {@code group} object, or null: {"csId": 4, "mki": 8} (8: GMK-ID||GUK-ID, 4: PCK-ID). */
    static Group group(JsonNode n) throws RelayException {
        JsonNode in = n.get("inside");
        JsonNode g = in == null ? null : in.get("group");
        if (g == null || g.isNull()) {
            return null;
        }
        if (!g.isObject()) {
            throw new RelayException(400, "inside.group must be an object {\"csId\": 0-255, \"mki\": 4 or 8}");
        }
        onlyFields(g, "inside.group.", Set.of("csId", "mki", "gmkId"));
        JsonNode cs = g.get("csId");
        if (cs == null || !cs.isInt() || cs.asInt() < 0 || cs.asInt() > 255) {
            throw new RelayException(400, "inside.group.csId must be a whole number 0-255 (33.180 CS ID, e.g. 4 for an "
                    + "MCPTT group call)");
        }
        JsonNode mki = g.get("mki");
        int mkiLength = mki == null ? 8 : mki.asInt(-1);
        if (mki != null && !mki.isInt() || (mkiLength != 4 && mkiLength != 8)) {
            throw new RelayException(400, "inside.group.mki must be 8 (GMK-ID||GUK-ID) or 4 (PCK-ID)");
        }
        Integer gmkId = null;
        String gmkHex = text(g, "gmkId", "inside.group.", false);
        if (gmkHex != null) {
            if (!gmkHex.matches("0[0-9a-fA-F]{7}") || mkiLength != 8) {
                throw new RelayException(400, "inside.group.gmkId must be a GMK identifier, 8 hex digits starting with 0 "
                        + "(33.180 purpose tag 0), in a group with 8-octet MKIs");
            }
            gmkId = Integer.parseUnsignedInt(gmkHex, 16);
        }
        String suite = text(in, "suite", "inside.", false);
        return new Group(suite == null ? null : suite(suite), rocRate(in), cs.asInt(), mkiLength, gmkId);
    }

    private static SrtpSuite suite(String name) throws RelayException {
        try {
            return SrtpSuite.fromName(name);
        } catch (IllegalArgumentException e) {
            throw new RelayException(400, "inside.suite: " + e.getMessage());
        }
    }

    /** {@code inside.rocTransmissionRate}: RFC 4771 RCCm3's R, 0 for none; null when not given. */
    static Integer rocRate(JsonNode in) throws RelayException {
        JsonNode r = in.get("rocTransmissionRate");
        if (r == null || r.isNull()) {
            return null;
        }
        if (!r.isInt() || r.asInt() < 0 || r.asInt() > 0xFFFF) {
            throw new RelayException(400, "inside.rocTransmissionRate must be a whole number 0-65535 (RFC 4771 RCCm3's "
                    + "R: every R-th packet carries the ROC; 0: none)");
        }
        return r.asInt();
    }

    /** A required base64 string field. */
    static byte[] base64(JsonNode n, String field) throws RelayException {
        onlyFields(n, "", Set.of(field));
        String v = text(n, field, "", true);
        try {
            return Base64.getDecoder().decode(v);
        } catch (IllegalArgumentException e) {
            throw new RelayException(400, field + " is not base64");
        }
    }

    static SessionSpec create(JsonNode n) throws RelayException {
        onlyFields(n, "", Set.of("id", "mode", "partner", "inside", "outside"));
        String id = text(n, "id", "", true);
        String modeText = text(n, "mode", "", true);
        Session.Mode mode;
        try {
            mode = Session.Mode.valueOf(modeText.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RelayException(400, "mode must be reprotect or hop, got '" + modeText + "'");
        }
        String partner = text(n, "partner", "", true);
        JsonNode in = n.get("inside");
        if (in == null || !in.isObject()) {
            throw new RelayException(400, "inside is required: {\"remote\":\"host:port\", ...}");
        }
        onlyFields(in, "inside.", Set.of("remote", "suite", "receiveKey", "sendKey", "mki", "group",
                "rocTransmissionRate"));
        boolean group = in.has("group") && !in.get("group").isNull();
        InetSocketAddress insideRemote = address(text(in, "remote", "inside.", true), "inside.remote");
        InetSocketAddress outsideRemote = null;
        byte[] partnerNonce = null;
        JsonNode out = n.get("outside");
        if (out != null) {
            if (!out.isObject()) {
                throw new RelayException(400, "outside must be an object");
            }
            onlyFields(out, "outside.", Set.of("remote", "partnerNonce"));
            String r = text(out, "remote", "outside.", false);
            outsideRemote = r == null ? null : address(r, "outside.remote");
            String pn = text(out, "partnerNonce", "outside.", false);
            partnerNonce = pn == null ? null : nonce(pn, "outside.partnerNonce");
        }
        SrtpSuite suite = null;
        MasterKey rx = null;
        MasterKey tx = null;
        Integer rocRate = rocRate(in);
        if (mode == Session.Mode.REPROTECT) {
            String s = text(in, "suite", "inside.", !group);
            // a group's suite may come from its GMK's I_MESSAGE or TS 33.180's default: see group()
            suite = s == null ? null : suite(s);
            byte[] mki = null;
            String mkiHex = text(in, "mki", "inside.", false);
            if (mkiHex != null) {
                try {
                    mki = HexFormat.of().parseHex(mkiHex);
                } catch (IllegalArgumentException e) {
                    throw new RelayException(400, "inside.mki must be hex");
                }
                if (mki.length == 0 || mki.length > MasterKey.MAX_MKI_LENGTH) {
                    throw new RelayException(400, "inside.mki must be 1-8 bytes");
                }
            }
            if (group && in.has("receiveKey")) {
                throw new RelayException(400, "inside.group and inside.receiveKey exclude each other: a group's "
                        + "talkers are keyed from the GMK by their MKIs");
            }
            boolean sendsAsMember = group && in.get("group").has("gmkId");
            if (sendsAsMember && in.has("sendKey")) {
                throw new RelayException(400, "inside.group.gmkId and inside.sendKey exclude each other: the gateway "
                        + "sends into the group keyed from the GMK");
            }
            if (!sendsAsMember && suite == null) {
                throw new RelayException(400, "inside.suite is required with an inside.sendKey");
            }
            rx = group ? null : key(text(in, "receiveKey", "inside.", true), suite, mki, "inside.receiveKey");
            tx = sendsAsMember ? null : key(text(in, "sendKey", "inside.", true), suite, mki, "inside.sendKey");
        } else if (in.has("suite") || in.has("receiveKey") || in.has("sendKey") || group || rocRate != null) {
            throw new RelayException(400, "a hop session carries end-to-end SRTP: it takes no inside keys");
        }
        return new SessionSpec(id, mode, partner, insideRemote, outsideRemote, suite, rx, tx, partnerNonce,
                rocRate == null ? 0 : rocRate);
    }

    /** A PATCH of a session: any of the inside peer, the outside peer, the partner gateway's nonce. */
    record Patch(InetSocketAddress insideRemote, InetSocketAddress outsideRemote, byte[] partnerNonce) {
        /** What the request changes, for the audit log (the nonce is public, but only its presence is noted). */
        String describe() {
            java.util.StringJoiner j = new java.util.StringJoiner(",");
            if (insideRemote != null) {
                j.add("inside.remote=" + insideRemote);
            }
            if (outsideRemote != null) {
                j.add("outside.remote=" + outsideRemote);
            }
            if (partnerNonce != null) {
                j.add("outside.partnerNonce");
            }
            return j.toString();
        }

    }

    /** {"inside":{"remote":"h:p"}} and/or {"outside":{"remote":"h:p","partnerNonce":"hex"}}. */
    static Patch patch(JsonNode n) throws RelayException {
        onlyFields(n, "", Set.of("inside", "outside"));
        InetSocketAddress in = null;
        InetSocketAddress out = null;
        byte[] partnerNonce = null;
        for (String side : new String[] {"inside", "outside"}) {
            JsonNode leg = n.get(side);
            if (leg == null) {
                continue;
            }
            if (!leg.isObject()) {
                throw new RelayException(400, side + " must be an object");
            }
            boolean outside = side.equals("outside");
            onlyFields(leg, side + ".", outside ? Set.of("remote", "partnerNonce") : Set.of("remote"));
            String r = text(leg, "remote", side + ".", !outside);
            InetSocketAddress a = r == null ? null : address(r, side + ".remote");
            if (outside) {
                out = a;
                String pn = text(leg, "partnerNonce", "outside.", false);
                partnerNonce = pn == null ? null : nonce(pn, "outside.partnerNonce");
            } else {
                in = a;
            }
        }
        if (in == null && out == null && partnerNonce == null) {
            throw new RelayException(400, "nothing to change: give inside.remote, outside.remote or "
                    + "outside.partnerNonce");
        }
        return new Patch(in, out, partnerNonce);
    }
}
