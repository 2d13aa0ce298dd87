package isg.mc;

import isg.mc.MikeyException.Reason;
import isg.srtp.SrtpSuite;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The SRTP policy of a MIKEY SP payload (RFC 3830 §6.10, §6.10.1), as TS 33.180 Annex E uses it,
 * turned into a {@link MediaProfile}, or refused with {@link Reason#UNSUPPORTED_POLICY} naming the
 * parameter. Parameter types and values (RFC 3830 Table 6.10.1.a-e, RFC 4771 §5, TS 33.180 E.2):
 *
 * <pre>
 *  0 encryption algorithm      1 AES-CM, 6 AES-GCM
 *  1 session encr. key length  16 or 32 octets
 *  2 authentication algorithm  0 NULL, 1 HMAC-SHA-1, 4 RCCm3 (2 RCCm1, 3 RCCm2: not spoken)
 *  3 session auth. key length  20 (HMAC-SHA-1), 0 (AES-GCM)
 *  4 session salt key length   14 (AES-CM), 12 (AES-GCM)
 *  5 SRTP PRF                  0 AES-CM
 *  6 key derivation rate       0
 *  7 SRTP encryption           1 on
 *  8 SRTCP encryption          0 off, 1 on
 *  9 sender's FEC order        0 FEC then SRTP
 * 10 SRTP authentication       1 on
 * 11 authentication tag length 10 or 4 (HMAC-SHA-1); 4 with RCCm3 (the ROC); 0 (AES-GCM)
 * 12 SRTP prefix length        0
 * 13 ROC transmission rate     1..65535, RCCm3 only (default 1)
 * 18 SRTP auth. tag length     as type 11
 * 19 SRTCP auth. tag length    10 (HMAC-SHA-1), 0 (AES-GCM)
 * 20 AEAD auth. tag length     16
 * </pre>
 * A parameter left out takes RFC 3830's default, except that with AES-GCM the salt defaults to
 * 12 octets and the authentication algorithm to none beyond the AEAD tag. Any other type or
 * value is refused: what the gateway cannot protect exactly as the policy says, it does not take.
 */
public final class SrtpSecurityPolicy {

    static final int ENCRYPTION = 0;
    static final int ENCRYPTION_KEY_LENGTH = 1;
    static final int AUTHENTICATION = 2;
    static final int AUTHENTICATION_KEY_LENGTH = 3;
    static final int SALT_LENGTH = 4;
    static final int PRF = 5;
    static final int KEY_DERIVATION_RATE = 6;
    static final int SRTP_ENCRYPTION = 7;
    static final int SRTCP_ENCRYPTION = 8;
    static final int FEC_ORDER = 9;
    static final int SRTP_AUTHENTICATION = 10;
    static final int TAG_LENGTH = 11;
    static final int PREFIX_LENGTH = 12;
    static final int ROC_TRANSMISSION_RATE = 13;
    static final int SRTP_TAG_LENGTH = 18;
    static final int SRTCP_TAG_LENGTH = 19;
    static final int AEAD_TAG_LENGTH = 20;

    static final int AES_CM = 1;
    static final int AES_GCM = 6;
    static final int AUTH_NULL = 0;
    static final int HMAC_SHA1 = 1;
    static final int RCCM3 = 4;

    private SrtpSecurityPolicy() {
    }

    /**
     * The profile of the SP payloads {@code params} (each one payload's parameter octets, all for
     * one crypto session); {@code where} names them in a refusal.
     */
    public static MediaProfile profile(List<byte[]> params, String where) throws MikeyException {
        Map<Integer, Long> v = new TreeMap<>();
        for (byte[] p : params) {
            read(p, where, v);
        }
        for (int type : v.keySet()) {
            if (type > AEAD_TAG_LENGTH || (type > ROC_TRANSMISSION_RATE && type < SRTP_TAG_LENGTH)) {
                throw refuse(where, "parameter type " + type + " is not one ISG applies");
            }
        }
        require(v, PRF, 0, where, "SRTP PRF", "0 (AES-CM)");
        require(v, KEY_DERIVATION_RATE, 0, where, "key derivation rate", "0");
        require(v, SRTP_ENCRYPTION, 1, where, "SRTP encryption", "1 (on)");
        require(v, FEC_ORDER, 0, where, "FEC order", "0");
        require(v, SRTP_AUTHENTICATION, 1, where, "SRTP authentication", "1 (on)");
        require(v, PREFIX_LENGTH, 0, where, "SRTP prefix length", "0");
        long srtcp = v.getOrDefault(SRTCP_ENCRYPTION, 1L);
        if (srtcp != 0 && srtcp != 1) {
            throw refuse(where, "SRTCP encryption " + srtcp + ", expected 0 or 1");
        }
        long enc = v.getOrDefault(ENCRYPTION, (long) AES_CM);
        long keyLength = v.getOrDefault(ENCRYPTION_KEY_LENGTH, 16L);
        if (keyLength != 16 && keyLength != 32) {
            throw refuse(where, "session encryption key length " + keyLength + ", expected 16 or 32");
        }
        if (enc == AES_GCM) {
            require(v, SALT_LENGTH, 12, where, "session salt length", "12 with AES-GCM");
            require(v, AUTHENTICATION_KEY_LENGTH, 0, where, "session auth. key length", "0 with AES-GCM");
            require(v, AEAD_TAG_LENGTH, 16, where, "AEAD tag length", "16");
            require(v, SRTCP_TAG_LENGTH, 0, where, "SRTCP auth. tag length", "0 with AES-GCM");
            long auth = v.getOrDefault(AUTHENTICATION, (long) AUTH_NULL);
            int rate = 0;
            if (auth == RCCM3) {
                rate = (int) (long) v.getOrDefault(ROC_TRANSMISSION_RATE, 1L);
                if (rate < 1 || rate > 0xFFFF) {
                    throw refuse(where, "ROC transmission rate " + rate + ", expected 1-65535");
                }
                require(v, TAG_LENGTH, 4, where, "authentication tag length", "4 with RCCm3 (the ROC)");
                require(v, SRTP_TAG_LENGTH, 4, where, "SRTP auth. tag length", "4 with RCCm3 (the ROC)");
            } else if (auth == AUTH_NULL) {
                if (v.containsKey(ROC_TRANSMISSION_RATE)) {
                    throw refuse(where, "a ROC transmission rate without RCCm3");
                }
                require(v, TAG_LENGTH, 0, where, "authentication tag length", "0 with AES-GCM alone");
                require(v, SRTP_TAG_LENGTH, 0, where, "SRTP auth. tag length", "0 with AES-GCM alone");
            } else {
                throw refuse(where, "authentication algorithm " + auth + " with AES-GCM; ISG speaks RCCm3 (4) or none (0)");
            }
            return new MediaProfile(keyLength == 16 ? SrtpSuite.AEAD_AES_128_GCM : SrtpSuite.AEAD_AES_256_GCM, rate,
                    srtcp == 1);
        }
        if (enc == AES_CM) {
            require(v, SALT_LENGTH, 14, where, "session salt length", "14 with AES-CM");
            long auth = v.getOrDefault(AUTHENTICATION, (long) HMAC_SHA1);
            if (auth != HMAC_SHA1) {
                throw refuse(where, "authentication algorithm " + auth + " with AES-CM; ISG speaks HMAC-SHA-1 (1) there");
            }
            require(v, AUTHENTICATION_KEY_LENGTH, 20, where, "session auth. key length", "20 with HMAC-SHA-1");
            if (v.containsKey(ROC_TRANSMISSION_RATE) || v.containsKey(AEAD_TAG_LENGTH)) {
                throw refuse(where, "RCC or AEAD parameters with AES-CM and HMAC-SHA-1");
            }
            long tag = v.getOrDefault(TAG_LENGTH, v.getOrDefault(SRTP_TAG_LENGTH, 10L));
            require(v, SRTP_TAG_LENGTH, tag, where, "SRTP auth. tag length", "the authentication tag length");
            require(v, SRTCP_TAG_LENGTH, 10, where, "SRTCP auth. tag length", "10");
            SrtpSuite suite;
            if (tag == 10) {
                suite = keyLength == 16 ? SrtpSuite.AES_CM_128_HMAC_SHA1_80 : SrtpSuite.AES_256_CM_HMAC_SHA1_80;
            } else if (tag == 4 && keyLength == 16) {
                suite = SrtpSuite.AES_CM_128_HMAC_SHA1_32;
            } else {
                throw refuse(where, "authentication tag length " + tag + " with a " + keyLength + "-octet AES-CM key");
            }
            return new MediaProfile(suite, 0, srtcp == 1);
        }
        throw refuse(where, "encryption algorithm " + enc + "; ISG speaks AES-CM (1) and AES-GCM (6)");
    }

    private static void read(byte[] p, String where, Map<Integer, Long> into) throws MikeyException {
        int at = 0;
        while (at < p.length) {
            if (at + 2 > p.length) {
                throw new MikeyException(Reason.MALFORMED, where + ": a policy parameter is cut short");
            }
            int type = p[at] & 0xFF;
            int len = p[at + 1] & 0xFF;
            if (len < 1 || len > 4 || at + 2 + len > p.length) {
                throw new MikeyException(Reason.MALFORMED, where + ": policy parameter type " + type + " has length "
                        + len + (at + 2 + len > p.length ? ", past the end" : ", expected 1-4 octets"));
            }
            long value = 0;
            for (int i = 0; i < len; i++) {
                value = value << 8 | (p[at + 2 + i] & 0xFF);
            }
            Long before = into.put(type, value);
            if (before != null && before != value) {
                throw refuse(where, "parameter type " + type + " is given twice, as " + before + " and " + value);
            }
            at += 2 + len;
        }
    }

    private static void require(Map<Integer, Long> v, int type, long expected, String where, String name,
            String expectation) throws MikeyException {
        Long got = v.get(type);
        if (got != null && got != expected) {
            throw refuse(where, name + " (type " + type + ") " + got + ", expected " + expectation);
        }
    }

    private static MikeyException refuse(String where, String what) {
        return new MikeyException(Reason.UNSUPPORTED_POLICY, where + ": " + what);
    }
}
