package isg.mc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The constant-time field against BigInteger, on SAKKE's p, on P-256's p and on values at the edges. */
class MontgomeryFieldTest {

    private static final BigInteger P256 = new BigInteger(
            "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);

    @Test
    void everyOperationAgreesWithBigInteger() {
        for (BigInteger p : new BigInteger[] {Sakke.P, P256}) {
            MontgomeryField f = new MontgomeryField(p);
            Random random = new Random(p.bitLength());
            BigInteger[] edges = {BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO, p.subtract(BigInteger.ONE),
                p.subtract(BigInteger.TWO), p.shiftRight(1), BigInteger.ONE.shiftLeft(p.bitLength() - 1)};
            for (int i = 0; i < 400; i++) {
                BigInteger a = i < edges.length ? edges[i] : new BigInteger(p.bitLength() + 8, random).mod(p);
                BigInteger b = i < edges.length ? edges[edges.length - 1 - i] : new BigInteger(p.bitLength(), random).mod(p);
                long[] x = f.fromBigInteger(a);
                long[] y = f.fromBigInteger(b);
                assertEquals(a, f.toBigInteger(x));
                long[] out = f.zero();
                f.mul(x, y, out);
                assertEquals(a.multiply(b).mod(p), f.toBigInteger(out), "mul " + i);
                f.add(x, y, out);
                assertEquals(a.add(b).mod(p), f.toBigInteger(out), "add " + i);
                f.sub(x, y, out);
                assertEquals(a.subtract(b).mod(p), f.toBigInteger(out), "sub " + i);
                f.mul(x, x, x);
                assertEquals(a.multiply(a).mod(p), f.toBigInteger(x), "square in place " + i);
                if (i % 40 == 0 && b.signum() != 0) {
                    f.invert(y, out);
                    assertEquals(b.modInverse(p), f.toBigInteger(out), "invert " + i);
                }
            }
        }
    }

    @Test
    void swapIsByMaskBothWays() {
        MontgomeryField f = new MontgomeryField(Sakke.P);
        long[] x = f.fromBigInteger(BigInteger.valueOf(5));
        long[] y = f.fromBigInteger(BigInteger.valueOf(7));
        MontgomeryField.swap(0, x, y);
        assertEquals(BigInteger.valueOf(5), f.toBigInteger(x));
        MontgomeryField.swap(1, x, y);
        assertEquals(BigInteger.valueOf(7), f.toBigInteger(x));
        assertEquals(BigInteger.valueOf(5), f.toBigInteger(y));
    }
}
