package isg.mc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Random;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/** The constant-time scalar multiplication against Bouncy Castle's on the same curve, and its complete addition. */
class SakkeCurveTest {

    private static SakkeCurve.Point of(ECPoint p) {
        ECPoint n = p.normalize();
        return SakkeCurve.Point.of(n.getAffineXCoord().toBigInteger(), n.getAffineYCoord().toBigInteger());
    }

    private static void assertSame(ECPoint expected, SakkeCurve.Point actual, String what) {
        ECPoint n = expected.normalize();
        assertTrue(SakkeCurve.equalsAffine(actual, n.getAffineXCoord().toBigInteger(), n.getAffineYCoord().toBigInteger()),
                what);
        BigInteger[] xy = SakkeCurve.affine(actual);
        assertEquals(n.getAffineXCoord().toBigInteger(), xy[0], what);
        assertEquals(n.getAffineYCoord().toBigInteger(), xy[1], what);
    }

    @Test
    void completeAdditionCoversDoublingNegationAndInfinity() {
        ECPoint p = Sakke.BASE.multiply(BigInteger.valueOf(12345));
        ECPoint q = Sakke.BASE.multiply(BigInteger.valueOf(67890));
        SakkeCurve.Point out = SakkeCurve.Point.infinity();
        SakkeCurve.add(of(p), of(q), out);
        assertSame(p.add(q), out, "P + Q");
        SakkeCurve.add(of(p), of(p), out);
        assertSame(p.twice(), out, "P + P");
        SakkeCurve.add(of(p), of(p.negate()), out);
        assertFalse(SakkeCurve.equalsAffine(out, BigInteger.ZERO, BigInteger.ZERO), "P - P is the point at infinity (Z = 0)");
        SakkeCurve.add(of(p), SakkeCurve.Point.infinity(), out);
        assertSame(p, out, "P + O");
        SakkeCurve.add(SakkeCurve.Point.infinity(), of(q), out);
        assertSame(q, out, "O + Q");
    }

    @Test
    void scalarMultiplicationAgreesWithBouncyCastle() {
        Random random = new Random(6508);
        ECPoint z = Sakke.BASE.multiply(new BigInteger(255, random)).normalize();
        for (int i = 0; i < 12; i++) {
            BigInteger k = i == 0 ? BigInteger.ONE : i == 1 ? Sakke.Q.subtract(BigInteger.ONE)
                    : i == 2 ? BigInteger.valueOf(16) : new BigInteger(Sakke.Q.bitLength(), random).mod(Sakke.Q);
            ECPoint base = i % 2 == 0 ? Sakke.BASE : z;
            assertSame(base.multiply(k), SakkeCurve.multiply(of(base), k, Sakke.Q.bitLength()), "k #" + i);
        }
        SakkeCurve.Point zero = SakkeCurve.multiply(of(z), BigInteger.ZERO, Sakke.Q.bitLength());
        assertFalse(SakkeCurve.equalsAffine(zero, BigInteger.ZERO, BigInteger.ZERO), "[0]P is the point at infinity");
        SakkeCurve.Point q = SakkeCurve.multiply(of(z), Sakke.Q, Sakke.Q.bitLength() + 1);
        assertFalse(SakkeCurve.equalsAffine(q, z.getAffineXCoord().toBigInteger(), z.getAffineYCoord().toBigInteger()));
    }
}
