package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.mc.McIdentity;
import isg.mc.McKeyRing;
import isg.mc.MikeyKdf;
import isg.mc.MkiReceiveContext;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways on loopback, "home" and "partner", sharing an interconnect master key in their
 * (software) vaults, with an MC peer on each inside: real UDP sockets all the way.
 */
class TwoGatewaysTest {

    @TempDir
    Path dir;

    private GatewayPair g;
    private Relay home;
    private Relay partner;
    private UdpPeer mcHome;
    private UdpPeer mcPartner;
    private final Random random = new Random(42);

    @BeforeEach
    void start() throws Exception {
        g = new GatewayPair(dir, random);
        home = g.home;
        partner = g.partner;
        mcHome = g.mcHome;
        mcPartner = g.mcPartner;
    }

    @AfterEach
    void stop() {
        g.close();
    }

    private static byte[] rtp(int seq, int ssrc, int payload, Random r) {
        byte[] p = new byte[12 + payload];
        p[0] = (byte) 0x80;
        p[2] = (byte) (seq >> 8);
        p[3] = (byte) seq;
        p[8] = (byte) (ssrc >> 24);
        p[9] = (byte) (ssrc >> 16);
        p[10] = (byte) (ssrc >> 8);
        p[11] = (byte) ssrc;
        for (int i = 12; i < p.length; i++) {
            p[i] = (byte) r.nextInt();
        }
        return p;
    }

    private static byte[] rtcp(int ssrc, Random r) {
        byte[] p = new byte[28];
        p[0] = (byte) 0x80;
        p[1] = (byte) 201;
        p[3] = 6;
        p[4] = (byte) (ssrc >> 24);
        p[5] = (byte) (ssrc >> 16);
        p[6] = (byte) (ssrc >> 8);
        p[7] = (byte) ssrc;
        for (int i = 8; i < p.length; i++) {
            p[i] = (byte) r.nextInt();
        }
        return p;
    }

    private static byte[] apply(SrtpSender tx, byte[] plain, boolean isRtcp) {
        PacketBuffer b = new PacketBuffer(Arrays.copyOf(plain, plain.length + 64), 0, plain.length);
        assertEquals(SrtpStatus.OK, isRtcp ? tx.protectRtcp(b) : tx.protectRtp(b));
        return b.toByteArray();
    }

    private static byte[] undo(SrtpReceiver rx, byte[] srtp, boolean isRtcp) {
        assertNotNull(srtp, "nothing arrived");
        PacketBuffer b = new PacketBuffer(Arrays.copyOf(srtp, srtp.length + 64), 0, srtp.length);
        assertEquals(SrtpStatus.OK, isRtcp ? rx.unprotectRtcp(b) : rx.unprotectRtp(b));
        return b.toByteArray();
    }

    private Session[] session(String id, Session.Mode mode, SrtpSuite suite, MasterKey[] homeKeys,
            MasterKey[] partnerKeys) throws Exception {
        return g.session(id, mode, suite, homeKeys, partnerKeys, null);
    }

    private static void eventually(LongSupplier value, long expected, String what) throws InterruptedException {
        GatewayPair.eventually(value, expected, what);
    }

