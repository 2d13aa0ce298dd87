package isg.bench;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.DerivedSrtpKeys;
import isg.hsm.Fips;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.Pkcs11Config;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftVault;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * SRTP session-key derivations per second through the vault, one thread: this is how fast new
 * calls can be keyed. Through SoftHSM2 (a token made for the run in a temporary directory) and
 * through the software token. SoftHSM2 reads {@code SOFTHSM2_CONF} when the module loads, so the
 * measurement runs in a child JVM started with it.
 */
public final class DeriveBench {

    static final String SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so";
    private static final String LABEL = "isg-bench";
    private static final String PIN = "1234";

    private DeriveBench() {
    }

    /** Runs the measurement in a child JVM; returns its {@code BENCH derive} lines. */
    public static List<String> run(double seconds) throws IOException {
        Path dir = Files.createTempDirectory("isg-derive-bench");
        try {
            Path tokens = Files.createDirectories(dir.resolve("tokens"));
            Path conf = dir.resolve("softhsm2.conf");
            Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
            Path pin = dir.resolve("pin");
            Files.writeString(pin, PIN);
            exec(List.of("softhsm2-util", "--init-token", "--free", "--label", LABEL, "--so-pin", "12345678", "--pin", PIN),
                    conf);
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> out = exec(List.of(java, "-cp", System.getProperty("java.class.path"), DeriveBench.class.getName(),
                    Double.toString(seconds), dir.toString()), conf);
            return out.stream().filter(l -> l.startsWith("BENCH ")).toList();
        } finally {
            isg.demo.Lab.deleteTree(dir);
        }
    }

    private static List<String> exec(List<String> cmd, Path conf) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot run " + cmd.get(0) + " (install softhsm2: apt-get install softhsm2)", e);
        }
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                lines.add(l);
            }
        }
        try {
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd.subList(0, 1)) + " failed:\n" + String.join("\n", lines));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return lines;
    }

    /** Child: {@code seconds dir}; SOFTHSM2_CONF is set. */
    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        Path dir = Path.of(args[1]);
        try (KeyVault v = Pkcs11Vault.open(new Pkcs11Config(Path.of(SOFTHSM), LABEL, dir.resolve("pin")),
                AuditLog.inMemory())) {
            System.out.printf("BENCH derive pkcs11 %.0f%n", measure(v, seconds));
        }
        try (KeyVault v = SoftVault.open(dir.resolve("keys.bcfks"), "bench passphrase".toCharArray(), true,
                AuditLog.inMemory())) {
            System.out.printf("BENCH derive soft %.0f%n", measure(v, seconds));
        }
    }

    /** Derivations per second of AEAD_AES_128_GCM session keys (key, salt; SRTP and SRTCP). */
    static double measure(KeyVault v, double seconds) throws Exception {
        byte[] kek = new byte[32];
        byte[] mk = new byte[16];
        Fips.DRBG.nextBytes(kek);
        Fips.DRBG.nextBytes(mk);
        KeyInfo t = v.importTransportKey(Actor.INTERNAL, NewKey.of("bench-kek", KeyPurpose.TRANSPORT, "bench"), kek);
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(kek, "AES"));
        KeyInfo k = v.importWrapped(Actor.INTERNAL, NewKey.of("bench-master", KeyPurpose.INTERCONNECT_MASTER, "bench")
                .withBits(128), t.uri(), c.wrap(new SecretKeySpec(mk, "AES")));
        byte[] salt = new byte[12];
        long warm = System.nanoTime() + (long) (Math.min(1.0, seconds) * 1e9);
        while (System.nanoTime() < warm) {
            v.deriveSrtp(Actor.INTERNAL, k.uri(), salt, 16, 0, 12).close();
        }
        long n = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        long now;
        do {
            try (DerivedSrtpKeys d = v.deriveSrtp(Actor.INTERNAL, k.uri(), salt, 16, 0, 12)) {
                n++;
            }
            now = System.nanoTime();
        } while (now < end);
        return n * 1e9 / (now - t0);
    }
}
