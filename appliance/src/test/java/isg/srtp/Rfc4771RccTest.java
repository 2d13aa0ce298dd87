package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.bench.LibsrtpHarness;
import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 4771 RCCm3 on AEAD_AES_*_GCM, as TS 33.180 Table E.2-1 profiles MC group media: ROC
 * transmission rate R, and every SRTP packet whose SEQ is 0 mod R ends with the sender's ROC in
 * four octets, network order, after the MKI (the RCC "authentication tag" of RFC 4771 §3.1 with a
 * NULL MAC; RFC 7714 §8 puts the MKI, then any tag, after the AEAD ciphertext). What comes before
 * the trailer is plain RFC 7714 SRTP, checked byte for byte against libsrtp; the trailer is
 * checked against the RFC's layout, written out here.
 */
class Rfc4771RccTest {

    private static final int SSRC = 0x33180E21;
    private static final byte[] MKI = {0x0E, 0x14, 0x47, 0x48, 0x12, 0x34, 0x56, 0x78}; // GMK-ID || GUK-ID

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> aeadOnEveryBackend() {
        return Backends.withEverySuite().filter(a -> ((SrtpSuite) a.get()[1]).aead());
    }

    private static SrtpPolicy rcc(CryptoBackend backend, SrtpSuite suite, int r) {
        return SrtpPolicy.builder(suite).backend(backend).mkiLength(MKI.length).rocTransmissionRate(r).build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("aeadOnEveryBackend")
    void everyPacketEndsWithTheRocAfterTheMkiAndIsRfc7714Before(CryptoBackend backend, SrtpSuite suite)
            throws Exception {
        Random r = new Random(4771);
        byte[] ks = TestPackets.keyAndSalt(suite, r);
        List<byte[]> plain = new ArrayList<>();
        List<String> hex = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            byte[] p = TestPackets.rtp((65530 + i) & 0xFFFF, SSRC, 20 + r.nextInt(160), r);
            plain.add(p);
            hex.add(Bytes.toHex(p));
        }
        List<String> libsrtp = LibsrtpHarness.run(List.of("peer", suite.name(), "protect", "rtp", Bytes.toHex(ks),
                Bytes.toHex(MKI)), hex, 60);
        try (SrtpSender tx = new SrtpSender(rcc(backend, suite, 1), TestPackets.split(suite, ks, MKI))) {
            for (int i = 0; i < plain.size(); i++) {
                PacketBuffer b = TestPackets.withRoom(plain.get(i));
                assertEquals(SrtpStatus.OK, tx.protectRtp(b));
                byte[] wire = b.toByteArray();
                int roc = i < 6 ? 0 : 1; // 65530..65535, then 0..5 after the wrap
                assertTrue(libsrtp.get(i).startsWith("OK "), libsrtp.get(i));
                byte[] rfc7714 = Bytes.fromHex(libsrtp.get(i).substring(3));
                assertEquals(rfc7714.length + 4, wire.length, "four octets more than RFC 7714, packet " + i);
                assertArrayEquals(rfc7714, Arrays.copyOf(wire, rfc7714.length), "header | AEAD | MKI as libsrtp, packet " + i);
                assertArrayEquals(MKI, Arrays.copyOfRange(wire, wire.length - 4 - MKI.length, wire.length - 4),
                        "the MKI comes before the ROC");
                assertArrayEquals(new byte[] {0, 0, 0, (byte) roc}, Arrays.copyOfRange(wire, wire.length - 4, wire.length),
                        "ROC in network order, packet " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("aeadOnEveryBackend")
    void aReceiverJoiningLateDecryptsTheFirstPacketItSees(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(3);
        MasterKey key = TestPackets.randomKey(suite, MKI, r);
        try (SrtpSender tx = new SrtpSender(rcc(backend, suite, 1), key);
                SrtpReceiver member = new SrtpReceiver(rcc(backend, suite, 1), key);
                SrtpReceiver withoutRcc = new SrtpReceiver(SrtpPolicy.builder(suite).backend(backend)
                        .mkiLength(MKI.length).build(), key)) {
            tx.setRoc(SSRC, 3); // the call has been going on for three wraps of the sequence number
            byte[] plain = TestPackets.rtp(40000, SSRC, 160, r);
            PacketBuffer b = TestPackets.withRoom(plain);
            assertEquals(SrtpStatus.OK, tx.protectRtp(b));
            byte[] wire = b.toByteArray();
            PacketBuffer got = TestPackets.withRoom(wire);
            assertEquals(SrtpStatus.OK, member.unprotectRtp(got), "keyed from its very first packet");
            assertArrayEquals(plain, got.toByteArray());
            assertEquals(3, member.roc(SSRC));
            assertEquals(SrtpStatus.REPLAY, member.unprotectRtp(TestPackets.withRoom(wire)));
            assertTrue(withoutRcc.unprotectRtp(TestPackets.withRoom(wire)) != SrtpStatus.OK,
                    "a receiver that does not expect the trailer cannot read it");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("aeadOnEveryBackend")
    void aRocThatIsNotTheSendersFailsAuthenticationAndMovesNothing(CryptoBackend backend, SrtpSuite suite)
            throws Exception {
        Random r = new Random(5);
        MasterKey key = TestPackets.randomKey(suite, MKI, r);
        try (SrtpSender tx = new SrtpSender(rcc(backend, suite, 1), key);
                SrtpReceiver rx = new SrtpReceiver(rcc(backend, suite, 1), key)) {
            byte[] first = protect(tx, TestPackets.rtp(7, SSRC, 60, r));
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(TestPackets.withRoom(first)));
            byte[] next = protect(tx, TestPackets.rtp(8, SSRC, 60, r));
            byte[] forged = next.clone();
            forged[forged.length - 1] ^= 0x05; // ROC 0 -> 5: index 5 || 8, far ahead
            assertEquals(SrtpStatus.AUTH_FAIL, rx.unprotectRtp(TestPackets.withRoom(forged)));
            assertEquals(0, rx.roc(SSRC), "the window did not move to the forged index");
            assertEquals(SrtpStatus.OK, rx.unprotectRtp(TestPackets.withRoom(next)));
            byte[] cut = Arrays.copyOf(next, next.length - 4);
            assertTrue(rx.unprotectRtp(TestPackets.withRoom(cut)) != SrtpStatus.OK, "no trailer, no packet");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("aeadOnEveryBackend")
    void withRateRonlyEveryRthPacketCarriesTheRoc(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(6);
        MasterKey key = TestPackets.randomKey(suite, MKI, r);
        try (SrtpSender tx = new SrtpSender(rcc(backend, suite, 4), key);
                SrtpSender plainTx = new SrtpSender(SrtpPolicy.builder(suite).backend(backend).mkiLength(MKI.length)
                        .build(), key);
                SrtpReceiver rx = new SrtpReceiver(rcc(backend, suite, 4), key)) {
            for (int seq = 10; seq < 20; seq++) {
                byte[] plain = TestPackets.rtp(seq, SSRC, 50, r);
                byte[] withRcc = protect(tx, plain);
                byte[] without = protect(plainTx, plain);
                assertEquals(without.length + (seq % 4 == 0 ? 4 : 0), withRcc.length, "sequence " + seq);
                assertArrayEquals(without, Arrays.copyOf(withRcc, without.length));
                PacketBuffer back = TestPackets.withRoom(withRcc);
                assertEquals(SrtpStatus.OK, rx.unprotectRtp(back), "sequence " + seq);
                assertArrayEquals(plain, back.toByteArray());
            }
        }
    }

    @org.junit.jupiter.api.Test
    void rccm3IsRefusedWithoutAnAeadSuite() {
        assertThrows(IllegalArgumentException.class,
                () -> SrtpPolicy.builder(SrtpSuite.AES_CM_128_HMAC_SHA1_80).rocTransmissionRate(1));
        assertThrows(IllegalArgumentException.class,
                () -> SrtpPolicy.builder(SrtpSuite.AEAD_AES_128_GCM).rocTransmissionRate(65536));
    }

    private static byte[] protect(SrtpSender tx, byte[] plain) {
        PacketBuffer b = TestPackets.withRoom(plain);
        assertEquals(SrtpStatus.OK, tx.protectRtp(b));
        return b.toByteArray();
    }
}
