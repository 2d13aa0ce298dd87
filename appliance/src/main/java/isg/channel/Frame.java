package isg.channel;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * ISG channel v1: the frames two gateways exchange inside their TLS connection (README, "The
 * channel between gateways"). Every frame is
 *
 * <pre>
 *   type (1 octet) | stream id (4 octets) | payload length (3 octets) | payload
 * </pre>
 *
 * big-endian, payload at most {@link #MAX_PAYLOAD} octets. Stream 0 is the connection itself
 * (HELLO, PING, PONG, CONTROL, GOAWAY); streams the TLS client opens are odd, the server's even.
 */
public final class Frame {

    public static final int HEADER = 8;
    public static final int MAX_PAYLOAD = 16384;
    public static final byte[] MAGIC = {'I', 'S', 'G', 'C'};
    public static final int VERSION = 1;

    /** HELLO (stream 0): "ISGC" | highest version spoken (1 octet) | gateway id length (1) | gateway id. */
    public static final int HELLO = 0x01;
    /** OPEN: receive window offered (4) | service name length (1) | service name (ASCII). */
    public static final int OPEN = 0x02;
    /** ACCEPT: receive window offered (4). */
    public static final int ACCEPT = 0x03;
    /** REFUSE: reason (1) | text (UTF-8). The stream is gone. */
    public static final int REFUSE = 0x04;
    /** DATA: 1..16384 octets of the stream, within the receiver's window. */
    public static final int DATA = 0x05;
    /** FIN: the sender sends no more DATA on this stream (TCP half-close). */
    public static final int FIN = 0x06;
    /** RESET: reason (1) | text (UTF-8). The stream is aborted both ways. */
    public static final int RESET = 0x07;
    /** CREDIT: window increment (4), 1..2^31-1. */
    public static final int CREDIT = 0x08;
    /** PING (stream 0): 8 opaque octets, answered by PONG with the same octets. */
    public static final int PING = 0x09;
    public static final int PONG = 0x0A;
    /** CONTROL (stream 0): one JSON object (UTF-8) with a "type" member: the gateways' own business. */
    public static final int CONTROL = 0x0B;
    /** GOAWAY (stream 0): reason (1) | text (UTF-8). No new streams; the connection closes. */
    public static final int GOAWAY = 0x0C;

    /** Reasons carried by REFUSE, RESET and GOAWAY. */
    public enum Reason {
        NO_SUCH_SERVICE(1), LIMIT(2), TARGET_UNREACHABLE(3), PROTOCOL(4), SHUTTING_DOWN(5), IDLE_TIMEOUT(6),
        INSIDE_CLOSED(7), CHANNEL_VERSION(8), POLICY(9), PARTNER_DOWN(10), UNKNOWN(0);

        public final int code;

        Reason(int code) {
            this.code = code;
        }

        public static Reason of(int code) {
            for (Reason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            return UNKNOWN;
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public final int type;
    public final int stream;
    /** The payload, owned by the frame: release it (DATA passes it on). */
    public final ByteBuf payload;

    Frame(int type, int stream, ByteBuf payload) {
        this.type = type;
        this.stream = stream;
        this.payload = payload;
    }

    static String typeName(int type) {
        switch (type) {
            case HELLO: return "HELLO";
            case OPEN: return "OPEN";
            case ACCEPT: return "ACCEPT";
            case REFUSE: return "REFUSE";
            case DATA: return "DATA";
            case FIN: return "FIN";
            case RESET: return "RESET";
            case CREDIT: return "CREDIT";
            case PING: return "PING";
            case PONG: return "PONG";
            case CONTROL: return "CONTROL";
            case GOAWAY: return "GOAWAY";
            default: return "type " + type;
        }
    }

    // ---- encoding: each writes one whole frame into a fresh buffer ----

    static ByteBuf header(ByteBufAllocator a, int type, int stream, int length) {
        ByteBuf b = a.buffer(HEADER + length);
        b.writeByte(type).writeInt(stream).writeMedium(length);
        return b;
    }

    static ByteBuf hello(ByteBufAllocator a, String gatewayId) {
        byte[] id = gatewayId.getBytes(StandardCharsets.US_ASCII);
        return header(a, HELLO, 0, 4 + 1 + 1 + id.length).writeBytes(MAGIC).writeByte(VERSION).writeByte(id.length)
                .writeBytes(id);
    }

    static ByteBuf open(ByteBufAllocator a, int stream, int window, String service) {
        byte[] s = service.getBytes(StandardCharsets.US_ASCII);
        return header(a, OPEN, stream, 4 + 1 + s.length).writeInt(window).writeByte(s.length).writeBytes(s);
    }

    static ByteBuf accept(ByteBufAllocator a, int stream, int window) {
        return header(a, ACCEPT, stream, 4).writeInt(window);
    }

    static ByteBuf reason(ByteBufAllocator a, int type, int stream, Reason r, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(t.length, 1024);
        return header(a, type, stream, 1 + n).writeByte(r.code).writeBytes(t, 0, n);
    }

    static ByteBuf empty(ByteBufAllocator a, int type, int stream) {
        return header(a, type, stream, 0);
    }

    static ByteBuf credit(ByteBufAllocator a, int stream, int increment) {
        return header(a, CREDIT, stream, 4).writeInt(increment);
    }

    static ByteBuf ping(ByteBufAllocator a, int type, long opaque) {
        return header(a, type, 0, 8).writeLong(opaque);
    }

    static ByteBuf control(ByteBufAllocator a, byte[] json) {
        return header(a, CONTROL, 0, json.length).writeBytes(json);
    }

    /** The header of a DATA frame; the payload follows as its own buffer. */
    static ByteBuf dataHeader(ByteBufAllocator a, int stream, int length) {
        ByteBuf b = a.buffer(HEADER);
        b.writeByte(DATA).writeInt(stream).writeMedium(length);
        return b;
    }

    /** Splits the TLS plaintext into frames; an oversized or unknown frame ends the connection. */
    static final class Decoder extends ByteToMessageDecoder {
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (in.readableBytes() >= HEADER) {
                int at = in.readerIndex();
                int type = in.getUnsignedByte(at);
                int length = in.getUnsignedMedium(at + 5);
                if (type < HELLO || type > GOAWAY) {
                    throw new CorruptedFrameException("unknown frame type " + type);
                }
                if (length > MAX_PAYLOAD) {
                    throw new CorruptedFrameException(typeName(type) + " frame of " + length + " octets (at most "
                            + MAX_PAYLOAD + ")");
                }
                if (in.readableBytes() < HEADER + length) {
                    return;
                }
                int stream = in.getInt(at + 1);
                in.skipBytes(HEADER);
                out.add(new Frame(type, stream, in.readRetainedSlice(length)));
            }
        }
    }
}
