package isg.mc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import isg.mc.MikeyException.Reason;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receive path, on Streamwide's messages and on messages built here by a KMS made for the test. */
class MikeySakkeReceiverTest {

    private static final String SW_KMS = "kms.mydev.streamwide.com";
    private static final McIdentity.KeyPeriod SW_PERIOD = new McIdentity.KeyPeriod(16_777_215, 0);
    /** The timestamp of Streamwide's messages. */
    private static final Instant SW_TIME = Instant.ofEpochSecond(0xec86684fL - McIdentity.NTP_UNIX_OFFSET);

    @TempDir
    Path dir;
    private KeyVault vault;
    private MikeySakkeReceiver receiver;

    @AfterEach
    void close() {
        if (receiver != null) {
            receiver.close();
        }
        if (vault != null) {
            vault.close();
        }
    }

    private MikeySakkeReceiver streamwideMember(String user, Instant now) throws Exception {
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        vault = SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), true, AuditLog.inMemory(), clock);
        receiver = new MikeySakkeReceiver(vault, clock, Duration.ofMinutes(5));
        receiver.join("streamwide", SW_KMS, StreamwideVectors.hex("kms.kpak"), StreamwideVectors.hex("kms.z"), SW_PERIOD,
                StreamwideVectors.text(user + ".uri"));
        receiver.addRsk(SW_KMS, 236, StreamwideVectors.hex(user + ".rsk"));
        return receiver;
    }

    @Test
    void streamwideGmkReachesAliceWithItsGmkIdRecoveredFromTheGukId() throws Exception {
        MikeySakkeReceiver r = streamwideMember("alice", SW_TIME);
        MikeySakkeReceiver.ReceivedKey k = r.receive(StreamwideVectors.message("gmk"));
        assertEquals(McIdentity.Purpose.GMK, k.purpose());
        assertEquals(StreamwideVectors.id("gmk.id"), k.keyId());
        assertEquals(StreamwideVectors.id("gmk.gukid"), k.csbId());
        assertEquals(KeyPurpose.GMK, k.stored().purpose());
        assertEquals("gmk-0e144748-streamwide", k.stored().label());
        assertEquals(128, k.stored().bits());
        assertEquals(SW_PERIOD.end(236), k.notAfter());
        MikeyException again = assertThrows(MikeyException.class, () -> r.receive(StreamwideVectors.message("gmk")));
        assertEquals(Reason.REPLAYED, again.reason());
        assertEquals(1, vault.list(Actor.API).size());
    }

    @Test
    void streamwidePckReachesBobAndCskReachesTheServer() throws Exception {
        MikeySakkeReceiver bob = streamwideMember("bob", SW_TIME.plusSeconds(60));
        MikeySakkeReceiver.ReceivedKey pck = bob.receive(StreamwideVectors.message("pck"));
        assertEquals(McIdentity.Purpose.PCK, pck.purpose());
        assertEquals(StreamwideVectors.id("pck.id"), pck.keyId());
        assertThrows(MikeyException.class, () -> bob.receive(StreamwideVectors.message("csk")));
        close();
        MikeySakkeReceiver gms = streamwideMember("gms", SW_TIME);
        assertEquals(StreamwideVectors.id("csk.id"), gms.receive(StreamwideVectors.message("csk")).keyId());
    }

    @Test
    void misaddressedStaleAndUntrustedMessagesAreRefusedAndLeaveNothing() throws Exception {
        MikeySakkeReceiver bob = streamwideMember("bob", SW_TIME);
        assertEquals(Reason.NOT_ADDRESSED_TO_US, assertThrows(MikeyException.class,
                () -> bob.receive(StreamwideVectors.message("gmk"))).reason());
        close();
        MikeySakkeReceiver late = streamwideMember("alice", SW_TIME.plus(Duration.ofMinutes(6)));
        assertEquals(Reason.STALE, assertThrows(MikeyException.class,
                () -> late.receive(StreamwideVectors.message("gmk"))).reason());
        assertEquals(List.of(), vault.list(Actor.API));
    }

    @Test
    void tamperedMessagesAreRefusedWithAReason() throws Exception {
        MikeySakkeReceiver r = streamwideMember("alice", SW_TIME);
        byte[] good = StreamwideVectors.message("gmk");
        byte[] rand = good.clone();
        rand[40] ^= 1; // inside RAND
        assertEquals(Reason.BAD_SIGNATURE, assertThrows(MikeyException.class, () -> r.receive(rand)).reason());
        byte[] sakke = good.clone();
        sakke[300] ^= 1; // inside the SAKKE point
        assertEquals(Reason.BAD_SIGNATURE, assertThrows(MikeyException.class, () -> r.receive(sakke)).reason());
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 1);
        MikeyException e = assertThrows(MikeyException.class, () -> r.receive(cut));
        assertEquals(Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("SIGN signature"), e.getMessage());
        assertEquals(List.of(), vault.list(Actor.API));
        r.receive(good);
    }

    @Test
    void streamwideMessagesCarryTheMcDefaultMediaProfile() throws Exception {
        MikeySakkeReceiver.ReceivedKey gmk = streamwideMember("alice", SW_TIME).receive(StreamwideVectors.message("gmk"));
        assertEquals(java.util.Map.of(4, MediaProfile.MC_DEFAULT), gmk.profiles(), "CS 4, Table E.2-1");
        close();
        MikeySakkeReceiver.ReceivedKey pck = streamwideMember("bob", SW_TIME).receive(StreamwideVectors.message("pck"));
        assertEquals(java.util.Map.of(McKeyRing.ANY_CRYPTO_SESSION, MediaProfile.MC_DEFAULT), pck.profiles(),
                "#CS = 0: the SP payload applies to every crypto session");
    }

    @Test
    void aPolicyTheGatewayCannotApplyRefusesTheMessageAndStoresNothing() throws Exception {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        McIdentity.KeyPeriod month = new McIdentity.KeyPeriod(2_592_000, 0);
        long period = month.number(now);
        long ntp = now.getEpochSecond() + McIdentity.NTP_UNIX_OFFSET;
        TestKms kms = new TestKms("kms.police.example", month);
        vault = SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), true, AuditLog.inMemory(), clock);
        try (McKeyRing ring = new McKeyRing(clock)) {
            receiver = new MikeySakkeReceiver(vault, clock, Duration.ofMinutes(5), ring);
            receiver.join("police", kms.uri, kms.kpak, kms.z, month, "sip:isg@police.example");
            receiver.addRsk(kms.uri, period, kms.rsk("sip:isg@police.example", period));
            byte[] gmk = new byte[16];
            new Random(1).nextBytes(gmk);
            // RCCm1 (2): ROC-carrying packets integrity protected by a truncated HMAC, not spoken here
            byte[] rccm1 = {0, 1, 1, 2, 1, 2, 13, 1, 1};
            MikeyException e = assertThrows(MikeyException.class, () -> receiver.receive(kms.message(
                    "sip:dispatch@police.example", "sip:isg@police.example", kms, McIdentity.Purpose.GMK.tag(0x123), 4,
                    gmk, ntp, period, null, null, rccm1)));
            assertEquals(Reason.UNSUPPORTED_POLICY, e.reason());
            assertTrue(e.getMessage().contains("crypto session 4") && e.getMessage().contains("authentication algorithm 2"),
                    e.getMessage());
            assertEquals(List.of(), vault.list(Actor.API), "nothing stored");
            assertEquals(0, ring.size());
            // the same key with the MC profile is taken, and its profile kept for media
            MikeySakkeReceiver.ReceivedKey k = receiver.receive(kms.message("sip:dispatch@police.example",
                    "sip:isg@police.example", kms, McIdentity.Purpose.GMK.tag(0x123), 4, gmk, ntp, period));
            assertEquals(MediaProfile.MC_DEFAULT, ring.get(k.keyId()).profile(4));
        }
    }

    @Test
    void everyKindBuiltHereIsReceivedAndWrongPurposesOrKmsAreRefused() throws Exception {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        McIdentity.KeyPeriod month = new McIdentity.KeyPeriod(2_592_000, 0);
        long period = month.number(now);
        long ntp = now.getEpochSecond() + McIdentity.NTP_UNIX_OFFSET;
        TestKms home = new TestKms("kms.police.example", month);
        TestKms partner = new TestKms("kms.fire.example", month);
        TestKms rogue = new TestKms("kms.rogue.example", month);
        vault = SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), true, AuditLog.inMemory(), clock);
        McKeyRing ring = new McKeyRing(clock);
        receiver = new MikeySakkeReceiver(vault, clock, Duration.ofMinutes(5), ring);
        String isg = "sip:isg@police.example";
        receiver.join("police", home.uri, home.kpak, home.z, month, isg);
        receiver.addRsk(home.uri, period, home.rsk(isg, period));
        receiver.trust(partner.uri, partner.kpak);

        byte[] gmk = new byte[16];
        McCrypto.random().nextBytes(gmk);
        int gmkId = McIdentity.Purpose.GMK.tag(0x0123456);
        int gukId = McIdentity.gukId(gmkId, gmk, isg);
        MikeySakkeReceiver.ReceivedKey g = receiver.receive(home.message("sip:gms@police.example", isg, home, gukId,
                4, gmk, ntp, period));
        assertEquals(gmkId, g.keyId());
        // the same GMK sent again in a new message is accepted as what is already held
        assertEquals(g.stored().uri(), receiver.receive(home.message("sip:gms@police.example", isg, home, gukId, 4, gmk, ntp,
                period)).stored().uri());
        // a different key under the same identifier is not
        byte[] other = gmk.clone();
        other[0] ^= 1;
        assertEquals(Reason.BAD_KEY_ID, assertThrows(MikeyException.class, () -> receiver.receive(home.message(
                "sip:gms@police.example", isg, home, McIdentity.gukId(gmkId, other, isg), 4, other, ntp, period))).reason());
        int[] ids = {McIdentity.Purpose.PCK.tag(7), McIdentity.Purpose.CSK.tag(8), McIdentity.Purpose.SPK.tag(9)};
        for (int id : ids) {
            byte[] key = new byte[16];
            McCrypto.random().nextBytes(key);
            MikeySakkeReceiver.ReceivedKey k = receiver.receive(partner.message("sip:user@fire.example", isg, home, id, 0,
                    key, ntp, period));
            assertEquals(id, k.keyId());
        }
        assertEquals(4, vault.list(Actor.API).size());
        KeyInfo first = vault.list(Actor.API).get(0);
        assertEquals("police", first.owner());

        MikeyException musik = assertThrows(MikeyException.class, () -> receiver.receive(home.message("sip:gms@police.example",
                isg, home, McIdentity.Purpose.MUSIK.tag(1), 0, new byte[16], ntp, period)));
        assertEquals(Reason.BAD_KEY_ID, musik.reason());
        assertEquals(Reason.UNKNOWN_KMS, assertThrows(MikeyException.class, () -> receiver.receive(rogue.message(
                "sip:x@rogue.example", isg, home, McIdentity.Purpose.PCK.tag(1), 0, new byte[16], ntp, period))).reason());
        assertEquals(Reason.NOT_ADDRESSED_TO_US, assertThrows(MikeyException.class, () -> receiver.receive(home.message(
                "sip:gms@police.example", "sip:other@police.example", home, McIdentity.Purpose.PCK.tag(2), 0, new byte[16],
                ntp, period))).reason());
        assertEquals(4, vault.list(Actor.API).size(), "refused messages stored nothing");
        ring.close();
    }

    @Test
    void parsingRandomDamageNeverThrowsAnythingButTheTypedRejection() throws Exception {
        MikeySakkeReceiver r = streamwideMember("alice", SW_TIME);
        byte[][] seeds = {StreamwideVectors.message("gmk"), StreamwideVectors.message("csk"), StreamwideVectors.message("pck")};
        Random random = new Random(6509);
        for (int i = 0; i < 3000; i++) {
            byte[] m = seeds[i % 3].clone();
            switch (i % 4) {
                case 0 -> m[random.nextInt(m.length)] ^= (byte) (1 + random.nextInt(255));
                case 1 -> m = java.util.Arrays.copyOf(m, random.nextInt(m.length));
                case 2 -> {
                    for (int j = 0; j < 4; j++) {
                        m[random.nextInt(Math.min(m.length, 120))] = (byte) random.nextInt(256);
                    }
                }
                default -> {
                    m = new byte[random.nextInt(64)];
                    random.nextBytes(m);
                }
            }
            try {
                MikeyMessage.parse(m);
                if (i % 50 == 0) {
                    r.receive(m);
                    fail("a damaged message was accepted (case " + i + ")");
                }
            } catch (MikeyException expected) {
                assertTrue(expected.getMessage().length() > 10);
            } catch (RuntimeException e) {
                throw new AssertionError("case " + i + " threw " + e, e);
            }
        }
        assertEquals(List.of(), vault.list(Actor.API));
    }

    /** A KMS made for the test: ECCSI and SAKKE master secrets and the keys it issues. */
    static final class TestKms {
        final String uri;
        final McIdentity.KeyPeriod period;
        final BigInteger ksak = new BigInteger(255, McCrypto.random());
        final BigInteger zSecret = new BigInteger(255, McCrypto.random());
        final byte[] kpak;
        final byte[] z;

        TestKms(String uri, McIdentity.KeyPeriod period) {
            this.uri = uri;
            this.period = period;
            this.kpak = Eccsi.kpak(ksak);
            this.z = Sakke.kmsPublicKey(zSecret);
        }

        byte[] rsk(String user, long number) {
            return Sakke.receiverSecretKey(zSecret, McIdentity.uid(user, uri, period, number));
        }

        /** An I_MESSAGE signed by {@code from} (a user of this KMS) carrying {@code key} to {@code to} in {@code toKms}. */
        byte[] message(String from, String to, TestKms toKms, int csbId, int csId, byte[] key, long ntp, long number)
                throws Exception {
            return message(from, to, toKms, csbId, csId, key, ntp, number, null, null);
        }

        /** As above, with 3GPP key parameters sealed under {@code paramsKey} (normally {@code key}) when given. */
        byte[] message(String from, String to, TestKms toKms, int csbId, int csId, byte[] key, long ntp, long number,
                KeyParameters params, byte[] paramsKey) throws Exception {
            return message(from, to, toKms, csbId, csId, key, ntp, number, params, paramsKey,
                    SrtpSecurityPolicyTest.TABLE_E2_1);
        }

        /** As above, with the SP payload's parameters {@code policy}. */
        byte[] message(String from, String to, TestKms toKms, int csbId, int csId, byte[] key, long ntp, long number,
                KeyParameters params, byte[] paramsKey, byte[] policy) throws Exception {
            byte[] uidI = McIdentity.uid(from, uri, period, number);
            byte[] uidR = McIdentity.uid(to, toKms.uri, toKms.period, number);
            Eccsi.SigningKey signer = Eccsi.issue(ksak, uidI);
            byte[] rand = new byte[16];
            McCrypto.random().nextBytes(rand);
            MikeyMessageBuilder b = new MikeyMessageBuilder().csbId(csbId).ntpSeconds(ntp).rand(rand)
                    .identity(MikeyMessage.ROLE_UID_I, uidI).identity(MikeyMessage.ROLE_UID_R, uidR)
                    .identity(MikeyMessage.ROLE_KMS_I, uri.getBytes(StandardCharsets.US_ASCII))
                    .identity(MikeyMessage.ROLE_KMS_R, toKms.uri.getBytes(StandardCharsets.US_ASCII))
                    .policy(0, policy);
            if (csId > 0) {
                b.genericSession(csId, new byte[8]);
            }
            if (params != null) {
                b.keyParameters(params, paramsKey);
            }
            return b.build(Sakke.encapsulate(key, uidR, Sakke.kmsKey(toKms.z)), signer);
        }
    }
}
