package isg.mc;

import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * SAKKE, RFC 6508, with parameter set 1 of RFC 6509 Appendix A (the set TS 33.180 uses): the
 * supersingular curve E: y^2 = x^3 - 3x over a 1024-bit prime p = 3 mod 4, a subgroup of prime
 * order q, embedding degree 2, SHA-256, and 128-bit shared secret values (SSV).
 *
 * <p>A KMS holds the master secret z and publishes Z = [z]P. A receiver with identifier a holds
 * RSK = [(a + z)^-1]P. A sender encapsulates an SSV to a with nothing but Z; the receiver recovers
 * it with the pairing &lt;R, RSK&gt;.
 *
 * <p>The pairing is the reduced Tate pairing of §3.2 as a Miller loop over the bits of q - 1 with
 * the distortion map (x, y) -> (-x, iy), run once over a receiver's fixed RSK ({@link Receiver});
 * values of F_p^2 = F_p[i] (i^2 = -1) are kept only up to a factor in F_p*, which the
 * final exponentiation removes ({@link Pfp}).
 *
 * <p>Secrets: the pairing evaluation (whose lines come from the RSK, and whose value gives the
 * SSV), the final exponentiation, the projection (a Fermat inversion) and g^r (a Montgomery ladder
 * swapping by masks) run on {@link MontgomeryField}, whose operations and memory accesses do not
 * depend on the values, and so does the multiplication by r ({@link SakkeCurve}: complete
 * addition, a fixed window read by masks). The lines themselves are computed once per RSK, at
 * start, with BigInteger; the KMS-side operations (the lab KMS, tests) use Bouncy Castle's.
 */
public final class Sakke {

    /** Octets of an element of F_p (L = ceil(lg p / 8)). */
    public static final int L = 128;
    /** Octets of the SSV (n = 128 bits). */
    public static final int SSV_LENGTH = 16;
    /** Octets of an encoded point. */
    public static final int POINT_LENGTH = 2 * L + 1;
    /** Octets of the Encapsulated Data R || H (§4). */
    public static final int ENCAPSULATED_LENGTH = POINT_LENGTH + SSV_LENGTH;

    static final BigInteger P = hex(
            "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2E"
            + "F40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0"
            + "E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA"
            + "9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB");
    static final BigInteger Q = hex(
            "265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068B"
            + "BD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4"
            + "389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026A"
            + "A7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB");
    private static final BigInteger PX = hex(
            "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBF"
            + "B5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE890"
            + "9760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910D"
            + "D5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895");
    private static final BigInteger PY = hex(
            "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178"
            + "F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B9"
            + "70DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F2"
            + "13515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7");
    /** g = &lt;P, P&gt;, in the F_p representation of PF_p. */
    static final BigInteger G = hex(
            "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87"
            + "371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BE"
            + "EE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFA"
            + "D682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46");

    private static final BigInteger THREE = BigInteger.valueOf(3);
    static final BigInteger COFACTOR = P.add(BigInteger.ONE).divide(Q);
    private static final BigInteger SSV_RANGE = BigInteger.ONE.shiftLeft(8 * SSV_LENGTH);
    static final ECCurve CURVE = new ECCurve.Fp(P, P.subtract(THREE), BigInteger.ZERO, Q, COFACTOR);
    /** F_p in Montgomery form, constant-time: the pairing evaluation, the final exponentiation and g^r run on it. */
    static final MontgomeryField F = new MontgomeryField(P);
    static final ECPoint BASE = CURVE.createPoint(PX, PY);

    private Sakke() {
    }

    // ---- KMS side: the lab KMS and the tests ----

    /** Z = [z]P, the KMS public key. */
    public static byte[] kmsPublicKey(BigInteger z) {
        return encode(new FixedPointCombMultiplier().multiply(BASE, z.mod(Q)));
    }

