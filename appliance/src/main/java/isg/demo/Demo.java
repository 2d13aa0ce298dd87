package isg.demo;

import isg.hsm.KeyVault;
import isg.loadgen.LoadGen;
import isg.relay.Counters;
import isg.relay.DropReason;
import isg.relay.Relay;
import isg.relay.Session;
import isg.relay.SessionSpec;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpSuite;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo: two gateways ("home" and "partner") on loopback, each with its own software vault
 * holding the shared interconnect key, and a simulated MC endpoint on each inside streaming
 * G.711-sized SRTP both ways through both gateways: one {@code reprotect} session (the MC sides
 * use AES_CM_128_HMAC_SHA1_80 with their gateway; the interconnect carries AEAD_AES_128_GCM) and
 * one {@code hop} session (end-to-end AEAD_AES_128_GCM with a GMK-style 8-byte MKI that the
 * gateways never hold). Every received packet is checked by the far endpoint. A line of status
 * per second; at 2 s the demo replays and forges a packet to show them dropped and counted.
 *
 * <p>The simulated boards can be operated, so the tamper path is visible: {@code --tamper-after N}
 * opens the home gateway's tamper loop after N seconds, and on a terminal single keys followed by
 * Enter act on the home board: {@code t} opens or closes the tamper loop, {@code z} holds the
 * zeroise button for its 3 seconds, {@code a} acknowledges the tamper alarm (loop closed again).
 * Home's keys are wiped, its vault zeroised, ALARM lights and, with {@code --mqtt}, the retained
 * {@code isg/home/alarms/tamper} goes active; the streams through home stop and the partner keeps
 * running.
 */
public final class Demo {

    private Demo() {
    }

    private static MasterKey key(SrtpSuite s, byte[] mki) {
        byte[] k = new byte[s.masterKeyLength()];
        byte[] salt = new byte[s.masterSaltLength()];
        isg.hsm.Fips.DRBG.nextBytes(k);
        isg.hsm.Fips.DRBG.nextBytes(salt);
        return new MasterKey(k, salt, mki);
    }

    private static InetSocketAddress addr(DatagramChannel c) throws java.io.IOException {
        return (InetSocketAddress) c.getLocalAddress();
    }

    /** Runs for {@code seconds} (0: until interrupted); returns 0 when every stream arrived intact. */
    public static int run(PrintStream out, double seconds) throws Exception {
        return run(out, seconds, null);
    }

    /** As {@link #run(PrintStream, double)}, each gateway also publishing its status to {@code mqttBroker}. */
    public static int run(PrintStream out, double seconds, String mqttBroker) throws Exception {
        return run(out, seconds, mqttBroker, 0, null);
    }

