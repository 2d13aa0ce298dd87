package isg.srtp.crypto;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider;

/**
 * Every cryptographic operation inside the Bouncy Castle FIPS module, through its JCA provider:
 * AES-CTR, HMAC-SHA1 and AES-GCM are the module's own modes, not ones assembled here, so the
 * module boundary is the whole computation. With {@code -Dorg.bouncycastle.fips.approved_only=true}
 * the module refuses anything unapproved; GCM is initialised with the module's own DRBG, since a
 * plain {@link SecureRandom} there is an unapproved operation (an {@code Error}, not an exception).
 *
 * <p>The JCA re-initialises a cipher per packet, which allocates; the {@code jdk} backend is the
 * fast path, this one is the certified one.
 */
public final class FipsBackend implements CryptoBackend {

    private static volatile FipsBackend instance;

    private final Provider provider;
    private final SecureRandom drbg;

    private FipsBackend() {
        provider = new BouncyCastleFipsProvider();
        try {
            drbg = SecureRandom.getInstance("DEFAULT", provider);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the BC FIPS provider offers no DRBG: " + e.getMessage(), e);
        }
    }

    /** The module's own DRBG, the only generator approved-only mode allows. */
    @Override
    public SecureRandom random() {
        return drbg;
    }

    public static FipsBackend instance() {
        FipsBackend b = instance;
        if (b == null) {
            synchronized (FipsBackend.class) {
                b = instance;
                if (b == null) {
                    b = new FipsBackend();
                    instance = b;
                }
            }
        }
        return b;
    }

    /** Whether the module runs in approved-only mode (set by system property at start). */
    public static boolean approvedOnly() {
        return CryptoServicesRegistrar.isInApprovedOnlyMode();
    }

    @Override
    public String name() {
        return "fips";
    }

    @Override
    public AesCtr aesCtr(byte[] key) {
        return new Ctr(cipher("AES/CTR/NoPadding"), key);
    }

    @Override
    public HmacSha1 hmacSha1(byte[] key) {
        return new Hmac(provider, key);
    }

    @Override
    public AesGcm aesGcm(byte[] key) {
        return new Gcm(cipher("AES/GCM/NoPadding"), key, drbg);
    }

    private Cipher cipher(String transformation) {
        try {
            return Cipher.getInstance(transformation, provider);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("BC FIPS has no " + transformation + ": " + e.getMessage(), e);
        }
    }

    static final class Ctr implements AesCtr {
        private final Cipher cipher;
        private final byte[] key;

        Ctr(Cipher cipher, byte[] key) {
            this.cipher = cipher;
            this.key = key.clone();
        }

        @Override
        public void apply(byte[] iv, byte[] data, int off, int len) {
            try {
                cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv, 0, 16));
                cipher.doFinal(data, off, len, data, off);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("BC FIPS AES-CTR failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            Bytes.wipe(key);
        }
    }

    static final class Hmac implements HmacSha1 {
        private final Mac mac;

        Hmac(Provider provider, byte[] key) {
            try {
                mac = Mac.getInstance("HmacSHA1", provider);
                mac.init(new SecretKeySpec(key, "HmacSHA1"));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("BC FIPS HMAC-SHA1 unavailable: " + e.getMessage(), e);
            }
        }

        @Override
        public void update(byte[] data, int off, int len) {
            mac.update(data, off, len);
        }

        @Override
        public void doFinal(byte[] out, int off) {
            try {
                mac.doFinal(out, off);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("BC FIPS HMAC-SHA1 failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            mac.reset();
        }
    }

    static final class Gcm implements AesGcm {
        private final Cipher cipher;
        private final SecureRandom drbg;
        private final byte[] key;
        private final byte[] iv = new byte[IV_LENGTH];
        private byte[] aad = new byte[64];
        private int aadLength;
        /** Output goes here first: the JCA may emit plaintext before it has checked the tag. */
        private byte[] out = new byte[2048];

        Gcm(Cipher cipher, byte[] key, SecureRandom drbg) {
            this.cipher = cipher;
            this.drbg = drbg;
            this.key = key.clone();
        }

        @Override
        public void begin(byte[] nonce) {
            System.arraycopy(nonce, 0, iv, 0, IV_LENGTH);
            aadLength = 0;
        }

        @Override
        public void aad(byte[] data, int off, int len) {
            if (aadLength + len > aad.length) {
                aad = java.util.Arrays.copyOf(aad, Math.max(aad.length * 2, aadLength + len));
            }
            System.arraycopy(data, off, aad, aadLength, len);
            aadLength += len;
        }

        private void init(int mode) throws GeneralSecurityException {
            cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_LENGTH * 8, iv), drbg);
            cipher.updateAAD(aad, 0, aadLength);
        }

        private void ensureOut(int len) {
            if (out.length < len) {
                out = new byte[Integer.highestOneBit(len - 1) << 1];
            }
        }

        @Override
        public void seal(byte[] data, int off, int len) {
            try {
                init(Cipher.ENCRYPT_MODE);
                ensureOut(len + TAG_LENGTH);
                int n = cipher.doFinal(data, off, len, out, 0);
                System.arraycopy(out, 0, data, off, n);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("BC FIPS AES-GCM seal failed: " + e.getMessage(), e);
            }
        }

        @Override
        public boolean open(byte[] data, int off, int len) {
            if (len < TAG_LENGTH) {
                return false;
            }
            try {
                init(Cipher.DECRYPT_MODE);
                ensureOut(len);
                int n = cipher.doFinal(data, off, len, out, 0);
                System.arraycopy(out, 0, data, off, n);
                return true;
            } catch (javax.crypto.AEADBadTagException e) {
                java.util.Arrays.fill(out, (byte) 0);
                return false;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("BC FIPS AES-GCM open failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            Bytes.wipe(key);
            Bytes.wipe(aad);
            Bytes.wipe(out);
        }
    }
}
