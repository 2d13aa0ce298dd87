package isg.loadgen;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bencode (BEP 3), the encoding of rtpengine's ng control protocol: strings, integers, lists and
 * dictionaries. Decoding refuses anything malformed with the offset where it went wrong.
 */
final class Bencode {

    private final byte[] in;
    private int at;

    private Bencode(byte[] in, int at) {
        this.in = in;
        this.at = at;
    }

    static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        encode(value, out);
        return out.toByteArray();
    }

    private static void encode(Object v, ByteArrayOutputStream out) {
        if (v instanceof String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.writeBytes((b.length + ":").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(b);
        } else if (v instanceof Integer || v instanceof Long) {
            out.writeBytes(("i" + v + "e").getBytes(StandardCharsets.US_ASCII));
        } else if (v instanceof List<?> l) {
            out.write('l');
            l.forEach(x -> encode(x, out));
            out.write('e');
        } else if (v instanceof Map<?, ?> m) {
            out.write('d');
            m.keySet().stream().map(k -> (String) k).sorted().forEach(k -> {
                encode(k, out);
                encode(m.get(k), out);
            });
            out.write('e');
        } else {
            throw new IllegalArgumentException("bencode has no " + (v == null ? "null" : v.getClass().getSimpleName()));
        }
    }

    /** Decodes one value starting at {@code offset}; strings come back as Java strings (UTF-8). */
    static Object decode(byte[] in, int offset) {
        Bencode d = new Bencode(in, offset);
        Object v = d.value();
        if (d.at != in.length) {
            throw new IllegalArgumentException("bencode: trailing bytes at offset " + d.at);
        }
        return v;
    }

    private Object value() {
        if (at >= in.length) {
            throw new IllegalArgumentException("bencode: ends at offset " + at);
        }
        byte c = in[at];
        if (c == 'i') {
            at++;
            return Long.parseLong(until('e'));
        }
        if (c == 'l') {
            at++;
            List<Object> l = new ArrayList<>();
            while (peek() != 'e') {
                l.add(value());
            }
            at++;
            return l;
        }
        if (c == 'd') {
            at++;
            Map<String, Object> m = new LinkedHashMap<>();
            while (peek() != 'e') {
                Object k = value();
                if (!(k instanceof String key)) {
                    throw new IllegalArgumentException("bencode: a dictionary key is not a string at offset " + at);
                }
                m.put(key, value());
            }
            at++;
            return m;
        }
        if (c >= '0' && c <= '9') {
            int len = Integer.parseInt(until(':'));
            if (len < 0 || len > in.length - at) {
                throw new IllegalArgumentException("bencode: a string of " + len + " bytes runs past the end");
            }
            String s = new String(in, at, len, StandardCharsets.UTF_8);
            at += len;
            return s;
        }
        throw new IllegalArgumentException("bencode: unexpected byte 0x" + Integer.toHexString(c & 0xff) + " at offset " + at);
    }

    private byte peek() {
        if (at >= in.length) {
            throw new IllegalArgumentException("bencode: ends at offset " + at);
        }
        return in[at];
    }

    private String until(char end) {
        int start = at;
        while (peek() != end) {
            at++;
        }
        String s = new String(in, start, at - start, StandardCharsets.US_ASCII);
        at++;
        try {
            Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bencode: not a number '" + s + "' at offset " + start);
        }
        return s;
    }
}
