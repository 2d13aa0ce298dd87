package isg.srtp;

import static isg.srtp.crypto.Bytes.fromHex;

import isg.srtp.crypto.AesCtr;
import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;
import isg.srtp.crypto.HmacSha1;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The published known-answer vectors of every suite, each as a check that throws
 * {@link SelfTestFailure} naming its source. The unit tests run each check by name; the box runs
 * them all at start ({@link #runAll}) before it forwards a packet.
 */
public final class KnownAnswers {

    /** A known-answer vector did not reproduce. */
    public static final class SelfTestFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SelfTestFailure(String message) {
            super(message);
        }
    }

    // RFC 3711 Appendix B.2: AES-CM keystream; session salt already shifted, SSRC 0, index 0.
    static final String B2_SESSION_KEY = "2B7E151628AED2A6ABF7158809CF4F3C";
    static final String B2_SESSION_SALT = "F0F1F2F3F4F5F6F7F8F9FAFBFCFD";
    static final String B2_KEYSTREAM_FIRST = "E03EAD0935C95E80E166B16DD92B4EB4"
            + "D23513162B02D0F72A43A2FE4A5F97AB" + "41E95B3BB0A2E8DD477901E4FCA894C0";
    /** Counters ...FEFF, ...FF00, ...FF01: the last three of the 65282-block segment. */
    static final String B2_KEYSTREAM_LAST = "EC8CDF7398607CB0F2D21675EA9EA1E4"
            + "362B7C3C6773516318A077D7FC5073AE" + "6A2CC3787889374FBEB4C81B17BA6C44";
    static final int B2_SEGMENT_BLOCKS = 65282;

    // RFC 3711 Appendix B.3: key derivation.
    static final String B3_MASTER_KEY = "E1F97A0D3E018BE0D64FA32C06DE4139";
    static final String B3_MASTER_SALT = "0EC675AD498AFEEBB6960B3AABE6";
    static final String B3_CIPHER_KEY = "C61E7A93744F39EE10734AFE3FF7A087";
    static final String B3_CIPHER_SALT = "30CBBC08863D8C85D49DB34A9AE1";
    static final String B3_AUTH_KEY = "CEBE321F6FF7716B6FD4AB49AF256A15" + "6D38BAA48F0A0ACF3C34E2359E6CDBCE"
            + "E049646C43D9327AD175578EF7227098" + "6371C10C9A369AC2F94A8C5FBCDDDC25"
            + "6D6E919A48B610EF17C2041E47403576" + "6B68642C59BBFC2F34DB60DBDFB2";

    // RFC 6188 §7.1: AES-256-CM keystream, same counters as RFC 3711 B.2.
    static final String R6188_71_SESSION_KEY = "57f82fe3613fd170a85ec93c40b1f092"
            + "2ec4cb0dc025b58272147cc438944a98";
    static final String R6188_71_KEYSTREAM_FIRST = "92bdd28a93c3f52511c677d08b5515a4"
            + "9da71b2378a854f67050756ded165bac" + "63c4868b7096d88421b563b8c94c9a31";
    static final String R6188_71_KEYSTREAM_LAST = "cea518c90fd91ced9cbb18c078a54711"
            + "3dbc4814f4da5f00a08772b63c6a046d" + "6eb246913062a16891433e97dd01a57f";

    // RFC 6188 §7.2: AES-256 key derivation.
    static final String R6188_72_MASTER_KEY = "f0f04914b513f2763a1b1fa130f10e29"
            + "98f6f6e43e4309d1e622a0e332b9f1b6";
    static final String R6188_72_MASTER_SALT = "3b04803de51ee7c96423ab5b78d2";
    static final String R6188_72_CIPHER_KEY = "5ba1064e30ec51613cad926c5a28ef73"
            + "1ec7fb397f70a960653caf06554cd8c4";
    static final String R6188_72_CIPHER_SALT = "fa31791685ca444a9e07c6c64e93";
    static final String R6188_72_AUTH_KEY = "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05";

    // RFC 7714 §16 / §17: session keys given directly; salt "Quid pro quo".
    static final String R7714_KEY_128 = "000102030405060708090a0b0c0d0e0f";
    static final String R7714_KEY_256 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    static final String R7714_SALT = "517569642070726f2071756f";
    /** §16: header 8040f17b 8041f8d3 5501a0b2, payload "Gallia est omnis divisa in partes tres". */
    static final String R7714_RTP = "8040f17b8041f8d35501a0b2"
            + "47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573";
    /** §16.1.1 (and §16.1.2 in reverse). */
    static final String R7714_16_1_SRTP = "8040f17b8041f8d35501a0b2"
            + "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833"
            + "899d7f27beb16a9152cf765ee4390cce";
    /** §16.2.1 (and §16.2.2 in reverse). */
    static final String R7714_16_2_SRTP = "8040f17b8041f8d35501a0b2"
            + "32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f1ba63799b87b"
            + "7aa3db36dfffd6b0f9bb7878d7a76c13";
    /** §17: the RTCP packet of §17.1–17.4 (SSRC "Mars"), SRTCP index 0x5d4. */
    static final String R7714_RTCP = "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61"
            + "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
    static final int R7714_SRTCP_INDEX = 0x5d4;
    /** §17.1: AEAD_AES_128_GCM SRTCP encryption and tagging (decrypted in reverse). */
    static final String R7714_17_1_SRTCP = "81c8000d4d617273"
            + "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa458"
            + "96cf4d2fc5abf87245d9eade" + "800005d4";
    /** §17.2: AEAD_AES_256_GCM SRTCP encryption and tagging (decrypted in reverse). */
    static final String R7714_17_2_SRTCP = "81c8000d4d617273"
            + "d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c"
            + "4446839f57ff6f6cb26ac3be" + "800005d4";
    /** §17.3: AEAD_AES_128_GCM SRTCP tagged but not encrypted (E = 0), verified in reverse. */
    static final String R7714_17_3_SRTCP = R7714_RTCP + "841dd9683dd78ec92ae58790125f62b3" + "000005d4";

    // RFC 2202 §3 test case 1: HMAC-SHA1 (RFC 3711 §4.2.1 authenticates with it) with a
    // 160-bit key like SRTP's; FIPS approved mode refuses HMAC keys under 112 bits.
    static final String R2202_KEY = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
    static final String R2202_DATA = "4869205468657265"; // "Hi There"
    static final String R2202_MAC = "b617318655057264e28bc0b6fb378c8ef146be00";

    private KnownAnswers() {
    }

    private static void expect(String source, byte[] actual, int off, String expectedHex) {
        byte[] expected = fromHex(expectedHex);
        if (!Arrays.equals(Arrays.copyOfRange(actual, off, off + expected.length), expected)) {
            throw new SelfTestFailure(source + ": expected " + expectedHex.toLowerCase() + ", got "
                    + Bytes.toHex(actual, off, Math.min(expected.length, actual.length - off)));
        }
    }

    private static void expectLength(String source, int actual, int expected) {
        if (actual != expected) {
            throw new SelfTestFailure(source + ": expected length " + expected + ", got " + actual);
        }
    }

    /** A transform over session keys; for the CM suites the auth key is irrelevant (zeros). */
    private static SrtpTransform sessionTransform(CryptoBackend backend, SrtpSuite suite, String key, String salt) {
        byte[] k = fromHex(key);
        byte[] s = fromHex(salt);
        byte[] a = new byte[suite.aead() ? 0 : SrtpSuite.HMAC_SHA1_KEY_LENGTH];
        return SrtpTransform.fromSessionKeys(backend, suite, k, a, s, k, a, s);
    }

    /**
     * The RFC's keystream segments: the first three blocks through the SRTP packet path (the IV
     * formed for SSRC 0, index 0), the last three straight from the backend's counter mode at their
     * counter (...FEFF). The megabyte between them is left out of the start-up test, where cold code
     * took about 0.4 s of one core per vector; the unit tests run it
     * ({@link #rfc3711B2InOnePacket}, {@link #rfc6188Section71InOnePacket}).
     */
    private static void keystream(CryptoBackend backend, SrtpSuite suite, String source, String key,
            String first, String last) {
        byte[] pkt = new byte[12 + 48 + 64];
        pkt[0] = (byte) 0x80;
        try (SrtpTransform t = sessionTransform(backend, suite, key, B2_SESSION_SALT)) {
            t.protectRtp(pkt, 0, 12 + 48, 12, 0, 0, new byte[0]);
        }
        expect(source + " keystream, first three blocks", pkt, 12, first);
        byte[] iv = Arrays.copyOf(fromHex(B2_SESSION_SALT), 16);
        int counter = B2_SEGMENT_BLOCKS - 3;
        iv[14] = (byte) (counter >>> 8);
        iv[15] = (byte) counter;
        byte[] end = new byte[48];
        try (AesCtr ctr = backend.aesCtr(fromHex(key))) {
            ctr.apply(iv, end, 0, end.length);
        }
        expect(source + " keystream, last three blocks (counter ...FEFF)", end, 0, last);
    }

    /**
     * A keystream vector's whole segment of 65,282 blocks as the payload of one SRTP packet: the
     * counter carried across its low 16 bits within one call, both ends as the RFC gives them.
     */
    private static void keystreamInOnePacket(CryptoBackend backend, SrtpSuite suite, String source, String key,
            String first, String last) {
        // An RTP header with SSRC 0 and sequence 0, then zeros: the ciphertext is the keystream.
        int payload = B2_SEGMENT_BLOCKS * 16;
        byte[] pkt = new byte[12 + payload + 64];
        pkt[0] = (byte) 0x80;
        try (SrtpTransform t = sessionTransform(backend, suite, key, B2_SESSION_SALT)) {
            t.protectRtp(pkt, 0, 12 + payload, 12, 0, 0, new byte[0]);
        }
        expect(source + " keystream in one packet, first three blocks", pkt, 12, first);
        expect(source + " keystream in one packet, last three blocks", pkt, 12 + payload - 48, last);
    }

    /** RFC 3711 Appendix B.2's whole segment through one packet (the unit tests; the start-up test checks its ends). */
    public static void rfc3711B2InOnePacket(CryptoBackend backend) {
        keystreamInOnePacket(backend, SrtpSuite.AES_CM_128_HMAC_SHA1_80, "RFC 3711 B.2", B2_SESSION_KEY,
                B2_KEYSTREAM_FIRST, B2_KEYSTREAM_LAST);
    }

    /** RFC 6188 §7.1's whole segment through one packet (the unit tests; the start-up test checks its ends). */
    public static void rfc6188Section71InOnePacket(CryptoBackend backend) {
        keystreamInOnePacket(backend, SrtpSuite.AES_256_CM_HMAC_SHA1_80, "RFC 6188 7.1", R6188_71_SESSION_KEY,
                R6188_71_KEYSTREAM_FIRST, R6188_71_KEYSTREAM_LAST);
    }

    /** RFC 3711 Appendix B.2: AES-CM keystream, including SRTP's IV formation for SSRC 0, index 0. */
    public static void rfc3711B2(CryptoBackend backend) {
        keystream(backend, SrtpSuite.AES_CM_128_HMAC_SHA1_80, "RFC 3711 B.2", B2_SESSION_KEY,
                B2_KEYSTREAM_FIRST, B2_KEYSTREAM_LAST);
    }

    private static void kdf(CryptoBackend backend, String source, String mk, String ms, int keyLength,
            String cipherKey, String cipherSalt, String authKey) {
        byte[] k = fromHex(mk);
        byte[] s = fromHex(ms);
        int authLength = fromHex(authKey).length;
        expect(source + " cipher key (label 0x00)",
                KeyDerivation.derive(backend, k, s, KeyDerivation.LABEL_SRTP_ENCRYPTION, keyLength), 0, cipherKey);
        expect(source + " cipher salt (label 0x02)",
                KeyDerivation.derive(backend, k, s, KeyDerivation.LABEL_SRTP_SALT, 14), 0, cipherSalt);
        expect(source + " auth key (label 0x01)",
                KeyDerivation.derive(backend, k, s, KeyDerivation.LABEL_SRTP_AUTH, authLength), 0, authKey);
    }

    /** RFC 3711 Appendix B.3: the AES-128 key derivation function. */
    public static void rfc3711B3(CryptoBackend backend) {
        kdf(backend, "RFC 3711 B.3", B3_MASTER_KEY, B3_MASTER_SALT, 16, B3_CIPHER_KEY, B3_CIPHER_SALT, B3_AUTH_KEY);
    }

    /** RFC 6188 §7.1: AES-256-CM keystream. */
    public static void rfc6188Section71(CryptoBackend backend) {
        keystream(backend, SrtpSuite.AES_256_CM_HMAC_SHA1_80, "RFC 6188 7.1", R6188_71_SESSION_KEY,
                R6188_71_KEYSTREAM_FIRST, R6188_71_KEYSTREAM_LAST);
    }

    /** RFC 6188 §7.2: the AES-256 key derivation function. */
    public static void rfc6188Section72(CryptoBackend backend) {
        kdf(backend, "RFC 6188 7.2", R6188_72_MASTER_KEY, R6188_72_MASTER_SALT, 32, R6188_72_CIPHER_KEY,
                R6188_72_CIPHER_SALT, R6188_72_AUTH_KEY);
    }

    private static void srtpGcm(CryptoBackend backend, SrtpSuite suite, String source, String key, String srtp) {
        byte[] plain = fromHex(R7714_RTP);
        byte[] pkt = Arrays.copyOf(plain, plain.length + 16);
        int ssrc = Bytes.getInt(plain, 8);
        long index = Bytes.getShort(plain, 2); // ROC 0
        try (SrtpTransform t = sessionTransform(backend, suite, key, R7714_SALT)) {
            int n = t.protectRtp(pkt, 0, plain.length, 12, ssrc, index, new byte[0]);
            expectLength(source + " encryption", n, fromHex(srtp).length);
            expect(source + " encryption", pkt, 0, srtp);
        }
        byte[] sealed = fromHex(srtp);
        try (SrtpTransform t = sessionTransform(backend, suite, key, R7714_SALT)) {
            int n = t.unprotectRtp(sealed, 0, sealed.length, 12, ssrc, index, 0);
            expectLength(source + " decryption", n, plain.length);
            expect(source + " decryption", sealed, 0, R7714_RTP);
            sealed = fromHex(srtp);
            sealed[sealed.length - 1] ^= 1;
            if (t.unprotectRtp(sealed, 0, sealed.length, 12, ssrc, index, 0) != -1) {
                throw new SelfTestFailure(source + ": a packet with a flipped tag bit was accepted");
            }
        }
    }

    /** RFC 7714 §16.1: SRTP AEAD_AES_128_GCM encryption and decryption. */
    public static void rfc7714Section161(CryptoBackend backend) {
        srtpGcm(backend, SrtpSuite.AEAD_AES_128_GCM, "RFC 7714 16.1", R7714_KEY_128, R7714_16_1_SRTP);
    }

    /** RFC 7714 §16.2: SRTP AEAD_AES_256_GCM encryption and decryption. */
    public static void rfc7714Section162(CryptoBackend backend) {
        srtpGcm(backend, SrtpSuite.AEAD_AES_256_GCM, "RFC 7714 16.2", R7714_KEY_256, R7714_16_2_SRTP);
    }

    private static void srtcpGcm(CryptoBackend backend, SrtpSuite suite, String source, String key, String srtcp,
            boolean encrypt) {
        byte[] plain = fromHex(R7714_RTCP);
        byte[] pkt = Arrays.copyOf(plain, plain.length + 20);
        int ssrc = Bytes.getInt(plain, 4);
        try (SrtpTransform t = sessionTransform(backend, suite, key, R7714_SALT)) {
            int n = t.protectRtcp(pkt, 0, plain.length, ssrc, R7714_SRTCP_INDEX, encrypt, new byte[0]);
            expectLength(source + " protection", n, fromHex(srtcp).length);
            expect(source + " protection", pkt, 0, srtcp);
        }
        byte[] sealed = fromHex(srtcp);
        try (SrtpTransform t = sessionTransform(backend, suite, key, R7714_SALT)) {
            int n = t.unprotectRtcp(sealed, 0, sealed.length, ssrc, 0);
            expectLength(source + " verification", n, plain.length);
            expect(source + " verification", sealed, 0, R7714_RTCP);
        }
    }

    /** RFC 7714 §17.1: SRTCP AEAD_AES_128_GCM encryption and decryption. */
    public static void rfc7714Section171(CryptoBackend backend) {
        srtcpGcm(backend, SrtpSuite.AEAD_AES_128_GCM, "RFC 7714 17.1", R7714_KEY_128, R7714_17_1_SRTCP, true);
    }

    /** RFC 7714 §17.2: SRTCP AEAD_AES_256_GCM encryption and decryption. */
    public static void rfc7714Section172(CryptoBackend backend) {
        srtcpGcm(backend, SrtpSuite.AEAD_AES_256_GCM, "RFC 7714 17.2", R7714_KEY_256, R7714_17_2_SRTCP, true);
    }

    /** RFC 7714 §17.3: SRTCP AEAD_AES_128_GCM tagging only (E = 0). */
    public static void rfc7714Section173(CryptoBackend backend) {
        srtcpGcm(backend, SrtpSuite.AEAD_AES_128_GCM, "RFC 7714 17.3", R7714_KEY_128, R7714_17_3_SRTCP, false);
    }

    /** RFC 2202 §3 test case 1: HMAC-SHA1, the SRTP authentication function of RFC 3711 §4.2.1. */
    public static void rfc2202Case1(CryptoBackend backend) {
        byte[] mac = new byte[HmacSha1.LENGTH];
        byte[] data = fromHex(R2202_DATA);
        try (HmacSha1 h = backend.hmacSha1(fromHex(R2202_KEY))) {
            h.update(data, 0, 3);
            h.update(data, 3, data.length - 3);
            h.doFinal(mac, 0);
            expect("RFC 2202 3 case 1", mac, 0, R2202_MAC);
            h.update(data, 0, data.length);
            h.doFinal(mac, 0);
            expect("RFC 2202 3 case 1, second message on the same key", mac, 0, R2202_MAC);
        }
    }

    /** Every vector above, in order; returns the names run. Throws on the first failure. */
    public static List<String> runAll(CryptoBackend backend) {
        List<String> ran = new ArrayList<>();
        rfc2202Case1(backend);
        ran.add("RFC 2202 3 (HMAC-SHA1)");
        rfc3711B2(backend);
        ran.add("RFC 3711 B.2");
        rfc3711B3(backend);
        ran.add("RFC 3711 B.3");
        rfc6188Section71(backend);
        ran.add("RFC 6188 7.1");
        rfc6188Section72(backend);
        ran.add("RFC 6188 7.2");
        rfc7714Section161(backend);
        ran.add("RFC 7714 16.1");
        rfc7714Section162(backend);
        ran.add("RFC 7714 16.2");
        rfc7714Section171(backend);
        ran.add("RFC 7714 17.1");
        rfc7714Section172(backend);
        ran.add("RFC 7714 17.2");
        rfc7714Section173(backend);
        ran.add("RFC 7714 17.3");
        return ran;
    }
}