    /** RSK = [(a + z)^-1]P for identifier {@code id} (§6.1.1). */
    public static byte[] receiverSecretKey(BigInteger z, byte[] id) {
        BigInteger inv = McCrypto.integer(id).add(z).mod(Q).modInverse(Q);
        return encode(new FixedPointCombMultiplier().multiply(BASE, inv));
    }

    // ---- member side ----

    /** A KMS public key, checked once: a point of the curve in the order-q subgroup. */
    public static KmsKey kmsKey(byte[] z) throws KeyMaterialException {
        ECPoint p = decode(z, "KMS public key Z");
        if (!p.multiply(Q).isInfinity()) {
            throw new KeyMaterialException("KMS public key Z is not in the subgroup of order q");
        }
        return new KmsKey(z.clone(), p);
    }

    /** Validates an RSK for {@code id} under {@code kms} (§6.1.2: &lt;[a]P + Z, RSK&gt; = g). */
    public static void validateRsk(KmsKey kms, byte[] id, byte[] rsk) throws KeyMaterialException {
        receiver(kms, id, rsk).close();
    }

    /** Encapsulates {@code ssv} to {@code id} under {@code kms} (§6.2.1): returns R || H. */
    public static byte[] encapsulate(byte[] ssv, byte[] id, KmsKey kms) {
        if (ssv.length != SSV_LENGTH) {
            throw new IllegalArgumentException("an SSV is " + SSV_LENGTH + " octets");
        }
        byte[] ssvId = concat(ssv, id);
        BigInteger r = hashToIntegerRange(ssvId, Q);
        McCrypto.wipe(ssvId);
        ECPoint rPoint = senderPoint(r, McCrypto.integer(id), kms);
        byte[] gr = McCrypto.octets(Pfp.power(G, r), L);
        byte[] mask = McCrypto.octets(hashToIntegerRange(gr, SSV_RANGE), SSV_LENGTH);
        byte[] out = new byte[ENCAPSULATED_LENGTH];
        System.arraycopy(encode(rPoint), 0, out, 0, POINT_LENGTH);
        for (int i = 0; i < SSV_LENGTH; i++) {
            out[POINT_LENGTH + i] = (byte) (ssv[i] ^ mask[i]);
        }
        McCrypto.wipe(gr, mask);
        return out;
    }

    /**
     * Recovers the SSV from R || H (§6.2.2) with the receiver's {@code rsk}. Rejects anything that
     * is not a point of the curve, and any encapsulation whose R the recovered SSV does not
     * reproduce (step 5), so a forged or altered one never yields a key. A receiver that
     * decapsulates often keeps a {@link Receiver} instead.
     */
    public static byte[] decapsulate(byte[] encapsulated, byte[] id, byte[] rsk, KmsKey kms) throws KeyMaterialException {
        try (Receiver r = receiver(kms, id, rsk)) {
            return r.decapsulate(encapsulated);
        }
    }

    /**
     * A receiver's SAKKE key for one identifier under one KMS, validated (§6.1.2) and prepared for
     * fast decapsulation: the pairing is symmetric on this curve (&lt;R, K&gt; = &lt;K, R&gt;
     * for R, K in the order-q subgroup), so the Miller loop can walk the fixed RSK once and keep
     * each step's line (slope and offset); a decapsulation then only evaluates those lines at R.
     * The lines are as secret as the RSK: they live in one array that {@link #close()} wipes.
     */
    public static Receiver receiver(KmsKey kms, byte[] id, byte[] rsk) throws KeyMaterialException {
        ECPoint k = decode(rsk, "RSK");
        // a point of the curve outside the order-q subgroup ((0, 0) is one, of order 2) is no RSK,
        // and would break the Miller loop's line slopes (a division by zero) before the pairing check
        if (!k.multiply(Q).isInfinity()) {
            throw new KeyMaterialException("RSK is not a point of order q (a degenerate or small-order point of the "
                    + "curve; RFC 6508 §2.1)");
        }
        Receiver r = new Receiver(kms, id.clone(), k);
        ECPoint aPZ = BASE.multiply(McCrypto.integer(id).mod(Q)).add(kms.point).normalize();
        BigInteger w = r.pair(aPZ);
        if (w == null || !w.equals(G)) {
            r.close();
            throw new KeyMaterialException("RSK does not belong to this identifier under this KMS (RFC 6508 6.1.2)");
        }
        return r;
    }

