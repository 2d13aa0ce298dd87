package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SoftVault;
import isg.srtp.PacketBuffer;
import isg.srtp.SessionKeys;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pinned vector of the wire contract "ISG interconnect v2" (README, "The interconnect key
 * schedule"). The expected master salts and session keys below were computed outside this code
 * base, from the contract's text, with {@code openssl dgst -sha256} and {@code openssl enc
 * -aes-128-ecb / -aes-256-ecb -nopad} (the RFC 3711 §4.3.1 KDF written out; the same
 * computation reproduces RFC 3711 Appendix B.3). The protected packets are computed here a
 * second time with the JDK's own AES-GCM (SunJCE) from those literal keys, per RFC 7714 §8.1 and
 * §9.1, so what the engine puts on the wire is checked against neither itself nor BC FIPS.
 *
 * <p>Inputs: session id "call-1", gateways "home" (sender) and "partner", nonce_home =
 * 000102..0f, nonce_partner = f0f1..ff, interconnect master key e1f97a0d3e018be0d64fa32c06de4139
 * (the RFC 3711 B.3 master key; twice over for the 256-bit case).
 */
class InterconnectV2VectorTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] NONCE_HOME = HEX.parseHex("000102030405060708090a0b0c0d0e0f");
    private static final byte[] NONCE_PARTNER = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    private static final String MASTER_128 = "e1f97a0d3e018be0d64fa32c06de4139";

    // home -> partner
    private static final String CONTEXT_HOME = "49534720696e746572636f6e6e65637420763200000663616c6c2d310004686f6d65"
            + "0007706172746e6572000102030405060708090a0b0c0d0e0ff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    private static final String SALT_HOME = "f1a72f869910318b7f678b0006a7";
    private static final String[] KEYS_HOME_128 = {"6195aa39fab4f1bf9d6566f447110b36", "b6bb0450c10e58f5bdd578c3",
        "9a4b5cfc4fdfc74c6a5d7fe9578669b0", "ba803d6b776aa1b1feabada1"};
    private static final String[] KEYS_HOME_256 = {
        "64e2dc8301426298e75eb288cbc536f11bd2ee9d19b38c330f3f51634706f07b", "e9fc3fbad64eb4bfb75ebb3d",
        "3c2913109b508f88d4db512db3b39799bf9ca078bfbcf3c52384fbfc62c0ff78", "f60584274f6a139a3cd97c47"};
    // partner -> home
    private static final String SALT_PARTNER = "76ae2df3286083543b126fb26126";
    private static final String[] KEYS_PARTNER_128 = {"a439e731528c8b6a6ca8c1f0807b9976", "0aaaa9b1dd25707c3beeb041",
        "5dcea2d49f779996a89664cee8c122b5", "59c61a76ba9d53f9f5c5f289"};

    @TempDir
    Path dir;

    @Test
    void theMasterSaltIsTheFirst14OctetsOfTheHashedContext() throws Exception {
        assertEquals(SALT_HOME, HEX.formatHex(InterconnectKeys.salt("call-1", "home", "partner", NONCE_HOME,
                NONCE_PARTNER)));
        assertEquals(SALT_PARTNER, HEX.formatHex(InterconnectKeys.salt("call-1", "partner", "home", NONCE_PARTNER,
                NONCE_HOME)));
        // the context as the contract spells it, hashed by the JDK
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256", "SUN").digest(HEX.parseHex(CONTEXT_HOME));
        assertEquals(SALT_HOME, HEX.formatHex(Arrays.copyOf(digest, 14)));
    }

    @Test
    void everyInputChangesTheSalt() {
        byte[] base = InterconnectKeys.salt("call-1", "home", "partner", NONCE_HOME, NONCE_PARTNER);
        byte[] otherNonce = NONCE_PARTNER.clone();
        otherNonce[15] ^= 1;
        assertFalse(Arrays.equals(base, InterconnectKeys.salt("call-1", "home", "partner", NONCE_HOME, otherNonce)));
        assertFalse(Arrays.equals(base, InterconnectKeys.salt("call-1", "home", "partner", otherNonce, NONCE_PARTNER)));
        assertFalse(Arrays.equals(base, InterconnectKeys.salt("call-2", "home", "partner", NONCE_HOME, NONCE_PARTNER)));
        // lengths are part of the context: moving a character between fields changes it
        assertFalse(Arrays.equals(InterconnectKeys.salt("ab", "c", "d", NONCE_HOME, NONCE_PARTNER),
                InterconnectKeys.salt("a", "bc", "d", NONCE_HOME, NONCE_PARTNER)));
        assertThrows(IllegalArgumentException.class,
                () -> InterconnectKeys.salt("call-1", "home", "partner", new byte[15], NONCE_PARTNER));
    }

    @Test
    void srtpAndSrtcpOnTheWireMatchTheVectorForA128BitInterconnectKey() throws Exception {
        try (KeyVault v = vault(MASTER_128)) {
            check(v, SrtpSuite.AEAD_AES_128_GCM, "call-1", "home", "partner", NONCE_HOME, NONCE_PARTNER, KEYS_HOME_128);
            check(v, SrtpSuite.AEAD_AES_128_GCM, "call-1", "partner", "home", NONCE_PARTNER, NONCE_HOME,
                    KEYS_PARTNER_128);
        }
    }

    @Test
    void srtpAndSrtcpOnTheWireMatchTheVectorForA256BitInterconnectKey() throws Exception {
        try (KeyVault v = vault(MASTER_128 + MASTER_128)) {
            assertEquals(SrtpSuite.AEAD_AES_256_GCM, InterconnectKeys.suite(256));
            check(v, SrtpSuite.AEAD_AES_256_GCM, "call-1", "home", "partner", NONCE_HOME, NONCE_PARTNER, KEYS_HOME_256);
        }
    }

    private KeyVault vault(String masterHex) throws Exception {
        byte[] kek = new byte[32];
        Arrays.fill(kek, (byte) 0x5A);
        KeyVault v = SoftVault.open(dir.resolve("v" + masterHex.length() + ".bcfks"), "pass".toCharArray(), true,
                AuditLog.inMemory());
        KeyInfo t = v.importTransportKey(Actor.CLI, NewKey.of("kek", KeyPurpose.TRANSPORT, "test"), kek.clone());
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        byte[] master = HEX.parseHex(masterHex);
        v.importWrapped(Actor.CLI, NewKey.of("m", KeyPurpose.INTERCONNECT_MASTER, "test").withBits(master.length * 8),
                t.uri(), c.wrap(new SecretKeySpec(master, "AES")));
        return v;
    }

    /** Protects one RTP and one RTCP packet with the vault-derived keys; compares with JDK GCM under the literal ones. */
    private static void check(KeyVault v, SrtpSuite suite, String id, String sender, String receiver, byte[] ns,
            byte[] nr, String[] expected) throws Exception {
        byte[] rtpKey = HEX.parseHex(expected[0]);
        byte[] rtpSalt = HEX.parseHex(expected[1]);
        byte[] rtcpKey = HEX.parseHex(expected[2]);
        byte[] rtcpSalt = HEX.parseHex(expected[3]);
        byte[] rtp = HEX.parseHex("8060beef0000a0000badcafe" + "48656c6c6f2c20696e746572636f6e6e65637421");
        byte[] rtcp = HEX.parseHex("80c8000600c0ffee" + "0102030405060708090a0b0c0d0e0f1011121314");
        try (SessionKeys k = InterconnectKeys.derive(v, "pkcs11:object=m", suite, id, sender, receiver, ns, nr);
                SrtpSender tx = new SrtpSender(SrtpPolicy.builder(suite).build(), k)) {
            PacketBuffer b = new PacketBuffer(Arrays.copyOf(rtp, rtp.length + 64), 0, rtp.length);
            assertEquals(SrtpStatus.OK, tx.protectRtp(b));
            assertArrayEquals(jdkSrtp(rtpKey, rtpSalt, rtp), b.toByteArray(), sender + " SRTP");
            PacketBuffer c = new PacketBuffer(Arrays.copyOf(rtcp, rtcp.length + 64), 0, rtcp.length);
            assertEquals(SrtpStatus.OK, tx.protectRtcp(c));
            assertArrayEquals(jdkSrtcp(rtcpKey, rtcpSalt, rtcp, 0), c.toByteArray(), sender + " SRTCP");
        }
    }

    /** RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt, AAD = the RTP header. ROC 0 here. */
    private static byte[] jdkSrtp(byte[] key, byte[] salt, byte[] rtp) throws Exception {
        byte[] iv = new byte[12];
        System.arraycopy(rtp, 8, iv, 2, 4);
        System.arraycopy(rtp, 2, iv, 10, 2);
        for (int i = 0; i < 12; i++) {
            iv[i] ^= salt[i];
        }
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(rtp, 0, 12);
        byte[] sealed = c.doFinal(rtp, 12, rtp.length - 12);
        return ByteBuffer.allocate(12 + sealed.length).put(rtp, 0, 12).put(sealed).array();
    }

    /** RFC 7714 §9.1: IV = (0x0000 || SSRC || 0x0000 || 0 || index) XOR salt, AAD = header || E || index. */
    private static byte[] jdkSrtcp(byte[] key, byte[] salt, byte[] rtcp, int index) throws Exception {
        byte[] iv = new byte[12];
        System.arraycopy(rtcp, 4, iv, 2, 4);
        ByteBuffer.wrap(iv, 8, 4).putInt(index);
        for (int i = 0; i < 12; i++) {
            iv[i] ^= salt[i];
        }
        byte[] eIndex = ByteBuffer.allocate(4).putInt(0x80000000 | index).array();
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(rtcp, 0, 8);
        c.updateAAD(eIndex);
        byte[] sealed = c.doFinal(rtcp, 8, rtcp.length - 8);
        return ByteBuffer.allocate(8 + sealed.length + 4).put(rtcp, 0, 8).put(sealed).put(eIndex).array();
    }
}
