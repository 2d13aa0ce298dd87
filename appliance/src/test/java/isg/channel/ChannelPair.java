package isg.channel;

import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftHsm;
import isg.hsm.SoftVault;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Two gateways' channels on loopback: "home" (software token) dials "partner" (SoftHSM2), each
 * with its identity key in its own vault and certified by its own CA (made by OpenSSL). Home's
 * inside service "echo" reaches the partner's export "echo" (an {@link Echo} server), and the
 * partner's service "sip" reaches home's export "sip" (another Echo).
 */
public final class ChannelPair implements AutoCloseable {

    final ChannelPki pki;
    final SwitchableVault homeVault;
    final KeyVault partnerVault;
    final Echo partnerEcho;
    final Echo homeEcho;
    final int homePort;
    final int partnerPort;
    final int echoService;
    final int sipService;
    /** Home services: "nowhere" (not exported by the partner), "two" (2 connections at most), "idle" (1 s idle timeout). */
    final int nowhereService;
    final int twoService;
    final int idleService;
    final Map<String, String> homeAlarms = new ConcurrentHashMap<>();
    public final AuditLog homeAudit = AuditLog.inMemory();
    public ChannelService home;
    public ChannelService partner;

    /** Home's service "gms", reaching the partner's export "gms" (see {@link #ChannelPair(Path, InetSocketAddress)}). */
    public final int gmsService;
    private final InetSocketAddress gmsTarget;

    public ChannelPair(Path dir) throws Exception {
        this(dir, null);
    }

    /** As above, with home's service "gms" reaching {@code gmsTarget} on the partner's inside (a GMS). */
    public ChannelPair(Path dir, InetSocketAddress gmsTarget) throws Exception {
        this.gmsTarget = gmsTarget;
        this.gmsService = freePort();
        pki = new ChannelPki(dir).ca("home-ca").ca("partner-ca");
        homeVault = new SwitchableVault(SoftVault.open(dir.resolve("home.bcfks"), "home pass".toCharArray(), true,
                AuditLog.inMemory()));
        partnerVault = Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory());
        String suffix = Long.toHexString(System.nanoTime());
        pki.gateway(homeVault, "home-tls", "home-ca", "isg:home");
        pki.gateway(partnerVault, "partner-tls-" + suffix, "partner-ca", "isg:partner");
        partnerKey = "partner-tls-" + suffix;
        partnerEcho = new Echo();
        homeEcho = new Echo();
        homePort = freePort();
        partnerPort = freePort();
        echoService = freePort();
        sipService = freePort();
        nowhereService = freePort();
        twoService = freePort();
        idleService = freePort();
        home = ChannelService.start(homeConfig(), homeVault, "home", Clock.systemUTC(), homeAudit, alarms(homeAlarms));
        partner = startPartner();
    }

    final String partnerKey;

    static ChannelService.Alarms alarms(Map<String, String> into) {
        return new ChannelService.Alarms() {
            @Override
            public void raise(String name, String detail) {
                into.put(name, detail);
            }

            @Override
            public void clear(String name) {
                into.remove(name);
            }

            @Override
            public void event(String type, String detail) {
            }
        };
    }

    ChannelConfig homeConfig() {
        ChannelConfig.Partner p = new ChannelConfig.Partner("partner", loop(partnerPort), 1,
                List.of(pki.path("partner-ca.pem")), List.of(), "uri:isg:partner", null, false, 2000,
                withGms(Map.of("echo", new ChannelConfig.Service("echo", loop(echoService), 2000, Duration.ofMinutes(5)),
                        "nowhere", new ChannelConfig.Service("nowhere", loop(nowhereService), 10, Duration.ofMinutes(5)),
                        "two", new ChannelConfig.Service("two", loop(twoService), 2, Duration.ofMinutes(5)),
                        "idle", new ChannelConfig.Service("idle", loop(idleService), 10, Duration.ofSeconds(1))),
                        new ChannelConfig.Service("gms", loop(gmsService), 100, Duration.ofMinutes(5))),
                Map.of("sip", new ChannelConfig.Export("sip", homeEcho.address(), 2000, Duration.ofMinutes(5))));
        return new ChannelConfig(loop(homePort), "pkcs11:object=home-tls", "pkcs11:object=home-tls-cert", null,
                Duration.ofSeconds(5), Duration.ofSeconds(2), 30, 64, 16, 1, Map.of("partner", p));
    }

    ChannelConfig partnerConfig() {
        ChannelConfig.Partner p = new ChannelConfig.Partner("home", null, 1, List.of(pki.path("home-ca.pem")), List.of(),
                "uri:isg:home", null, false, 2000,
                Map.of("sip", new ChannelConfig.Service("sip", loop(sipService), 2000, Duration.ofMinutes(5))),
                withGms(Map.of("echo", new ChannelConfig.Export("echo", partnerEcho.address(), 2000, Duration.ofMinutes(5)),
                        "two", new ChannelConfig.Export("two", partnerEcho.address(), 100, Duration.ofMinutes(5)),
                        "idle", new ChannelConfig.Export("idle", partnerEcho.address(), 10, Duration.ofMinutes(5))),
                        gmsTarget == null ? null : new ChannelConfig.Export("gms", gmsTarget, 100, Duration.ofMinutes(5))));
        return new ChannelConfig(loop(partnerPort), "pkcs11:object=" + partnerKey,
                "pkcs11:object=" + partnerKey + "-cert", null, Duration.ofSeconds(5), Duration.ofSeconds(2), 30, 64, 16, 1,
                Map.of("home", p));
    }

    public ChannelService startPartner() throws Exception {
        return ChannelService.start(partnerConfig(), partnerVault, "partner", Clock.systemUTC(), AuditLog.inMemory(),
                ChannelService.Alarms.NONE);
    }

    private <T> Map<String, T> withGms(Map<String, T> m, T gms) {
        if (gmsTarget == null || gms == null) {
            return m;
        }
        Map<String, T> out = new java.util.HashMap<>(m);
        out.put("gms", gms);
        return Map.copyOf(out);
    }

    static InetSocketAddress loop(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    static int freePort() {
        return isg.demo.Lab.freeTcpPort();
    }

    /** Waits for {@code condition} (polling), failing with {@code what} after {@code seconds}. */
    public static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Home's vault (the software token), where its TLS identity key "home-tls" is. */
    public KeyVault homeKeyVault() {
        return homeVault;
    }

    public void awaitUp() throws InterruptedException {
        await("the channel home -> partner up", 20, () -> home.partnerUp("partner") && partner.partnerUp("home"));
    }

    @Override
    public void close() {
        if (home != null) {
            home.close();
        }
        if (partner != null) {
            partner.close();
        }
        partnerEcho.close();
        homeEcho.close();
        homeVault.close();
        partnerVault.close();
    }
}