    /** See {@link #receiver(KmsKey, byte[], byte[])}. */
    public static final class Receiver implements AutoCloseable {

        private static final BigInteger LOOP = Q.subtract(BigInteger.ONE);
        /** One line per doubling and per addition of the Miller loop. */
        private static final int LINES = LOOP.bitLength() - 1 + LOOP.bitCount() - 1;

        private final KmsKey kms;
        private final byte[] id;
        private final BigInteger b;
        /** [b]P + Z: fixed for this receiver (and public), so step 5's [r]([b]P + Z) is one multiplication. */
        private final SakkeCurve.Point bPZ;
        /** For each line lambda x + mu - y, its slope and offset in Montgomery form, one after the other. */
        private final long[] lines = new long[LINES * 2 * F.limbs];
        private volatile boolean closed;

        private Receiver(KmsKey kms, byte[] id, ECPoint k) {
            this.kms = kms;
            this.id = id;
            this.b = McCrypto.integer(id);
            this.bPZ = point(BASE.multiply(b.mod(Q)).add(kms.point));
            k = k.normalize();
            BigInteger kx = k.getAffineXCoord().toBigInteger();
            BigInteger ky = k.getAffineYCoord().toBigInteger();
            BigInteger cx = kx;
            BigInteger cy = ky;
            int n = 0;
            for (int bit = LOOP.bitLength() - 2; bit >= 0; bit--) {
                BigInteger lambda = THREE.multiply(cx.multiply(cx).subtract(BigInteger.ONE))
                        .multiply(cy.shiftLeft(1).modInverse(P)).mod(P);
                store(n++, lambda, lambda.multiply(cx).subtract(cy).mod(P));
                BigInteger x3 = lambda.multiply(lambda).subtract(cx.shiftLeft(1)).mod(P);
                cy = lambda.multiply(cx.subtract(x3)).subtract(cy).mod(P);
                cx = x3;
                if (LOOP.testBit(bit)) {
                    lambda = cy.subtract(ky).multiply(cx.subtract(kx).mod(P).modInverse(P)).mod(P);
                    store(n++, lambda, lambda.multiply(cx).subtract(cy).mod(P));
                    x3 = lambda.multiply(lambda).subtract(cx).subtract(kx).mod(P);
                    cy = lambda.multiply(cx.subtract(x3)).subtract(cy).mod(P);
                    cx = x3;
                }
            }
        }

        private void store(int n, BigInteger lambda, BigInteger mu) {
            long[] l = F.fromBigInteger(lambda);
            long[] m = F.fromBigInteger(mu);
            System.arraycopy(l, 0, lines, 2 * F.limbs * n, F.limbs);
            System.arraycopy(m, 0, lines, 2 * F.limbs * n + F.limbs, F.limbs);
            Arrays.fill(l, 0);
            Arrays.fill(m, 0);
        }

