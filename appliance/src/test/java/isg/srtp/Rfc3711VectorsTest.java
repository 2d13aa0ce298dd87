package isg.srtp;

import isg.srtp.crypto.CryptoBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 3711 Appendix B: the AES-CM keystream and the key derivation function. */
class Rfc3711VectorsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void appendixB2AesCmKeystream(CryptoBackend backend) {
        KnownAnswers.rfc3711B2(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void appendixB3KeyDerivation(CryptoBackend backend) {
        KnownAnswers.rfc3711B3(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void rfc2202HmacSha1UnderTheAuthenticationFunction(CryptoBackend backend) {
        KnownAnswers.rfc2202Case1(backend);
    }

    /** The start-up self-test checks the segment's ends; here the whole segment goes through one packet. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void appendixB2WholeSegmentInOnePacket(CryptoBackend backend) {
        KnownAnswers.rfc3711B2InOnePacket(backend);
    }
}
