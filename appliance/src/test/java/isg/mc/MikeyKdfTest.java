package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * RFC 3830 §4.1.2–4.1.3 with PRF-HMAC-SHA-256. Neither RFC publishes vectors, so the expected
 * values are computed here a second time, straight from the RFC's definitions, with the JDK's own
 * HMAC (SunJCE) rather than the BC FIPS module the code uses.
 */
class MikeyKdfTest {

    private static final byte[] RAND = HexFormat.of().parseHex("d154c2d389bd9ec536a90e863b3474df");

    @Test
    void rfc3830Section413_masterKeyAndSaltFromA128BitGmk() throws Exception {
        byte[] gmk = HexFormat.of().parseHex("ead9e20459a5cbe881607f643a6f5ca5");
        byte[] keyLabel = HexFormat.of().parseHex("2AD01C64" + "04" + "034db662" + "d154c2d389bd9ec536a90e863b3474df");
        byte[] saltLabel = HexFormat.of().parseHex("39A2C14B" + "04" + "034db662" + "d154c2d389bd9ec536a90e863b3474df");
        assertArrayEquals(reference(gmk, keyLabel, 16), MikeyKdf.masterKey(gmk, 4, 0x034db662, RAND, 16));
        assertArrayEquals(reference(gmk, saltLabel, 12), MikeyKdf.masterSalt(gmk, 4, 0x034db662, RAND, 12));
        assertArrayEquals(reference(gmk, saltLabel, 14), MikeyKdf.masterSalt(gmk, 4, 0x034db662, RAND, 14));
    }

    @Test
    void rfc3830Section412_longKeysAreSplitInto256BitPiecesAndOutputsChained() throws Exception {
        byte[] inkey = new byte[80];
        for (int i = 0; i < inkey.length; i++) {
            inkey[i] = (byte) (i * 7 + 1);
        }
        byte[] label = MikeyKdf.label(MikeyKdf.TEK, 2, 0x0A0B0C0D, RAND);
        assertArrayEquals(reference(inkey, label, 80), MikeyKdf.prf(inkey, label, 80));
    }

    @Test
    void everyInputChangesTheKey() {
        byte[] gmk = new byte[16];
        byte[] base = MikeyKdf.masterKey(gmk, 4, 1, RAND, 16);
        assertFalse(Arrays.equals(base, MikeyKdf.masterKey(gmk, 5, 1, RAND, 16)));
        assertFalse(Arrays.equals(base, MikeyKdf.masterKey(gmk, 4, 2, RAND, 16)));
        byte[] rand2 = RAND.clone();
        rand2[15] ^= 1;
        assertFalse(Arrays.equals(base, MikeyKdf.masterKey(gmk, 4, 1, rand2, 16)));
        assertFalse(Arrays.equals(base, MikeyKdf.masterSalt(gmk, 4, 1, RAND, 16)));
        assertEquals(32, MikeyKdf.masterKey(gmk, 4, 1, RAND, 32).length);
        assertThrows(IllegalArgumentException.class, () -> MikeyKdf.masterKey(new byte[0], 4, 1, RAND, 16));
        assertThrows(IllegalArgumentException.class, () -> MikeyKdf.masterKey(gmk, 256, 1, RAND, 16));
    }

    /** The RFC's PRF, written out independently. */
    private static byte[] reference(byte[] inkey, byte[] label, int len) throws Exception {
        int m = (len + 31) / 32;
        byte[] out = new byte[m * 32];
        for (int n = 0; n * 32 < inkey.length; n++) {
            Mac mac = Mac.getInstance("HmacSHA256", "SunJCE");
            mac.init(new SecretKeySpec(Arrays.copyOfRange(inkey, n * 32, Math.min(inkey.length, n * 32 + 32)), "HmacSHA256"));
            byte[] a = label;
            byte[] p = new byte[0];
            for (int i = 1; i <= m; i++) {
                a = mac.doFinal(a);
                byte[] ai = Arrays.copyOf(a, a.length + label.length);
                System.arraycopy(label, 0, ai, a.length, label.length);
                byte[] h = mac.doFinal(ai);
                byte[] np = Arrays.copyOf(p, p.length + 32);
                System.arraycopy(h, 0, np, p.length, 32);
                p = np;
            }
            for (int i = 0; i < out.length; i++) {
                out[i] ^= p[i];
            }
        }
        return Arrays.copyOf(out, len);
    }
}
