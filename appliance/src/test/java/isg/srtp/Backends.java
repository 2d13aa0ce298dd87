package isg.srtp;

import isg.srtp.crypto.CryptoBackend;
import java.util.stream.Stream;

/** Every crypto backend, for tests parameterised over them: the same suite runs on each. */
public final class Backends {

    private Backends() {
    }

    public static Stream<CryptoBackend> all() {
        return Stream.of(CryptoBackend.named("jdk"), CryptoBackend.named("fips"));
    }
}
