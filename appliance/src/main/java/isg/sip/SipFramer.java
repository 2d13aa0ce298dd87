package isg.sip;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts a SIP byte stream (TCP, RFC 3261 §18.3) into messages: a start line and header fields up
 * to the empty line, then exactly Content-Length octets of body (on a stream the field is
 * mandatory). CRLF keep-alives between messages (RFC 5626 §4.4.1) are handed on as they are.
 * What is not SIP — a bad start line, a header section without an end, a missing, repeated or
 * oversized Content-Length — is a {@link Malformed} with its reason; the stream it came on is
 * not trusted any further.
 */
public final class SipFramer implements AutoCloseable {

    /** The longest header section read (start line and fields). */
    public static final int MAX_HEAD = 16 * 1024;
    /** The largest body a message may carry. */
    public static final int MAX_BODY = 64 * 1024;

    private static final Pattern REQUEST_LINE = Pattern.compile("([A-Za-z]+) (\\S+) SIP/2\\.0");
    private static final Pattern STATUS_LINE = Pattern.compile("SIP/2\\.0 [1-6][0-9][0-9] [^\\r\\n]*");

    /** Not SIP, with the reason. */
    public static final class Malformed extends Exception {
        public Malformed(String reason) {
            super(reason);
        }
    }

    /** One message (or a run of keep-alive CRLFs, {@code head == null}): the exact octets and what was read of them. */
    public record Piece(ByteBuf bytes, Head head) {
    }

    /** The parts of a message the gateway reads. {@code method} and {@code requestUri} are null for a response. */
    public record Head(String startLine, String method, String requestUri, List<String[]> fields, String body) {
        /** The values of a header field, by full or compact name, in order. */
        public List<String> values(String name, String compact) {
            List<String> out = new ArrayList<>();
            for (String[] f : fields) {
                if (f[0].equalsIgnoreCase(name) || (compact != null && f[0].equalsIgnoreCase(compact))) {
                    out.add(f[1]);
                }
            }
            return out;
        }

        public String first(String name, String compact) {
            List<String> v = values(name, compact);
            return v.isEmpty() ? null : v.get(0);
        }

        public boolean isRequest() {
            return method != null;
        }
    }

    private final CompositeByteBuf buf;

    public SipFramer(ByteBufAllocator alloc) {
        this.buf = alloc.compositeBuffer(64);
    }

    /** Takes octets of the stream (and a reference to them). */
    public void add(ByteBuf data) {
        buf.addComponent(true, data);
    }

    /** The next whole message or keep-alive run, or null until more octets arrive. */
    public Piece next() throws Malformed {
        int n = buf.readableBytes();
        if (n == 0) {
            return null;
        }
        int r = buf.readerIndex();
        int crlf = 0;
        while (crlf < n && (buf.getByte(r + crlf) == '\r' || buf.getByte(r + crlf) == '\n')) {
            crlf++;
        }
        if (crlf > 0) {
            Piece p = new Piece(take(crlf), null);
            buf.discardReadComponents();
            return p;
        }
        int end = headEnd(r, Math.min(n, MAX_HEAD));
        if (end < 0) {
            if (n >= MAX_HEAD) {
                throw new Malformed("a header section longer than " + MAX_HEAD + " octets");
            }
            // what has come so far must at least start like SIP
            int line = indexOf(r, n, (byte) '\n');
            if (line >= 0) {
                startLine(buf.toString(r, line, StandardCharsets.UTF_8).stripTrailing());
            }
            return null;
        }
        String headText = buf.toString(r, end, StandardCharsets.UTF_8);
        String[] lines = headText.split("\r\n");
        Matcher req = startLine(lines[0]);
        List<String[]> fields = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            if (l.startsWith(" ") || l.startsWith("\t")) { // folded continuation (RFC 3261 §7.3.1)
                if (fields.isEmpty()) {
                    throw new Malformed("a continuation line before any header field");
                }
                String[] last = fields.get(fields.size() - 1);
                last[1] = last[1] + " " + l.strip();
                continue;
            }
            int c = l.indexOf(':');
            if (c <= 0 || !l.substring(0, c).strip().matches("[A-Za-z0-9!%*_+`'~.-]+")) {
                throw new Malformed("a header line that is not 'Name: value': " + clip(l));
            }
            fields.add(new String[] {l.substring(0, c).strip(), l.substring(c + 1).strip()});
        }
        int length = contentLength(fields);
        int total = end + 4 + length;
        if (n < total) {
            return null;
        }
        String body = length == 0 ? "" : buf.toString(r + end + 4, length, StandardCharsets.UTF_8);
        Head head = new Head(lines[0], req == null ? null : req.group(1), req == null ? null : req.group(2), fields, body);
        Piece p = new Piece(take(total), head);
        buf.discardReadComponents();
        return p;
    }

    /**
     * The next {@code n} octets as a buffer of their own: a slice of the composite would change
     * under its holder once the composite discards what has been read (signalling is small and
     * rare enough for the copy not to matter).
     */
    private ByteBuf take(int n) {
        ByteBuf out = buf.alloc().buffer(n);
        buf.readBytes(out, n);
        return out;
    }

    private static Matcher startLine(String line) throws Malformed {
        Matcher m = REQUEST_LINE.matcher(line);
        if (m.matches()) {
            return m;
        }
        if (STATUS_LINE.matcher(line).matches()) {
            return null;
        }
        throw new Malformed("not a SIP start line: " + clip(line));
    }

    private static int contentLength(List<String[]> fields) throws Malformed {
        String value = null;
        for (String[] f : fields) {
            String name = f[0].toLowerCase(Locale.ROOT);
            if (name.equals("content-length") || name.equals("l")) {
                if (value != null) {
                    throw new Malformed("two Content-Length header fields");
                }
                value = f[1];
            }
        }
        if (value == null) {
            throw new Malformed("no Content-Length (mandatory on a stream, RFC 3261 §18.3)");
        }
        if (!value.matches("[0-9]{1,9}")) {
            throw new Malformed("Content-Length is not a number: " + clip(value));
        }
        int length = Integer.parseInt(value);
        if (length > MAX_BODY) {
            throw new Malformed("a body of " + length + " octets, more than " + MAX_BODY);
        }
        return length;
    }

    /** Offset (from {@code r}) of the CRLFCRLF ending the head, or -1. */
    private int headEnd(int r, int limit) {
        for (int i = 0; i + 3 < limit; i++) {
            if (buf.getByte(r + i) == '\r' && buf.getByte(r + i + 1) == '\n' && buf.getByte(r + i + 2) == '\r'
                    && buf.getByte(r + i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    private int indexOf(int r, int n, byte b) {
        for (int i = 0; i < n; i++) {
            if (buf.getByte(r + i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static String clip(String s) {
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    public int buffered() {
        return buf.readableBytes();
    }

    @Override
    public void close() {
        buf.release();
    }
}
