package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link LegHandler} in EmbeddedChannels: what goes in on one leg, what comes out on the other. */
class LegHandlerTest {

    private static final InetSocketAddress MC = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress PARTNER = new InetSocketAddress("127.0.0.1", 50000);

    @BeforeAll
    static void leaks() {
        LeakDetection.install();
    }

    @Test
    void aReprotectedPacketLeavesOnTheOtherLegAndForgeriesDoNot() throws Exception {
        Random r = new Random(1);
        SrtpSuite suite = SrtpSuite.AEAD_AES_128_GCM;
        MasterKey in = isg.srtp.TestPackets.randomKey(suite, null, r);
        MasterKey out = isg.srtp.TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        Leg inside = new Leg(Leg.Side.INSIDE, new InetSocketAddress("127.0.0.1", 30000), MC, false,
                new SrtpReceiver(p, in), new SrtpSender(p, in));
        Leg outside = new Leg(Leg.Side.OUTSIDE, new InetSocketAddress("127.0.0.1", 31000), PARTNER, true,
                new SrtpReceiver(p, out), new SrtpSender(p, out));
        LoopShare share = new LoopShare(RelayConfig.MAX_DATAGRAM);
        Counters totals = share.totals;
        Session s = session("e1", Session.Mode.REPROTECT, inside, outside, share);
        EmbeddedChannel insideRtp = new EmbeddedChannel(new LegHandler(s, inside, false));
        EmbeddedChannel outsideRtp = new EmbeddedChannel(new LegHandler(s, outside, false));
        inside.channels(s, insideRtp, null);
        outside.channels(s, outsideRtp, null);

        byte[] plain = new byte[172];
        plain[0] = (byte) 0x80;
        plain[3] = 7;
        for (int i = 12; i < plain.length; i++) {
            plain[i] = (byte) r.nextInt();
        }
        SrtpSender mc = new SrtpSender(p, in);
        byte[] srtp = protect(mc, plain);
        insideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(srtp), inside.localRtp, MC));
        DatagramPacket sent = outsideRtp.readOutbound();
        assertEquals(PARTNER, sent.recipient());
        byte[] wire = ByteBufUtil.getBytes(sent.content());
        sent.release();
        PacketBuffer b = new PacketBuffer(Arrays.copyOf(wire, wire.length + 64), 0, wire.length);
        assertEquals(SrtpStatus.OK, new SrtpReceiver(p, out).unprotectRtp(b));
        assertArrayEquals(plain, b.toByteArray());

        plain[3] = 8;
        byte[] forged = protect(mc, plain);
        forged[40] ^= 4;
        insideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(forged), inside.localRtp, MC));
        insideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(srtp), inside.localRtp,
                new InetSocketAddress("127.0.0.1", 40002)));
        assertNull(outsideRtp.readOutbound(), "neither a forgery nor a stranger's packet is forwarded");
        assertEquals(1, inside.counters.drops(DropReason.AUTH));
        assertEquals(1, inside.counters.drops(DropReason.WRONG_SOURCE));
        assertEquals(3, totals.packetsIn());
        assertEquals(1, totals.packetsOut());
        assertFalse(insideRtp.finish());
        assertFalse(outsideRtp.finish());
        s.closeKeys();
        LeakDetection.assertNoLeaks();
    }

    @Test
    void theOutsideLegLatchesOnlyOnAnAuthenticatedPacket() throws Exception {
        Random r = new Random(2);
        SrtpSuite suite = SrtpSuite.AEAD_AES_128_GCM;
        MasterKey out = isg.srtp.TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        Hop h = new Hop("e2", p, out, null);
        Leg outside = h.outside;
        EmbeddedChannel insideRtp = h.insideRtp;
        EmbeddedChannel outsideRtp = h.outsideRtp;
        byte[] e2e = new byte[60];
        e2e[0] = (byte) 0x80;
        byte[] wrapped = protect(new SrtpSender(p, out), e2e);
        byte[] junk = wrapped.clone();
        junk[20] ^= 1;
        outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(junk), outside.localRtp, PARTNER));
        assertNull(outside.remoteRtp, "a forged packet does not latch the partner address");
        assertNull(insideRtp.readOutbound());
        outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(wrapped), outside.localRtp, PARTNER));
        assertEquals(PARTNER, outside.remoteRtp, "latched on the authenticated packet");
        DatagramPacket toMc = insideRtp.readOutbound();
        assertArrayEquals(e2e, ByteBufUtil.getBytes(toMc.content()), "the end-to-end packet, byte for byte");
        toMc.release();
        h.finish();
    }

    @Test
    void aLatchedPeerMovesOnlyForANewerAuthenticatedPacket() throws Exception {
        Random r = new Random(3);
        SrtpSuite suite = SrtpSuite.AEAD_AES_128_GCM;
        MasterKey out = isg.srtp.TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        Hop h = new Hop("e3", p, out, null);
        Leg outside = h.outside;
        EmbeddedChannel insideRtp = h.insideRtp;
        EmbeddedChannel outsideRtp = h.outsideRtp;
        SrtpSender partner = new SrtpSender(p, out);
        byte[][] wire = new byte[4][];
        for (int i = 0; i < wire.length; i++) {
            byte[] e2e = new byte[60];
            e2e[0] = (byte) 0x80;
            e2e[3] = (byte) (10 + i);
            wire[i] = protect(partner, e2e);
        }
        InetSocketAddress elsewhere = new InetSocketAddress("127.0.0.1", 50100);
        // packets 0 and 2 from the partner: it is latched there
        for (int i : new int[] {0, 2}) {
            outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(wire[i]), outside.localRtp, PARTNER));
            ((DatagramPacket) insideRtp.readOutbound()).release();
        }
        assertEquals(PARTNER, outside.remoteRtp);
        // a recording of packet 2 sent from elsewhere is a replay: dropped, the peer stays
        outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(wire[2]), outside.localRtp, elsewhere));
        assertEquals(PARTNER, outside.remoteRtp, "a replay never moves the peer");
        assertEquals(1, outside.counters.drops(DropReason.REPLAY));
        // packet 1, authentic and never seen but older than packet 2, from elsewhere: the peer stays
        outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(wire[1]), outside.localRtp, elsewhere));
        ((DatagramPacket) insideRtp.readOutbound()).release();
        assertEquals(PARTNER, outside.remoteRtp, "an older packet never moves the peer");
        // packet 3, newer than anything seen, from elsewhere: the partner moved, and the peer with it
        outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(wire[3]), outside.localRtp, elsewhere));
        ((DatagramPacket) insideRtp.readOutbound()).release();
        assertEquals(elsewhere, outside.remoteRtp, "a newer authenticated packet moves the peer");
        assertNull(insideRtp.readOutbound());
        h.finish();
    }

    @Test
    void anOutsideLegWithoutKeysForwardsNothingEitherWay() throws Exception {
        Random r = new Random(4);
        SrtpSuite suite = SrtpSuite.AEAD_AES_128_GCM;
        MasterKey out = isg.srtp.TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = SrtpPolicy.builder(suite).build();
        Hop h = new Hop("e4", p, null, PARTNER);
        Leg inside = h.inside;
        Leg outside = h.outside;
        EmbeddedChannel insideRtp = h.insideRtp;
        EmbeddedChannel outsideRtp = h.outsideRtp;
        byte[] e2e = new byte[60];
        e2e[0] = (byte) 0x80;
        insideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(e2e), inside.localRtp, MC));
        outsideRtp.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(protect(new SrtpSender(p, out), e2e)),
                outside.localRtp, PARTNER));
        assertNull(outsideRtp.readOutbound(), "nothing leaves on the outside unprotected");
        assertNull(insideRtp.readOutbound(), "nothing from the outside is taken on trust");
        assertEquals(1, inside.counters.drops(DropReason.NOT_KEYED));
        assertEquals(1, outside.counters.drops(DropReason.NOT_KEYED));
        h.finish();
    }

    /**
     * A hop session over EmbeddedChannels (RTP only): the inside peer MC, the outside keyed with
     * {@code out} (null: not keyed) and its peer {@code outsidePeer} (null: learnt by latching).
     */
    private static final class Hop {
        final Leg inside;
        final Leg outside;
        final Session session;
        final EmbeddedChannel insideRtp;
        final EmbeddedChannel outsideRtp;

        Hop(String id, SrtpPolicy p, MasterKey out, InetSocketAddress outsidePeer) throws Exception {
            inside = new Leg(Leg.Side.INSIDE, new InetSocketAddress("127.0.0.1", 30000), MC, false, null, null);
            outside = new Leg(Leg.Side.OUTSIDE, new InetSocketAddress("127.0.0.1", 31000), outsidePeer, true,
                    out == null ? null : new SrtpReceiver(p, out), out == null ? null : new SrtpSender(p, out));
            session = session(id, Session.Mode.HOP, inside, outside, new LoopShare(RelayConfig.MAX_DATAGRAM));
            insideRtp = new EmbeddedChannel(new LegHandler(session, inside, false));
            outsideRtp = new EmbeddedChannel(new LegHandler(session, outside, false));
            inside.channels(session, insideRtp, null);
            outside.channels(session, outsideRtp, null);
        }

        void finish() throws InterruptedException {
            assertFalse(insideRtp.finish());
            assertFalse(outsideRtp.finish());
            session.closeKeys();
            LeakDetection.assertNoLeaks();
        }
    }

    private static Session session(String id, Session.Mode mode, Leg inside, Leg outside, LoopShare share) {
        OutsideKeying keying = new OutsideKeying("pkcs11:object=m", SrtpSuite.AEAD_AES_128_GCM,
                InterconnectKeys.newNonce());
        return new Session(id, mode, "p", inside, outside, keying, share, RelayConfig.MAX_DATAGRAM, false);
    }

    private static byte[] protect(SrtpSender tx, byte[] plain) {
        PacketBuffer b = new PacketBuffer(Arrays.copyOf(plain, plain.length + 64), 0, plain.length);
        assertEquals(SrtpStatus.OK, tx.protectRtp(b));
        return b.toByteArray();
    }
}
