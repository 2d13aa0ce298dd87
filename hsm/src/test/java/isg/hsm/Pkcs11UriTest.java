package isg.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** RFC 7512 URIs: the examples' shapes, every byte of an id, and what is refused. */
class Pkcs11UriTest {

    @Test
    void rfc7512ExampleShapesParse() {
        Pkcs11Uri u = Pkcs11Uri.parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;object=my-key;type=private");
        assertEquals("The Software PKCS#11 Softtoken", u.token());
        assertEquals("my-key", u.object());
        assertEquals("private", u.type());
        assertNull(u.id());
        Pkcs11Uri q = Pkcs11Uri.parse("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11&pin-source=file:/etc/token");
        assertEquals("file:/etc/token", q.query("pin-source"));
        assertArrayEquals(new byte[] {0x01, (byte) 0xff}, Pkcs11Uri.parse("pkcs11:id=%01%FF").id());
        assertEquals("ümlaut", Pkcs11Uri.parse("pkcs11:object=%C3%BCmlaut").object());
    }

    @Test
    void anyIdAndLabelSurviveFormatAndParse() {
        Random r = new Random(7512);
        for (int i = 0; i < 500; i++) {
            byte[] id = new byte[1 + r.nextInt(20)];
            r.nextBytes(id);
            String label = "key " + i + (i % 3 == 0 ? ";=%?&/ü" : "");
            Pkcs11Uri u = Pkcs11Uri.parse(Pkcs11Uri.of("isg", label, id, "secret-key").toString());
            assertArrayEquals(id, u.id());
            assertEquals(label, u.object());
            assertEquals("isg", u.token());
        }
    }

    @Test
    void malformedUrisAndPinValuesAreRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pkcs11Uri.parse("file:/x")).getMessage()
                .contains("not a pkcs11: URI"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pkcs11Uri.parse("pkcs11:object")).getMessage()
                .contains("not name=value"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pkcs11Uri.parse("pkcs11:id=%G1")).getMessage()
                .contains("bad %-escape"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pkcs11Uri.parse("pkcs11:id=%1")).getMessage()
                .contains("bad %-escape"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pkcs11Uri.parse("pkcs11:object=a;object=b"))
                .getMessage().contains("appears twice"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pkcs11Uri.parse("pkcs11:object=k?pin-value=123456"));
        assertTrue(e.getMessage().contains("pin-value is not accepted"), e.getMessage());
        assertFalse(e.getMessage().contains("123456"), "the PIN is not echoed");
    }
}