    @Test
    void aGroupCallKeyedByItsGmkCrossesToThePartnerWithNoPerTalkerKeys() throws Exception {
        // Home is a member of the group: its key ring holds the GMK and the RAND of the I_MESSAGE
        // that brought it (MikeySakkeReceiver puts them there). Each talker keys SRTP from the GMK
        // with its own GUK-ID (33.180 F.1.3) and sends MKI = GMK-ID || GUK-ID.
        byte[] gmk = new byte[16];
        byte[] rand = new byte[16];
        random.nextBytes(gmk);
        random.nextBytes(rand);
        int gmkId = McIdentity.Purpose.GMK.tag(0x0A1B2C3);
        int csId = 4; // MCPTT group call
        SrtpSuite suite = SrtpSuite.AEAD_AES_128_GCM;
        MasterKey toHomeMc = isg.srtp.TestPackets.randomKey(suite, null, random);
        MasterKey c = isg.srtp.TestPackets.randomKey(suite, null, random);
        MasterKey d = isg.srtp.TestPackets.randomKey(suite, null, random);
        try (McKeyRing ring = new McKeyRing(java.time.Clock.systemUTC())) {
            ring.put(gmkId, gmk, rand, null);
            // TS 33.180 Table E.2-1: RCCm3, the ROC after the MKI of every packet
            SrtpPolicy group = isg.mc.MediaProfile.MC_DEFAULT.policy(isg.srtp.crypto.JdkBackend.INSTANCE, 8).build();
            MkiReceiveContext members = new MkiReceiveContext(group, ring, csId, 64, java.time.Duration.ofMinutes(5));
            Session h = home.create(new SessionSpec("group-1", Session.Mode.REPROTECT, "partner", mcHome.address(), null,
                    suite, null, toHomeMc), members);
            Session p = partner.create(new SessionSpec("group-1", Session.Mode.REPROTECT, "home", mcPartner.address(),
                    h.outside().localRtp(), suite, c, d, h.localNonce()));
            home.update("group-1", null, p.outside().localRtp(), p.localNonce());
            String[] talkers = {"sip:alpha@police.example", "sip:bravo@police.example", "sip:charlie@police.example"};
            try (SrtpReceiver partnerRx = new SrtpReceiver(SrtpPolicy.builder(suite).build(), d)) {
                for (int t = 0; t < talkers.length; t++) {
                    int guk = McIdentity.gukId(gmkId, gmk, talkers[t]);
                    byte[] mki = java.nio.ByteBuffer.allocate(8).putInt(gmkId).putInt(guk).array();
                    MasterKey k = new MasterKey(MikeyKdf.masterKey(gmk, csId, guk, rand, 16),
                            MikeyKdf.masterSalt(gmk, csId, guk, rand, 12), mki);
                    try (SrtpSender talker = new SrtpSender(group, k)) {
                        for (int i = 0; i < 5; i++) {
                            boolean isRtcp = i == 4;
                            byte[] plain = isRtcp ? rtcp(0x7000 + t, random) : rtp(10 * t + i, 0x7000 + t, 160, random);
                            mcHome.send(isRtcp, apply(talker, plain, isRtcp), h.inside().localRtp());
                            assertArrayEquals(plain, undo(partnerRx, mcPartner.receive(isRtcp, 2000), isRtcp),
                                    talkers[t] + " packet " + i);
                        }
                    }
                }
                assertEquals(3, members.senders());
                // a talker with a GUK-ID of its own making is dropped, and no key is kept for it
                byte[] forgedMki = java.nio.ByteBuffer.allocate(8).putInt(gmkId).putInt(0x0BADBAD).array();
                try (SrtpSender forger = new SrtpSender(group, new MasterKey(new byte[16], new byte[12], forgedMki))) {
                    mcHome.send(false, apply(forger, rtp(1, 0x7999, 160, random), false), h.inside().localRtp());
                    eventually(() -> h.inside().counters().drops(DropReason.AUTH), 1, "forged talker counted");
                }
                assertEquals(3, members.senders());
            }
            home.delete("group-1");
            assertTrue(h.inside().keysWiped(), "the group context is wiped with the session");
        }
    }

    @Test
    void reprotectCarriesRtpAndRtcpBothWaysAndDropsWhatItMust() throws Exception {
        SrtpSuite suite = SrtpSuite.AES_CM_128_HMAC_SHA1_80;
        // home MC side: sends with a, receives with b; partner MC side: sends with c, receives with d
        MasterKey a = isg.srtp.TestPackets.randomKey(suite, null, random);
        MasterKey b = isg.srtp.TestPackets.randomKey(suite, null, random);
        MasterKey c = isg.srtp.TestPackets.randomKey(suite, null, random);
        MasterKey d = isg.srtp.TestPackets.randomKey(suite, null, random);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        Session[] s = session("call-1", Session.Mode.REPROTECT, suite, new MasterKey[] {a, b}, new MasterKey[] {c, d});
        try (SrtpSender homeTx = new SrtpSender(p, a); SrtpReceiver homeRx = new SrtpReceiver(p, b);
                SrtpSender partnerTx = new SrtpSender(p, c); SrtpReceiver partnerRx = new SrtpReceiver(p, d)) {
            for (int i = 0; i < 20; i++) {
                boolean isRtcp = i % 5 == 4;
                byte[] plain = isRtcp ? rtcp(0x1111, random) : rtp(100 + i, 0x1111, 160, random);
                mcHome.send(isRtcp, apply(homeTx, plain, isRtcp), s[0].inside().localRtp());
                assertArrayEquals(plain, undo(partnerRx, mcPartner.receive(isRtcp, 2000), isRtcp), "home->partner " + i);
                byte[] back = isRtcp ? rtcp(0x2222, random) : rtp(500 + i, 0x2222, 160, random);
                mcPartner.send(isRtcp, apply(partnerTx, back, isRtcp), s[1].inside().localRtp());
                assertArrayEquals(back, undo(homeRx, mcHome.receive(isRtcp, 2000), isRtcp), "partner->home " + i);
            }
            Counters in = s[0].inside().counters();
            // a replayed packet
            byte[] once = apply(homeTx, rtp(200, 0x1111, 160, random), false);
            mcHome.send(false, once, s[0].inside().localRtp());
            assertNotNull(mcPartner.receive(false, 2000));
            mcHome.send(false, once, s[0].inside().localRtp());
            eventually(() -> in.drops(DropReason.REPLAY), 1, "replay counted");
            // a forged tag
            byte[] forged = apply(homeTx, rtp(201, 0x1111, 160, random), false);
            forged[forged.length - 1] ^= 1;
            mcHome.send(false, forged, s[0].inside().localRtp());
            eventually(() -> in.drops(DropReason.AUTH), 1, "forged tag counted");
            // truncated
            mcHome.send(false, Arrays.copyOf(once, 9), s[0].inside().localRtp());
            eventually(() -> in.drops(DropReason.MALFORMED), 1, "truncated packet counted");
            // from the wrong source
            try (UdpPeer stranger = new UdpPeer()) {
                stranger.send(false, apply(homeTx, rtp(202, 0x1111, 160, random), false), s[0].inside().localRtp());
                eventually(() -> in.drops(DropReason.WRONG_SOURCE), 1, "wrong source counted");
            }
            assertNull(mcPartner.receive(false, 200), "none of those was forwarded");
            // and the session goes on
            byte[] after = rtp(300, 0x1111, 160, random);
            mcHome.send(false, apply(homeTx, after, false), s[0].inside().localRtp());
            assertArrayEquals(after, undo(partnerRx, mcPartner.receive(false, 2000), false));
        }
    }

