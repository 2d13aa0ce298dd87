package isg.srtp.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Function;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The primitives assembled here, over many random keys, IVs and lengths (0 to 300 bytes, split
 * AAD, unaligned offsets), against the JDK's own AES/GCM, AES/CTR and HmacSHA1 as an independent
 * implementation; both GHASH implementations, so the one a Pi 4 uses is proven on x86 too.
 */
class PrimitivesAgainstJdkTest {

    private static final int TRIALS = 400;

    private static Function<byte[], Ghash> ghash(String which) {
        if (which.equals("intrinsic")) {
            assertTrue(IntrinsicGhash.AVAILABLE, "the test JVM must reach the GHASH intrinsic: "
                    + IntrinsicGhash.UNAVAILABLE_REASON);
            return IntrinsicGhash::new;
        }
        return h -> new TableGhash(h, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"table", "intrinsic"})
    void gcmSealsAndOpensAsTheJdkDoes(String which) throws Exception {
        Random r = new Random(which.hashCode());
        for (int t = 0; t < TRIALS; t++) {
            byte[] key = new byte[r.nextBoolean() ? 16 : 32];
            byte[] iv = new byte[12];
            r.nextBytes(key);
            r.nextBytes(iv);
            int aad1 = r.nextInt(24);
            int aad2 = r.nextInt(8);
            int len = r.nextInt(301);
            int off = r.nextInt(9);
            byte[] buf = new byte[off + aad1 + aad2 + len + 16 + 3];
            r.nextBytes(buf);
            byte[] aad = Arrays.copyOfRange(buf, off, off + aad1 + aad2);
            byte[] plain = Arrays.copyOfRange(buf, off + aad1 + aad2, off + aad1 + aad2 + len);

            Cipher jdk = Cipher.getInstance("AES/GCM/NoPadding");
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
            jdk.updateAAD(aad);
            byte[] expected = jdk.doFinal(plain);

            int text = off + aad1 + aad2;
            try (AesGcm gcm = new JdkBackend.Gcm(new JdkBackend.Ecb(key), ghash(which))) {
                gcm.begin(iv);
                gcm.aad(buf, off, aad1);
                gcm.aad(buf, off + aad1, aad2);
                gcm.seal(buf, text, len);
                assertArrayEquals(expected, Arrays.copyOfRange(buf, text, text + len + 16), "trial " + t);

                byte[] sealed = buf.clone();
                gcm.begin(iv);
                gcm.aad(buf, off, aad1 + aad2);
                assertTrue(gcm.open(buf, text, len + 16), "trial " + t);
                assertArrayEquals(plain, Arrays.copyOfRange(buf, text, text + len), "trial " + t);

                byte[] forged = sealed.clone();
                forged[text + r.nextInt(len + 16)] ^= (byte) (1 << r.nextInt(8));
                byte[] before = forged.clone();
                gcm.begin(iv);
                gcm.aad(forged, off, aad1 + aad2);
                assertFalse(gcm.open(forged, text, len + 16), "trial " + t);
                assertArrayEquals(before, forged, "a refused packet is left as it was");
            }
        }
    }

    @Test
    void ctrMatchesTheJdkCounterMode() throws Exception {
        Random r = new Random(3711);
        for (int t = 0; t < TRIALS; t++) {
            byte[] key = new byte[r.nextBoolean() ? 16 : 32];
            byte[] iv = new byte[16];
            r.nextBytes(key);
            r.nextBytes(iv);
            iv[14] = 0;
            iv[15] = 0; // SRTP IVs end in 16 zero bits
            byte[] data = new byte[r.nextInt(1500)];
            r.nextBytes(data);
            Cipher jdk = Cipher.getInstance("AES/CTR/NoPadding");
            jdk.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            byte[] expected = jdk.doFinal(data);
            for (CryptoBackend b : new CryptoBackend[] {JdkBackend.INSTANCE, FipsBackend.instance()}) {
                byte[] mine = data.clone();
                try (AesCtr ctr = b.aesCtr(key)) {
                    ctr.apply(iv, mine, 0, mine.length);
                }
                assertArrayEquals(expected, mine, b.name() + " trial " + t);
            }
        }
    }

    @Test
    void hmacSha1MatchesTheJdkMac() throws Exception {
        Random r = new Random(2104);
        for (int t = 0; t < TRIALS; t++) {
            byte[] key = new byte[1 + r.nextInt(100)]; // longer than a block is hashed first
            byte[] data = new byte[r.nextInt(1500)];
            r.nextBytes(key);
            r.nextBytes(data);
            Mac jdk = Mac.getInstance("HmacSHA1");
            jdk.init(new SecretKeySpec(key, "HmacSHA1"));
            byte[] expected = jdk.doFinal(data);
            for (CryptoBackend b : new CryptoBackend[] {JdkBackend.INSTANCE, FipsBackend.instance()}) {
                if (b instanceof FipsBackend && key.length < 14) {
                    continue; // BC FIPS refuses HMAC keys under 112 bits; SRTP's are 160
                }
                byte[] mac = new byte[20];
                try (HmacSha1 h = b.hmacSha1(key)) {
                    int cut = data.length / 2;
                    h.update(data, 0, cut);
                    h.update(data, cut, data.length - cut);
                    h.doFinal(mac, 0);
                }
                assertArrayEquals(expected, mac, b.name() + " trial " + t);
            }
        }
    }
}
