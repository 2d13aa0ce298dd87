package isg.mc;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Scalar multiplication on SAKKE's curve E: y^2 = x^3 - 3x over F_p in constant time, for the
 * multiplications by r (from the SSV): points in homogeneous projective coordinates (X : Y : Z),
 * added with the complete formulas of Renes, Costello and Batina (2016, algorithm 4, a = -3; here
 * b = 0), which need no case for doubling or for the point at infinity (0 : 1 : 0) — exceptions
 * would need a point of order 2, and SAKKE's points lie in the subgroup of odd order q — and a
 * fixed 4-bit window whose table entry is read by scanning the whole table with masks. The field
 * is {@link MontgomeryField}; nothing branches or indexes on the scalar.
 */
final class SakkeCurve {

    private static final MontgomeryField F = Sakke.F;
    private static final int WINDOW = 4;

    /** A point (X : Y : Z) in Montgomery form; three arrays of {@code F.limbs} words. */
    static final class Point {
        final long[] x;
        final long[] y;
        final long[] z;

        Point(long[] x, long[] y, long[] z) {
            this.x = x;
            this.y = y;
            this.z = z;
        }

        static Point infinity() {
            return new Point(F.zero(), F.one(), F.zero());
        }

        /** The affine point (x, y). */
        static Point of(BigInteger x, BigInteger y) {
            return new Point(F.fromBigInteger(x), F.fromBigInteger(y), F.one());
        }

        void wipe() {
            Arrays.fill(x, 0);
            Arrays.fill(y, 0);
            Arrays.fill(z, 0);
        }
    }

    private SakkeCurve() {
    }

    /** out = a + b, complete: a = b, a = -b and the point at infinity need no special case. out may be a or b. */
    static void add(Point a, Point b, Point out) {
        long[] t0 = F.zero();
        long[] t1 = F.zero();
        long[] t2 = F.zero();
        long[] t3 = F.zero();
        long[] t4 = F.zero();
        long[] x3 = F.zero();
        long[] y3 = F.zero();
        long[] z3 = F.zero();
        F.mul(a.x, b.x, t0);
        F.mul(a.y, b.y, t1);
        F.mul(a.z, b.z, t2);
        F.add(a.x, a.y, t3);
        F.add(b.x, b.y, t4);
        F.mul(t3, t4, t3);
        F.add(t0, t1, t4);
        F.sub(t3, t4, t3);
        F.add(a.y, a.z, t4);
        F.add(b.y, b.z, x3);
        F.mul(t4, x3, t4);
        F.add(t1, t2, x3);
        F.sub(t4, x3, t4);
        F.add(a.x, a.z, x3);
        F.add(b.x, b.z, y3);
        F.mul(x3, y3, x3);
        F.add(t0, t2, y3);
        F.sub(x3, y3, y3);
        // b3 = 3b = 0: Z3 <- b3 t2 is 0, so X3 <- Y3 - Z3 = Y3
        System.arraycopy(y3, 0, x3, 0, F.limbs);
        F.add(x3, x3, z3);
        F.add(x3, z3, x3);
        F.sub(t1, x3, z3);
        F.add(t1, x3, x3);
        // Y3 <- b3 Y3 is 0
        Arrays.fill(y3, 0);
        F.add(t2, t2, t1);
        F.add(t1, t2, t2);
        F.sub(y3, t2, y3);
        F.sub(y3, t0, y3);
        F.add(y3, y3, t1);
        F.add(t1, y3, y3);
        F.add(t0, t0, t1);
        F.add(t1, t0, t0);
        F.sub(t0, t2, t0);
        F.mul(t4, y3, t1);
        F.mul(t0, y3, t2);
        F.mul(x3, z3, y3);
        F.add(y3, t2, y3);
        F.mul(t3, x3, x3);
        F.sub(x3, t1, x3);
        F.mul(t4, z3, z3);
        F.mul(t3, t0, t1);
        F.add(z3, t1, z3);
        System.arraycopy(x3, 0, out.x, 0, F.limbs);
        System.arraycopy(y3, 0, out.y, 0, F.limbs);
        System.arraycopy(z3, 0, out.z, 0, F.limbs);
        for (long[] t : new long[][] {t0, t1, t2, t3, t4, x3, y3, z3}) {
            Arrays.fill(t, 0);
        }
    }

    /** [k]P for 0 <= k < 2^bits, the same operations for every k of that size. */
    static Point multiply(Point p, BigInteger k, int bits) {
        int windows = (bits + WINDOW - 1) / WINDOW;
        Point[] table = new Point[1 << WINDOW];
        table[0] = Point.infinity();
        table[1] = copy(p);
        for (int i = 2; i < table.length; i++) {
            table[i] = Point.infinity();
            add(table[i - 1], p, table[i]);
        }
        long[] scalar = new long[(WINDOW * windows + 63) / 64 + 1];
        byte[] kb = k.toByteArray();
        for (int i = 0; i < kb.length; i++) {
            int bit = 8 * (kb.length - 1 - i);
            if (bit < 64 * scalar.length) {
                scalar[bit >>> 6] |= (kb[i] & 0xFFL) << (bit & 63);
            }
        }
        Arrays.fill(kb, (byte) 0);
        Point acc = Point.infinity();
        Point chosen = Point.infinity();
        for (int w = windows - 1; w >= 0; w--) {
            for (int d = 0; d < WINDOW; d++) {
                add(acc, acc, acc);
            }
            int at = w * WINDOW;
            long digit = (scalar[at >>> 6] >>> (at & 63)) & ((1 << WINDOW) - 1);
            select(table, digit, chosen);
            add(acc, chosen, acc);
        }
        for (Point t : table) {
            t.wipe();
        }
        chosen.wipe();
        Arrays.fill(scalar, 0);
        return acc;
    }

    /** out = table[index], reading every entry. */
    private static void select(Point[] table, long index, Point out) {
        Arrays.fill(out.x, 0);
        Arrays.fill(out.y, 0);
        Arrays.fill(out.z, 0);
        for (int i = 0; i < table.length; i++) {
            long mask = -(((i ^ index) - 1) >>> 63); // all ones when i == index
            for (int j = 0; j < F.limbs; j++) {
                out.x[j] |= table[i].x[j] & mask;
                out.y[j] |= table[i].y[j] & mask;
                out.z[j] |= table[i].z[j] & mask;
            }
        }
    }

    /** Whether p is the affine point (x, y): X = x Z and Y = y Z, with Z not 0. */
    static boolean equalsAffine(Point p, BigInteger x, BigInteger y) {
        long[] t = F.zero();
        long[] u = F.zero();
        F.mul(F.fromBigInteger(x), p.z, t);
        F.mul(F.fromBigInteger(y), p.z, u);
        long diff = 0;
        long z = 0;
        for (int i = 0; i < F.limbs; i++) {
            diff |= (t[i] ^ p.x[i]) | (u[i] ^ p.y[i]);
            z |= p.z[i];
        }
        return diff == 0 && z != 0;
    }

    /** The affine coordinates {x, y} (one Fermat inversion); for the sender's R. */
    static BigInteger[] affine(Point p) {
        long[] inv = F.zero();
        F.invert(p.z, inv);
        long[] x = F.zero();
        long[] y = F.zero();
        F.mul(p.x, inv, x);
        F.mul(p.y, inv, y);
        return new BigInteger[] {F.toBigInteger(x), F.toBigInteger(y)};
    }

    private static Point copy(Point p) {
        return new Point(p.x.clone(), p.y.clone(), p.z.clone());
    }
}