    @Test
    void hopDeliversTheEndToEndPacketByteIdenticalBothWays() throws Exception {
        // end-to-end keys only the two MC sides hold; the gateways never see them
        SrtpSuite e2e = SrtpSuite.AEAD_AES_128_GCM;
        byte[] gmk = new byte[16];
        byte[] salt = new byte[12];
        random.nextBytes(gmk);
        random.nextBytes(salt);
        // MKI = GMK-ID || GUK-ID as TS 33.180 puts it on group media
        MasterKey withMki = new MasterKey(gmk, salt, new byte[] {0, 0, 0, 1, 2, 3, 4, 5});
        SrtpPolicy p = SrtpPolicy.builder(e2e).mkiLength(8).build();
        Session[] s = session("group-7", Session.Mode.HOP, null, null, null);
        try (SrtpSender tx = new SrtpSender(p, withMki); SrtpSender back = new SrtpSender(p, withMki)) {
            for (int i = 0; i < 20; i++) {
                boolean isRtcp = i % 4 == 3;
                byte[] endToEnd = apply(tx, isRtcp ? rtcp(0x3333, random) : rtp(10 + i, 0x3333, 160, random), isRtcp);
                mcHome.send(isRtcp, endToEnd, s[0].inside().localRtp());
                byte[] arrived = mcPartner.receive(isRtcp, 2000);
                assertArrayEquals(endToEnd, arrived, "byte-identical after the hop, packet " + i);
                byte[] reverse = apply(back, isRtcp ? rtcp(0x4444, random) : rtp(900 + i, 0x4444, 160, random), isRtcp);
                mcPartner.send(isRtcp, reverse, s[1].inside().localRtp());
                assertArrayEquals(reverse, mcHome.receive(isRtcp, 2000), "reverse " + i);
            }
        }
        // the outside carries the end-to-end packet under the hop layer, never as it was
        assertEquals(0, s[1].outside().counters().drops());
        assertTrue(s[0].outside().counters().bytesOut() > s[0].inside().counters().bytesIn(),
                "the hop layer adds its tag to every packet");
    }

    @Test
    void deletingASessionFreesItsPortsAndWipesItsKeys() throws Exception {
        Session[] s = session("short", Session.Mode.HOP, null, null, null);
        InetSocketAddress inside = s[0].inside().localRtp();
        assertTrue(home.delete("short"));
        assertNull(home.session("short"));
        assertTrue(s[0].outside().sender.closed() && s[0].outside().receiver.closed(), "keys wiped");
        byte[] any = rtp(1, 1, 20, random);
        long refusedBefore = Counters.kernelUdpNoPorts();
        mcHome.send(false, any, inside);
        assertNull(mcPartner.receive(false, 200), "an unallocated port forwards nothing");
        assertTrue(Counters.kernelUdpNoPorts() > refusedBefore, "the kernel counts the datagram to the freed port");
        Session again = home.create(new SessionSpec("short", Session.Mode.HOP, "partner", mcHome.address(), null, null,
                null, null));
        assertNotNull(again);
    }
}
