package isg.bench;

import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH view of {@link EngineBench}: packets/s per core for protect, unprotect and re-protect, one
 * operation counted per packet. Unprotect input is made per invocation, untimed, in batches of
 * {@value EngineBench#BATCH}. Run with {@code -prof gc} for bytes allocated per packet
 * ({@code gc.alloc.rate.norm} divided by nothing: it is already per operation).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-opens=java.base/com.sun.crypto.provider=ALL-UNNAMED")
public class SrtpBenchmark {

    @Param({"jdk", "fips"})
    public String backend;

    @Param({"AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"})
    public String suite;

    @Param({"172", "1200"})
    public int bytes;

    private EngineBench bench;

    @Setup(Level.Trial)
    public void setUp() {
        bench = new EngineBench(CryptoBackend.named(backend), SrtpSuite.fromName(suite), bytes);
        bench.reset();
    }

    @Setup(Level.Invocation)
    public void nextBatch() {
        bench.fillBatch();
    }

    @Benchmark
    @OperationsPerInvocation(EngineBench.BATCH)
    public void protect() {
        bench.protectBatch();
    }

    @Benchmark
    @OperationsPerInvocation(EngineBench.BATCH)
    public void unprotect() {
        bench.unprotectBatch(false);
    }

    @Benchmark
    @OperationsPerInvocation(EngineBench.BATCH)
    public void reprotect() {
        bench.unprotectBatch(true);
    }
}
