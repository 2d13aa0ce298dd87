package isg.demo;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.SoftVault;
import isg.hsm.VaultException;
import isg.relay.Relay;
import isg.relay.RelayConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Gateways on loopback for the demo and the relay benchmark: each with its own software vault,
 * both holding the same interconnect master key, which reaches each vault wrapped under a
 * transport key the way an operator would bring it in.
 */
public final class Lab implements AutoCloseable {

    public static final String MASTER = "pkcs11:object=interconnect-master";

    private final Path dir;
    private final byte[] kek = new byte[32];
    private final byte[] interconnect = new byte[16];

    public Lab() throws IOException {
        dir = Files.createTempDirectory("isg-lab");
        Fips.DRBG.nextBytes(kek);
        Fips.DRBG.nextBytes(interconnect);
    }

    /** Where {@link #vault} keeps the named vault (for a process of its own to open). */
    public Path keystore(String name) {
        return dir.resolve(name + ".bcfks");
    }

    /** The passphrase of the named vault. */
    public char[] passphrase(String name) {
        return ("lab " + name).toCharArray();
    }

    /** A software vault holding the shared interconnect master key. */
    public KeyVault vault(String name) throws VaultException, GeneralSecurityException {
        KeyVault v = SoftVault.open(keystore(name), passphrase(name), true, AuditLog.inMemory());
        KeyInfo t = v.importTransportKey(Actor.INTERNAL, NewKey.of("transport", KeyPurpose.TRANSPORT, "lab"), kek.clone());
        v.importWrapped(Actor.INTERNAL, NewKey.of("interconnect-master", KeyPurpose.INTERCONNECT_MASTER, "lab")
                .withBits(128), t.uri(), wrappedInterconnect());
        return v;
    }

    /**
     * The transport key in clear, for the key ceremony of a vault in another process ({@code isg
     * keys import-transport}, fed through a pipe: it never reaches a file).
     */
    public byte[] transportKey() {
        return kek.clone();
    }

    /** The interconnect master key wrapped under the transport key (RFC 5649), as {@code isg keys import} takes it. */
    public byte[] wrappedInterconnect() throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        return c.wrap(new SecretKeySpec(interconnect, "AES"));
    }

    /** A relay on loopback with {@code pairs} port pairs per leg starting at {@code base}. */
    public static Relay relay(String id, String partner, KeyVault vault, int base, int pairs, int threads) {
        return relay(id, partner, vault, base, pairs, threads, false);
    }

    /** As above, with the relay's sockets connected to their peers or not. */
    public static Relay relay(String id, String partner, KeyVault vault, int base, int pairs, int threads,
            boolean connectedSockets) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int span = 2 * pairs + 2;
        return new Relay(new RelayConfig(id, lo, base, base + span - 1, lo, base + span, base + 2 * span - 1,
                Map.of(partner, MASTER), Duration.ofMinutes(10), Math.max(pairs, 1), "jdk", connectedSockets), vault,
                threads);
    }

    @Override
    public void close() throws IOException {
        java.util.Arrays.fill(kek, (byte) 0);
        java.util.Arrays.fill(interconnect, (byte) 0);
        deleteTree(dir);
    }

    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A TCP port on 127.0.0.1 that nothing listens on now, below the kernel's ephemeral range
     * (32768 and up), so that an outgoing connection cannot take it between this call and its bind.
     */
    public static int freeTcpPort() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20000 + r.nextInt(12000);
            // a port is free until someone binds it: never hand the same one out twice in this process
            // (several picked before any is bound would otherwise collide now and then)
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (java.io.IOException e) {
                // taken: try another
            }
        }
        throw new IllegalStateException("no free TCP port between 20000 and 32000 on 127.0.0.1");
    }

    /** A UDP port on 127.0.0.1 that nothing is bound to now, below the kernel's ephemeral range. */
    public static int freeUdpPort() {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = freeTcpPort();
            try (java.net.DatagramSocket s = new java.net.DatagramSocket(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port))) {
                return port;
            } catch (java.io.IOException e) {
                // taken for UDP: try another
            }
        }
        throw new IllegalStateException("no free UDP port between 20000 and 32000 on 127.0.0.1");
    }

    /** Deletes a temporary directory and everything under it (the lab's, a benchmark's). */
    public static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
