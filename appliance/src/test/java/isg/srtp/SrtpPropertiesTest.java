package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.crypto.CryptoBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties over many random keys, MKIs, header shapes (CSRCs, extensions, padding) and
 * payloads, each trial seeded so a failure names the seed that reproduces it. (Plain JUnit with
 * seeded generators; jqwik's current release asks automated agents not to use it, so it is not a
 * dependency.)
 */
class SrtpPropertiesTest {

    private static final int TRIALS = 150;

    static List<Object[]> backends() {
        List<Object[]> out = new ArrayList<>();
        Backends.all().forEach(b -> out.add(new Object[] {b}));
        return out;
    }

    /** A random trial: suite, MKI length, keys, and an RTP packet with random header shape. */
    private static final class Trial {
        final long seed;
        final Random r;
        final SrtpSuite suite;
        final byte[] mki;
        final MasterKey key;
        final SrtpPolicy policy;

        Trial(CryptoBackend backend, long seed) {
            this.seed = seed;
            this.r = new Random(seed);
            SrtpSuite[] all = SrtpSuite.values();
            suite = all[r.nextInt(all.length)];
            mki = new byte[new int[] {0, 1, 4, 8}[r.nextInt(4)]];
            r.nextBytes(mki);
            key = TestPackets.randomKey(suite, mki, r);
            policy = SrtpPolicy.builder(suite).backend(backend).mkiLength(mki.length).build();
        }

