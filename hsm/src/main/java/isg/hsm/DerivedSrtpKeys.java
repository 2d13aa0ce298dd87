package isg.hsm;

import java.util.Arrays;

/**
 * The six session keys of RFC 3711 §4.3 (SRTP and SRTCP encryption key, authentication key and
 * salt) derived from a master key that stays in the vault. They live in memory only, for the
 * SRTP engine; {@link #close()} overwrites them. {@code toString()} shows no key.
 */
public final class DerivedSrtpKeys implements AutoCloseable {

    private final byte[][] keys;

    DerivedSrtpKeys(byte[][] keys) {
        this.keys = keys;
    }

    /** The session key for an RFC 3711 label (0x00..0x05); a copy the caller wipes. */
    public byte[] forLabel(int label) {
        return keys[label].clone();
    }

    @Override
    public void close() {
        for (byte[] k : keys) {
            Arrays.fill(k, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "DerivedSrtpKeys[6 session keys]";
    }
}
