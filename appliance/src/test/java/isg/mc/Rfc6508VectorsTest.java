package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 6508 Appendix A (parameter set 1 of RFC 6509), every published value. */
class Rfc6508VectorsTest {

    static final BigInteger Z_SECRET = new BigInteger("AFF429D35F84B110D094803B3595A6E2998BC99F", 16);
    static final byte[] ID = Rfc6507VectorsTest.ID;
    static final byte[] Z = hex("04"
            + "5958EF1B1679BF099B3A030DF255AA6A23C1D8F143D4D23F753E69BD27A832F3"
            + "8CB4AD53DDEF4260B0FE8BB45C4C1FF510EFFE300367A37B61F701D914AEF097"
            + "24825FA0707D61A6DFF4FBD7273566CDDE352A0B04B7C16A78309BE640697DE7"
            + "47613A5FC195E8B9F328852A579DB8F99B1D0034479EA9C5595F47C4B2F54FF2"
            + "1508D37514DCF7A8E143A6058C09A6BF2C9858CA37C258065AE6BF7532BC8B5B"
            + "63383866E0753C5AC0E72709F8445F2E6178E065857E0EDA10F68206B63505ED"
            + "87E534FB2831FF957FB7DC619DAE61301EEACC2FDA3680EA4999258A833CEA8F"
            + "C67C6D19487FB449059F26CC8AAB655AB58B7CC796E24E9A394095754F5F8BAE");
    static final byte[] RSK = hex("04"
            + "93AF67E5007BA6E6A80DA793DA300FA4B52D0A74E25E6E7B2B3D6EE9D18A9B5C"
            + "5023597BD82D8062D34019563BA1D25C0DC56B7B979D74AA50F29FBF11CC2C93"
            + "F5DFCA615E609279F6175CEADB00B58C6BEE1E7A2A47C4F0C456F05259A6FA94"
            + "A634A40DAE1DF593D4FECF688D5FC678BE7EFC6DF3D6835325B83B2C6E69036B"
            + "155F0A27241094B04BFB0BDFAC6C670A65C325D39A069F03659D44CA27D3BE8D"
            + "F311172B554160181CBE94A2A783320CED590BC42644702CF371271E496BF20F"
            + "588B78A1BC01ECBB6559934BDD2FB65D2884318A33D1A42ADF5E33CC5800280B"
            + "28356497F87135BAB9612A17260424409AC15FEE996B744C332151235DECB0F5");
    static final byte[] SSV = hex("123456789ABCDEF0123456789ABCDEF0");
    static final BigInteger R = new BigInteger(
            "13EE3E1B8DAC5DB168B1CEB32F0566A4C273693F78BAFFA2A2EE6A686E6BD90F"
            + "8206CCAB84E7F42ED39BD4FB131012ECCA2ECD2119414560C17CAB46B956A80F"
            + "58A3302EB3E2C9A228FBA7ED34D8ACA2392DA1FFB0B17B2320AE09AAEDFD0235"
            + "F6FE0EB65337A63F9CC97728B8E5AD0460FADE144369AA5B2166213247712096", 16);
    static final byte[] R_POINT = hex("04"
            + "44E8AD44AB8592A6A5A3DDCA5CF896C718043606A01D650DEF37A01F37C228C3"
            + "32FC317354E2C274D4DAF8AD001054C76CE57971C6F4486D5723043261C506EB"
            + "F5BE438F53DE04F067C776E0DD3B71A6290133283725A532F21AF145126DC1D7"
            + "77ECC27BE50835BD28098B8A73D9F801D893793A41FF5C49B87E79F2BE4D56CE"
            + "557E134AD85BB1D4B9CE4F8BE4B08A12BABF55B1D6F1D7A638019EA28E15AB1C"
            + "9F76375FDD1210D4F4351B9A009486B7F3ED46C965DED2D80DADE4F38C6721D5"
            + "2C3AD103A10EBD2959248B4EF006836BF097448E6107C9EDEE9FB704823DF199"
            + "F832C905AE45F8A247A072D8EF729EABC5E27574B07739B34BE74A532F747B86");
    static final BigInteger G_R = new BigInteger(
            "7D2A8438E6291C649B6579EB3B79EAE948B1DE9E5F7D1F4070A08F8DB6B3C515"
            + "6F2201AFFBB5CB9D82AA3EC0D0398B89ABC78A13A760C0BF3F77E63D0DF3F1A3"
            + "41A41B8811DF197FD6CD0F003125606F4F109F400F7292A10D255E3C0EBCCB42"
            + "53FB182C68F09CF6CD9C4A53DA6C74AD007AF36B8BCA979D5895E282F483FCD6", 16);
    static final byte[] MASK = hex("9BD4EA1E801D37E62AD2FAB0D4F5BBF7");
    static final byte[] HINT = hex("89E0BC661AA1E91638E6ACC84E496507");

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    static byte[] encapsulated() {
        byte[] out = new byte[Sakke.ENCAPSULATED_LENGTH];
        System.arraycopy(R_POINT, 0, out, 0, Sakke.POINT_LENGTH);
        System.arraycopy(HINT, 0, out, Sakke.POINT_LENGTH, Sakke.SSV_LENGTH);
        return out;
    }

