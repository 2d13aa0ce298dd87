package isg.mc;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.custom.sec.SecP256R1Curve;

/**
 * ECCSI, RFC 6507: identity-based signatures on NIST P-256 with SHA-256 (N = 32), the signature
 * scheme of MIKEY-SAKKE (RFC 6509) and of TS 33.180.
 *
 * <p>A KMS holds the secret KSAK and publishes KPAK = [KSAK]G. For each identity it issues a
 * secret signing key SSK and a public validation token PVT; the signer validates the pair once
 * (§5.1.2) and carries the PVT in every signature, so a verifier needs nothing but the KMS's
 * KPAK and the signer's identity.
 *
 * <p>Secrets: the only scalar multiplication with a secret is [j]G in signing, done with Bouncy
 * Castle's fixed-point comb (the same regular, table-driven multiplier its ECDSA uses for the
 * nonce). The SSK enters only modular arithmetic on {@link BigInteger}, which Java does not make
 * constant-time; byte copies of secrets are wiped, {@code BigInteger}s cannot be.
 */
public final class Eccsi {

    /** Octets of an integer modulo p or q. */
    public static final int N = 32;
    /** Octets of an uncompressed point (0x04 || x || y). */
    public static final int POINT_LENGTH = 2 * N + 1;
    /** Octets of a signature: r || s || PVT (§3.3). */
    public static final int SIGNATURE_LENGTH = 2 * N + POINT_LENGTH;

    private static final X9ECParameters P256 = ECNamedCurveTable.getByName("P-256");
    /** The module's P-256 with its dedicated field arithmetic (the named-curve table gives the generic one). */
    private static final ECCurve CURVE = new SecP256R1Curve();
    private static final ECPoint G = CURVE.decodePoint(P256.getG().getEncoded(false));
    private static final BigInteger Q = CURVE.getOrder();
    private static final BigInteger P = CURVE.getField().getCharacteristic();
    private static final byte[] G_OCTETS = G.getEncoded(false);

    private Eccsi() {
    }

    // ---- KMS side: used by the lab KMS and the tests; a gateway never holds a KSAK ----

    /** KPAK = [KSAK]G, the KMS public authentication key. */
    public static byte[] kpak(BigInteger ksak) {
        return new FixedPointCombMultiplier().multiply(G, ksak.mod(Q)).getEncoded(false);
    }

    /** Issues a signing key for {@code id} under the KMS secret {@code ksak} (§5.1.1). */
    public static SigningKey issue(BigInteger ksak, byte[] id) {
        while (true) {
            BigInteger v = new BigInteger(Q.bitLength(), McCrypto.random());
            if (v.signum() > 0 && v.compareTo(Q) < 0) {
                SigningKey k = issue(ksak, id, v);
                if (k != null) {
                    return k;
                }
            }
        }
    }

    /** §5.1.1 with the ephemeral v given (the RFC's Appendix A fixes it); null if SSK comes out 0. */
    static SigningKey issue(BigInteger ksak, byte[] id, BigInteger v) {
        byte[] kpak = kpak(ksak);
        byte[] pvt = new FixedPointCombMultiplier().multiply(G, v).getEncoded(false);
        byte[] hs = hs(kpak, id, pvt);
        BigInteger ssk = ksak.add(McCrypto.integer(hs).multiply(v)).mod(Q);
        if (ssk.signum() == 0) {
            return null;
        }
        return new SigningKey(kpak, id, McCrypto.octets(ssk, N), pvt, hs);
    }

    // ---- member side ----

    /**
     * Validates an SSK/PVT pair a KMS issued to {@code id} (§5.1.2): the PVT is a point of the
     * curve, and KPAK = [SSK]G - [HS]PVT. The key returned owns a copy of {@code ssk}.
     */
    public static SigningKey validate(byte[] kpak, byte[] id, byte[] ssk, byte[] pvt) throws KeyMaterialException {
        ECPoint kpakPoint = point(kpak, "KPAK");
        ECPoint pvtPoint = point(pvt, "PVT");
        if (ssk == null || ssk.length != N) {
            throw new KeyMaterialException("SSK must be " + N + " octets");
        }
        BigInteger s = McCrypto.integer(ssk);
        if (s.signum() == 0 || s.compareTo(Q) >= 0) {
            throw new KeyMaterialException("SSK is not in [1, q-1]");
        }
        byte[] hs = hs(kpak, id, pvt);
        ECPoint expected = ECAlgorithms.sumOfTwoMultiplies(G, s, pvtPoint.negate(), McCrypto.integer(hs));
        if (!expected.equals(kpakPoint)) {
            throw new KeyMaterialException("SSK and PVT do not belong to this identity under this KPAK (RFC 6507 5.1.2)");
        }
        return new SigningKey(kpak.clone(), id.clone(), ssk.clone(), pvt.clone(), hs);
    }

    /** Arithmetic modulo the group order q, constant-time, for the steps of signing that touch secrets. */
    private static final MontgomeryField FQ = new MontgomeryField(Q);

    /** Signs {@code message} (§5.2.1); the result is r || s || PVT. */
    public static byte[] sign(SigningKey key, byte[] message) {
        while (true) {
            BigInteger j = new BigInteger(Q.bitLength(), McCrypto.random());
            if (j.signum() > 0 && j.compareTo(Q) < 0) {
                byte[] sig = sign(key, message, j);
                if (sig != null) {
                    return sig;
                }
            }
        }
    }

