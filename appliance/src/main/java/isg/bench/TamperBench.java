package isg.bench;

import isg.board.SimulatedBoard;
import isg.box.TamperGuard;
import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.relay.Relay;
import isg.relay.Session;
import isg.relay.SessionSpec;
import isg.srtp.MasterKey;
import isg.srtp.SrtpSuite;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Time from the tamper loop opening (the simulated input changing) to every session key in
 * memory being overwritten, with {@code sessions} keyed sessions in the relay. Prints
 * {@code BENCH tamper_to_wiped_ms <x>}.
 */
public final class TamperBench {

    private TamperBench() {
    }

    public static String measure(int sessions) throws Exception {
        try (Lab lab = new Lab(); KeyVault vault = lab.vault("home");
                Relay relay = Lab.relay("home", "partner", vault, 27000, sessions, 1);
                SimulatedBoard board = new SimulatedBoard(Duration.ofSeconds(3))) {
            InetSocketAddress mc = new InetSocketAddress(InetAddress.getLoopbackAddress(), 39998);
            byte[] k = new byte[30];
            for (int i = 0; i < sessions; i++) {
                MasterKey key = new MasterKey(java.util.Arrays.copyOf(k, 16), java.util.Arrays.copyOfRange(k, 16, 30));
                relay.create(new SessionSpec("t" + i, Session.Mode.REPROTECT, "partner", mc, null,
                        SrtpSuite.AES_CM_128_HMAC_SHA1_80, key, key));
            }
            TamperGuard guard = new TamperGuard(relay, vault, board);
            AtomicReference<TamperGuard.Zeroisation> z = new AtomicReference<>();
            CountDownLatch done = new CountDownLatch(1);
            guard.onZeroised(x -> {
                z.set(x);
                done.countDown();
            });
            long t0 = System.nanoTime();
            board.tamperLoop(false);
            if (!done.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("tamper was not handled");
            }
            return String.format("BENCH tamper_to_wiped_ms %.3f", (z.get().keysWipedAtNanos() - t0) / 1e6);
        }
    }
}
