package isg.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;

/**
 * Random and mutated datagrams thrown at a running gateway's outside port from the partner's own
 * address: nothing crashes, nothing that was not authenticated reaches the inside, and the
 * counters account for every datagram (forwarded + dropped = received).
 */
class RelayFuzzTest {

    @org.junit.jupiter.params.ParameterizedTest(name = "connected sockets: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void onlyAuthenticPacketsCrossAndEveryDatagramIsAccountedFor(boolean connected) throws Exception {
        Random r = new Random(20261127);
        try (Lab lab = new Lab(); KeyVault home = lab.vault("home"); KeyVault partner = lab.vault("partner");
                Relay relay = Lab.relay("home", "partner", home, connected ? 25100 : 25000, 4, 1, connected);
                UdpPeer mc = new UdpPeer();
                UdpPeer attacker = new UdpPeer()) {
            byte[] partnerNonce = InterconnectKeys.newNonce();
            Session s = relay.create(new SessionSpec("fz", Session.Mode.HOP, "partner", mc.address(),
                    attacker.address(), null, null, null, partnerNonce));
            SrtpPolicy gcm = SrtpPolicy.builder(SrtpSuite.AEAD_AES_128_GCM).build();
            Set<String> authentic = new HashSet<>();
            byte[] lastValid = null;
            int sent = 0;
            int empties = 0;
            try (isg.srtp.SessionKeys k = InterconnectKeys.derive(partner, Lab.MASTER, SrtpSuite.AEAD_AES_128_GCM, "fz",
                    "partner", "home", partnerNonce, s.localNonce()); SrtpSender partnerSide = new SrtpSender(gcm, k)) {
                for (int i = 0; i < 3000; i++) {
                    int kind = r.nextInt(5);
                    byte[] d;
                    if (kind == 0 || kind == 1) {
                        byte[] plain = new byte[12 + r.nextInt(200)];
                        r.nextBytes(plain);
                        plain[0] = (byte) 0x80;
                        plain[8] = 0x0F; // one end-to-end stream: SSRC 0x0F0F0F0F
                        plain[9] = 0x0F;
                        plain[10] = 0x0F;
                        plain[11] = 0x0F;
                        plain[2] = (byte) (i >> 8);
                        plain[3] = (byte) i;
                        PacketBuffer b = new PacketBuffer(Arrays.copyOf(plain, plain.length + 64), 0, plain.length);
                        assertEquals(SrtpStatus.OK, partnerSide.protectRtp(b));
                        d = b.toByteArray();
                        if (kind == 0) {
                            authentic.add(HexFormat.of().formatHex(plain));
                            lastValid = d;
                        } else {
                            // mutated: flipped bits, cut short, or grown
                            int how = r.nextInt(3);
                            if (how == 0) {
                                for (int f = 1 + r.nextInt(3); f > 0; f--) {
                                    d[r.nextInt(d.length)] ^= (byte) (1 << r.nextInt(8));
                                }
                            } else if (how == 1) {
                                d = Arrays.copyOf(d, r.nextInt(d.length));
                            } else {
                                d = Arrays.copyOf(d, d.length + 1 + r.nextInt(20));
                            }
                        }
                    } else if (kind == 2 && lastValid != null) {
                        d = lastValid; // replay
                    } else {
                        d = new byte[r.nextInt(400)];
                        r.nextBytes(d);
                    }
                    attacker.send(false, d, s.outside().localRtp());
                    if (connected && d.length == 0) {
                        empties++; // Netty's connected read path discards empty datagrams unseen
                        continue;
                    }
                    sent++;
                    // pace the burst so the kernel's socket buffer never overflows: a kernel drop
                    // is not the relay's to count
                    long wait = System.nanoTime() + 1_000_000_000L;
                    while (s.outside().counters().packetsIn() < sent - 200 && System.nanoTime() < wait) {
                        Thread.onSpinWait();
                    }
                }
            }
            Counters out = s.outside().counters();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (out.packetsIn() < sent && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Set<String> arrived = new HashSet<>();
            int forwarded = 0;
            // wait long for a packet the relay says it sent; briefly for any it did not
            for (byte[] got = mc.receive(false, 2000); got != null;
                    got = mc.receive(false, forwarded < s.inside().counters().packetsOut() ? 2000 : 200)) {
                forwarded++;
                String hex = HexFormat.of().formatHex(got);
                assertTrue(authentic.contains(hex), "an unauthenticated packet reached the inside");
                assertTrue(arrived.add(hex), "a packet reached the inside twice");
            }
            assertEquals(sent, out.packetsIn(), "every datagram was seen");
            assertEquals(forwarded, s.inside().counters().packetsOut());
            assertEquals(sent, forwarded + out.drops(), "forwarded + dropped = received");
            assertEquals(authentic.size(), forwarded, "every authentic packet crossed");
            assertTrue(out.drops(DropReason.AUTH) > 0 && out.drops(DropReason.REPLAY) > 0
                    && out.drops(DropReason.MALFORMED) > 0, out.toJson());
            assertEquals(1, relay.sessions().size(), "the session goes on");
        }
    }
}
