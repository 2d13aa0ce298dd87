package isg.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * ISG channel v1 pinned by vectors written by hand from the README's wire contract (not produced
 * by the code under test): every frame type encoded to exactly these octets, and decoded back.
 */
class FrameVectorTest {

    private static final ByteBufAllocator A = ByteBufAllocator.DEFAULT;

    /** type | stream (4) | length (3) | payload, each vector with its frame as the README writes it. */
    private static final String[][] VECTORS = {
        {"HELLO from home, v1", "01" + "00000000" + "00000a" + "49534743" + "01" + "04" + "686f6d65"},
        {"OPEN 1 window 256 KiB service sip", "02" + "00000001" + "000008" + "00040000" + "03" + "736970"},
        {"ACCEPT 1 window 256 KiB", "03" + "00000001" + "000004" + "00040000"},
        {"REFUSE 3 no-such-service \"no\"", "04" + "00000003" + "000003" + "01" + "6e6f"},
        {"DATA 1 \"abc\"", "05" + "00000001" + "000003" + "616263"},
        {"FIN 1", "06" + "00000001" + "000000"},
        {"RESET 1 idle-timeout", "07" + "00000001" + "000001" + "06"},
        {"CREDIT 1 128 KiB", "08" + "00000001" + "000004" + "00020000"},
        {"PING 0102030405060708", "09" + "00000000" + "000008" + "0102030405060708"},
        {"PONG 0102030405060708", "0a" + "00000000" + "000008" + "0102030405060708"},
        {"CONTROL {\"type\":\"x\"}", "0b" + "00000000" + "00000c" + "7b2274797065223a2278227d"},
        {"GOAWAY shutting-down \"bye\"", "0c" + "00000000" + "000004" + "05" + "627965"},
    };

    private static String hex(ByteBuf b) {
        try {
            return ByteBufUtil.hexDump(b);
        } finally {
            b.release();
        }
    }

    @Test
    void eachFrameEncodesToItsVector() {
        ByteBuf data = Unpooled.wrappedBuffer("abc".getBytes(StandardCharsets.US_ASCII));
        ByteBuf header = Frame.dataHeader(A, 1, 3);
        String dataFrame = hex(Unpooled.wrappedBuffer(header, data));
        String[] encoded = {
            hex(Frame.hello(A, "home")),
            hex(Frame.open(A, 1, 256 * 1024, "sip")),
            hex(Frame.accept(A, 1, 256 * 1024)),
            hex(Frame.reason(A, Frame.REFUSE, 3, Frame.Reason.NO_SUCH_SERVICE, "no")),
            dataFrame,
            hex(Frame.empty(A, Frame.FIN, 1)),
            hex(Frame.reason(A, Frame.RESET, 1, Frame.Reason.IDLE_TIMEOUT, "")),
            hex(Frame.credit(A, 1, 128 * 1024)),
            hex(Frame.ping(A, Frame.PING, 0x0102030405060708L)),
            hex(Frame.ping(A, Frame.PONG, 0x0102030405060708L)),
            hex(Frame.control(A, "{\"type\":\"x\"}".getBytes(StandardCharsets.UTF_8))),
            hex(Frame.reason(A, Frame.GOAWAY, 0, Frame.Reason.SHUTTING_DOWN, "bye")),
        };
        for (int i = 0; i < VECTORS.length; i++) {
            assertEquals(VECTORS[i][1], encoded[i], VECTORS[i][0]);
        }
    }

    @Test
    void theVectorsDecodeBackFrameByFrameWhateverTheSegmentation() {
        StringBuilder all = new StringBuilder();
        for (String[] v : VECTORS) {
            all.append(v[1]);
        }
        byte[] stream = HexFormat.of().parseHex(all);
        EmbeddedChannel ch = new EmbeddedChannel(new Frame.Decoder());
        // one octet at a time: a frame split anywhere still comes out whole
        for (byte b : stream) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        for (String[] v : VECTORS) {
            Frame f = ch.readInbound();
            byte[] raw = HexFormat.of().parseHex(v[1]);
            assertEquals(raw[0] & 0xff, f.type, v[0]);
            assertEquals(((raw[1] & 0xff) << 24) | ((raw[2] & 0xff) << 16) | ((raw[3] & 0xff) << 8) | (raw[4] & 0xff),
                    f.stream, v[0]);
            assertEquals(v[1].substring(16), hex(f.payload), v[0]);
        }
        assertFalse(ch.finish());
    }

    @Test
    void anUnknownTypeOrAnOversizedFrameEndsTheConnection() {
        EmbeddedChannel unknown = new EmbeddedChannel(new Frame.Decoder());
        assertThrows(DecoderException.class, () -> unknown.writeInbound(Unpooled.wrappedBuffer(
                HexFormat.of().parseHex("0d00000001000000"))));
        EmbeddedChannel big = new EmbeddedChannel(new Frame.Decoder());
        assertThrows(DecoderException.class, () -> big.writeInbound(Unpooled.wrappedBuffer(
                HexFormat.of().parseHex("0500000001004001"))));
    }
}
