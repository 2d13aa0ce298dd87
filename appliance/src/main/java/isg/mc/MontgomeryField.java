package isg.mc;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Arithmetic modulo an odd prime p in Montgomery form on 64-bit limbs (little-endian {@code long[]}
 * of {@link #limbs} words), written so that the sequence of operations and memory accesses never
 * depends on the values: carries and borrows are computed with bit operations, the final
 * subtraction and every choice are masks, and there are no branches on data. That is what
 * {@link BigInteger} does not give (its lengths, loops and normalisations follow the values), and
 * it is several times faster for the 1024-bit field of SAKKE.
 *
 * <p>Values are in Montgomery form (x R mod p, R = 2^(64 limbs)) between {@link #fromBigInteger}
 * and {@link #toBigInteger}; inputs to {@link #mul}, {@link #add} and {@link #sub} must be below p.
 */
final class MontgomeryField {

    final int limbs;
    final BigInteger modulus;
    private final long[] p;
    /** -p^-1 mod 2^64. */
    private final long pInv;
    /** R^2 mod p: multiplying by it enters Montgomery form. */
    private final long[] r2;
    private final long[] one;
    private final long[] pMinus2;

    MontgomeryField(BigInteger modulus) {
        if (!modulus.testBit(0) || modulus.bitLength() < 65) {
            throw new IllegalArgumentException("an odd modulus of more than 64 bits");
        }
        this.modulus = modulus;
        this.limbs = (modulus.bitLength() + 63) / 64;
        this.p = raw(modulus);
        long x = p[0]; // Newton's iteration for the inverse modulo 2^64: 3, 6, 12, 24, 48, 96 bits
        for (int i = 0; i < 5; i++) {
            x *= 2 - p[0] * x;
        }
        this.pInv = -x;
        BigInteger r = BigInteger.ONE.shiftLeft(64 * limbs);
        this.r2 = raw(r.multiply(r).mod(modulus));
        this.one = raw(r.mod(modulus));
        this.pMinus2 = raw(modulus.subtract(BigInteger.TWO));
    }

    /** A new zero. */
    long[] zero() {
        return new long[limbs];
    }

    /** A new Montgomery one. */
    long[] one() {
        return one.clone();
    }

    /** v mod p in Montgomery form. */
    long[] fromBigInteger(BigInteger v) {
        long[] out = raw(v.mod(modulus));
        mul(out, r2, out);
        return out;
    }

    /** Back from Montgomery form. */
    BigInteger toBigInteger(long[] a) {
        long[] unit = new long[limbs];
        unit[0] = 1;
        long[] t = new long[limbs];
        mul(a, unit, t);
        byte[] b = new byte[8 * limbs];
        for (int i = 0; i < limbs; i++) {
            long w = t[i];
            for (int k = 0; k < 8; k++) {
                b[b.length - 1 - 8 * i - k] = (byte) (w >>> (8 * k));
            }
        }
        BigInteger v = new BigInteger(1, b);
        Arrays.fill(b, (byte) 0);
        Arrays.fill(t, 0);
        return v;
    }

    private long[] raw(BigInteger v) {
        long[] out = new long[limbs];
        byte[] b = v.toByteArray();
        for (int i = 0; i < b.length; i++) {
            int bit = 8 * (b.length - 1 - i);
            if (bit < 64 * limbs) {
                out[bit >>> 6] |= (b[i] & 0xFFL) << (bit & 63);
            }
        }
        return out;
    }

    /** out = a b / R mod p (CIOS); out may be a or b. */
    void mul(long[] a, long[] b, long[] out) {
        int n = limbs;
        long[] t = new long[n + 2];
        for (int i = 0; i < n; i++) {
            long bi = b[i];
            long c = 0;
            for (int j = 0; j < n; j++) {
                long lo = a[j] * bi;
                long hi = unsignedMultiplyHigh(a[j], bi);
                long s = lo + t[j];
                hi += carry(lo, t[j], s);
                long s2 = s + c;
                hi += carry(s, c, s2);
                t[j] = s2;
                c = hi;
            }
            long s = t[n] + c;
            t[n + 1] = carry(t[n], c, s);
            t[n] = s;
            long m = t[0] * pInv;
            long lo = m * p[0];
            long hi = unsignedMultiplyHigh(m, p[0]);
            long s0 = lo + t[0];
            c = hi + carry(lo, t[0], s0);
            for (int j = 1; j < n; j++) {
                lo = m * p[j];
                hi = unsignedMultiplyHigh(m, p[j]);
                long s1 = lo + t[j];
                hi += carry(lo, t[j], s1);
                long s2 = s1 + c;
                hi += carry(s1, c, s2);
                t[j - 1] = s2;
                c = hi;
            }
            s = t[n] + c;
            t[n - 1] = s;
            t[n] = t[n + 1] + carry(t[n], c, s);
        }
        reduceOnce(t, t[n], out);
        Arrays.fill(t, 0);
    }

    /** out = a + b mod p. */
    void add(long[] a, long[] b, long[] out) {
        long[] s = new long[limbs];
        reduceOnce(s, addLimbs(a, b, -1L, s), out);
    }

    /** out = a - b mod p. */
    void sub(long[] a, long[] b, long[] out) {
        long[] d = new long[limbs];
        long mask = -subtractLimbs(a, b, d); // add p back when the difference went negative
        addLimbs(d, p, mask, out);
    }

    /** a^(p-2) = a^-1 (0 for 0), with the same operations for every a. */
    void invert(long[] a, long[] out) {
        long[] r = one();
        long[] base = a.clone();
        for (int i = 64 * limbs - 1; i >= 0; i--) {
            mul(r, r, r);
            if (((pMinus2[i >>> 6] >>> (i & 63)) & 1) != 0) { // the exponent is public: p - 2
                mul(r, base, r);
            }
        }
        System.arraycopy(r, 0, out, 0, limbs);
        Arrays.fill(base, 0);
        Arrays.fill(r, 0);
    }

    /** Swaps x and y when {@code bit} is 1, by masks. */
    static void swap(long bit, long[] x, long[] y) {
        long mask = -bit;
        for (int i = 0; i < x.length; i++) {
            long d = (x[i] ^ y[i]) & mask;
            x[i] ^= d;
            y[i] ^= d;
        }
    }

    /** t (limbs words plus a top word {@code top} of 0 or 1) is below 2p: out = t - p if t >= p, else t. */
    private void reduceOnce(long[] t, long top, long[] out) {
        long[] d = new long[limbs];
        long keepDifference = -(top | (subtractLimbs(t, p, d) ^ 1)); // t >= p: a top word, or no borrow
        for (int i = 0; i < limbs; i++) {
            out[i] = (d[i] & keepDifference) | (t[i] & ~keepDifference);
        }
        Arrays.fill(d, 0);
    }

    /** out = x + (y AND yMask) over the limbs; returns the carry out of the top limb (0 or 1). */
    private long addLimbs(long[] x, long[] y, long yMask, long[] out) {
        long c = 0;
        for (int i = 0; i < limbs; i++) {
            long yi = y[i] & yMask;
            long v = x[i] + yi;
            long c1 = carry(x[i], yi, v);
            long w = v + c;
            c = c1 | carry(v, c, w);
            out[i] = w;
        }
        return c;
    }

    /** d = x - y over the limbs; returns the borrow out of the top limb (0 or 1). */
    private long subtractLimbs(long[] x, long[] y, long[] d) {
        long borrow = 0;
        for (int i = 0; i < limbs; i++) {
            long v = x[i] - y[i];
            long b1 = borrow(x[i], y[i], v);
            long w = v - borrow;
            borrow = b1 | borrow(v, borrow, w);
            d[i] = w;
        }
        return borrow;
    }

    /** The carry out of s = x + y (mod 2^64), as 0 or 1, without a branch. */
    private static long carry(long x, long y, long s) {
        return ((x & y) | ((x | y) & ~s)) >>> 63;
    }

    /** The borrow out of d = x - y (mod 2^64), as 0 or 1, without a branch. */
    private static long borrow(long x, long y, long d) {
        return ((~x & y) | (~(x ^ y) & d)) >>> 63;
    }

    /** The high word of the unsigned 128-bit product (Math.unsignedMultiplyHigh arrives in Java 18). */
    private static long unsignedMultiplyHigh(long x, long y) {
        return Math.multiplyHigh(x, y) + ((x >> 63) & y) + ((y >> 63) & x);
    }
}
