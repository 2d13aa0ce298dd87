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

    /** Every backend with every suite, as JUnit arguments {backend, suite}. */
    public static Stream<org.junit.jupiter.params.provider.Arguments> withEverySuite() {
        return all().flatMap(b -> Stream.of(isg.srtp.SrtpSuite.values())
                .map(s -> org.junit.jupiter.params.provider.Arguments.of(b, s)));
    }
}
