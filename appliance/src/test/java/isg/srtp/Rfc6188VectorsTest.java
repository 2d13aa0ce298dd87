package isg.srtp;

import isg.srtp.crypto.CryptoBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RFC 6188 §7: AES-256-CM keystream and key derivation. */
class Rfc6188VectorsTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section71Aes256CmKeystream(CryptoBackend backend) {
        KnownAnswers.rfc6188Section71(backend);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section72Aes256KeyDerivation(CryptoBackend backend) {
        KnownAnswers.rfc6188Section72(backend);
    }

    /** The start-up self-test checks the segment's ends; here the whole segment goes through one packet. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("isg.srtp.Backends#all")
    void section71WholeSegmentInOnePacket(CryptoBackend backend) {
        KnownAnswers.rfc6188Section71InOnePacket(backend);
    }
}
