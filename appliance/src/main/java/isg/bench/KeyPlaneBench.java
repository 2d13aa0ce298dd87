package isg.bench;

import isg.mc.Eccsi;
import isg.mc.KeyMaterialException;
import isg.mc.Sakke;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The key plane's public-key operations per second, one thread, on keys of a KMS made for the
 * run: ECCSI signature verification and signing, SAKKE decapsulation (one pairing, two
 * fixed-point multiplications) and encapsulation. Printed as {@code BENCH <op> <per_s>}.
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
        return out;
    }

    /** Runs {@code op} at least twice and for at least {@code seconds}; every run must succeed. */
    static String line(String name, double seconds, BooleanSupplier op) {
        if (!op.getAsBoolean()) {
            throw new IllegalStateException(name + " failed on valid input");
        }
        long budget = (long) (seconds * 1e9);
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