        /**
         * &lt;K, R&gt; = &lt;R, K&gt;: each line at the image (-Rx, i Ry) of R is
         * lambda Rx + mu + i Ry; divided by Ry (an F_p factor, which the projection drops) it is
         * c + i with c = lambda (Rx/Ry) + mu (1/Ry), so a step costs a square and a multiply by c.
         */
        BigInteger pair(ECPoint r) {
            if (closed) {
                throw new IllegalStateException("SAKKE receiver key was closed");
            }
            r = r.normalize();
            BigInteger ry = r.getAffineYCoord().toBigInteger();
            if (ry.signum() == 0) {
                return null;
            }
            // R is public: its coordinates may go through BigInteger
            BigInteger wInt = ry.modInverse(P);
            long[] w = F.fromBigInteger(wInt);
            long[] u = F.fromBigInteger(r.getAffineXCoord().toBigInteger().multiply(wInt));
            long[] va = F.one();
            long[] vb = F.zero();
            long[] c = F.zero();
            long[] sa = F.zero();
            long[] sb = F.zero();
            long[] t1 = F.zero();
            long[] t2 = F.zero();
            long[] lambda = F.zero();
            long[] mu = F.zero();
            int n = 0;
            for (int bit = LOOP.bitLength() - 2; bit >= 0; bit--) {
                // v = v^2 (c + i): (va + i vb)^2 = sa + i sb with sa = (va + vb)(va - vb), sb = 2 va vb
                line(n++, u, w, lambda, mu, c);
                F.add(va, vb, t1);
                F.sub(va, vb, t2);
                F.mul(t1, t2, sa);
                F.mul(va, vb, sb);
                F.add(sb, sb, sb);
                F.mul(sa, c, t1);
                F.sub(t1, sb, va);
                F.mul(sb, c, t2);
                F.add(t2, sa, vb);
                if (LOOP.testBit(bit)) { // q is public
                    line(n++, u, w, lambda, mu, c);
                    F.mul(va, c, t1);
                    F.sub(t1, vb, t1);
                    F.mul(vb, c, t2);
                    F.add(t2, va, vb);
                    System.arraycopy(t1, 0, va, 0, F.limbs);
                }
            }
            BigInteger out = Pfp.finalExponentiation(va, vb);
            for (long[] x : new long[][] {va, vb, c, sa, sb, t1, t2, lambda, mu, u, w}) {
                Arrays.fill(x, 0);
            }
            return out;
        }

        /** out = lambda u + mu w for line n. */
        private void line(int n, long[] u, long[] w, long[] lambda, long[] mu, long[] out) {
            System.arraycopy(lines, 2 * F.limbs * n, lambda, 0, F.limbs);
            System.arraycopy(lines, 2 * F.limbs * n + F.limbs, mu, 0, F.limbs);
            F.mul(lambda, u, lambda);
            F.mul(mu, w, mu);
            F.add(lambda, mu, out);
        }

        /** Recovers the SSV from R || H (§6.2.2); see {@link Sakke#decapsulate}. */
        public byte[] decapsulate(byte[] encapsulated) throws KeyMaterialException {
            if (encapsulated == null || encapsulated.length != ENCAPSULATED_LENGTH) {
                throw new KeyMaterialException("SAKKE encapsulated data must be " + ENCAPSULATED_LENGTH + " octets");
            }
            ECPoint rPoint = decode(Arrays.copyOfRange(encapsulated, 0, POINT_LENGTH), "SAKKE point R");
            BigInteger w = pair(rPoint);
            if (w == null) {
                throw new KeyMaterialException("SAKKE point R is not in the subgroup of order q");
            }
            byte[] wOctets = McCrypto.octets(w, L);
            byte[] mask = McCrypto.octets(hashToIntegerRange(wOctets, SSV_RANGE), SSV_LENGTH);
            byte[] ssv = new byte[SSV_LENGTH];
            for (int i = 0; i < SSV_LENGTH; i++) {
                ssv[i] = (byte) (encapsulated[POINT_LENGTH + i] ^ mask[i]);
            }
            byte[] ssvId = concat(ssv, id);
            BigInteger r = hashToIntegerRange(ssvId, Q);
            SakkeCurve.Point test = SakkeCurve.multiply(bPZ, r, Q.bitLength());
            McCrypto.wipe(wOctets, mask, ssvId);
            boolean same = SakkeCurve.equalsAffine(test, rPoint.getAffineXCoord().toBigInteger(),
                    rPoint.getAffineYCoord().toBigInteger());
            test.wipe();
            if (!same) {
                McCrypto.wipe(ssv);
                throw new KeyMaterialException(
                        "SAKKE encapsulation does not verify (RFC 6508 6.2.2 step 5): not for this identity or altered");
            }
            return ssv;
        }

