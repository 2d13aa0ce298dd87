package isg.mc;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * TS 33.180 identities and key identifiers: the MIKEY-SAKKE UID an ECCSI/SAKKE key is issued to
 * (a user URI in one KMS's key period, Annex F.2.1), key periods on the NTP time scale, the
 * purpose tag of a 32-bit key identifier (§5.2.2) and the GMK user salt and GUK-ID (Annex F.1.3).
 */
public final class McIdentity {

    /** Seconds from the NTP epoch (1900-01-01) to the Unix epoch. */
    public static final long NTP_UNIX_OFFSET = 2_208_988_800L;

    private McIdentity() {
    }

    /** The purpose in the top four bits of a key identifier (33.180 §5.2.2). */
    public enum Purpose {
        GMK, PCK, CSK, SPK, MKFC, MSCCK, MUSIK;

        public static Purpose of(int keyId) {
            int tag = keyId >>> 28;
            if (tag >= values().length) {
                return null;
            }
            return values()[tag];
        }

        /** {@code id28} (28 random bits) tagged with this purpose. */
        public int tag(int id28) {
            return (ordinal() << 28) | (id28 & 0x0FFFFFFF);
        }
    }

    /** A KMS's user key period: length and offset in seconds (33.180 Annex D, UserKeyPeriod/Offset). */
    public record KeyPeriod(long lengthSeconds, long offsetSeconds) {

        public KeyPeriod {
            if (lengthSeconds <= 0 || lengthSeconds > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("a key period is 1.." + 0xFFFFFFFFL + " seconds, not " + lengthSeconds);
            }
            if (offsetSeconds < 0 || offsetSeconds >= lengthSeconds) {
                throw new IllegalArgumentException("a key period offset is 0..length-1 seconds, not " + offsetSeconds);
            }
        }

        /** The number of the period holding {@code t}: floor((NTP seconds - offset) / length). */
        public long number(Instant t) {
            return Math.floorDiv(t.getEpochSecond() + NTP_UNIX_OFFSET - offsetSeconds, lengthSeconds);
        }

        /** The number of the period holding the NTP timestamp {@code ntpSeconds}. */
        public long numberAtNtp(long ntpSeconds) {
            return Math.floorDiv(ntpSeconds - offsetSeconds, lengthSeconds);
        }

        public Instant start(long number) {
            return Instant.ofEpochSecond(number * lengthSeconds + offsetSeconds - NTP_UNIX_OFFSET);
        }

        public Instant end(long number) {
            return start(number + 1);
        }
    }

    /**
     * The UID of {@code uri} under the KMS {@code kmsUri} in key period {@code number} (33.180
     * F.2.1): SHA-256 of FC = 0x00, P0 = "MIKEY-SAKKE-UID", P1 = URI, P2 = KMS URI, P3 = period
     * length, P4 = period offset, P5 = period number, each Pi followed by its 16-bit length,
     * integers in the fewest octets (at least one).
     */
    public static byte[] uid(String uri, String kmsUri, KeyPeriod period, long number) {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.write(0x00);
        param(s, "MIKEY-SAKKE-UID".getBytes(StandardCharsets.US_ASCII));
        param(s, uri.getBytes(StandardCharsets.UTF_8));
        param(s, kmsUri.getBytes(StandardCharsets.UTF_8));
        param(s, minimal(period.lengthSeconds()));
        param(s, minimal(period.offsetSeconds()));
        param(s, minimal(number));
        return McCrypto.sha256(s.toByteArray());
    }

    /**
     * The user salt of {@code userUri} for a GMK (33.180 F.1.3): the 28 least significant bits of
     * KDF(GMK, FC = 0x50, P0 = the user's MC service ID), so the purpose tag survives the XOR.
     */
    public static int userSalt(byte[] gmk, String userUri) {
        try (KeyedHmac k = KeyedHmac.of(gmk)) {
            return userSalt(k, userUri);
        } catch (KeyMaterialException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As {@link #userSalt(byte[], String)}, keyed wherever the GMK is (the vault). */
    public static int userSalt(KeyedHmac gmk, String userUri) throws KeyMaterialException {
        byte[] out = gmk.mac(kdfInput(0x50, userUri.getBytes(StandardCharsets.UTF_8)));
        int salt = ((out[28] & 0xFF) << 24 | (out[29] & 0xFF) << 16 | (out[30] & 0xFF) << 8 | (out[31] & 0xFF)) & 0x0FFFFFFF;
        McCrypto.wipe(out);
        return salt;
    }

    /** As {@link #gukId(int, byte[], String)}, keyed wherever the GMK is (the vault). */
    public static int gukId(int gmkId, KeyedHmac gmk, String userUri) throws KeyMaterialException {
        return gmkId ^ userSalt(gmk, userUri);
    }

    /** GUK-ID = GMK-ID XOR user salt; the same XOR takes a GUK-ID back to its GMK-ID. */
    public static int gukId(int gmkId, byte[] gmk, String userUri) {
        return gmkId ^ userSalt(gmk, userUri);
    }

    /**
     * The generic key derivation function of TS 33.220 Annex B as 33.180 Annex F uses it:
     * HMAC-SHA-256(key, FC || P0 || L0 || P1 || L1 ...), each Li two octets; all 32 octets.
     */
    static byte[] kdf(byte[] key, int fc, byte[]... params) {
        return McCrypto.hmacSha256(key).doFinal(kdfInput(fc, params));
    }

    /** FC || P0 || L0 || P1 || L1 ... */
    static byte[] kdfInput(int fc, byte[]... params) {
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.write(fc);
        for (byte[] p : params) {
            param(s, p);
        }
        return s.toByteArray();
    }

    private static void param(ByteArrayOutputStream s, byte[] p) {
        if (p.length > 0xFFFF) {
            throw new IllegalArgumentException("a KDF parameter is at most 65535 octets");
        }
        s.writeBytes(p);
        s.write(p.length >>> 8);
        s.write(p.length);
    }

    private static byte[] minimal(long v) {
        byte[] b = BigInteger.valueOf(v).toByteArray();
        if (b.length > 1 && b[0] == 0) {
            return java.util.Arrays.copyOfRange(b, 1, b.length);
        }
        return b;
    }
}
