package isg.srtp;

import isg.srtp.crypto.AesCtr;
import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;

/**
 * The SRTP key derivation function, RFC 3711 §4.3 with key derivation rate 0 (§4.3.1: r = 0),
 * AES in counter mode as the PRF (§4.3.3). The same function serves AES-256 (RFC 6188 §5) and
 * the GCM suites, whose 96-bit master salt is zero-padded on the right to 112 bits (RFC 7714
 * §11).
 */
public final class KeyDerivation {

    /** Labels of RFC 3711 §4.3.1 (SRTP) and §4.3.2 (SRTCP). */
    public static final int LABEL_SRTP_ENCRYPTION = 0x00;
    public static final int LABEL_SRTP_AUTH = 0x01;
    public static final int LABEL_SRTP_SALT = 0x02;
    public static final int LABEL_SRTCP_ENCRYPTION = 0x03;
    public static final int LABEL_SRTCP_AUTH = 0x04;
    public static final int LABEL_SRTCP_SALT = 0x05;

    private KeyDerivation() {
    }

    /**
     * Derives {@code length} bytes for {@code label}: the AES-CM keystream under the master key
     * starting at IV = (master_salt XOR (label << 48)) * 2^16.
     */
    public static byte[] derive(CryptoBackend backend, byte[] masterKey, byte[] masterSalt, int label, int length) {
        if (masterSalt.length > 14) {
            throw new IllegalArgumentException("master salt longer than 112 bits");
        }
        byte[] iv = new byte[16];
        System.arraycopy(masterSalt, 0, iv, 0, masterSalt.length);
        iv[7] ^= (byte) label;
        byte[] out = new byte[length];
        try (AesCtr prf = backend.aesCtr(masterKey)) {
            prf.apply(iv, out, 0, length);
        }
        Bytes.wipe(iv);
        return out;
    }
}
