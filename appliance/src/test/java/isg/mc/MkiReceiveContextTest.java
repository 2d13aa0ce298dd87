package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.JdkBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group call with several talkers, each keying SRTP from the GMK with its own GUK-ID as 33.180
 * says, reaches a gateway that only received the GMK (by MIKEY-SAKKE): no per-sender provisioning.
 */
class MkiReceiveContextTest {

    private static final Instant SW_TIME = Instant.ofEpochSecond(0xec86684fL - McIdentity.NTP_UNIX_OFFSET);
    private static final int CS_ID_MCPTT_GROUP = 4;
    private static final Duration IDLE = Duration.ofMinutes(5);

    /** Streamwide's published GMK, its identifier and the RAND of its I_MESSAGE; group media with 8-octet MKIs. */
    private final byte[] gmk = StreamwideVectors.hex("gmk.key");
    private final byte[] rand = StreamwideVectors.hex("gmk.rand");
    private final int gmkId = StreamwideVectors.id("gmk.id");
    /** TS 33.180 Table E.2-1: AES-128-GCM with RCCm3, the ROC in every packet after the MKI. */
    private final SrtpPolicy policy = MediaProfile.MC_DEFAULT.policy(JdkBackend.INSTANCE, 8).build();

    @TempDir
    Path dir;

    @Test
    void talkersOfAGroupAreReceivedFromTheirMkisAlone() throws Exception {
        Clock clock = Clock.fixed(SW_TIME, ZoneOffset.UTC);
        McIdentity.KeyPeriod period = new McIdentity.KeyPeriod(16_777_215, 0);
        try (KeyVault vault = SoftVault.open(dir.resolve("k.bcfks"), "p".toCharArray(), true, AuditLog.inMemory(), clock);
                McKeyRing ring = new McKeyRing(clock);
                MikeySakkeReceiver gateway = new MikeySakkeReceiver(vault, clock, Duration.ofMinutes(5), ring)) {
            // The gateway is Alice's identity in Streamwide's domain; the GMK arrives in their message.
            gateway.join("streamwide", "kms.mydev.streamwide.com", StreamwideVectors.hex("kms.kpak"),
                    StreamwideVectors.hex("kms.z"), period, StreamwideVectors.text("alice.uri"));
            gateway.addRsk("kms.mydev.streamwide.com", 236, StreamwideVectors.hex("alice.rsk"));
            assertEquals(gmkId, gateway.receive(StreamwideVectors.message("gmk")).keyId());

            try (MkiReceiveContext rx = new MkiReceiveContext(policy, ring, CS_ID_MCPTT_GROUP, 16, IDLE)) {
                String[] talkers = {"sip:bob@streamwide.com", "sip:carol@streamwide.com", "sip:dave@streamwide.com"};
                for (int round = 0; round < 3; round++) {
                    for (int t = 0; t < talkers.length; t++) {
                        try (SrtpSender tx = talker(policy, gmk, gmkId, rand, talkers[t])) {
                            byte[] payload = ("talker " + t + " round " + round).getBytes();
                            for (int s = 0; s <= round; s++) {
                                PacketBuffer p = rtp(0x1000 + t, 100 * round + s, payload);
                                assertEquals(SrtpStatus.OK, tx.protectRtp(p));
                                if (s < round) {
                                    continue;
                                }
                                assertEquals(SrtpStatus.OK, rx.unprotectRtp(p), talkers[t]);
                                assertArrayEquals(payload, Arrays.copyOfRange(p.array(), 12, p.length()));
                            }
                        }
                    }
                }
                assertEquals(3, rx.senders());

                // A sender claiming a GUK-ID it was not given cannot make the context keep a key.
                int forgedGuk = McIdentity.gukId(gmkId, gmk, "sip:eve@streamwide.com");
                try (SrtpSender eve = sender(policy, new byte[16], new byte[12], mki(gmkId, forgedGuk))) {
                    PacketBuffer p = rtp(0x2000, 1, "forged".getBytes());
                    eve.protectRtp(p);
                    assertEquals(SrtpStatus.AUTH_FAIL, rx.unprotectRtp(p));
                }
                try (SrtpSender stranger = sender(policy, new byte[16], new byte[12], mki(0x0abcdef1, 1))) {
                    PacketBuffer p = rtp(0x3000, 1, "unknown gmk".getBytes());
                    stranger.protectRtp(p);
                    assertEquals(SrtpStatus.UNKNOWN_KEY, rx.unprotectRtp(p));
                }
                assertEquals(3, rx.senders());
                assertEquals(2, rx.refusedMkis());
            }
        }
    }

