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
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * SRTP session-key derivations per second through the vault, one thread: this is how fast new
 * calls can be keyed. Through SoftHSM2 (a token made for the run in a temporary directory) and
 * through the software token. SoftHSM2 reads {@code SOFTHSM2_CONF} when the module loads, so the
 * measurement runs in a child JVM started with it.
 */
public final class DeriveBench {

    private DeriveBench() {
    }

    /** Runs the measurement in a child JVM; returns its {@code BENCH derive} lines. */
    public static List<String> run(double seconds) throws IOException {
        return SoftHsmChild.run(DeriveBench.class, List.of(Double.toString(seconds)), "isg-derive-bench");
    }

    /** Child: {@code seconds dir}; SOFTHSM2_CONF is set. */
    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        Path dir = Path.of(args[1]);
        try (KeyVault v = Pkcs11Vault.open(new Pkcs11Config(Path.of(SoftHsmChild.MODULE), SoftHsmChild.LABEL,
                dir.resolve("pin")),
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