    @Test
    void rfc6508AppendixA_kmsKeys() {
        assertArrayEquals(Z, Sakke.kmsPublicKey(Z_SECRET));
        assertArrayEquals(RSK, Sakke.receiverSecretKey(Z_SECRET, ID));
    }

    @Test
    void rfc6508AppendixA_rskValidation() throws Exception {
        Sakke.validateRsk(Sakke.kmsKey(Z), ID, RSK);
    }

    @Test
    void rfc6508AppendixA_intermediateValues() throws Exception {
        byte[] ssvId = new byte[SSV.length + ID.length];
        System.arraycopy(SSV, 0, ssvId, 0, SSV.length);
        System.arraycopy(ID, 0, ssvId, SSV.length, ID.length);
        assertEquals(R, Sakke.hashToIntegerRange(ssvId, Sakke.Q));
        assertEquals(G_R, Pfp.power(Sakke.G, R));
        assertArrayEquals(MASK, McCrypto.octets(
                Sakke.hashToIntegerRange(McCrypto.octets(G_R, Sakke.L), BigInteger.ONE.shiftLeft(128)), 16));
        assertEquals(G_R, ReferencePairing.pairing(Sakke.decode(R_POINT, "R"), Sakke.decode(RSK, "RSK")));
        assertEquals(Sakke.G, ReferencePairing.pairing(Sakke.BASE, Sakke.BASE));
        try (Sakke.Receiver receiver = Sakke.receiver(Sakke.kmsKey(Z), ID, RSK)) {
            assertEquals(G_R, receiver.pair(Sakke.decode(R_POINT, "R")), "the precomputed Miller lines give the same pairing");
        }
    }

    @Test
    void rfc6508AppendixA_encapsulation() throws Exception {
        assertArrayEquals(encapsulated(), Sakke.encapsulate(SSV, ID, Sakke.kmsKey(Z)));
    }

    @Test
    void rfc6508AppendixA_decapsulation() throws Exception {
        assertArrayEquals(SSV, Sakke.decapsulate(encapsulated(), ID, RSK, Sakke.kmsKey(Z)));
    }

    @Test
    void aReceiverDecapsulatesRepeatedlyAndIsWipedOnClose() throws Exception {
        Sakke.Receiver receiver = Sakke.receiver(Sakke.kmsKey(Z), ID, RSK);
        assertArrayEquals(SSV, receiver.decapsulate(encapsulated()));
        assertArrayEquals(SSV, receiver.decapsulate(encapsulated()));
        assertTrue(receiver.toString().contains("withheld"));
        receiver.close();
        assertThrows(IllegalStateException.class, () -> receiver.decapsulate(encapsulated()));
    }

    @Test
    void decapsulationRefusesAlteredOrMisaddressedData() throws Exception {
        Sakke.KmsKey kms = Sakke.kmsKey(Z);
        byte[] hint = encapsulated();
        hint[hint.length - 1] ^= 1;
        KeyMaterialException e = assertThrows(KeyMaterialException.class, () -> Sakke.decapsulate(hint, ID, RSK, kms));
        assertTrue(e.getMessage().contains("step 5"), e.getMessage());
        byte[] point = encapsulated();
        point[100] ^= 1;
        assertThrows(KeyMaterialException.class, () -> Sakke.decapsulate(point, ID, RSK, kms));
        byte[] other = "2011-02\0tel:+447700900124\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThrows(KeyMaterialException.class, () -> Sakke.decapsulate(encapsulated(), other, RSK, kms));
        assertThrows(KeyMaterialException.class, () -> Sakke.decapsulate(new byte[10], ID, RSK, kms));
        assertThrows(KeyMaterialException.class, () -> Sakke.validateRsk(kms, other, RSK));
        byte[] badZ = Z.clone();
        badZ[5] ^= 1;
        assertThrows(KeyMaterialException.class, () -> Sakke.kmsKey(badZ));
    }

    @Test
    void freshKmsRoundTrip() throws Exception {
        BigInteger z = new BigInteger(256, McCrypto.random());
        byte[] id = McCrypto.sha256("sip:isg@mc.example".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        Sakke.KmsKey kms = Sakke.kmsKey(Sakke.kmsPublicKey(z));
        byte[] rsk = Sakke.receiverSecretKey(z, id);
        Sakke.validateRsk(kms, id, rsk);
        byte[] ssv = new byte[16];
        McCrypto.random().nextBytes(ssv);
        assertArrayEquals(ssv, Sakke.decapsulate(Sakke.encapsulate(ssv, id, kms), id, rsk, kms));
    }
}
