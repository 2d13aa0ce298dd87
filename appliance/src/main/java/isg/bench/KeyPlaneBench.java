package isg.bench;

import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.SoftVault;
import isg.hsm.VaultException;
import isg.mc.Eccsi;
import isg.mc.McIdentity;
import isg.mc.MikeyException;
import isg.mc.MikeyMessage;
import isg.mc.MikeyMessageBuilder;
import isg.mc.MikeySakkeReceiver;
import isg.mc.KeyMaterialException;
import isg.mc.Sakke;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The key plane's public-key operations per second, one thread, on keys of a KMS made for the
 * run: ECCSI signature verification and signing, SAKKE decapsulation (one pairing, two
 * fixed-point multiplications), encapsulation, and whole MIKEY-SAKKE messages received into a
 * vault. Printed as {@code BENCH <op> <per_s>}.
 */
public final class KeyPlaneBench {

    private KeyPlaneBench() {
    }

    public static List<String> run(double seconds) throws KeyMaterialException {
        SecureRandom random = new SecureRandom();
        byte[] id = "2026-11\0sip:isg@mc.example\0".getBytes(StandardCharsets.US_ASCII);
        byte[] message = new byte[400];
        random.nextBytes(message);
        BigInteger ksak = new BigInteger(255, random);
        byte[] kpak = Eccsi.kpak(ksak);
        Eccsi.SigningKey issued = Eccsi.issue(ksak, id);
        byte[] signature = Eccsi.sign(issued, message);

        BigInteger z = new BigInteger(256, random);
        Sakke.KmsKey kms = Sakke.kmsKey(Sakke.kmsPublicKey(z));
        byte[] rsk = Sakke.receiverSecretKey(z, id);
        byte[] ssv = new byte[Sakke.SSV_LENGTH];
        random.nextBytes(ssv);
        byte[] encapsulated = Sakke.encapsulate(ssv, id, kms);

        List<String> out = new ArrayList<>();
        out.add(line("eccsi_verify", seconds, () -> Eccsi.verify(kpak, id, message, signature)));
        out.add(line("eccsi_sign", seconds, () -> Eccsi.sign(issued, message).length == Eccsi.SIGNATURE_LENGTH));
        Sakke.Receiver receiver = Sakke.receiver(kms, id, rsk);
        out.add(line("sakke_decap", seconds, () -> {
            try {
                return receiver.decapsulate(encapsulated).length == Sakke.SSV_LENGTH;
            } catch (KeyMaterialException e) {
                return false;
            }
        }));
        out.add(line("sakke_encap", seconds, () -> Sakke.encapsulate(ssv, id, kms).length == Sakke.ENCAPSULATED_LENGTH));
        issued.close();
        receiver.close();
        out.add(mikeyReceive(seconds >= 1 ? 40 : 6));
        return out;
    }

    /**
     * MIKEY-SAKKE I_MESSAGEs received end to end (parse, addressing, ECCSI verify, SAKKE
     * decapsulate, store in a software vault), each message distinct; built before the clock runs.
     */
    static String mikeyReceive(int messages) throws KeyMaterialException {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("isg-mikey-bench");
            Instant now = Instant.now();
            Clock clock = Clock.fixed(now, ZoneOffset.UTC);
            McIdentity.KeyPeriod month = new McIdentity.KeyPeriod(2_592_000, 0);
            long period = month.number(now);
            long ntp = now.getEpochSecond() + McIdentity.NTP_UNIX_OFFSET;
            SecureRandom random = new SecureRandom();
            String kmsUri = "kms.bench.example";
            String self = "sip:isg@bench.example";
            BigInteger ksak = new BigInteger(255, random);
            BigInteger z = new BigInteger(255, random);
            byte[] kpak = Eccsi.kpak(ksak);
            byte[] zPub = Sakke.kmsPublicKey(z);
            byte[] uidR = McIdentity.uid(self, kmsUri, month, period);
            byte[] uidI = McIdentity.uid("sip:gms@bench.example", kmsUri, month, period);
            Eccsi.SigningKey gms = Eccsi.issue(ksak, uidI);
            Sakke.KmsKey kms = Sakke.kmsKey(zPub);
            List<byte[]> built = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                byte[] key = new byte[Sakke.SSV_LENGTH];
                random.nextBytes(key);
                byte[] rand = new byte[16];
                random.nextBytes(rand);
                int pckId = McIdentity.Purpose.PCK.tag(i + 1);
                built.add(new MikeyMessageBuilder().csbId(pckId).ntpSeconds(ntp).rand(rand)
                        .identity(MikeyMessage.ROLE_UID_I, uidI).identity(MikeyMessage.ROLE_UID_R, uidR)
                        .identity(MikeyMessage.ROLE_KMS_I, kmsUri.getBytes(StandardCharsets.US_ASCII))
                        .identity(MikeyMessage.ROLE_KMS_R, kmsUri.getBytes(StandardCharsets.US_ASCII))
                        .build(Sakke.encapsulate(key, uidR, kms), gms));
            }
            gms.close();
            try (KeyVault vault = SoftVault.open(dir.resolve("bench.bcfks"), "bench".toCharArray(), true,
                    AuditLog.inMemory(), clock);
                    MikeySakkeReceiver receiver = new MikeySakkeReceiver(vault, clock, Duration.ofMinutes(5))) {
                receiver.join("bench", kmsUri, kpak, zPub, month, self);
                receiver.addRsk(kmsUri, period, Sakke.receiverSecretKey(z, uidR));
                long start = System.nanoTime();
                for (byte[] m : built) {
                    receiver.receive(m);
                }
                long elapsed = System.nanoTime() - start;
                return String.format("BENCH mikey_receive %d", Math.round(messages * 1e9 / elapsed));
            }
        } catch (IOException | VaultException | MikeyException e) {
            throw new IllegalStateException("mikey_receive benchmark failed: " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                try {
                    isg.demo.Lab.deleteTree(dir);
                } catch (IOException ignored) {
                    // a temporary directory left behind is harmless
                }
            }
        }
    }

    /**
     * Warms {@code op} up for {@code seconds}, then runs it at least twice and for at least
     * {@code seconds}; every run must succeed.
     */
    static String line(String name, double seconds, BooleanSupplier op) {
        long budget = (long) (seconds * 1e9);
        long warm = System.nanoTime();
        do {
            if (!op.getAsBoolean()) {
                throw new IllegalStateException(name + " failed on valid input");
            }
        } while (System.nanoTime() - warm < budget);
        long start = System.nanoTime();
        long n = 0;
        long elapsed;
        do {
            if (!op.getAsBoolean()) {
                throw new IllegalStateException(name + " failed on valid input");
            }
            n++;
            elapsed = System.nanoTime() - start;
        } while (elapsed < budget || n < 2);
        return String.format("BENCH %s %d", name, Math.round(n * 1e9 / elapsed));
    }
}
