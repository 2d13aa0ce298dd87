package isg.srtp.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The JDK provider's AES (AES-NI on x86, ARMv8 crypto extensions on aarch64 where present) and
 * SHA-1, with counter mode, GCM and HMAC assembled here on top of them. The JDK's own GCM and
 * HMAC classes rebuild their state on every {@code init}/{@code doFinal} and so allocate per
 * packet; AES-ECB keyed once and SHA-1 with a caller-supplied output buffer do not.
 *
 * <p>Key wiping: this class overwrites every copy of key material it holds (session keys, GHASH
 * tables, HMAC pads). The JDK cipher keeps its own expanded key schedule which the JCA gives no
 * way to overwrite; it becomes unreachable on {@code close}.
 */
public final class JdkBackend implements CryptoBackend {

    public static final JdkBackend INSTANCE = new JdkBackend();

    private JdkBackend() {
    }

    @Override
    public String name() {
        return "jdk";
    }

    /** The JDK's own SP 800-90A DRBG (the SUN provider's), seeded from the operating system. */
    @Override
    public SecureRandom random() {
        return Drbg.INSTANCE;
    }

    /** Made on first use: a process that never draws pays nothing for it. */
    private static final class Drbg {
        static final SecureRandom INSTANCE;

        static {
            try {
                INSTANCE = SecureRandom.getInstance("DRBG", "SUN");
            } catch (GeneralSecurityException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** Which GHASH serves GCM here, and if it is the slow one, why; for start-up status. */
    public static String ghashImplementation() {
        return IntrinsicGhash.AVAILABLE ? "JVM carry-less-multiply intrinsic"
                : "pure-Java tables (" + IntrinsicGhash.UNAVAILABLE_REASON + ")";
    }

    @Override
    public AesCtr aesCtr(byte[] key) {
        return new Ctr(new Ecb(key));
    }

    @Override
    public HmacSha1 hmacSha1(byte[] key) {
        return new Hmac(key);
    }

    @Override
    public AesGcm aesGcm(byte[] key) {
        return new Gcm(new Ecb(key));
    }

    /** AES-ECB keyed once, with scratch buffers for counter blocks and keystream. */
    static final class Ecb {
        private final Cipher cipher;
        /**
         * Grown on first use to the largest packet seen; small at first, as most contexts carry voice
         * (a 20 ms G.711 payload is 160 octets, ten blocks).
         */
        byte[] counters = new byte[256];
        byte[] keystream = new byte[256];

        Ecb(byte[] key) {
            try {
                cipher = Cipher.getInstance("AES/ECB/NoPadding");
                cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK provider cannot do AES-ECB with a "
                        + key.length * 8 + "-bit key: " + e.getMessage(), e);
            }
        }

        /** Makes sure the scratch buffers hold {@code bytes}; grows (allocates) only past it. */
        void ensure(int bytes) {
            if (counters.length < bytes) {
                int size = Integer.highestOneBit(bytes - 1) << 1;
                counters = new byte[size];
                keystream = new byte[size];
            }
        }

        /** keystream[0, len) = AES_K(counters[0, len)). */
        void encryptCounters(int len) {
            try {
                cipher.update(counters, 0, len, keystream, 0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-ECB update failed", e);
            }
        }

        /**
         * Nothing here to overwrite: the scratch holds counter blocks and keystream of packets
         * already sent, not key material, and the cipher's expanded key cannot be reached through
         * the JCA (it goes unreachable with this object).
         */
        void close() {
        }
    }

    static final class Ctr implements AesCtr {
        private final Ecb ecb;

        Ctr(Ecb ecb) {
            this.ecb = ecb;
        }

        @Override
        public void apply(byte[] iv, byte[] data, int off, int len) {
            int blocks = (len + 15) >>> 4;
            int bytes = blocks << 4;
            ecb.ensure(bytes);
            byte[] c = ecb.counters;
            long hi = Bytes.getLong(iv, 0);
            long lo = Bytes.getLong(iv, 8);
            for (int b = 0; b < blocks; b++) {
                Bytes.putLong(c, b << 4, hi);
                Bytes.putLong(c, (b << 4) + 8, (lo & 0xFFFFFFFF00000000L) | ((lo + b) & 0xFFFFFFFFL));
            }
            ecb.encryptCounters(bytes);
            Bytes.xor(ecb.keystream, 0, data, off, len);
        }

        @Override
        public void close() {
            ecb.close();
        }
    }

    /** HMAC-SHA1 over the JDK's SHA-1 (SHA-NI / ARMv8 SHA1 intrinsics where present). */
    static final class Hmac implements HmacSha1 {
        private static final int BLOCK = 64;
        private final MessageDigest sha1;
        private final byte[] ipad = new byte[BLOCK];
        private final byte[] opad = new byte[BLOCK];
        private final byte[] inner = new byte[LENGTH];
        private boolean started;

        Hmac(byte[] key) {
            try {
                sha1 = MessageDigest.getInstance("SHA-1");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK provider has no SHA-1", e);
            }
            byte[] k = key;
            if (key.length > BLOCK) {
                k = sha1.digest(key);
            }
            for (int i = 0; i < BLOCK; i++) {
                byte kb = i < k.length ? k[i] : 0;
                ipad[i] = (byte) (kb ^ 0x36);
                opad[i] = (byte) (kb ^ 0x5c);
            }
            if (k != key) {
                Bytes.wipe(k);
            }
        }

        @Override
        public void update(byte[] data, int off, int len) {
            if (!started) {
                sha1.update(ipad, 0, BLOCK);
                started = true;
            }
            sha1.update(data, off, len);
        }

        @Override
        public void doFinal(byte[] out, int off) {
            if (!started) {
                sha1.update(ipad, 0, BLOCK);
            }
            try {
                sha1.digest(inner, 0, LENGTH);
                sha1.update(opad, 0, BLOCK);
                sha1.update(inner, 0, LENGTH);
                sha1.digest(out, off, LENGTH);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException("SHA-1 digest failed", e);
            } finally {
                started = false;
            }
        }

        @Override
        public void close() {
            Bytes.wipe(ipad);
            Bytes.wipe(opad);
            Bytes.wipe(inner);
            sha1.reset();
        }
    }

    /** GCM from AES-ECB (one call per packet for all counter blocks) and {@link Ghash}. */
    static final class Gcm implements AesGcm {
        private final Ecb ecb;
        private final Ghash ghash;
        private final byte[] iv = new byte[IV_LENGTH];
        private final byte[] tag = new byte[TAG_LENGTH];
        private long aadLength;

        Gcm(Ecb ecb) {
            this(ecb, Ghash::create);
        }

        /** With a chosen GHASH, so tests can run both implementations against each other. */
        Gcm(Ecb ecb, java.util.function.Function<byte[], Ghash> ghashFactory) {
            this.ecb = ecb;
            byte[] h = new byte[16];
            java.util.Arrays.fill(ecb.counters, 0, 16, (byte) 0); // H = E_K(0^128)
            ecb.encryptCounters(16);
            System.arraycopy(ecb.keystream, 0, h, 0, 16);
            ghash = ghashFactory.apply(h);
            Bytes.wipe(h);
            java.util.Arrays.fill(ecb.keystream, 0, 16, (byte) 0);
        }

        @Override
        public void begin(byte[] nonce) {
            System.arraycopy(nonce, 0, iv, 0, IV_LENGTH);
            ghash.reset();
            aadLength = 0;
        }

        @Override
        public void aad(byte[] data, int off, int len) {
            ghash.update(data, off, len);
            aadLength += len;
        }

        /** Keystream for J0 (the tag mask) and inc32(J0) onwards for {@code len} bytes. */
        private void keystream(int len) {
            int blocks = 1 + ((len + 15) >>> 4);
            int bytes = blocks << 4;
            ecb.ensure(bytes);
            byte[] c = ecb.counters;
            long hi = Bytes.getLong(iv, 0);
            long mid = ((long) Bytes.getInt(iv, 8)) << 32;
            for (int b = 0; b < blocks; b++) {
                Bytes.putLong(c, b << 4, hi);
                Bytes.putLong(c, (b << 4) + 8, mid | ((b + 1) & 0xFFFFFFFFL));
            }
            ecb.encryptCounters(bytes);
        }

        @Override
        public void seal(byte[] data, int off, int len) {
            ghash.pad();
            keystream(len);
            Bytes.xor(ecb.keystream, 16, data, off, len);
            ghash.update(data, off, len);
            ghash.finish(aadLength, len, data, off + len);
            Bytes.xor(ecb.keystream, 0, data, off + len, TAG_LENGTH);
        }

        @Override
        public boolean open(byte[] data, int off, int len) {
            int textLength = len - TAG_LENGTH;
            if (textLength < 0) {
                return false;
            }
            ghash.pad();
            ghash.update(data, off, textLength);
            ghash.finish(aadLength, textLength, tag, 0);
            keystream(textLength);
            Bytes.xor(ecb.keystream, 0, tag, 0, TAG_LENGTH);
            if (!Bytes.constantTimeEquals(tag, 0, data, off + textLength, TAG_LENGTH)) {
                return false;
            }
            Bytes.xor(ecb.keystream, 16, data, off, textLength);
            return true;
        }

        @Override
        public void close() {
            ghash.wipe();
            ecb.close();
            Bytes.wipe(iv);
            Bytes.wipe(tag);
        }
    }
}