        byte[] rtp(int seq) {
            int csrcs = r.nextInt(4);
            boolean ext = r.nextBoolean();
            int extWords = ext ? r.nextInt(4) : 0;
            int payload = r.nextInt(300);
            boolean padded = payload > 0 && r.nextInt(4) == 0;
            byte[] p = TestPackets.rtp(seq, r.nextInt(3), 0, r);
            int h = 12 + 4 * csrcs + (ext ? 4 + 4 * extWords : 0);
            byte[] out = new byte[h + payload];
            System.arraycopy(p, 0, out, 0, 12);
            for (int i = 12; i < out.length; i++) {
                out[i] = (byte) r.nextInt();
            }
            out[0] = (byte) (0x80 | (padded ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs);
            if (ext) {
                int at = 12 + 4 * csrcs;
                out[at + 2] = 0;
                out[at + 3] = (byte) extWords;
            }
            if (padded) {
                out[out.length - 1] = (byte) (1 + r.nextInt(Math.min(payload, 255)));
            }
            return out;
        }

        String name() {
            return "seed " + seed + " (" + suite + ", MKI " + mki.length + " bytes)";
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void unprotectUndoesProtect(CryptoBackend backend) throws Exception {
        for (int t = 0; t < TRIALS; t++) {
            Trial tr = new Trial(backend, 1000L + t);
            try (SrtpSender tx = new SrtpSender(tr.policy, tr.key); SrtpReceiver rx = new SrtpReceiver(tr.policy, tr.key)) {
                int seq = tr.r.nextInt(65536);
                for (int i = 0; i < 5; i++) {
                    byte[] plain = tr.rtp((seq + i) & 0xFFFF);
                    PacketBuffer b = TestPackets.withRoom(plain);
                    assertEquals(SrtpStatus.OK, tx.protectRtp(b), tr.name() + " " + isg.srtp.crypto.Bytes.toHex(plain));
                    assertEquals(plain.length + tr.suite.srtpOverhead(tr.mki.length), b.length(), tr.name());
                    assertEquals(SrtpStatus.OK, rx.unprotectRtp(b), tr.name());
                    assertArrayEquals(plain, b.toByteArray(), tr.name());

                    byte[] rtcp = TestPackets.rtcp(tr.r.nextInt(), tr.r.nextInt(10), tr.r);
                    PacketBuffer c = TestPackets.withRoom(rtcp);
                    assertEquals(SrtpStatus.OK, tx.protectRtcp(c), tr.name());
                    assertNotEquals(0, c.length() - rtcp.length, tr.name());
                    assertEquals(SrtpStatus.OK, rx.unprotectRtcp(c), tr.name());
                    assertArrayEquals(rtcp, c.toByteArray(), tr.name());
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void anySingleFlippedBitIsRefusedAndChangesNothing(CryptoBackend backend) throws Exception {
        EnumSet<SrtpStatus> refusals = EnumSet.of(SrtpStatus.AUTH_FAIL, SrtpStatus.MALFORMED, SrtpStatus.UNKNOWN_KEY);
        for (int t = 0; t < TRIALS; t++) {
            Trial tr = new Trial(backend, 5000L + t);
            boolean rtcp = tr.r.nextBoolean();
            byte[] srtp;
            try (SrtpSender tx = new SrtpSender(tr.policy, tr.key)) {
                PacketBuffer b = TestPackets.withRoom(rtcp ? TestPackets.rtcp(7, tr.r.nextInt(6), tr.r) : tr.rtp(tr.r.nextInt(65536)));
                assertEquals(SrtpStatus.OK, rtcp ? tx.protectRtcp(b) : tx.protectRtp(b));
                srtp = b.toByteArray();
            }
            try (SrtpReceiver rx = new SrtpReceiver(tr.policy, tr.key)) {
                // header, payload, MKI, tag: every bit of a short packet, a sample of a long one
                int bits = srtp.length * 8;
                for (int k = 0; k < Math.min(bits, 96); k++) {
                    int bit = bits <= 96 ? k : tr.r.nextInt(bits);
                    byte[] forged = srtp.clone();
                    forged[bit >>> 3] ^= (byte) (0x80 >>> (bit & 7));
                    PacketBuffer f = TestPackets.withRoom(forged);
                    SrtpStatus s = rtcp ? rx.unprotectRtcp(f) : rx.unprotectRtp(f);
                    assertTrue(refusals.contains(s), tr.name() + " bit " + bit + " gave " + s);
                }
                PacketBuffer ok = TestPackets.withRoom(srtp);
                assertEquals(SrtpStatus.OK, rtcp ? rx.unprotectRtcp(ok) : rx.unprotectRtp(ok),
                        tr.name() + ": the genuine packet is still accepted after the forgeries");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void reorderingsWithinTheWindowAreAcceptedOnceAndOlderNever(CryptoBackend backend) throws Exception {
        for (int t = 0; t < 40; t++) {
            Trial tr = new Trial(backend, 9000L + t);
            int window = 64 << tr.r.nextInt(5);
            SrtpPolicy p = SrtpPolicy.builder(tr.suite).backend(backend).mkiLength(tr.mki.length)
                    .replayWindow(window).build();
            int start = tr.r.nextInt(65536);
            int n = window + 40;
            List<byte[]> sent = new ArrayList<>();
            try (SrtpSender tx = new SrtpSender(p, tr.key)) {
                for (int i = 0; i < n; i++) {
                    PacketBuffer b = TestPackets.withRoom(TestPackets.rtp((start + i) & 0xFFFF, 99, 20, tr.r));
                    assertEquals(SrtpStatus.OK, tx.protectRtp(b));
                    sent.add(b.toByteArray());
                }
            }
            try (SrtpReceiver rx = new SrtpReceiver(p, tr.key)) {
                // the newest first, then the window's worth below it in random order, each twice
                assertEquals(SrtpStatus.OK, rx.unprotectRtp(TestPackets.withRoom(sent.get(n - 1))), tr.name());
                List<Integer> inWindow = new ArrayList<>();
                for (int i = n - window; i < n - 1; i++) {
                    inWindow.add(i);
                }
                Collections.shuffle(inWindow, tr.r);
                for (int i : inWindow) {
                    assertEquals(SrtpStatus.OK, rx.unprotectRtp(TestPackets.withRoom(sent.get(i))), tr.name() + " #" + i);
                    assertEquals(SrtpStatus.REPLAY, rx.unprotectRtp(TestPackets.withRoom(sent.get(i))), tr.name() + " #" + i);
                }
                for (int i = 0; i < n - window; i++) {
                    assertEquals(SrtpStatus.TOO_OLD, rx.unprotectRtp(TestPackets.withRoom(sent.get(i))), tr.name() + " #" + i);
                }
            }
        }
    }

    /** Arbitrary bytes of any length, and truncations of real packets: never OK, never an exception. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void garbageIsRefusedWithAStatusNeverAnException(CryptoBackend backend) throws Exception {
        for (int t = 0; t < TRIALS; t++) {
            Trial tr = new Trial(backend, 20000L + t);
            try (SrtpSender tx = new SrtpSender(tr.policy, tr.key); SrtpReceiver rx = new SrtpReceiver(tr.policy, tr.key)) {
                for (int k = 0; k < 20; k++) {
                    byte[] junk = new byte[tr.r.nextInt(120)];
                    tr.r.nextBytes(junk);
                    if (junk.length > 0 && tr.r.nextBoolean()) {
                        junk[0] = (byte) (0x80 | (junk[0] & 0x3F)); // version 2, random P/X/CC
                    }
                    assertNotEquals(SrtpStatus.OK, rx.unprotectRtp(TestPackets.withRoom(junk)), tr.name());
                    assertNotEquals(SrtpStatus.OK, rx.unprotectRtcp(TestPackets.withRoom(junk)), tr.name());
                }
                PacketBuffer b = TestPackets.withRoom(tr.rtp(tr.r.nextInt(65536)));
                assertEquals(SrtpStatus.OK, tx.protectRtp(b));
                byte[] srtp = b.toByteArray();
                for (int cut = 0; cut < srtp.length; cut++) {
                    PacketBuffer c = TestPackets.withRoom(java.util.Arrays.copyOf(srtp, cut));
                    assertNotEquals(SrtpStatus.OK, rx.unprotectRtp(c), tr.name() + " cut to " + cut);
                }
                assertEquals(SrtpStatus.OK, rx.unprotectRtp(TestPackets.withRoom(srtp)), tr.name());
            }
        }
    }
}