    /** §5.2.1 with the ephemeral j given; null when this j must be replaced (step 4 or r = 0). */
    static byte[] sign(SigningKey key, byte[] message, BigInteger j) {
        key.checkOpen();
        ECPoint jPoint = new FixedPointCombMultiplier().multiply(G, j).normalize();
        BigInteger r = jPoint.getAffineXCoord().toBigInteger();
        byte[] rOctets = McCrypto.octets(r, N);
        BigInteger he = McCrypto.integer(he(key.hs, rOctets, message));
        if (r.mod(Q).signum() == 0) {
            return null;
        }
        // t = HE + r SSK and s = j / t mod q touch the SSK and j: constant-time Montgomery arithmetic
        long[] ssk = FQ.fromBigInteger(McCrypto.integer(key.ssk));
        long[] t = FQ.fromBigInteger(r);
        FQ.mul(t, ssk, t);
        FQ.add(t, FQ.fromBigInteger(he), t);
        long nonZero = 0;
        for (long w : t) {
            nonZero |= w;
        }
        if (nonZero == 0) {
            java.util.Arrays.fill(ssk, 0);
            return null;
        }
        long[] jm = FQ.fromBigInteger(j);
        FQ.invert(t, t);
        FQ.mul(jm, t, jm);
        BigInteger s = FQ.toBigInteger(jm);
        for (long[] x : new long[][] {ssk, t, jm}) {
            java.util.Arrays.fill(x, 0);
        }
        // s < q < 2^256 always fits N octets on P-256, so the RFC's "q - s'" case never arises.
        byte[] sig = new byte[SIGNATURE_LENGTH];
        System.arraycopy(rOctets, 0, sig, 0, N);
        System.arraycopy(McCrypto.octets(s, N), 0, sig, N, N);
        System.arraycopy(key.pvt, 0, sig, 2 * N, POINT_LENGTH);
        return sig;
    }

    /** Verifies a signature by {@code id} under the KMS's {@code kpak} (§5.2.2). Never throws on bad input. */
    public static boolean verify(byte[] kpak, byte[] id, byte[] message, byte[] signature) {
        if (signature == null || signature.length != SIGNATURE_LENGTH || kpak == null || id == null || message == null) {
            return false;
        }
        ECPoint kpakPoint;
        ECPoint pvtPoint;
        byte[] pvt = Arrays.copyOfRange(signature, 2 * N, SIGNATURE_LENGTH);
        try {
            kpakPoint = point(kpak, "KPAK");
            pvtPoint = point(pvt, "PVT");
        } catch (KeyMaterialException e) {
            return false;
        }
        BigInteger r = McCrypto.integer(signature, 0, N);
        BigInteger s = McCrypto.integer(signature, N, N);
        if (r.signum() == 0 || r.compareTo(P) >= 0 || s.signum() == 0 || s.compareTo(Q) >= 0) {
            return false;
        }
        byte[] hs = hs(kpak, id, pvt);
        BigInteger he = McCrypto.integer(he(hs, Arrays.copyOfRange(signature, 0, N), message));
        ECPoint y = pvtPoint.multiply(McCrypto.integer(hs)).add(kpakPoint);
        ECPoint j = ECAlgorithms.sumOfTwoMultiplies(G, he, y, r).multiply(s).normalize();
        if (j.isInfinity()) {
            return false;
        }
        BigInteger jx = j.getAffineXCoord().toBigInteger();
        return jx.signum() != 0 && jx.equals(r);
    }

    /** HS = hash(G || KPAK || ID || PVT). */
    static byte[] hs(byte[] kpak, byte[] id, byte[] pvt) {
        return McCrypto.sha256(G_OCTETS, kpak, id, pvt);
    }

    /** HE = hash(HS || r || M). */
    static byte[] he(byte[] hs, byte[] r, byte[] message) {
        return McCrypto.sha256(hs, r, message);
    }

    private static ECPoint point(byte[] octets, String what) throws KeyMaterialException {
        if (octets == null || octets.length != POINT_LENGTH || octets[0] != 0x04) {
            throw new KeyMaterialException(what + " must be an uncompressed P-256 point of " + POINT_LENGTH + " octets");
        }
        try {
            ECPoint p = CURVE.decodePoint(octets);
            if (p.isInfinity() || !p.isValid()) {
                throw new KeyMaterialException(what + " is not a point of P-256");
            }
            return p;
        } catch (IllegalArgumentException e) {
            throw new KeyMaterialException(what + " is not a point of P-256");
        }
    }

    /** An identity's validated ECCSI signing key: SSK (secret), PVT, and the HS both signing and verifying use. */
    public static final class SigningKey implements AutoCloseable {

        private final byte[] kpak;
        private final byte[] id;
        private final byte[] ssk;
        private final byte[] pvt;
        private final byte[] hs;
        private volatile boolean closed;

        SigningKey(byte[] kpak, byte[] id, byte[] ssk, byte[] pvt, byte[] hs) {
            this.kpak = kpak;
            this.id = id;
            this.ssk = ssk;
            this.pvt = pvt;
            this.hs = hs;
        }

        public byte[] pvt() {
            return pvt.clone();
        }

        public byte[] id() {
            return id.clone();
        }

        public byte[] kpak() {
            return kpak.clone();
        }

        byte[] hs() {
            return hs.clone();
        }

        /** The SSK, for the vault only; callers wipe their copy. */
        byte[] sskCopy() {
            checkOpen();
            return ssk.clone();
        }

        private void checkOpen() {
            if (closed) {
                throw new IllegalStateException("ECCSI signing key was closed");
            }
        }

        @Override
        public void close() {
            closed = true;
            McCrypto.wipe(ssk);
        }

        @Override
        public String toString() {
            return "EccsiSigningKey[id=" + id.length + " octets, SSK withheld]";
        }

        boolean sameSsk(byte[] other) {
            return MessageDigest.isEqual(ssk, other);
        }
    }
}
