package isg.mc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.mc.MikeyException.Reason;
import isg.srtp.SrtpSuite;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SP payload policies (RFC 3830 §6.10.1, RFC 4771 §5, TS 33.180 Annex E) to media profiles. The
 * first vector is the SP payload of Streamwide's published GMK, PCK and CSK I_MESSAGEs (octet for
 * octet): the profile an MC client of another vendor asks for.
 */
class SrtpSecurityPolicyTest {

    /**
     * Streamwide's SP parameters: encryption AES-GCM (0:6), key 16 (1:16), authentication RCCm3
     * (2:4), salt 12 (4:12), PRF AES-CM (5:0), KDR 0 (6:0), SRTP auth. tag 4 (18:4, the ROC),
     * SRTCP auth. tag 0 (19:0), AEAD tag 16 (20:16); no ROC transmission rate, so R = 1.
     */
    static final byte[] TABLE_E2_1 = HexFormat.of().parseHex("00010601011002010404010c050100060100120104130100140110");

    private static MediaProfile profile(String hex) throws MikeyException {
        return SrtpSecurityPolicy.profile(List.of(HexFormat.of().parseHex(hex)), "crypto session 4");
    }

    @org.junit.jupiter.api.Test
    void streamwidesPolicyIsTheMcDefault() throws Exception {
        assertEquals(MediaProfile.MC_DEFAULT, SrtpSecurityPolicy.profile(List.of(TABLE_E2_1), "cs 4"));
        assertEquals(SrtpSuite.AEAD_AES_128_GCM, MediaProfile.MC_DEFAULT.suite());
        assertEquals(1, MediaProfile.MC_DEFAULT.rocTransmissionRate());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // what, parameters (hex), suite, ROC rate, SRTCP encrypted
        "'RCCm3 with R = 4', 00010601011002010404010c0d0104, AEAD_AES_128_GCM, 4, true",
        "'AES-256-GCM, RCCm3', 00010601012002010404010c, AEAD_AES_256_GCM, 1, true",
        "'AES-GCM alone (RFC 7714)', 000106010110, AEAD_AES_128_GCM, 0, true",
        "'SRTCP unencrypted', 000106020104080100, AEAD_AES_128_GCM, 1, false",
        "'RFC 3830 defaults: AES-CM, HMAC-SHA-1, tag 10', '', AES_CM_128_HMAC_SHA1_80, 0, true",
        "'HMAC-SHA-1 tag 4', 0b0104, AES_CM_128_HMAC_SHA1_32, 0, true",
        "'AES-256-CM', 00010101012004010e, AES_256_CM_HMAC_SHA1_80, 0, true",
        "'a value in two octets', 0d02000102010400010601011004010c, AEAD_AES_128_GCM, 1, true",
    })
    void policiesTheGatewayApplies(String what, String hex, SrtpSuite suite, int rate, boolean srtcp) throws Exception {
        assertEquals(new MediaProfile(suite, rate, srtcp), profile(hex == null ? "" : hex), what);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "'RCCm1', 000106020102, authentication algorithm 2",
        "'RCCm2', 000106020103, authentication algorithm 3",
        "'HMAC-SHA-1 with AES-GCM', 000106020101, authentication algorithm 1",
        "'RCCm3 with AES-CM', 000101020104, authentication algorithm 4",
        "'AES-F8', 000102, encryption algorithm 2",
        "'NULL encryption', 000100, encryption algorithm 0",
        "'SRTP unencrypted', 000106070100, SRTP encryption (type 7) 0",
        "'SRTP unauthenticated', 000106020104 0a0100, SRTP authentication (type 10) 0",
        "'key derivation rate', 0001060601 18, key derivation rate (type 6) 24",
        "'a 24-octet key', 000106010118, session encryption key length 24",
        "'a 14-octet salt with AES-GCM', 00010604010e, session salt length (type 4) 14",
        "'an 8-octet AEAD tag', 000106140108, AEAD tag length (type 20) 8",
        "'ROC rate 0', 0001060201040d0100, ROC transmission rate 0",
        "'a ROC rate without RCC', 0001060d0101, a ROC transmission rate without RCCm3",
        "'RCCm3 tag of 14', 0001060201040b010e, authentication tag length (type 11) 14",
        "'SRTP prefix', 0c0104, SRTP prefix length (type 12) 4",
        "'unknown type', 0f0101, parameter type 15",
        "'one type twice, two values', 000106000101, parameter type 0 is given twice",
    })
    void policiesTheGatewayRefusesNamingTheParameter(String what, String hex, String named) {
        MikeyException e = assertThrows(MikeyException.class, () -> profile(hex.replace(" ", "")), what);
        assertEquals(Reason.UNSUPPORTED_POLICY, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("crypto session 4") && e.getMessage().contains(named), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "'cut after the type', 0001060d",
        "'a length past the end', 000106010410",
        "'a zero length', 00000d",
        "'a five-octet value', 00050000000006",
    })
    void malformedParametersAreMalformed(String what, String hex) {
        MikeyException e = assertThrows(MikeyException.class, () -> profile(hex), what);
        assertEquals(Reason.MALFORMED, e.reason(), e.getMessage());
    }
}
