package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.srtp.PacketBuffer;
import isg.srtp.SessionKeys;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import isg.srtp.TestPackets;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The relay while several things happen at once: a vault that hangs, every event loop busy. */
class RelayConcurrencyTest {

    /** A relay configuration for up to {@code sessions} sessions on free loopback ports. */
    private static RelayConfig config(int sessions, Duration idle) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int span = 2 * sessions + 4;
        int base = GatewayPair.freeRange(2 * span);
        return new RelayConfig("home", lo, base, base + span - 1, lo, base + span, base + 2 * span - 1,
                Map.of("partner", Lab.MASTER), idle, sessions, "jdk");
    }

    private static SessionSpec hop(String id, UdpPeer inside, UdpPeer outside, byte[] partnerNonce) {
        return new SessionSpec(id, Session.Mode.HOP, "partner", inside.address(),
                outside == null ? null : outside.address(), null, null, null, partnerNonce);
    }

    @Test
    void aHangingVaultHoldsUpOnlyTheCreateThatWaitsForIt() throws Exception {
        Random r = new Random(7);
        try (Lab lab = new Lab(); KeyVault real = lab.vault("home"); KeyVault partnerVault = lab.vault("partner")) {
            StallingVault vault = new StallingVault(real, 30_000);
            // one event loop: with a relay-wide lock held across the vault call it would be the one stalled
            try (Relay relay = new Relay(config(8, Duration.ofSeconds(2)), vault, 1); UdpPeer mc = new UdpPeer();
                    UdpPeer partner = new UdpPeer(); UdpPeer quiet = new UdpPeer(); UdpPeer other = new UdpPeer()) {
                byte[] partnerNonce = InterconnectKeys.newNonce();
                Session a = relay.create(hop("a", mc, partner, partnerNonce));
                relay.create(hop("idle", quiet, null, null));
                try (SessionKeys k = InterconnectKeys.derive(partnerVault, Lab.MASTER, SrtpSuite.AEAD_AES_128_GCM, "a",
                        "home", "partner", a.localNonce(), partnerNonce);
                        SrtpReceiver partnerRx = new SrtpReceiver(SrtpPolicy.builder(SrtpSuite.AEAD_AES_128_GCM).build(),
                                k)) {
                    vault.stallNext();
                    CompletableFuture<Session> slow = CompletableFuture.supplyAsync(() -> {
                        try {
                            return relay.create(hop("slow", other, partner, InterconnectKeys.newNonce()));
                        } catch (RelayException e) {
                            throw new CompletionException(e);
                        }
                    });
                    assertTrue(vault.awaitStalled(10_000), "the create reached the vault");
                    long sweepsAtStall = relay.sweeps();
                    int delivered = 0;
                    int seq = 0;
                    long deadline = System.nanoTime() + 15_000_000_000L;
                    // a call at 50 packets/s goes on while the vault hangs, until the sweep has run twice
                    // and deleted the idle session
                    while ((delivered < 50 || relay.session("idle") != null || relay.sweeps() < sweepsAtStall + 2)
                            && System.nanoTime() < deadline) {
                        byte[] e2e = TestPackets.rtp(seq++, 0xABCD, 160, r);
                        mc.send(false, e2e, a.inside().localRtp());
                        byte[] got = partner.receive(false, 1000);
                        if (got != null) {
                            PacketBuffer b = new PacketBuffer(Arrays.copyOf(got, got.length + 64), 0, got.length);
                            assertEquals(SrtpStatus.OK, partnerRx.unprotectRtp(b));
                            assertArrayEquals(e2e, b.toByteArray());
                            delivered++;
                        }
                        Thread.sleep(20);
                    }
                    assertFalse(slow.isDone(), "the create still waits for the vault");
                    assertTrue(delivered >= 50, "packets delivered during the stall: " + delivered);
                    assertNull(relay.session("idle"), "the sweep deleted the idle session during the stall");
                    assertTrue(relay.sweeps() >= sweepsAtStall + 2, "the sweep kept running");
                    // another create goes through meanwhile
                    try (UdpPeer third = new UdpPeer()) {
                        assertNotNull(relay.create(hop("b", third, partner, InterconnectKeys.newNonce())));
                    }
                    assertFalse(slow.isDone());
                    vault.release();
                    Session s = slow.get(20, TimeUnit.SECONDS);
                    assertTrue(s.outside().keyed());
                    assertEquals(s, relay.session("slow"), "the create completed");
                }
            }
        }
    }

    @Test
    void totalsAreExactWithEveryEventLoopBusy() throws Exception {
        Random r = new Random(8);
        int sessions = 8;
        try (Lab lab = new Lab(); KeyVault vault = lab.vault("home");
                Relay relay = new Relay(config(sessions, Duration.ofMinutes(5)), vault, 2); UdpPeer sink = new UdpPeer();
                UdpPeer stranger = new UdpPeer()) {
            List<UdpPeer> mcs = new ArrayList<>();
            List<Session> made = new ArrayList<>();
            try {
                for (int i = 0; i < sessions; i++) {
                    UdpPeer mc = new UdpPeer();
                    mcs.add(mc);
                    made.add(relay.create(hop("s" + i, mc, sink, InterconnectKeys.newNonce())));
                }
                int perSession = 4000;
                List<Thread> senders = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int half = t;
                    Thread th = new Thread(() -> {
                        Random own = new Random(half);
                        try {
                            for (int n = 0; n < perSession; n++) {
                                for (int i = half; i < sessions; i += 2) {
                                    byte[] p = TestPackets.rtp(n, 0x100 + i, 160, own);
                                    mcs.get(i).send(false, p, made.get(i).inside().localRtp());
                                    if (n % 10 == 0) {
                                        stranger.send(false, p, made.get(i).inside().localRtp());
                                    }
                                }
                            }
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    th.start();
                    senders.add(th);
                }
                for (Thread th : senders) {
                    th.join();
                }
                // wait until the relay has taken in all it will: the legs' sum stops moving
                long before = -1;
                long now = sumIn(made);
                while (now != before) {
                    Thread.sleep(300);
                    before = now;
                    now = sumIn(made);
                }
                Counters totals = relay.totals();
                long in = 0;
                long out = 0;
                long wrongSource = 0;
                for (Session s : made) {
                    in += s.inside().counters().packetsIn() + s.outside().counters().packetsIn();
                    out += s.inside().counters().packetsOut() + s.outside().counters().packetsOut();
                    wrongSource += s.inside().counters().drops(DropReason.WRONG_SOURCE);
                }
                assertTrue(in > sessions * perSession / 2, "the relay was busy: " + in);
                assertEquals(in, totals.packetsIn(), "packets in: totals = sum of legs");
                assertEquals(out, totals.packetsOut(), "packets out: totals = sum of legs");
                assertEquals(wrongSource, totals.drops(DropReason.WRONG_SOURCE), "drops: totals = sum of legs");
                assertTrue(wrongSource > 0);
            } finally {
                mcs.forEach(UdpPeer::close);
            }
        }
    }

    private static long sumIn(List<Session> made) {
        long n = 0;
        for (Session s : made) {
            n += s.inside().counters().packetsIn();
        }
        return n;
    }
}
