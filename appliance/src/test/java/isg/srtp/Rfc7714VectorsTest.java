package isg.srtp;

import isg.srtp.crypto.CryptoBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 7714 §16 (SRTP) and §17 (SRTCP): AEAD_AES_128_GCM and AEAD_AES_256_GCM. */
class Rfc7714VectorsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section161SrtpAes128Gcm(CryptoBackend backend) {
        KnownAnswers.rfc7714Section161(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section162SrtpAes256Gcm(CryptoBackend backend) {
        KnownAnswers.rfc7714Section162(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section171SrtcpAes128Gcm(CryptoBackend backend) {
        KnownAnswers.rfc7714Section171(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section172SrtcpAes256Gcm(CryptoBackend backend) {
        KnownAnswers.rfc7714Section172(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section173SrtcpTaggingOnly(CryptoBackend backend) {
        KnownAnswers.rfc7714Section173(backend);
    }
}
