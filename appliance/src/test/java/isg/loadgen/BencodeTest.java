package isg.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bencode as BEP 3 spells it out: its own examples, and what a broken answer gets. */
class BencodeTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theExamplesOfBep3() {
        assertArrayEquals(b("4:spam"), Bencode.encode("spam"));
        assertArrayEquals(b("i3e"), Bencode.encode(3));
        assertArrayEquals(b("i-3e"), Bencode.encode(-3));
        assertArrayEquals(b("i0e"), Bencode.encode(0));
        assertArrayEquals(b("l4:spam4:eggse"), Bencode.encode(List.of("spam", "eggs")));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spam", "eggs");
        m.put("cow", "moo");
        // keys in sorted order, whatever order the map has
        assertArrayEquals(b("d3:cow3:moo4:spam4:eggse"), Bencode.encode(m));
        assertArrayEquals(b("d4:spaml1:a1:bee"), Bencode.encode(Map.of("spam", List.of("a", "b"))));
        assertEquals("spam", Bencode.decode(b("4:spam"), 0));
        assertEquals(3L, Bencode.decode(b("i3e"), 0));
        assertEquals(List.of("spam", "eggs"), Bencode.decode(b("l4:spam4:eggse"), 0));
        assertEquals(Map.of("cow", "moo", "spam", "eggs"), Bencode.decode(b("d3:cow3:moo4:spam4:eggse"), 0));
        assertEquals(Map.of("spam", List.of("a", "b")), Bencode.decode(b("d4:spaml1:a1:bee"), 0));
        assertEquals("", Bencode.decode(b("0:"), 0));
    }

    @Test
    void anAnswerOfRtpengineDecodes() {
        // the shape of an ng answer, as rtpengine 10.5 sends it after its cookie
        Object v = Bencode.decode(b("d3:sdp12:v=0\r\no=- 1 16:result2:oke"), 0);
        assertEquals(Map.of("sdp", "v=0\r\no=- 1 1", "result", "ok"), v);
    }

    @Test
    void brokenInputIsRefusedWithWhereItWentWrong() {
        for (String bad : new String[] {"", "5:spam", "i3", "ixe", "l4:spam", "d4:spam", "di1e4:spame", "x", "4:spamX",
                "-1:a", "d3:cow"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bencode.decode(b(bad), 0), bad);
            assertTrue(e.getMessage().startsWith("bencode: "), bad + ": " + e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Bencode.encode(List.of(1.5)));
    }
}
