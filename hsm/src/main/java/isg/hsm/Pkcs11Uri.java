package isg.hsm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An RFC 7512 {@code pkcs11:} URI naming a vault object: {@code token}, {@code object} (the
 * label), {@code id} (percent-encoded bytes) and {@code type} path attributes. Query attributes
 * ({@code pin-source}, {@code module-path}) are kept but a PIN value in a URI is refused: PINs
 * come from a file or the systemd credential directory, never from configuration in clear.
 */
public final class Pkcs11Uri {

    private final Map<String, String> path;
    private final Map<String, String> query;

    private Pkcs11Uri(Map<String, String> path, Map<String, String> query) {
        this.path = path;
        this.query = query;
    }

    public static Pkcs11Uri of(String token, String object, byte[] id, String type) {
        Map<String, String> p = new LinkedHashMap<>();
        if (token != null) {
            p.put("token", bytes(token));
        }
        if (object != null) {
            p.put("object", bytes(object));
        }
        if (id != null) {
            p.put("id", new String(id, StandardCharsets.ISO_8859_1));
        }
        if (type != null) {
            p.put("type", type);
        }
        return new Pkcs11Uri(p, new LinkedHashMap<>());
    }

    /** Text as its UTF-8 bytes, one per char: how attribute values are held here. */
    private static String bytes(String text) {
        return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /**
     * Parses a URI.
     *
     * @throws IllegalArgumentException naming what is wrong: scheme, attribute syntax, percent
     *     encoding, a duplicate attribute, or a {@code pin-value}
     */
    public static Pkcs11Uri parse(String uri) {
        if (uri == null || !uri.regionMatches(true, 0, "pkcs11:", 0, 7)) {
            throw new IllegalArgumentException("'" + uri + "' is not a pkcs11: URI (RFC 7512), e.g. "
                    + "pkcs11:token=isg;object=partner-a-master");
        }
        String rest = uri.substring(7);
        int q = rest.indexOf('?');
        Map<String, String> p = attributes(q < 0 ? rest : rest.substring(0, q), ';', uri);
        Map<String, String> qs = q < 0 ? new LinkedHashMap<>() : attributes(rest.substring(q + 1), '&', uri);
        if (qs.containsKey("pin-value")) {
            throw new IllegalArgumentException("pkcs11 URI " + uri.substring(0, Math.min(uri.length(), 7 + q))
                    + "...: pin-value is not accepted; give the PIN in a file (pin-source) or a systemd credential");
        }
        return new Pkcs11Uri(p, qs);
    }

    private static Map<String, String> attributes(String s, char sep, String uri) {
        Map<String, String> out = new LinkedHashMap<>();
        if (s.isEmpty()) {
            return out;
        }
        for (String part : s.split(String.valueOf(sep), -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("pkcs11 URI '" + redact(uri) + "': attribute '" + part
                        + "' is not name=value");
            }
            String name = part.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
            if (out.put(name, decode(part.substring(eq + 1), uri)) != null) {
                throw new IllegalArgumentException("pkcs11 URI '" + redact(uri) + "': attribute '" + name
                        + "' appears twice");
            }
        }
        return out;
    }

    private static String redact(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q) + "?...";
    }

    /** Percent-decodes into bytes held one per char (ISO-8859-1), so ids keep every byte. */
    private static String decode(String v, String uri) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%') {
                int hi = i + 1 < v.length() ? Character.digit(v.charAt(i + 1), 16) : -1;
                int lo = i + 2 < v.length() ? Character.digit(v.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("pkcs11 URI '" + redact(uri) + "': bad %-escape at '"
                            + v.substring(i, Math.min(v.length(), i + 3)) + "'");
                }
                b.write((hi << 4) | lo);
                i += 2;
            } else {
                byte[] u = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                b.write(u, 0, u.length);
            }
        }
        return new String(b.toByteArray(), StandardCharsets.ISO_8859_1);
    }

    private static String encode(String raw, boolean allBytes) {
        StringBuilder s = new StringBuilder();
        for (char c : raw.toCharArray()) {
            boolean unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~';
            if (unreserved && !allBytes) {
                s.append(c);
            } else {
                s.append('%').append(Character.forDigit((c >> 4) & 0xf, 16)).append(Character.forDigit(c & 0xf, 16));
            }
        }
        return s.toString();
    }

    private String text(String name) {
        String v = path.get(name);
        return v == null ? null : new String(v.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    public String token() {
        return text("token");
    }

    public String object() {
        return text("object");
    }

    public byte[] id() {
        String v = path.get("id");
        return v == null ? null : v.getBytes(StandardCharsets.ISO_8859_1);
    }

    public String type() {
        return path.get("type");
    }

    public String query(String name) {
        return query.get(name);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("pkcs11:");
        boolean first = true;
        for (Map.Entry<String, String> e : path.entrySet()) {
            if (!first) {
                s.append(';');
            }
            first = false;
            s.append(e.getKey()).append('=').append(encode(e.getValue(), e.getKey().equals("id")));
        }
        if (!query.isEmpty()) {
            s.append('?');
            first = true;
            for (Map.Entry<String, String> e : query.entrySet()) {
                if (!first) {
                    s.append('&');
                }
                first = false;
                s.append(e.getKey()).append('=').append(encode(e.getValue(), false));
            }
        }
        return s.toString();
    }
}
