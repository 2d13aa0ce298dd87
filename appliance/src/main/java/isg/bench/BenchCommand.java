package isg.bench;

import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code isg bench}: the engine on both backends and libsrtp on the same machine in the same
 * run, printed as {@code BENCH <op> <suite> <bytes> <impl> <packets_per_s>} lines, then the
 * vault, key plane, relay, tamper and channel ({@link TunnelBench}, beside stunnel4) lines, then
 * {@code BENCH-ALLOC} (bytes allocated per packet) and {@code BENCH-RATIO reprotect} lines.
 */
public final class BenchCommand {

    private final PrintStream out;
    private final double warmupSeconds;
    private final double seconds;
    private final boolean libsrtp;

    public BenchCommand(PrintStream out, boolean quick, boolean libsrtp) {
        this(out, quick ? 0.25 : 2.0, quick ? 0.4 : 3.0, libsrtp);
        this.relayStreams = quick ? new int[] {200, 1000} : new int[] {250, 500, 1000, 2000, 3000, 4000};
        this.relaySeconds = quick ? 3 : 10;
        this.relayWarmup = quick ? 1.5 : 3;
        this.tunnelSeconds = quick ? 5 : 10;
    }

    /** Seconds of each measurement of the channel benchmark (handshakes, throughput). */
    private double tunnelSeconds = 0.02;

    /** Stream counts and seconds of the relay benchmark. */
    private int[] relayStreams = {20, 100};
    private double relaySeconds = 1;
    private double relayWarmup = 0.5;

    /** With explicit durations; CI's smoke run uses tiny ones so the benchmark cannot rot. */
    public BenchCommand(PrintStream out, double warmupSeconds, double seconds, boolean libsrtp) {
        this.out = out;
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.libsrtp = libsrtp;
    }

    /** @return the process exit status */
    public int run() throws IOException {
        Map<String, Double> pps = new HashMap<>();
        List<EngineBench.Result> results = new ArrayList<>();
        for (String backend : new String[] {"jdk", "fips"}) {
            CryptoBackend b = CryptoBackend.named(backend);
            for (SrtpSuite suite : EngineBench.SUITES) {
                for (int size : EngineBench.SIZES) {
                    EngineBench bench = new EngineBench(b, suite, size);
                    for (String op : EngineBench.OPS) {
                        EngineBench.Result r = bench.measure(op, warmupSeconds, seconds);
                        results.add(r);
                        out.println(r.line());
                        pps.put(key(op, suite.name(), size, backend), r.packetsPerSecond());
                    }
                }
            }
        }
        if (libsrtp) {
            for (String line : LibsrtpHarness.run(List.of("bench", Double.toString(seconds)), List.of(), 600)) {
                out.println(line);
                String[] f = line.split(" ");
                if (f.length == 6 && f[0].equals("BENCH")) {
                    pps.put(key(f[1], f[2], Integer.parseInt(f[3]), f[4]), Double.parseDouble(f[5]));
                }
            }
        }
        for (String line : DeriveBench.run(seconds)) {
            out.println(line);
        }
        try {
            for (String line : KeyPlaneBench.run(seconds)) {
                out.println(line);
            }
            for (String line : GroupReceiveBench.run(seconds < 1)) {
                out.println(line);
            }
        } catch (isg.mc.KeyMaterialException | java.security.InvalidKeyException e) {
            throw new IOException("key plane benchmark failed: " + e.getMessage(), e);
        }
        try {
            new RelayVersusBench(out, relayStreams, relaySeconds, relayWarmup).run();
            out.println(TamperBench.measure(100));
            for (String line : TunnelBench.run(tunnelSeconds)) {
                out.println(line);
            }
        } catch (Exception e) {
            throw new IOException("relay benchmark failed: " + e.getMessage(), e);
        }
        for (EngineBench.Result r : results) {
            out.printf("BENCH-ALLOC %s %s %d %s %.2f%n", r.op(), r.suite(), r.bytes(), r.impl(),
                    r.bytesAllocatedPerPacket());
        }
        if (libsrtp) {
            for (SrtpSuite suite : EngineBench.SUITES) {
                for (int size : EngineBench.SIZES) {
                    Double jdk = pps.get(key("reprotect", suite.name(), size, "jdk"));
                    Double ref = pps.get(key("reprotect", suite.name(), size, "libsrtp"));
                    if (jdk != null && ref != null && ref > 0) {
                        out.printf("BENCH-RATIO reprotect %s %d %.2f%n", suite, size, jdk / ref);
                    }
                }
            }
        }
        return 0;
    }

    private static String key(String op, String suite, int size, String impl) {
        return op + " " + suite + " " + size + " " + impl;
    }
}