        public KmsKey kms() {
            return kms;
        }

        public byte[] id() {
            return id.clone();
        }

        @Override
        public void close() {
            closed = true;
            Arrays.fill(lines, 0);
        }

        @Override
        public String toString() {
            return "SakkeReceiver[id=" + id.length + " octets, RSK withheld]";
        }
    }

    /** R = [r]([b]P + Z) (§6.2.1 step 3): [b]P + Z is public, the multiplication by r (from the SSV) constant-time. */
    private static ECPoint senderPoint(BigInteger r, BigInteger b, KmsKey kms) {
        SakkeCurve.Point rp = SakkeCurve.multiply(point(BASE.multiply(b.mod(Q)).add(kms.point)), r, Q.bitLength());
        BigInteger[] xy = SakkeCurve.affine(rp);
        rp.wipe();
        return CURVE.createPoint(xy[0], xy[1]);
    }

    private static SakkeCurve.Point point(ECPoint p) {
        ECPoint n = p.normalize();
        return SakkeCurve.Point.of(n.getAffineXCoord().toBigInteger(), n.getAffineYCoord().toBigInteger());
    }

    // ---- RFC 6508 §5.1 ----

    /** HashToIntegerRange(s, n, SHA-256). */
    static BigInteger hashToIntegerRange(byte[] s, BigInteger n) {
        byte[] a = McCrypto.sha256(s);
        byte[] h = new byte[32];
        int l = (n.bitLength() + 255) / 256;
        byte[] v = new byte[32 * l];
        for (int i = 0; i < l; i++) {
            h = McCrypto.sha256(h);
            System.arraycopy(McCrypto.sha256(h, a), 0, v, 32 * i, 32);
        }
        BigInteger out = McCrypto.integer(v).mod(n);
        McCrypto.wipe(a, h, v);
        return out;
    }

    // ---- encoding ----

    static byte[] encode(ECPoint p) {
        ECPoint n = p.normalize();
        byte[] out = new byte[POINT_LENGTH];
        out[0] = 0x04;
        System.arraycopy(McCrypto.octets(n.getAffineXCoord().toBigInteger(), L), 0, out, 1, L);
        System.arraycopy(McCrypto.octets(n.getAffineYCoord().toBigInteger(), L), 0, out, 1 + L, L);
        return out;
    }

    static ECPoint decode(byte[] octets, String what) throws KeyMaterialException {
        if (octets == null || octets.length != POINT_LENGTH || octets[0] != 0x04) {
            throw new KeyMaterialException(what + " must be an uncompressed point of " + POINT_LENGTH + " octets");
        }
        BigInteger x = McCrypto.integer(octets, 1, L);
        BigInteger y = McCrypto.integer(octets, 1 + L, L);
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            throw new KeyMaterialException(what + " has a coordinate outside F_p");
        }
        BigInteger lhs = y.multiply(y).mod(P);
        BigInteger rhs = x.multiply(x).subtract(THREE).multiply(x).mod(P);
        if (!lhs.equals(rhs)) {
            throw new KeyMaterialException(what + " is not a point of the SAKKE curve");
        }
        return CURVE.createPoint(x, y);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static BigInteger hex(String h) {
        return new BigInteger(h, 16);
    }

    /** A KMS's SAKKE public key Z, validated, with its precomputation cached on the point. */
    public static final class KmsKey {

        private final byte[] octets;
        final ECPoint point;

        KmsKey(byte[] octets, ECPoint point) {
            this.octets = octets;
            this.point = point;
        }

        public byte[] octets() {
            return octets.clone();
        }
    }
}