    @Test
    void aTalkerWhoseKeyGivesAnotherProfileIsRefusedAndCounted() throws Exception {
        try (McKeyRing ring = new McKeyRing(Clock.systemUTC())) {
            // the GMK's I_MESSAGE gave crypto session 4 AES-256-GCM: a context keyed for Table E.2-1's
            // AES-128-GCM would derive the wrong keys, so its talkers are refused without a derivation
            MediaProfile aes256 = new MediaProfile(SrtpSuite.AEAD_AES_256_GCM, 1, true);
            ring.put(gmkId, gmk, rand, "sip:isg@mc.example", null, null, java.util.Map.of(CS_ID_MCPTT_GROUP, aes256));
            try (MkiReceiveContext rx = new MkiReceiveContext(policy, ring, CS_ID_MCPTT_GROUP, 16, IDLE);
                    SrtpSender tx = talker(policy, gmk, gmkId, rand, "sip:bob@streamwide.com")) {
                PacketBuffer p = rtp(0x1000, 1, "hello".getBytes());
                assertEquals(SrtpStatus.OK, tx.protectRtp(p));
                assertEquals(SrtpStatus.UNKNOWN_KEY, rx.unprotectRtp(p));
                assertEquals(1, rx.profileMismatches());
                assertEquals(0, rx.senders());
            }
            // a context built as the key says takes the talker who follows it
            SrtpPolicy asKeyed = aes256.policy(JdkBackend.INSTANCE, 8).build();
            int guk = McIdentity.gukId(gmkId, gmk, "sip:bob@streamwide.com");
            try (MkiReceiveContext rx = new MkiReceiveContext(asKeyed, ring, CS_ID_MCPTT_GROUP, 16, IDLE);
                    SrtpSender tx = sender(asKeyed, MikeyKdf.masterKey(gmk, CS_ID_MCPTT_GROUP, guk, rand, 32),
                            MikeyKdf.masterSalt(gmk, CS_ID_MCPTT_GROUP, guk, rand, 12), mki(gmkId, guk))) {
                PacketBuffer p = rtp(0x1000, 2, "hello".getBytes());
                assertEquals(SrtpStatus.OK, tx.protectRtp(p));
                assertEquals(SrtpStatus.OK, rx.unprotectRtp(p));
                assertEquals(0, rx.profileMismatches());
            }
        }
    }

