package isg.bench;

import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.loadgen.LoadGen;
import isg.relay.InterconnectKeys;
import isg.relay.Relay;
import isg.relay.Session;
import isg.relay.SessionSpec;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpSuite;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * G.711 streams (50 packets/s each) through one gateway on loopback: MC sources on its inside
 * (AES_CM_128_HMAC_SHA1_80), re-protected onto the outside (AEAD_AES_128_GCM under the
 * interconnect keys), checked by a sink that derives the partner's view of the keys. Prints
 * {@code BENCH relay streams=<n> pps=<received/s> loss=<fraction> p50_us=<> p99_us=<> heap_per_stream_bytes=<>}.
 * Sources, gateway and sink share this machine's cores, so the figure is a floor for the gateway.
 */
public final class RelayBench {

    /** Thousands of sessions come and go here: their per-session INFO lines would drown the figures. */
    private static final java.util.logging.Logger RELAY_LOG = java.util.logging.Logger.getLogger("isg.relay");

    private RelayBench() {
    }

    public static void run(PrintStream out, int[] streamCounts, double seconds) throws Exception {
        java.util.logging.Level before = RELAY_LOG.getLevel();
        RELAY_LOG.setLevel(java.util.logging.Level.WARNING);
        try {
            for (int n : streamCounts) {
                out.println(measure(n, seconds));
            }
        } finally {
            RELAY_LOG.setLevel(before);
        }
    }

    static String measure(int n, double seconds) throws Exception {
        SrtpSuite inside = SrtpSuite.AES_CM_128_HMAC_SHA1_80;
        try (Lab lab = new Lab(); KeyVault home = lab.vault("home"); KeyVault partner = lab.vault("partner");
                LoadGen gen = new LoadGen()) {
            Runtime rt = Runtime.getRuntime();
            System.gc();
            long heapBefore = rt.totalMemory() - rt.freeMemory();
            try (Relay relay = Lab.relay("home", "partner", home, 10000, n, 1, Boolean.getBoolean("isg.bench.connectedSockets"))) {
                List<LoadGen.Stream> streams = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    byte[] k = new byte[30];
                    isg.hsm.Fips.DRBG.nextBytes(k);
                    MasterKey key = new MasterKey(java.util.Arrays.copyOf(k, 16), java.util.Arrays.copyOfRange(k, 16, 30));
                    String id = "s" + i;
                    // the sink plays the partner gateway: its nonce keys the session at create
                    byte[] partnerNonce = InterconnectKeys.newNonce();
                    Session s = relay.create(new SessionSpec(id, Session.Mode.REPROTECT, "partner", gen.sourceAddress(),
                            gen.sinkAddress(), inside, key, key, partnerNonce));
                    SrtpReceiver sink = new SrtpReceiver(SrtpPolicy.builder(SrtpSuite.AEAD_AES_128_GCM).build(),
                            InterconnectKeys.derive(partner, Lab.MASTER, SrtpSuite.AEAD_AES_128_GCM, id, "home",
                                    "partner", s.localNonce(), partnerNonce));
                    LoadGen.Stream st = new LoadGen.Stream(0x10000 + i, s.inside().localRtp(),
                            new SrtpSender(SrtpPolicy.builder(inside).build(), key), sink);
                    gen.add(st);
                    streams.add(st);
                }
                System.gc();
                long heapPerStream = Math.max(0, (rt.totalMemory() - rt.freeMemory() - heapBefore) / Math.max(1, n));
                LoadGen.Result r = gen.run(streams, 50, seconds);
                return String.format("BENCH relay streams=%d pps=%.0f loss=%.4f p50_us=%d p99_us=%d heap_per_stream_bytes=%d",
                        n, r.receivedPerSecond(), r.loss(), r.p50Micros(), r.p99Micros(), heapPerStream);
            }
        }
    }
}
