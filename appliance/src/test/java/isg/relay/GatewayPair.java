package isg.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SoftVault;
import isg.srtp.MasterKey;
import isg.srtp.SrtpSuite;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Two gateways on loopback, "home" and "partner", each with its own software vault file holding
 * the shared interconnect master key (brought in wrapped under a transport key, as an operator
 * would), and an MC peer on each inside. Either gateway can be restarted: its relay closed, its
 * vault closed and reopened from the file, a new relay started, as a process restart does.
 */
final class GatewayPair implements AutoCloseable {

    private static final char[] PASS = "passphrase".toCharArray();

    final Path dir;
    private final int base;
    private final UnaryOperator<RelayConfig> tune;
    KeyVault vaultHome;
    KeyVault vaultPartner;
    Relay home;
    Relay partner;
    final UdpPeer mcHome;
    final UdpPeer mcPartner;

    GatewayPair(Path dir, Random random) throws Exception {
        this(dir, random, UnaryOperator.identity());
    }

    /** With each gateway's relay configuration changed by {@code tune} (e.g. a datagram limit). */
    GatewayPair(Path dir, Random random, UnaryOperator<RelayConfig> tune) throws Exception {
        this.dir = dir;
        this.tune = tune;
        byte[] kek = new byte[32];
        byte[] interconnect = new byte[16];
        random.nextBytes(kek);
        random.nextBytes(interconnect);
        vaultHome = vault(dir.resolve("home.bcfks"), kek, interconnect, "partner-master");
        vaultPartner = vault(dir.resolve("partner.bcfks"), kek, interconnect, "home-master");
        base = freeRange(400);
        home = new Relay(config("home", base, "partner", "partner-master"), vaultHome, 1);
        partner = new Relay(config("partner", base + 200, "home", "home-master"), vaultPartner, 1);
        mcHome = new UdpPeer();
        mcPartner = new UdpPeer();
    }

    private static KeyVault vault(Path file, byte[] kek, byte[] interconnect, String label) throws Exception {
        KeyVault v = SoftVault.open(file, PASS, true, AuditLog.inMemory());
        KeyInfo t = v.importTransportKey(Actor.CLI, NewKey.of("kek", KeyPurpose.TRANSPORT, "site"), kek.clone());
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        v.importWrapped(Actor.CLI, NewKey.of(label, KeyPurpose.INTERCONNECT_MASTER, "peer").withBits(128), t.uri(),
                c.wrap(new SecretKeySpec(interconnect, "AES")));
        return v;
    }

    private RelayConfig config(String id, int first, String partnerId, String label) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        return tune.apply(new RelayConfig(id, lo, first, first + 99, lo, first + 100, first + 199,
                Map.of(partnerId, "pkcs11:object=" + label), Duration.ofMinutes(5), 100, "jdk"));
    }

    /**
     * The first port of {@code span} consecutive ports none of which is bound now (UDP), in the
     * range the kernel does not hand out as ephemeral ports (32768-60999 on Linux).
     */
    static int freeRange(int span) {
        Random r = new Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = 10000 + 2 * r.nextInt((32000 - span - 10000) / 2);
            if (allFree(first, span)) {
                return first;
            }
        }
        throw new IllegalStateException("no free range of " + span + " UDP ports");
    }

    private static boolean allFree(int first, int span) {
        for (int p = first; p < first + span; p++) {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p))) {
                s.getLocalPort();
            } catch (java.io.IOException e) {
                return false;
            }
        }
        return true;
    }

    /** The home gateway restarts: every session gone, vault reopened from its file. */
    void restartHome() throws Exception {
        home.close();
        vaultHome.close();
        vaultHome = SoftVault.open(dir.resolve("home.bcfks"), PASS, false, AuditLog.inMemory());
        home = new Relay(config("home", base, "partner", "partner-master"), vaultHome, 1);
    }

    /** The partner gateway restarts. */
    void restartPartner() throws Exception {
        partner.close();
        vaultPartner.close();
        vaultPartner = SoftVault.open(dir.resolve("partner.bcfks"), PASS, false, AuditLog.inMemory());
        partner = new Relay(config("partner", base + 200, "home", "home-master"), vaultPartner, 1);
    }

    /**
     * Both halves of one session, wired as an orchestrator does with the control API: home first,
     * the partner with home's nonce, then home with the partner's nonce and outside port. With
     * {@code homeSeesPartnerAt} null home learns the partner from its first authenticated packet.
     */
    Session[] session(String id, Session.Mode mode, SrtpSuite suite, MasterKey[] homeKeys, MasterKey[] partnerKeys,
            InetSocketAddress partnerSendsTo) throws Exception {
        Session h = home.create(new SessionSpec(id, mode, "partner", mcHome.address(), null, suite,
                homeKeys == null ? null : homeKeys[0], homeKeys == null ? null : homeKeys[1]));
        assertFalse(h.outside().keyed(), "no outside keys before the partner's nonce");
        Session p = partner.create(new SessionSpec(id, mode, "home", mcPartner.address(),
                partnerSendsTo != null ? partnerSendsTo : h.outside().localRtp(), suite,
                partnerKeys == null ? null : partnerKeys[0], partnerKeys == null ? null : partnerKeys[1],
                h.localNonce()));
        home.update(id, null, partnerSendsTo != null ? null : p.outside().localRtp(), p.localNonce());
        assertTrue(h.outside().keyed() && p.outside().keyed());
        return new Session[] {h, p};
    }

    static void eventually(LongSupplier value, long expected, String what) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (value.getAsLong() != expected && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(expected, value.getAsLong(), what);
    }

    @Override
    public void close() {
        home.close();
        partner.close();
        vaultHome.close();
        vaultPartner.close();
        mcHome.close();
        mcPartner.close();
    }
}
