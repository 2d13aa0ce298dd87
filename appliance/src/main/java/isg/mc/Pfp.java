package isg.mc;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * PF_p, the group SAKKE's pairing values live in (RFC 6508 §2.1): elements of F_p^2 = F_p[i]
 * (i^2 = -1) up to a factor in F_p*, an element x1 + i x2 represented by x2/x1. The end of the
 * pairing (§3.2: raising to (p + 1) / q, then projecting) and g^r run here, on the constant-time
 * {@link MontgomeryField} of SAKKE's p.
 */
final class Pfp {

    private static final MontgomeryField F = Sakke.F;
    private static final BigInteger COFACTOR = Sakke.COFACTOR;

    private Pfp() {
    }

    /**
     * The end of the pairing: the Miller loop's value v = va + i vb raised to (p + 1) / q (the
     * (p - 1) part of the final exponentiation is the projection to PF_p), in the F_p
     * representation; null for a degenerate v.
     */
    static BigInteger finalExponentiation(BigInteger va, BigInteger vb) {
        return finalExponentiation(F.fromBigInteger(va), F.fromBigInteger(vb));
    }

    static BigInteger finalExponentiation(long[] va, long[] vb) {
        // the exponent (p + 1) / q is public: square and multiply (a third fewer products than the ladder)
        long[] ra = F.one();
        long[] rb = F.zero();
        long[] t1 = F.zero();
        long[] t2 = F.zero();
        long[] t3 = F.zero();
        for (int i = COFACTOR.bitLength() - 1; i >= 0; i--) {
            F.add(ra, rb, t1);
            F.sub(ra, rb, t2);
            F.mul(ra, rb, t3);
            F.add(t3, t3, rb);
            F.mul(t1, t2, ra);
            if (COFACTOR.testBit(i)) {
                F.mul(ra, va, t1);
                F.mul(rb, vb, t2);
                F.mul(ra, vb, t3);
                F.mul(rb, va, rb);
                F.add(t3, rb, rb);
                F.sub(t1, t2, ra);
            }
        }
        for (long[] x : new long[][] {t1, t2, t3}) {
            Arrays.fill(x, 0);
        }
        return project(ra, rb);
    }

    /** x1 + i x2 as the element x2/x1 of PF_p (inverted by Fermat, constant-time); null when x1 = 0. */
    private static BigInteger project(long[] x1, long[] x2) {
        long any = 0;
        for (long w : x1) {
            any |= w;
        }
        if (any == 0) {
            return null;
        }
        long[] inv = F.zero();
        F.invert(x1, inv);
        F.mul(x2, inv, inv);
        BigInteger out = F.toBigInteger(inv);
        Arrays.fill(inv, 0);
        Arrays.fill(x1, 0);
        Arrays.fill(x2, 0);
        return out;
    }

    /** g^r in PF_p for g given in its F_p representation: (1 + i g)^r, projected back. */
    static BigInteger power(BigInteger g, BigInteger e) {
        long[][] f = fp2Power(F.one(), F.fromBigInteger(g), e, Math.max(e.bitLength(), Sakke.Q.bitLength()));
        return project(f[0], f[1]);
    }

    /**
     * (a + i b)^e in F_p^2 by a Montgomery ladder over {@code bits} bits: each bit is one multiply
     * and one square, with the operands swapped in and out by masks, so the exponent (r, which
     * would give away the SSV) steers no branch and no memory access.
     */
    private static long[][] fp2Power(long[] a, long[] b, BigInteger e, int bits) {
        long[] exponent = new long[(bits + 63) / 64];
        byte[] eb = e.toByteArray();
        for (int i = 0; i < eb.length; i++) {
            int bit = 8 * (eb.length - 1 - i);
            if (bit < 64 * exponent.length) {
                exponent[bit >>> 6] |= (eb[i] & 0xFFL) << (bit & 63);
            }
        }
        Arrays.fill(eb, (byte) 0);
        long[] r0a = F.one();
        long[] r0b = F.zero();
        long[] r1a = a.clone();
        long[] r1b = b.clone();
        long[] t1 = F.zero();
        long[] t2 = F.zero();
        long[] t3 = F.zero();
        for (int i = bits - 1; i >= 0; i--) {
            long bit = (exponent[i >>> 6] >>> (i & 63)) & 1;
            MontgomeryField.swap(bit, r0a, r1a);
            MontgomeryField.swap(bit, r0b, r1b);
            // r1 = r0 r1 = (r0a r1a - r0b r1b) + i (r0a r1b + r0b r1a)
            F.mul(r0a, r1a, t1);
            F.mul(r0b, r1b, t2);
            F.mul(r0a, r1b, t3);
            F.mul(r0b, r1a, r1b);
            F.add(t3, r1b, r1b);
            F.sub(t1, t2, r1a);
            // r0 = r0^2 = (r0a + r0b)(r0a - r0b) + i 2 r0a r0b
            F.add(r0a, r0b, t1);
            F.sub(r0a, r0b, t2);
            F.mul(r0a, r0b, t3);
            F.add(t3, t3, r0b);
            F.mul(t1, t2, r0a);
            MontgomeryField.swap(bit, r0a, r1a);
            MontgomeryField.swap(bit, r0b, r1b);
        }
        for (long[] x : new long[][] {r1a, r1b, t1, t2, t3, exponent}) {
            Arrays.fill(x, 0);
        }
        return new long[][] {r0a, r0b};
    }
}