    @Test
    void aFullTableMakesRoomOnlyByLettingGoOfSilentSenders() throws Exception {
        try (McKeyRing ring = new McKeyRing(Clock.systemUTC());
                MkiReceiveContext rx = new MkiReceiveContext(policy, ring, CS_ID_MCPTT_GROUP, 2, Duration.ofMinutes(1));
                SrtpSender a = talker(policy, gmk, gmkId, rand, "sip:a@streamwide.com");
                SrtpSender b = talker(policy, gmk, gmkId, rand, "sip:b@streamwide.com");
                SrtpSender c = talker(policy, gmk, gmkId, rand, "sip:c@streamwide.com")) {
            ring.put(gmkId, gmk, rand, null);
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(a, 0xa, 1)));
            PacketBuffer bFirst = protect(b, 0xb, 1);
            byte[] bFirstWire = bFirst.toByteArray();
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(bFirst));
            // full, and both have spoken since the (so far absent) last housekeeping: C waits
            assertEquals(SrtpStatus.UNKNOWN_KEY, rx.unprotectRtp(protect(c, 0xc, 1)));
            assertEquals(2, rx.senders());

            rx.housekeeping(System.nanoTime());
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(a, 0xa, 2)));
            // a forged GUK-ID never displaces anyone, even with a silent sender to displace
            int forged = McIdentity.gukId(gmkId, gmk, "sip:eve@streamwide.com");
            try (SrtpSender eve = sender(policy, new byte[16], new byte[12], mki(gmkId, forged))) {
                assertEquals(SrtpStatus.AUTH_FAIL, rx.unprotectRtp(protect(eve, 0xe, 1)));
            }
            assertEquals(0, rx.sendersLetGo());
            // B has been silent since the housekeeping, A has not: C takes B's place
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(c, 0xc, 2)));
            assertEquals(2, rx.senders());
            assertEquals(1, rx.sendersLetGo());
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(a, 0xa, 3)), "A kept its key");

            // B comes back after a housekeeping; its old packet is still a replay: replay state is per SSRC
            assertEquals(SrtpStatus.UNKNOWN_KEY, rx.unprotectRtp(protect(b, 0xb, 2)), "A and C both spoke");
            rx.housekeeping(System.nanoTime());
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(b, 0xb, 3)));
            assertEquals(SrtpStatus.REPLAY, rx.unprotectRtp(PacketBuffer.wrap(bFirstWire)));

            // silent for the idle time (one minute here) as seen by the housekeeping: let go, back on the next packet
            long t = System.nanoTime();
            rx.housekeeping(t + Duration.ofSeconds(30).toNanos());
            assertEquals(2, rx.senders(), "B spoke since the last housekeeping: active at this one");
            rx.housekeeping(t + Duration.ofSeconds(89).toNanos());
            assertEquals(1, rx.senders(), "the one of A and C still kept was silent over a minute; B for 59 s");
            rx.housekeeping(t + Duration.ofSeconds(91).toNanos());
            assertEquals(0, rx.senders());
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(a, 0xa, 4)));
            assertEquals(1, rx.senders());
        }
    }

    @Test
    void aFloodOfMadeUpMkisIsThrottledBeforeAnyDerivation() throws Exception {
        try (McKeyRing ring = new McKeyRing(Clock.systemUTC());
                MkiReceiveContext rx = new MkiReceiveContext(policy, ring, CS_ID_MCPTT_GROUP, 16, IDLE, 5);
                SrtpSender talker = talker(policy, gmk, gmkId, rand, "sip:bob@streamwide.com")) {
            ring.put(gmkId, gmk, rand, null);
            long start = System.nanoTime();
            int flood = 200;
            for (int i = 0; i < flood; i++) {
                try (SrtpSender forger = sender(policy, new byte[16], new byte[12], mki(gmkId, 0x0100000 + i))) {
                    assertTrue(rx.unprotectRtp(protect(forger, 0x5000 + i, 1)) != SrtpStatus.OK);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long derived = flood - rx.throttled();
            // a burst of 5, then 5 a second: whatever the pace of this machine, no more derivations than that
            assertTrue(derived <= 5 + Math.ceil(seconds * 5), derived + " derivations in " + seconds + " s");
            assertTrue(rx.throttled() > 0);
            assertEquals(flood, rx.refusedMkis());
            assertEquals(0, rx.senders());
            // a real talker gets through once the bucket has refilled
            Thread.sleep(300);
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(protect(talker, 0x42, 1)));
            assertEquals(1, rx.senders());
        }
    }

    private static PacketBuffer protect(SrtpSender tx, int ssrc, int seq) {
        PacketBuffer p = rtp(ssrc, seq, ("packet " + seq).getBytes());
        assertEquals(SrtpStatus.OK, tx.protectRtp(p));
        return p;
    }

    @Test
    void knownTalkersTakeTheEnginesAllocationFreePath() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                .getThreadMXBean();
        try (McKeyRing ring = new McKeyRing(Clock.systemUTC());
                MkiReceiveContext rx = new MkiReceiveContext(policy, ring, CS_ID_MCPTT_GROUP, 4, IDLE);
                SrtpSender tx = talker(policy, gmk, gmkId, rand, "sip:bob@streamwide.com")) {
            ring.put(gmkId, gmk, rand, null);
            int packets = 2000;
            byte[][] wire = new byte[packets][];
            for (int i = 0; i < packets; i++) {
                PacketBuffer p = rtp(0x99, i, new byte[160]);
                tx.protectRtp(p);
                wire[i] = p.toByteArray();
            }
            byte[] scratch = new byte[512];
            PacketBuffer pb = new PacketBuffer();
            long allocated = 0;
            for (int i = 0; i < packets; i++) {
                System.arraycopy(wire[i], 0, scratch, 0, wire[i].length);
                pb.set(scratch, 0, wire[i].length);
                long before = threads.getCurrentThreadAllocatedBytes();
                SrtpStatus s = rx.unprotectRtp(pb);
                long used = threads.getCurrentThreadAllocatedBytes() - before;
                assertEquals(SrtpStatus.OK, s, "packet " + i);
                if (i >= 100) {
                    allocated += used; // the first packet derives the talker's key; later ones must not allocate
                }
            }
            double perPacket = allocated / (double) (packets - 100);
            assertTrue(perPacket < 0.5, "known talkers allocated " + perPacket + " bytes per packet");
            assertEquals(1, rx.senders());
        }
    }

    @Test
    void privateCallMediaByPckIdAndFloorControlSrtcpByCskId() throws Exception {
        Clock clock = Clock.fixed(SW_TIME, ZoneOffset.UTC);
        try (McKeyRing ring = new McKeyRing(clock)) {
            byte[] pck = StreamwideVectors.hex("pck.key");
            byte[] pckRand = StreamwideVectors.hex("pck.rand");
            int pckId = StreamwideVectors.id("pck.id");
            byte[] csk = StreamwideVectors.hex("csk.key");
            byte[] cskRand = StreamwideVectors.hex("csk.rand");
            int cskId = StreamwideVectors.id("csk.id");
            ring.put(pckId, pck, pckRand, null);
            ring.put(cskId, csk, cskRand, null);
            SrtpPolicy fourOctetMki = MediaProfile.MC_DEFAULT.policy(JdkBackend.INSTANCE, 4).build();
            byte[] pckMki = java.nio.ByteBuffer.allocate(4).putInt(pckId).array();
            byte[] cskMki = java.nio.ByteBuffer.allocate(4).putInt(cskId).array();
            int csPrivateInitiator = 0;
            int csFloorControl = 6;
            try (MkiReceiveContext media = new MkiReceiveContext(fourOctetMki, ring, csPrivateInitiator, 4, IDLE);
                    MkiReceiveContext floor = new MkiReceiveContext(fourOctetMki, ring, csFloorControl, 4, IDLE);
                    SrtpSender caller = sender(fourOctetMki, MikeyKdf.masterKey(pck, csPrivateInitiator, pckId, pckRand, 16),
                            MikeyKdf.masterSalt(pck, csPrivateInitiator, pckId, pckRand, 12), pckMki);
                    SrtpSender client = sender(fourOctetMki, MikeyKdf.masterKey(csk, csFloorControl, cskId, cskRand, 16),
                            MikeyKdf.masterSalt(csk, csFloorControl, cskId, cskRand, 12), cskMki)) {
                PacketBuffer voice = rtp(0x42, 7, "private call".getBytes());
                assertEquals(SrtpStatus.OK, caller.protectRtp(voice));
                assertEquals(SrtpStatus.OK, media.unprotectRtp(voice));
                // floor control is SRTCP (an application-defined RTCP packet, TS 24.380) under the CSK
                byte[] fc = new byte[16 + 64];
                fc[0] = (byte) 0x80;
                fc[1] = (byte) 204;
                fc[3] = 3;
                fc[7] = 0x42;
                System.arraycopy("MCPT".getBytes(), 0, fc, 8, 4);
                PacketBuffer request = new PacketBuffer(fc, 0, 16);
                assertEquals(SrtpStatus.OK, client.protectRtcp(request));
                assertEquals(SrtpStatus.OK, floor.unprotectRtcp(request));
                assertArrayEquals("MCPT".getBytes(), Arrays.copyOfRange(request.array(), 8, 12));
                // the PCK's MKI names no key a floor context derives correctly: keys differ by CS ID
                PacketBuffer wrongContext = rtp(0x43, 8, "x".getBytes());
                caller.protectRtp(wrongContext);
                assertEquals(SrtpStatus.AUTH_FAIL, floor.unprotectRtp(wrongContext));
                assertEquals(1, media.senders());
                assertEquals(1, floor.senders());
            }
        }
    }

    /** A member's sender: master key and salt from the GMK with its GUK-ID (33.180 F.1.3, RFC 3830 §4.1.3). */
    private static SrtpSender talker(SrtpPolicy policy, byte[] gmk, int gmkId, byte[] rand, String uri) throws Exception {
        int guk = McIdentity.gukId(gmkId, gmk, uri);
        return sender(policy, MikeyKdf.masterKey(gmk, CS_ID_MCPTT_GROUP, guk, rand, 16),
                MikeyKdf.masterSalt(gmk, CS_ID_MCPTT_GROUP, guk, rand, 12), mki(gmkId, guk));
    }

    private static SrtpSender sender(SrtpPolicy policy, byte[] key, byte[] salt, byte[] mki) throws Exception {
        return new SrtpSender(policy, new MasterKey(key, salt, mki));
    }

    private static byte[] mki(int gmkId, int gukId) {
        return new byte[] {(byte) (gmkId >>> 24), (byte) (gmkId >>> 16), (byte) (gmkId >>> 8), (byte) gmkId,
            (byte) (gukId >>> 24), (byte) (gukId >>> 16), (byte) (gukId >>> 8), (byte) gukId};
    }

    private static PacketBuffer rtp(int ssrc, int seq, byte[] payload) {
        byte[] b = new byte[12 + payload.length + 64];
        b[0] = (byte) 0x80;
        b[1] = 0;
        b[2] = (byte) (seq >>> 8);
        b[3] = (byte) seq;
        b[8] = (byte) (ssrc >>> 24);
        b[9] = (byte) (ssrc >>> 16);
        b[10] = (byte) (ssrc >>> 8);
        b[11] = (byte) ssrc;
        System.arraycopy(payload, 0, b, 12, payload.length);
        return new PacketBuffer(b, 0, 12 + payload.length);
    }
}
