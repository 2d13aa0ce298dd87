package isg.mc;

import java.math.BigInteger;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A second Miller loop for RFC 6508 §3.2, kept beside the tests: it walks the first point in
 * Jacobian coordinates and evaluates tangent and chord at the image of the second, where the
 * product code ({@link Sakke.Receiver}) walks the RSK once in affine coordinates and keeps its
 * lines. Both must give Appendix A's g^r and &lt;P, P&gt; = g.
 */
final class ReferencePairing {

    private static final BigInteger P = Sakke.P;
    private static final BigInteger THREE = BigInteger.valueOf(3);

    private ReferencePairing() {
    }

    /**
     * &lt;R, Q&gt; in the F_p representation of PF_p, or null when the Miller loop meets a
     * degenerate case (neither point then has order q).
     */
    static BigInteger pairing(ECPoint r, ECPoint q) {
        r = r.normalize();
        q = q.normalize();
        BigInteger rx = r.getAffineXCoord().toBigInteger();
        BigInteger ry = r.getAffineYCoord().toBigInteger();
        BigInteger qx = q.getAffineXCoord().toBigInteger();
        BigInteger qy = q.getAffineYCoord().toBigInteger();
        // C in Jacobian coordinates: x = X/Z^2, y = Y/Z^3.
        BigInteger x = rx;
        BigInteger y = ry;
        BigInteger z = BigInteger.ONE;
        BigInteger va = BigInteger.ONE;
        BigInteger vb = BigInteger.ZERO;
        BigInteger loop = Sakke.Q.subtract(BigInteger.ONE);
        for (int bit = loop.bitLength() - 2; bit >= 0; bit--) {
            // Tangent at C through the image of Q, scaled by 2y Z^6 (an F_p factor):
            // t = 3(X^2 - Z^4)(Qx Z^2 + X) - 2Y^2 + i 2 Qy Y Z^3.
            BigInteger zz = z.multiply(z).mod(P);
            BigInteger yy = y.multiply(y).mod(P);
            BigInteger alpha = THREE.multiply(x.subtract(zz)).multiply(x.add(zz)).mod(P);
            BigInteger ta = alpha.multiply(qx.multiply(zz).add(x)).subtract(yy.shiftLeft(1)).mod(P);
            BigInteger tb = qy.multiply(y).mod(P).multiply(z.multiply(zz)).shiftLeft(1).mod(P);
            // v = v^2 * t
            BigInteger sa = va.add(vb).multiply(va.subtract(vb)).mod(P);
            BigInteger sb = va.multiply(vb).shiftLeft(1).mod(P);
            va = sa.multiply(ta).subtract(sb.multiply(tb)).mod(P);
            vb = sa.multiply(tb).add(sb.multiply(ta)).mod(P);
            // C = 2C (a = -3): beta = X Y^2, X3 = alpha^2 - 8 beta, Z3 = 2YZ, Y3 = alpha(4 beta - X3) - 8 Y^4
            BigInteger beta = x.multiply(yy).mod(P);
            BigInteger x3 = alpha.multiply(alpha).subtract(beta.shiftLeft(3)).mod(P);
            z = y.multiply(z).shiftLeft(1).mod(P);
            y = alpha.multiply(beta.shiftLeft(2).subtract(x3)).subtract(yy.multiply(yy).shiftLeft(3)).mod(P);
            x = x3;
            if (loop.testBit(bit)) {
                // C + R (R affine). H = Rx Z^2 - X, rr = Ry Z^3 - Y, Z3 = Z H; the chord scaled by Z3:
                // t = rr (Qx + Rx) - Ry Z3 + i Qy Z3.
                BigInteger z1z1 = z.multiply(z).mod(P);
                BigInteger h = rx.multiply(z1z1).subtract(x).mod(P);
                BigInteger rr = ry.multiply(z).mod(P).multiply(z1z1).subtract(y).mod(P);
                if (h.signum() == 0) {
                    return null;
                }
                BigInteger z3 = z.multiply(h).mod(P);
                ta = rr.multiply(qx.add(rx)).subtract(ry.multiply(z3)).mod(P);
                tb = qy.multiply(z3).mod(P);
                BigInteger na = va.multiply(ta).subtract(vb.multiply(tb)).mod(P);
                vb = va.multiply(tb).add(vb.multiply(ta)).mod(P);
                va = na;
                BigInteger hh = h.multiply(h).mod(P);
                BigInteger hhh = hh.multiply(h).mod(P);
                BigInteger v = x.multiply(hh).mod(P);
                x3 = rr.multiply(rr).subtract(hhh).subtract(v.shiftLeft(1)).mod(P);
                y = rr.multiply(v.subtract(x3)).subtract(y.multiply(hhh)).mod(P);
                x = x3;
                z = z3;
            }
        }
        return Pfp.finalExponentiation(va, vb);
    }

}
