package isg.hsm;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;

/** ECDSA signature encodings: PKCS#11 gives r||s, TLS and the JCA want DER SEQUENCE { r, s }. */
final class Ecdsa {

    private Ecdsa() {
    }

    static byte[] rawToDer(byte[] rs) {
        int n = rs.length / 2;
        byte[] r = new BigInteger(1, java.util.Arrays.copyOfRange(rs, 0, n)).toByteArray();
        byte[] s = new BigInteger(1, java.util.Arrays.copyOfRange(rs, n, rs.length)).toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        int body = 2 + r.length + 2 + s.length;
        if (body > 127) {
            out.write(0x81);
        }
        out.write(body);
        out.write(0x02);
        out.write(r.length);
        out.write(r, 0, r.length);
        out.write(0x02);
        out.write(s.length);
        out.write(s, 0, s.length);
        return out.toByteArray();
    }
}
