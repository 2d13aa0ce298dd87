package isg.mc;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jcajce.provider.BouncyCastleFipsProvider;

/**
 * The hash, MAC and random numbers of the key plane, all from the Bouncy Castle FIPS module, so
 * approved-only mode covers MIKEY-SAKKE as it covers the media engine. The curve arithmetic of
 * ECCSI and SAKKE is done here in Java on the module's exported {@code org.bouncycastle.math.ec}
 * classes and {@link BigInteger}: the module has no ECCSI or SAKKE service, and ordinary Bouncy
 * Castle (which has them) must never share a class path with bc-fips.
 */
final class McCrypto {

    private static final Provider PROVIDER = new BouncyCastleFipsProvider();
    private static final SecureRandom DRBG;

    static {
        try {
            DRBG = SecureRandom.getInstance("DEFAULT", PROVIDER);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the BC FIPS provider offers no DRBG: " + e.getMessage(), e);
        }
    }

    private McCrypto() {
    }

    static SecureRandom random() {
        return DRBG;
    }

    static byte[] sha256(byte[]... parts) {
        MessageDigest d = digest();
        for (byte[] p : parts) {
            d.update(p);
        }
        return d.digest();
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256", PROVIDER);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable: " + e.getMessage(), e);
        }
    }

    static Mac hmacSha256(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256", PROVIDER);
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 unavailable: " + e.getMessage(), e);
        }
    }

    /**
     * AES-GCM with a 128-bit tag inside the BC FIPS module: seals, or opens and returns null when
     * the tag does not verify (nothing of the plaintext is returned then).
     */
    static byte[] gcm(boolean seal, byte[] key, byte[] iv, byte[] aad, byte[] in) {
        try {
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding", PROVIDER);
            c.init(seal ? javax.crypto.Cipher.ENCRYPT_MODE : javax.crypto.Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new javax.crypto.spec.GCMParameterSpec(128, iv), DRBG);
            c.updateAAD(aad);
            return c.doFinal(in);
        } catch (javax.crypto.AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable: " + e.getMessage(), e);
        }
    }

    /** A non-negative integer as exactly {@code len} big-endian octets. */
    static byte[] octets(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        if (raw.length == len) {
            return raw;
        }
        byte[] out = new byte[len];
        if (raw.length > len) {
            if (raw.length == len + 1 && raw[0] == 0) {
                System.arraycopy(raw, 1, out, 0, len);
                return out;
            }
            throw new IllegalArgumentException("integer longer than " + len + " octets");
        }
        System.arraycopy(raw, 0, out, len - raw.length, raw.length);
        return out;
    }

    static BigInteger integer(byte[] b, int off, int len) {
        return new BigInteger(1, Arrays.copyOfRange(b, off, off + len));
    }

    static BigInteger integer(byte[] b) {
        return new BigInteger(1, b);
    }

    static void wipe(byte[]... secrets) {
        for (byte[] s : secrets) {
            if (s != null) {
                Arrays.fill(s, (byte) 0);
            }
        }
    }
}
