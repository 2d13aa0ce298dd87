package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import isg.mc.MikeyException.Reason;
import isg.mc.MikeySakkeReceiverTest.TestKms;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 3GPP key parameters extension (33.180 E.6): Streamwide's published messages carry it and
 * open here to what their sender put in; messages built here with an expiry, an activation time
 * or a revocation are received accordingly; a sealed payload that does not belong to its message
 * is refused.
 */
class KeyParametersTest {

    private static final Instant SW_TIME = Instant.ofEpochSecond(0xec86684fL - McIdentity.NTP_UNIX_OFFSET);
    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static final long NOW_NTP = NOW.getEpochSecond() + McIdentity.NTP_UNIX_OFFSET;
    private static final String ISG = "sip:isg@police.example";

    @TempDir
    Path dir;
    private KeyVault vault;
    private McKeyRing ring;
    private MikeySakkeReceiver receiver;
    private TestKms home;
    private long period;

    @AfterEach
    void close() {
        for (AutoCloseable c : new AutoCloseable[] {receiver, ring, vault}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing test fixtures
            }
        }
    }

    @Test
    void theDpckIsDerivedAs33180F15() {
        // Streamwide libmikey-sakke's test vector for the DPPK -> DPCK derivation (FC 0x53)
        byte[] gmk = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");
        assertEquals("d853d0bd6916ffc9837e2a2012a39491", HexFormat.of().formatHex(KeyParameters.dpck(gmk, 0xdeadbaad)));
    }

    @Test
    void streamwidesMessagesCarryParametersThatOpenWithTheirKeys() throws Exception {
        String[][] cases = {{"gmk", "alice", "0"}, {"pck", "bob", "1"}, {"csk", "gms", "2"}};
        for (String[] c : cases) {
            Clock clock = Clock.fixed(SW_TIME, ZoneOffset.UTC);
            try (KeyVault v = SoftVault.open(dir.resolve(c[0] + ".bcfks"), "p".toCharArray(), true, AuditLog.inMemory(),
                    clock); MikeySakkeReceiver r = new MikeySakkeReceiver(v, clock, Duration.ofMinutes(5))) {
                r.join("streamwide", "kms.mydev.streamwide.com", StreamwideVectors.hex("kms.kpak"),
                        StreamwideVectors.hex("kms.z"), new McIdentity.KeyPeriod(16_777_215, 0),
                        StreamwideVectors.text(c[1] + ".uri"));
                r.addRsk("kms.mydev.streamwide.com", 236, StreamwideVectors.hex(c[1] + ".rsk"));
                KeyParameters p = r.receive(StreamwideVectors.message(c[0])).parameters();
                assertNotNull(p, c[0]);
                assertEquals(Integer.parseInt(c[2]), p.keyType(), c[0]);
                assertFalse(p.revoked(), c[0]);
                assertEquals(0, p.activationNtp());
                assertEquals(0, p.expiryNtp());
                assertEquals("", p.text());
                if (c[0].equals("gmk")) {
                    assertArrayEquals(new byte[] {0}, p.groupIds(), "a group key lists its group IDs (none here)");
                } else {
                    assertNull(p.groupIds());
                }
            }
        }
    }

    @Test
    void anExpiryBeforeTheKeyPeriodsEndBoundsTheKeyAndAnActivationTimeDefersIt() throws Exception {
        member(NOW);
        byte[] pck = key();
        int pckId = McIdentity.Purpose.PCK.tag(0x11);
        long expiry = NOW_NTP + 3600;
        MikeySakkeReceiver.ReceivedKey k = receiver.receive(home.message("sip:a@police.example", ISG, home, pckId, 0, pck,
                NOW_NTP, period, new KeyParameters(1, KeyParameters.STATUS_NOT_REVOKED, 0, expiry, "shift B", null), pck));
        assertEquals(NOW.plusSeconds(3600), k.notAfter());
        assertEquals(NOW.plusSeconds(3600), vault.list(Actor.API).get(0).notAfter());
        assertEquals("shift B", k.parameters().text());
        assertNotNull(ring.get(pckId));

        byte[] csk = key();
        int cskId = McIdentity.Purpose.CSK.tag(0x12);
        MikeySakkeReceiver.ReceivedKey later = receiver.receive(home.message("sip:a@police.example", ISG, home, cskId, 0, csk,
                NOW_NTP, period, new KeyParameters(2, 1, NOW_NTP + 600, 0, "", null), csk));
        assertEquals(NOW.plusSeconds(600), later.notBefore());
        assertEquals(home.period.end(period), later.notAfter(), "no expiry given: the key period bounds it");
        assertNull(ring.get(cskId), "not usable for media before its activation time");
    }

    @Test
    void anExpiredOrRevokedKeyIsNotStoredAndARevocationWithdrawsTheKeyHeld() throws Exception {
        member(NOW);
        byte[] gmk = key();
        int gmkId = McIdentity.Purpose.GMK.tag(0x77);
        int guk = McIdentity.gukId(gmkId, gmk, ISG);
        MikeyException expired = assertThrows(MikeyException.class, () -> receiver.receive(home.message(
                "sip:gms@police.example", ISG, home, guk, 4, gmk, NOW_NTP, period,
                new KeyParameters(0, 1, 0, NOW_NTP - 1, "", new byte[] {0}), gmk)));
        assertEquals(Reason.KEY_EXPIRED, expired.reason());
        assertEquals(List.of(), vault.list(Actor.API));
        assertNull(ring.get(gmkId));

        receiver.receive(home.message("sip:gms@police.example", ISG, home, guk, 4, gmk, NOW_NTP, period,
                KeyParameters.of(McIdentity.Purpose.GMK, 0), gmk));
        assertNotNull(ring.get(gmkId));
        assertEquals(1, vault.list(Actor.API).size());
        MikeyException revoked = assertThrows(MikeyException.class, () -> receiver.receive(home.message(
                "sip:gms@police.example", ISG, home, guk, 4, gmk, NOW_NTP, period,
                new KeyParameters(0, 0, 0, 0, "", new byte[] {0}), gmk)));
        assertEquals(Reason.KEY_REVOKED, revoked.reason());
        assertTrue(revoked.getMessage().contains("withdrawn and destroyed"), revoked.getMessage());
        assertNull(ring.get(gmkId), "media no longer keyed from a revoked GMK");
        assertEquals(List.of(), vault.list(Actor.API));
    }

    @Test
    void parametersThatDoNotBelongToTheirMessageAreRefused() throws Exception {
        member(NOW);
        byte[] pck = key();
        int pckId = McIdentity.Purpose.PCK.tag(0x21);
        KeyParameters ok = new KeyParameters(1, 1, 0, 0, "", null);
        // sealed under another key: whoever wrote them did not hold this one
        MikeyException wrongKey = assertThrows(MikeyException.class, () -> receiver.receive(home.message(
                "sip:a@police.example", ISG, home, pckId, 0, pck, NOW_NTP, period, ok, key())));
        assertEquals(Reason.BAD_KEY_PARAMETERS, wrongKey.reason());
        assertTrue(wrongKey.getMessage().contains("does not authenticate"), wrongKey.getMessage());
        // a key type other than the CSB ID's purpose
        MikeyException wrongType = assertThrows(MikeyException.class, () -> receiver.receive(home.message(
                "sip:a@police.example", ISG, home, pckId, 0, pck, NOW_NTP, period, new KeyParameters(2, 1, 0, 0, "", null),
                pck)));
        assertEquals(Reason.BAD_KEY_PARAMETERS, wrongType.reason());
        assertTrue(wrongType.getMessage().contains("key type 2"), wrongType.getMessage());
        // sealed for another message (its DPPK-ID is another CSB ID)
        byte[] sealedElsewhere = ok.seal(pck, McIdentity.Purpose.PCK.tag(0x22));
        MikeyException elsewhere = assertThrows(MikeyException.class, () -> KeyParameters.open(sealedElsewhere, pck, pckId));
        assertEquals(Reason.BAD_KEY_PARAMETERS, elsewhere.reason());
        assertTrue(elsewhere.getMessage().contains("DPPK-ID"), elsewhere.getMessage());
        assertEquals(List.of(), vault.list(Actor.API));
    }

    @Test
    void damagedPayloadsOnlyEverGiveTheTypedRejection() {
        byte[] pck = key();
        int id = McIdentity.Purpose.PCK.tag(5);
        byte[] good = new KeyParameters(1, 1, 5, 6, "text", null).seal(pck, id);
        Random random = new Random(7);
        for (int i = 0; i < 3000; i++) {
            byte[] d = java.util.Arrays.copyOf(good, random.nextInt(good.length + 4));
            if (d.length > 0) {
                d[random.nextInt(d.length)] ^= (byte) (1 + random.nextInt(255));
            }
            try {
                KeyParameters.open(d, pck, id);
                // only the payload element's type octet lies outside the AEAD (the message's ECCSI signature covers it)
                d[32] = good[32];
                assertArrayEquals(good, d, "a damaged payload opened (case " + i + ")");
            } catch (MikeyException expected) {
                assertTrue(expected.reason() == Reason.BAD_KEY_PARAMETERS || expected.reason() == Reason.UNSUPPORTED);
            }
        }
    }

    private void member(Instant now) throws Exception {
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        McIdentity.KeyPeriod month = new McIdentity.KeyPeriod(2_592_000, 0);
        period = month.number(now);
        home = new TestKms("kms.police.example", month);
        vault = SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), true, AuditLog.inMemory(), clock);
        ring = new McKeyRing(clock);
        receiver = new MikeySakkeReceiver(vault, clock, Duration.ofMinutes(5), ring);
        receiver.join("police", home.uri, home.kpak, home.z, month, ISG);
        receiver.addRsk(home.uri, period, home.rsk(ISG, period));
    }

    private static byte[] key() {
        byte[] k = new byte[16];
        McCrypto.random().nextBytes(k);
        return k;
    }
}
