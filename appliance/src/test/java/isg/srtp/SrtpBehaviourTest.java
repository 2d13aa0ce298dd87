package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;
import java.security.InvalidKeyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a receiver and a sender do with streams of packets: replay and age, ROC across 65535 -> 0
 * in both orders, MKI selection, key lifetime, stream limit, malformed input, close. Every suite
 * on every backend.
 */
class SrtpBehaviourTest {

    private static final int SSRC = 0x0BADCAFE;

    private static SrtpPolicy.Builder policy(CryptoBackend backend, SrtpSuite suite) {
        return SrtpPolicy.builder(suite).backend(backend);
    }

    /** Protected copies of RTP packets with these sequence numbers, in this order. */
    private static List<byte[]> protect(SrtpSender tx, Random r, int... seqs) {
        List<byte[]> out = new ArrayList<>();
        for (int seq : seqs) {
            PacketBuffer b = TestPackets.withRoom(TestPackets.rtp(seq, SSRC, 40 + r.nextInt(100), r));
            assertEquals(SrtpStatus.OK, tx.protectRtp(b));
            out.add(b.toByteArray());
        }
        return out;
    }

    private static SrtpStatus receive(SrtpReceiver rx, byte[] srtp) {
        return rx.unprotectRtp(TestPackets.withRoom(srtp));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void replayedAndTooOldPacketsAreRefusedAndChangeNothing(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(1);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).replayWindow(64).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
            int[] seqs = new int[200];
            for (int i = 0; i < seqs.length; i++) {
                seqs[i] = 1000 + i;
            }
            List<byte[]> pkts = protect(tx, r, seqs);
            assertEquals(SrtpStatus.OK, receive(rx, pkts.get(199)));
            assertEquals(SrtpStatus.REPLAY, receive(rx, pkts.get(199)));
            assertEquals(SrtpStatus.OK, receive(rx, pkts.get(199 - 63)), "inside the 64-packet window");
            assertEquals(SrtpStatus.TOO_OLD, receive(rx, pkts.get(199 - 64)), "one behind the window");
            assertEquals(SrtpStatus.TOO_OLD, receive(rx, pkts.get(0)));
            assertEquals(SrtpStatus.REPLAY, receive(rx, pkts.get(199 - 63)));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void aForgedPacketMovesNeitherWindowNorRoc(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(2);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).replayWindow(64).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
            List<byte[]> pkts = protect(tx, r, 10, 11, 12, 700);
            byte[] forged = pkts.get(3).clone();
            forged[forged.length - 1] ^= 0x40;
            // a forged first packet creates no stream
            assertEquals(SrtpStatus.AUTH_FAIL, receive(rx, forged));
            assertEquals(-1, rx.roc(SSRC));
            assertEquals(SrtpStatus.OK, receive(rx, pkts.get(0)));
            // a forged packet far ahead does not advance the window: 11 and 12 still arrive
            assertEquals(SrtpStatus.AUTH_FAIL, receive(rx, forged));
            assertEquals(SrtpStatus.OK, receive(rx, pkts.get(1)));
            assertEquals(SrtpStatus.OK, receive(rx, pkts.get(2)));
            assertEquals(SrtpStatus.OK, receive(rx, pkts.get(3)));
            assertEquals(0, rx.roc(SSRC));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void rocRollsOverWhicheverSideOfTheWrapArrivesFirst(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(3);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).build();
        try (SrtpSender tx = new SrtpSender(p, key)) {
            List<byte[]> pkts = protect(tx, r, 65533, 65534, 65535, 0, 1, 2);
            assertEquals(1, tx.roc(SSRC));
            // in order
            try (SrtpReceiver rx = new SrtpReceiver(p, key)) {
                for (byte[] pkt : pkts) {
                    assertEquals(SrtpStatus.OK, receive(rx, pkt));
                }
                assertEquals(1, rx.roc(SSRC));
            }
            // 0 and 1 (ROC 1) before 65534 and 65535 (ROC 0): the late ones are guessed at ROC 0
            try (SrtpReceiver rx = new SrtpReceiver(p, key)) {
                int[] order = {0, 3, 4, 1, 2, 5};
                for (int i : order) {
                    assertEquals(SrtpStatus.OK, receive(rx, pkts.get(i)), "packet " + i);
                }
                assertEquals(1, rx.roc(SSRC));
                assertEquals(SrtpStatus.REPLAY, receive(rx, pkts.get(2)));
            }
            // the sender also re-protects reordered input across the wrap (a gateway's case)
            try (SrtpSender tx2 = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
                List<byte[]> out = protect(tx2, r, 65534, 0, 65535, 1);
                assertEquals(SrtpStatus.REPLAY, tx2.protectRtp(TestPackets.withRoom(TestPackets.rtp(0, SSRC, 10, r))),
                        "an index already sent would reuse keystream");
                for (byte[] pkt : out) {
                    assertEquals(SrtpStatus.OK, receive(rx, pkt));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void theReceiverPicksTheMasterKeyByMki(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(4);
        byte[] pck1 = Bytes.fromHex("10000001");
        byte[] pck2 = Bytes.fromHex("10000002");
        MasterKey k1 = TestPackets.randomKey(suite, pck1, r);
        MasterKey k2 = TestPackets.randomKey(suite, pck2, r);
        SrtpPolicy p = policy(backend, suite).mkiLength(4).build();
        try (SrtpSender tx = new SrtpSender(p, k1, k2); SrtpReceiver rx = new SrtpReceiver(p, k2)) {
            byte[] first = protect(tx, r, 1).get(0);
            assertEquals(SrtpStatus.UNKNOWN_KEY, receive(rx, first), "key 1 is not at the receiver yet");
            rx.addKey(k1);
            assertEquals(SrtpStatus.OK, receive(rx, first));
            tx.useKey(pck2);
            byte[] second = protect(tx, r, 2).get(0);
            assertEquals(SrtpStatus.OK, receive(rx, second));
            assertArrayEquals(new long[] {1, 0}, rx.packetCounts(pck1));
            assertArrayEquals(new long[] {1, 0}, rx.packetCounts(pck2));
            assertTrue(rx.removeKey(pck1));
            assertEquals(SrtpStatus.UNKNOWN_KEY, receive(rx, protect(tx.policy(), k1, r, 3)));
            assertThrows(InvalidKeyException.class, () -> rx.addKey(TestPackets.randomKey(suite, pck2, r)),
                    "an MKI in use is refused");
            assertThrows(InvalidKeyException.class, () -> rx.addKey(TestPackets.randomKey(suite, new byte[8], r)),
                    "an MKI of another length is refused");
        }
    }

    private static byte[] protect(SrtpPolicy p, MasterKey k, Random r, int seq) throws InvalidKeyException {
        try (SrtpSender tx = new SrtpSender(p, k)) {
            return protect(tx, r, seq).get(0);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void aKeyPastItsLifetimeIsRefused(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(5);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).keyLifetime(3, 2).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
            List<byte[]> pkts = protect(tx, r, 1, 2, 3);
            assertEquals(SrtpStatus.KEY_EXPIRED, tx.protectRtp(TestPackets.withRoom(TestPackets.rtp(4, SSRC, 20, r))));
            for (byte[] pkt : pkts) {
                assertEquals(SrtpStatus.OK, receive(rx, pkt));
            }
            byte[] rtcp = TestPackets.rtcp(SSRC, 2, r);
            PacketBuffer a = TestPackets.withRoom(rtcp);
            PacketBuffer b = TestPackets.withRoom(rtcp);
            assertEquals(SrtpStatus.OK, tx.protectRtcp(a));
            assertEquals(SrtpStatus.OK, tx.protectRtcp(b));
            assertEquals(SrtpStatus.KEY_EXPIRED, tx.protectRtcp(TestPackets.withRoom(rtcp)));
            assertEquals(SrtpStatus.OK, rx.unprotectRtcp(a));
            assertEquals(SrtpStatus.OK, rx.unprotectRtcp(b));
        }
        try (SrtpSender tx = new SrtpSender(policy(backend, suite).build(), key);
                SrtpReceiver rx = new SrtpReceiver(p, key)) {
            for (byte[] pkt : protect(tx, r, 1, 2, 3)) {
                assertEquals(SrtpStatus.OK, receive(rx, pkt));
            }
            assertEquals(SrtpStatus.KEY_EXPIRED, receive(rx, protect(tx, r, 4).get(0)), "the receiver counts too");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void srtcpReplayIsCheckedOnTheIndex(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(6);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).replayWindow(64).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
            tx.setNextSrtcpIndex(SSRC, 0x7FFFFFF0);
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                PacketBuffer b = TestPackets.withRoom(TestPackets.rtcp(SSRC, 3, r));
                assertEquals(SrtpStatus.OK, tx.protectRtcp(b));
                sent.add(b.toByteArray());
            }
            assertEquals(SrtpStatus.KEY_EXPIRED, tx.protectRtcp(TestPackets.withRoom(TestPackets.rtcp(SSRC, 3, r))),
                    "the 31-bit SRTCP index is used up");
            assertEquals(SrtpStatus.OK, rx.unprotectRtcp(TestPackets.withRoom(sent.get(5))));
            assertEquals(SrtpStatus.OK, rx.unprotectRtcp(TestPackets.withRoom(sent.get(3))));
            assertEquals(SrtpStatus.REPLAY, rx.unprotectRtcp(TestPackets.withRoom(sent.get(5))));
            byte[] forged = sent.get(9).clone();
            forged[10] ^= 1;
            assertEquals(SrtpStatus.AUTH_FAIL, rx.unprotectRtcp(TestPackets.withRoom(forged)));
            assertEquals(SrtpStatus.OK, rx.unprotectRtcp(TestPackets.withRoom(sent.get(9))));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void rtpPaddingIsTheApplicationsBusinessAsForLibsrtp(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(8);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
            byte[] pad = TestPackets.rtp(5, SSRC, 50, r);
            pad[0] = (byte) 0xA0; // P set
            pad[pad.length - 1] = (byte) 200; // a pad count past the payload
            PacketBuffer b = TestPackets.withRoom(pad);
            assertEquals(SrtpStatus.OK, tx.protectRtp(b), "protected as it is");
            byte[] wire = b.toByteArray();
            PacketBuffer back = TestPackets.withRoom(wire);
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(back), "authentic, so accepted");
            assertArrayEquals(pad, back.toByteArray(), "delivered untouched, padding and all");
            assertEquals(SrtpStatus.REPLAY, rx.unprotectRtp(TestPackets.withRoom(wire)), "and recorded: a resend is a replay");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void aReceiverJoiningLateTakesTheRocItIsGiven(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(9);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key);
                SrtpReceiver unaware = new SrtpReceiver(p, key)) {
            tx.setRoc(SSRC, 3);
            byte[] plain = TestPackets.rtp(40000, SSRC, 60, r);
            PacketBuffer b = TestPackets.withRoom(plain);
            assertEquals(SrtpStatus.OK, tx.protectRtp(b));
            assertEquals(3, tx.roc(SSRC));
            byte[] wire = b.toByteArray();
            assertEquals(SrtpStatus.AUTH_FAIL, unaware.unprotectRtp(TestPackets.withRoom(wire)), "ROC 0 is the wrong guess");
            assertEquals(-1, unaware.roc(SSRC), "and left nothing behind");
            rx.setRoc(SSRC, 3);
            PacketBuffer back = TestPackets.withRoom(wire);
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(back));
            assertArrayEquals(plain, back.toByteArray());
            assertEquals(3, rx.roc(SSRC));
            assertThrows(IllegalStateException.class, () -> rx.setRoc(SSRC, 4), "a stream's ROC is its own once it ran");
            assertThrows(IllegalArgumentException.class, () -> rx.setRoc(SSRC + 1, 1L << 32));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void malformedPacketsAreNamedAsSuch(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(7);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).build();
        try (SrtpSender tx = new SrtpSender(p, key); SrtpReceiver rx = new SrtpReceiver(p, key)) {
            byte[] good = TestPackets.rtp(5, SSRC, 50, r);
            assertEquals(SrtpStatus.MALFORMED, tx.protectRtp(TestPackets.withRoom(new byte[11])), "shorter than a header");
            byte[] v1 = good.clone();
            v1[0] = (byte) 0x40;
            assertEquals(SrtpStatus.MALFORMED, tx.protectRtp(TestPackets.withRoom(v1)), "version 1");
            byte[] csrc = good.clone();
            csrc[0] = (byte) 0x8F; // 15 CSRCs = 60 bytes, the packet has 50 after the header
            assertEquals(SrtpStatus.MALFORMED, tx.protectRtp(TestPackets.withRoom(csrc)), "CSRC list past the end");
            byte[] ext = good.clone();
            ext[0] = (byte) 0x90;
            ext[14] = 0x00;
            ext[15] = 0x20; // 32 words of extension
            assertEquals(SrtpStatus.MALFORMED, tx.protectRtp(TestPackets.withRoom(ext)), "extension past the end");
            assertEquals(SrtpStatus.BUFFER_TOO_SMALL, tx.protectRtp(PacketBuffer.wrap(good.clone())), "no room for the tag");

            PacketBuffer b = TestPackets.withRoom(good);
            assertEquals(SrtpStatus.OK, tx.protectRtp(b));
            byte[] srtp = b.toByteArray();
            byte[] truncated = java.util.Arrays.copyOf(srtp, 12 + suite.srtpTagLength() - 1);
            assertEquals(SrtpStatus.MALFORMED, receive(rx, truncated), "tag cut short");
            assertEquals(SrtpStatus.MALFORMED, rx.unprotectRtcp(TestPackets.withRoom(new byte[8 + 4])), "SRTCP too short");
            assertEquals(SrtpStatus.MALFORMED, rx.unprotectRtp(TestPackets.withRoom(new byte[0])), "empty");
            assertEquals(SrtpStatus.OK, receive(rx, srtp), "and the real packet still arrives");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void streamsAreLimitedAndAClosedContextRefusesEverything(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(8);
        MasterKey key = TestPackets.randomKey(suite, null, r);
        SrtpPolicy p = policy(backend, suite).maxStreams(2).build();
        SrtpSender tx = new SrtpSender(p, key);
        assertEquals(SrtpStatus.OK, tx.protectRtp(TestPackets.withRoom(TestPackets.rtp(1, 1, 10, r))));
        assertEquals(SrtpStatus.OK, tx.protectRtp(TestPackets.withRoom(TestPackets.rtp(1, 2, 10, r))));
        assertEquals(SrtpStatus.STREAM_LIMIT, tx.protectRtp(TestPackets.withRoom(TestPackets.rtp(1, 3, 10, r))));
        tx.close();
        assertTrue(tx.closed());
        assertEquals(SrtpStatus.CLOSED, tx.protectRtp(TestPackets.withRoom(TestPackets.rtp(2, 1, 10, r))));
        assertEquals(SrtpStatus.CLOSED, tx.protectRtcp(TestPackets.withRoom(TestPackets.rtcp(1, 1, r))));
    }

    @org.junit.jupiter.api.Test
    void masterKeysShowNoSecretsAndAreWipedOnDestroy() {
        byte[] k = Bytes.fromHex("E1F97A0D3E018BE0D64FA32C06DE4139");
        byte[] s = Bytes.fromHex("0EC675AD498AFEEBB6960B3AABE6");
        MasterKey key = new MasterKey(k, s, Bytes.fromHex("10000001"));
        String shown = key.toString();
        assertFalse(shown.toLowerCase().contains("e1f97a0d"), shown);
        assertFalse(shown.toLowerCase().contains("0ec675ad"), shown);
        assertTrue(shown.contains("10000001"), "the MKI is public and shown");
        key.destroy();
        assertTrue(key.destroyed());
        assertThrows(IllegalStateException.class, key::key);
        assertThrows(IllegalArgumentException.class, () -> new MasterKey(k, s, new byte[9]));
    }
}
