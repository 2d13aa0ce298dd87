package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 6507 Appendix A, every published value, then what a verifier must refuse. */
class Rfc6507VectorsTest {

    static final byte[] ID = "2011-02\0tel:+447700900123\0".getBytes(StandardCharsets.US_ASCII);
    static final BigInteger KSAK = BigInteger.valueOf(0x12345);
    static final BigInteger V = BigInteger.valueOf(0x23456);
    static final BigInteger J = BigInteger.valueOf(0x34567);
    static final byte[] KPAK = hex("04"
            + "50D4670BDE75244F28D2838A0D25558A7A72686D4522D4C8273FB6442AEBFA93"
            + "DBDD37551AFD263B5DFD617F3960C65A8C298850FF99F20366DCE7D4367217F4");
    static final byte[] PVT = hex("04"
            + "758A142779BE89E829E71984CB40EF758CC4AD775FC5B9A3E1C8ED52F6FA36D9"
            + "A79D247692F4EDA3A6BDAB77D6AA6474A464AE4934663C5265BA7018BA091F79");
    static final byte[] HS = hex("490F3FEBBC1C902F6289723D7F8CBF79DB88930849D19F38F0295B5C276C14D1");
    static final byte[] SSK = hex("23F374AE1F4033F3E9DBDDAAEF20F4CF0B86BBD5A138A5AE9E7E006B34489A0D");
    static final byte[] MESSAGE = "message\0".getBytes(StandardCharsets.US_ASCII);
    static final byte[] R = hex("269D4C8FDEB66A74E4EF8C0D5DCC597DDFE6029C2AFFC4936008CD2CC1045D81");
    static final byte[] HE = hex("111F90EAE8271C96DF9B3D6726768D9EE9B18145D7EC152CFA9C23D1C4F02285");
    static final byte[] S = hex("E09B528D0EF8D6DF1AA3ECBF80110CFCEC9FC68252CEBB679F4134846940CCFD");

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static byte[] signature() {
        byte[] sig = new byte[Eccsi.SIGNATURE_LENGTH];
        System.arraycopy(R, 0, sig, 0, 32);
        System.arraycopy(S, 0, sig, 32, 32);
        System.arraycopy(PVT, 0, sig, 64, 65);
        return sig;
    }

    @Test
    void rfc6507AppendixA_kmsKeys() {
        assertArrayEquals(KPAK, Eccsi.kpak(KSAK));
        Eccsi.SigningKey issued = Eccsi.issue(KSAK, ID, V);
        assertArrayEquals(PVT, issued.pvt());
        assertArrayEquals(HS, issued.hs());
        assertArrayEquals(SSK, issued.sskCopy());
    }

    @Test
    void rfc6507AppendixA_validation() throws Exception {
        try (Eccsi.SigningKey key = Eccsi.validate(KPAK, ID, SSK, PVT)) {
            assertArrayEquals(HS, key.hs());
        }
    }

    @Test
    void rfc6507AppendixA_signature() throws Exception {
        try (Eccsi.SigningKey key = Eccsi.validate(KPAK, ID, SSK, PVT)) {
            assertArrayEquals(HE, Eccsi.he(HS, R, MESSAGE));
            assertArrayEquals(signature(), Eccsi.sign(key, MESSAGE, J));
        }
    }

    @Test
    void rfc6507AppendixA_verification() {
        assertTrue(Eccsi.verify(KPAK, ID, MESSAGE, signature()));
    }

    @Test
    void verificationRefusesEveryAlteration() {
        byte[] good = signature();
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            assertFalse(Eccsi.verify(KPAK, ID, MESSAGE, bad), "bit flip at octet " + i);
        }
        assertFalse(Eccsi.verify(KPAK, "2011-02\0tel:+447700900124\0".getBytes(StandardCharsets.US_ASCII), MESSAGE, good));
        assertFalse(Eccsi.verify(KPAK, ID, "message\1".getBytes(StandardCharsets.US_ASCII), good));
        assertFalse(Eccsi.verify(Eccsi.kpak(BigInteger.valueOf(0x12346)), ID, MESSAGE, good));
        assertFalse(Eccsi.verify(KPAK, ID, MESSAGE, java.util.Arrays.copyOf(good, good.length - 1)));
        assertFalse(Eccsi.verify(KPAK, ID, MESSAGE, new byte[Eccsi.SIGNATURE_LENGTH]));
    }

    @Test
    void validationRefusesKeysOfAnotherIdentityOrKms() {
        byte[] other = "2011-02\0tel:+447700900124\0".getBytes(StandardCharsets.US_ASCII);
        KeyMaterialException e = assertThrows(KeyMaterialException.class, () -> Eccsi.validate(KPAK, other, SSK, PVT));
        assertTrue(e.getMessage().contains("5.1.2"), e.getMessage());
        byte[] ssk = SSK.clone();
        ssk[31] ^= 1;
        assertThrows(KeyMaterialException.class, () -> Eccsi.validate(KPAK, ID, ssk, PVT));
        byte[] offCurve = PVT.clone();
        offCurve[64] ^= 1;
        assertThrows(KeyMaterialException.class, () -> Eccsi.validate(KPAK, ID, SSK, offCurve));
        assertThrows(KeyMaterialException.class, () -> Eccsi.validate(KPAK, ID, new byte[31], PVT));
    }

    @Test
    void freshKeysSignAndVerifyAndNeverShowTheSsk() throws Exception {
        BigInteger ksak = new BigInteger(255, McCrypto.random());
        byte[] id = "2026-11\0sip:isg@mc.example\0".getBytes(StandardCharsets.US_ASCII);
        Eccsi.SigningKey issued = Eccsi.issue(ksak, id);
        byte[] ssk = issued.sskCopy();
        try (Eccsi.SigningKey key = Eccsi.validate(Eccsi.kpak(ksak), id, ssk, issued.pvt())) {
            byte[] sig = Eccsi.sign(key, MESSAGE);
            assertTrue(Eccsi.verify(Eccsi.kpak(ksak), id, MESSAGE, sig));
            assertFalse(key.toString().contains(HexFormat.of().formatHex(ssk)));
            assertFalse(key.toString().toUpperCase().contains(HexFormat.of().withUpperCase().formatHex(ssk)));
        }
        assertEquals(Eccsi.SIGNATURE_LENGTH, 129);
    }

    @Test
    void closedKeyIsWipedAndRefusesToSign() throws Exception {
        Eccsi.SigningKey key = Eccsi.validate(KPAK, ID, SSK, PVT);
        key.close();
        assertTrue(key.sameSsk(new byte[32]));
        assertThrows(IllegalStateException.class, () -> Eccsi.sign(key, MESSAGE, J));
    }
}
