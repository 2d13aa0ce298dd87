package isg.mc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * UIDs, key periods, purposes and GUK-IDs against TS 33.180's worked example and the test
 * vectors published with an independent MIKEY-SAKKE implementation (Streamwide's libmikey-sakke,
 * "Streamwide Test Vectors (v4)").
 */
class McIdentityTest {

    private static final McIdentity.KeyPeriod MONTH = new McIdentity.KeyPeriod(2_592_000, 0);

    @Test
    void ts33180AnnexF212_uidExample() {
        Instant at = Instant.parse("2014-01-26T10:07:14Z");
        assertEquals(3_599_719_634L, at.getEpochSecond() + McIdentity.NTP_UNIX_OFFSET);
        assertEquals(1388, MONTH.number(at));
        assertEquals("OoH7FMOx0P5DycV3EE1VptgXiL/S8JdDxFV3RqWgNTs=", Base64.getEncoder().encodeToString(
                McIdentity.uid("sip:user@example.org", "kms.example.org", MONTH, 1388)));
    }

    @Test
    void streamwideUidVectors() {
        String u = "sip:user@example.org";
        String k = "kms.example.org";
        assertEquals("74e2af803ab5d72841bbced0ce319ffe64f6fe23c88a2d258aabcf6ac5658ef4", hex(McIdentity.uid(u, k, MONTH, 1)));
        assertEquals("94fb1a697c15d7e9d6b7062066affebda2d9e346e0090d67525c0c3ce666eafa",
                hex(McIdentity.uid(u, k, new McIdentity.KeyPeriod(10, 0), 10)));
        McIdentity.KeyPeriod p = new McIdentity.KeyPeriod(25_920_000, 100);
        assertEquals("3c0ad8828cfae1ad1d08b27cc7b61258c6cfcd405081b68cd778f1e1c7f562a7", hex(McIdentity.uid(u, k, p, 1)));
        assertEquals("c88b3fa5e36a08985d10f7b31a631b0265e8249f0312435e4984dbc3765c7f0c", hex(McIdentity.uid(u, k, p, 2048)));
        // Streamwide's fifth vector has an offset larger than the period, which 33.180 F.2.1 does
        // not allow (P4 < P3); the UID formula itself still covers it.
        assertThrows(IllegalArgumentException.class, () -> new McIdentity.KeyPeriod(25_920_000, 45_920_000));
    }

    @Test
    void streamwideKmsKeyPeriodAndUserIds() {
        McIdentity.KeyPeriod p = new McIdentity.KeyPeriod(16_777_215, 0);
        assertEquals(236, p.numberAtNtp(0xec86684fL));
        assertEquals("b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4",
                hex(McIdentity.uid("sip:alice@streamwide.com", "kms.mydev.streamwide.com", p, 236)));
        assertEquals("15a4d5b12856538d02d91fedbb766e6dd377b014c92e216666c8fb678608d20e",
                hex(McIdentity.uid("gms@streamwide.com", "kms.mydev.streamwide.com", p, 236)));
        assertEquals(p.start(236), p.end(235));
        assertEquals(236, p.number(p.start(236)));
        assertEquals(235, p.number(p.start(236).minusSeconds(1)));
    }

    @Test
    void streamwideGukId() {
        byte[] gmk = HexFormat.of().parseHex("ead9e20459a5cbe881607f643a6f5ca5");
        assertEquals(0x034db662, McIdentity.gukId(0x0e144748, gmk, "sip:alice@streamwide.com"));
        assertEquals(0x0e144748, McIdentity.gukId(0x034db662, gmk, "sip:alice@streamwide.com"));
    }

    @Test
    void purposeTags() {
        assertEquals(McIdentity.Purpose.GMK, McIdentity.Purpose.of(0x0e144748));
        assertEquals(McIdentity.Purpose.PCK, McIdentity.Purpose.of(0x1278dcab));
        assertEquals(McIdentity.Purpose.CSK, McIdentity.Purpose.of(0x2fe0b176));
        assertEquals(McIdentity.Purpose.SPK, McIdentity.Purpose.of(0x30000001));
        assertEquals(McIdentity.Purpose.MUSIK, McIdentity.Purpose.of(0x6fffffff));
        assertNull(McIdentity.Purpose.of(0x70000000));
        assertNull(McIdentity.Purpose.of(0xF0000000));
        assertEquals(0x1abcdef0, McIdentity.Purpose.PCK.tag(0xFabcdef0));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