    /**
     * As above; {@code tamperAfter} seconds in (0: never) the home tamper loop opens, and
     * {@code console} (null: none) gives the board keys t, z and a.
     */
    public static int run(PrintStream out, double seconds, String mqttBroker, double tamperAfter,
            java.io.InputStream console) throws Exception {
        SrtpSuite mc = SrtpSuite.AES_CM_128_HMAC_SHA1_80;
        SrtpSuite e2e = SrtpSuite.AEAD_AES_128_GCM;
        List<LoadGen> gens = new ArrayList<>();
        try (Lab lab = new Lab(); KeyVault homeVault = lab.vault("home"); KeyVault partnerVault = lab.vault("partner");
                Relay home = Lab.relay("home", "partner", homeVault, 21000, 8, 1);
                Relay partner = Lab.relay("partner", "home", partnerVault, 23000, 8, 1);
                DatagramChannel homeCall = LoadGen.open(); DatagramChannel partnerCall = LoadGen.open();
                DatagramChannel homeGroup = LoadGen.open(); DatagramChannel partnerGroup = LoadGen.open();
                isg.board.SimulatedBoard homeBoard = new isg.board.SimulatedBoard();
                isg.board.SimulatedBoard partnerBoard = new isg.board.SimulatedBoard();
                isg.box.FrontPanel homePanel = new isg.box.FrontPanel(homeBoard, home, homeVault);
                isg.box.FrontPanel partnerPanel = new isg.box.FrontPanel(partnerBoard, partner, partnerVault)) {
            isg.box.TamperGuard homeGuard = new isg.box.TamperGuard(home, homeVault, homeBoard);
            isg.box.TamperGuard partnerGuard = new isg.box.TamperGuard(partner, partnerVault, partnerBoard);
            isg.status.AlarmRegistry homeAlarms = new isg.status.AlarmRegistry();
            isg.status.AlarmRegistry partnerAlarms = new isg.status.AlarmRegistry();
            homeAlarms.declare("tamper", "vault");
            partnerAlarms.declare("tamper", "vault");
            homeGuard.onZeroised(z -> {
                homeAlarms.raise("tamper", z.cause());
                out.println("       home: " + z.cause() + " -> " + z.sessionsWiped() + " sessions' keys wiped, vault "
                        + z.vaultResult() + ", ALARM on" + (mqttBroker == null ? "" : ", isg/home/alarms/tamper active")
                        + "; its streams stop, the partner's keep running");
            });
            partnerGuard.onZeroised(z -> partnerAlarms.raise("tamper", z.cause()));
            List<isg.status.MqttStatus> statuses = new ArrayList<>();
            if (mqttBroker != null) {
                for (Object[] g : new Object[][] {{"home", home, homeVault, homeBoard, homeAlarms, homeGuard},
                        {"partner", partner, partnerVault, partnerBoard, partnerAlarms, partnerGuard}}) {
                    isg.status.StatusReport r = new isg.status.StatusReport((Relay) g[1], (KeyVault) g[2],
                            (isg.board.Board) g[3]);
                    isg.status.MqttStatus status = new isg.status.MqttStatus(new isg.status.MqttStatus.Options(
                            mqttBroker, "isg", (String) g[0], null, 1, 100), r::state, r::metrics);
                    status.follow((isg.status.AlarmRegistry) g[4]);
                    ((isg.box.TamperGuard) g[5]).onZeroised(z -> {
                        status.event("zeroised", z.cause());
                        status.stateChanged();
                    });
                    statuses.add(status);
                }
                out.println("status published to " + mqttBroker + " under isg/home and isg/partner");
            }

            out.println("ISG demo: two gateways on loopback (transport " + home.transport() + "), vaults: "
                    + homeVault.kind().replaceAll(" \\(.*", "") + ", boards: " + homeBoard.describe()
                    + "; Ctrl-C stops it");
            // reprotect: each MC side sends with one key and receives with another
            MasterKey homeUp = key(mc, null);
            MasterKey homeDown = key(mc, null);
            MasterKey partnerUp = key(mc, null);
            MasterKey partnerDown = key(mc, null);
            // interconnect v2: each gateway draws a nonce for the session; the one created second takes
            // the first's at create, the first takes the second's afterwards (what an orchestrator does
            // with the control API's outside.nonce and outside.partnerNonce)
            Session hc = home.create(new SessionSpec("call-1", Session.Mode.REPROTECT, "partner", addr(homeCall), null, mc,
                    homeUp, homeDown));
            Session pc = partner.create(new SessionSpec("call-1", Session.Mode.REPROTECT, "home", addr(partnerCall),
                    hc.outside().localRtp(), mc, partnerUp, partnerDown, hc.localNonce()));
            home.update("call-1", null, pc.outside().localRtp(), pc.localNonce());
            // hop: end-to-end keys only the endpoints hold (MKI = GMK-ID || GUK-ID)
            MasterKey groupKey = key(e2e, new byte[] {0, 0, 0, 7, 0x11, 0x22, 0x33, 0x44});
            Session hg = home.create(new SessionSpec("group-1", Session.Mode.HOP, "partner", addr(homeGroup), null, null,
                    null, null));
            Session pg = partner.create(new SessionSpec("group-1", Session.Mode.HOP, "home", addr(partnerGroup),
                    hg.outside().localRtp(), null, null, null, hg.localNonce()));
            home.update("group-1", null, pg.outside().localRtp(), pg.localNonce());

            SrtpPolicy mcPolicy = SrtpPolicy.builder(mc).build();
            SrtpPolicy e2ePolicy = SrtpPolicy.builder(e2e).mkiLength(8).build();
            LoadGen callUp = new LoadGen(homeCall, partnerCall);
            callUp.add(new LoadGen.Stream(0xA1, hc.inside().localRtp(), new SrtpSender(mcPolicy, homeUp),
                    new SrtpReceiver(mcPolicy, partnerDown)));
            LoadGen callDown = new LoadGen(partnerCall, homeCall);
            callDown.add(new LoadGen.Stream(0xB1, pc.inside().localRtp(), new SrtpSender(mcPolicy, partnerUp),
                    new SrtpReceiver(mcPolicy, homeDown)));
            LoadGen groupUp = new LoadGen(homeGroup, partnerGroup);
            groupUp.add(new LoadGen.Stream(0xA2, hg.inside().localRtp(), new SrtpSender(e2ePolicy, groupKey),
                    new SrtpReceiver(e2ePolicy, groupKey)));
            LoadGen groupDown = new LoadGen(partnerGroup, homeGroup);
            groupDown.add(new LoadGen.Stream(0xB2, pg.inside().localRtp(), new SrtpSender(e2ePolicy, groupKey),
                    new SrtpReceiver(e2ePolicy, groupKey)));
            gens.add(callUp);
            gens.add(callDown);
            gens.add(groupUp);
            gens.add(groupDown);

            if (console != null) {
                // once the sessions are up: a tamper is something that happens to a working box
                out.println("home board: t + Enter opens/closes the tamper loop, z + Enter holds zeroise for 3 s, "
                        + "a + Enter acknowledges the tamper alarm");
                operate(console, homeBoard, homeAlarms, out);
            }
            double duration = seconds > 0 ? seconds : 365 * 86400.0;
            List<Thread> threads = new ArrayList<>();
            List<LoadGen.Result> results = java.util.Collections.synchronizedList(new ArrayList<>());
            for (LoadGen g : gens) {
                Thread t = new Thread(() -> {
                    try {
                        // after the last send, wait for a second without a packet (at most ten): a
                        // slow machine (the aarch64 build under qemu in CI) can be seconds behind
                        results.add(g.run(g.streams(), 50, duration, DRAIN_MILLIS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "mc-endpoint");
                t.start();
                threads.add(t);
            }
            Thread hook = new Thread(() -> gens.forEach(LoadGen::stop));
            Runtime.getRuntime().addShutdownHook(hook);
            long start = System.nanoTime();
            long[] last = new long[4];
            for (int sec = 1; threads.stream().anyMatch(Thread::isAlive); sec++) {
                long wake = start + sec * 1_000_000_000L;
                while (System.nanoTime() < wake && threads.stream().anyMatch(Thread::isAlive)) {
                    Thread.sleep(20);
                }
                if (sec == 2) {
                    misbehave(homeCall, hc.inside().localRtp(), homeUp, mcPolicy);
                }
                if (tamperAfter > 0 && sec == (int) Math.ceil(tamperAfter)) {
                    out.println("       opening the home gateway's tamper loop (--tamper-after)");
                    homeBoard.tamperLoop(false);
                }
                out.println(status(sec, home, partner, gens, last));
                out.println("       front panels: home " + homeBoard.render() + "   partner " + partnerBoard.render());
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running
            }
            statuses.forEach(isg.status.MqttStatus::close);
            long sent = gens.stream().mapToLong(LoadGen::sent).sum();
            long received = gens.stream().mapToLong(LoadGen::received).sum();
            long bad = gens.stream().mapToLong(LoadGen::bad).sum();
            out.printf("demo done: %d packets sent by the MC endpoints, %d arrived authentic and intact, %d bad, "
                    + "%d lost in flight at the end%n", sent, received, bad, sent - received);
            return bad == 0 && received > 0 ? 0 : 1;
        }
    }

    /** The home board's keys, read from the console on a thread of their own. */
    private static void operate(java.io.InputStream console, isg.board.SimulatedBoard board,
            isg.status.AlarmRegistry alarms, PrintStream out) {
        Thread t = new Thread(() -> {
            try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(console,
                    java.nio.charset.StandardCharsets.UTF_8))) {
                boolean open = false;
                for (String line; (line = in.readLine()) != null; ) {
                    switch (line.trim()) {
                        case "t":
                            open = !open;
                            out.println("       home tamper loop " + (open ? "opened" : "closed"));
                            board.tamperLoop(!open);
                            break;
                        case "z":
                            out.println("       home zeroise button held for 3 s");
                            board.zeroiseButton(true);
                            Thread.sleep(3200); // the operator's hand on the button: the board times the hold
                            board.zeroiseButton(false);
                            break;
                        case "a":
                            isg.status.AlarmRegistry.State s = alarms.state("tamper");
                            if (s == null || !s.active()) {
                                out.println("       no tamper alarm to acknowledge");
                            } else if (!board.tamperLoopClosed()) {
                                out.println("       close the tamper loop (t) before acknowledging");
                            } else {
                                alarms.clear("tamper");
                                out.println("       tamper alarm acknowledged; home stays zeroised until re-keyed");
                            }
                            break;
                        default:
                            out.println("       keys: t (tamper loop), z (zeroise), a (acknowledge)");
                    }
                }
            } catch (java.io.IOException e) {
                // the console went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-console");
        t.setDaemon(true);
        t.start();
    }

    /** Quiet at the end of the demo before what has not arrived counts as lost in flight. */
    static final long DRAIN_MILLIS = 1000;

    /** A replayed packet and a forged one, sent from the home MC endpoint's own socket. */
    private static void misbehave(DatagramChannel from, InetSocketAddress to, MasterKey key, SrtpPolicy p)
            throws Exception {
        byte[] b = new byte[172 + 64];
        b[0] = (byte) 0x80;
        // sequence 50, sent by the stream a second before and accepted by home: a replay. (Not the
        // first packet: a start-up burst can be dropped as LATE, unread, and a packet home never
        // accepted would be a new one to it.) The payload is the stream's own pattern, so that had
        // home forwarded it, its far end would see a duplicate, not a corrupt packet.
        int seq = 50;
        b[3] = (byte) seq;
        isg.srtp.crypto.Bytes.putInt(b, 8, 0xA1);
        for (int i = 20; i < 172; i++) {
            b[i] = (byte) (seq + i);
        }
        try (SrtpSender s = new SrtpSender(p, key)) {
            PacketBuffer pb = new PacketBuffer(b, 0, 172);
            s.protectRtp(pb);
            from.send(ByteBuffer.wrap(b, 0, pb.length()), to);
            b[3] = (byte) 0xF0;
            isg.srtp.crypto.Bytes.putInt(b, 8, 0xA9);
            pb.set(b, 0, 172);
            s.protectRtp(pb);
            b[pb.length() - 1] ^= 1;
            from.send(ByteBuffer.wrap(b, 0, pb.length()), to);
        }
    }

    private static String status(int sec, Relay home, Relay partner, List<LoadGen> gens, long[] last) {
        Counters h = home.totals();
        Counters p = partner.totals();
        long hin = h.packetsIn();
        long pin = p.packetsIn();
        long sent = gens.stream().mapToLong(LoadGen::sent).sum();
        long received = gens.stream().mapToLong(LoadGen::received).sum();
        String line = String.format("[%3ds] sessions home=%d partner=%d | home %d pps in, partner %d pps in | "
                + "drops home %s partner %s | endpoints sent %d received %d bad %d", sec, home.sessions().size(),
                partner.sessions().size(), hin - last[0], pin - last[1], drops(h), drops(p), sent, received,
                gens.stream().mapToLong(LoadGen::bad).sum());
        last[0] = hin;
        last[1] = pin;
        return line;
    }

    private static String drops(Counters c) {
        StringBuilder b = new StringBuilder("{");
        for (DropReason r : DropReason.values()) {
            if (c.drops(r) > 0) {
                b.append(b.length() > 1 ? " " : "").append(r).append('=').append(c.drops(r));
            }
        }
        return b.append('}').toString();
    }
}
