package isg.srtp.crypto;

/**
 * GHASH (NIST SP 800-38D §6.4) over a byte stream: A, zero padding, C, zero padding, then the
 * length block. Subclasses multiply whole blocks by H: {@link IntrinsicGhash} through the JVM's
 * carry-less-multiply stub (PCLMULQDQ on x86, PMULL on ARMv8 with crypto extensions),
 * {@link TableGhash} in plain Java where that is not available (the Raspberry Pi 4's Cortex-A72).
 */
abstract class Ghash {

    private final byte[] partial = new byte[16];
    private int partialLength;

    /** The fastest GHASH this JVM offers for hash subkey {@code h} (16 bytes, not retained). */
    static Ghash create(byte[] h) {
        return IntrinsicGhash.AVAILABLE ? new IntrinsicGhash(h) : new TableGhash(h, 0);
    }

    /** Y = 0, nothing pending. */
    final void reset() {
        partialLength = 0;
        clearState();
    }

    abstract void clearState();

    /** Absorbs {@code count} whole blocks from {@code data[off..]}. */
    abstract void blocks(byte[] data, int off, int count);

    /** Writes Y as 16 big-endian bytes. */
    abstract void state(byte[] out, int off);

    /** Absorbs bytes; a trailing partial block waits for more or for {@link #pad}. */
    final void update(byte[] data, int off, int len) {
        if (partialLength > 0) {
            int n = Math.min(len, 16 - partialLength);
            System.arraycopy(data, off, partial, partialLength, n);
            partialLength += n;
            off += n;
            len -= n;
            if (partialLength < 16) {
                return;
            }
            blocks(partial, 0, 1);
            partialLength = 0;
        }
        int whole = len >>> 4;
        if (whole > 0) {
            blocks(data, off, whole);
        }
        int rest = len & 15;
        if (rest > 0) {
            System.arraycopy(data, off + (whole << 4), partial, 0, rest);
            partialLength = rest;
        }
    }

    /** Zero-pads and absorbs a pending partial block (the end of A or of C). */
    final void pad() {
        if (partialLength > 0) {
            java.util.Arrays.fill(partial, partialLength, 16, (byte) 0);
            blocks(partial, 0, 1);
            partialLength = 0;
        }
    }

    /** Absorbs the len(A) || len(C) block (in bits) and writes the GHASH to {@code out[off..]}. */
    final void finish(long aadBytes, long textBytes, byte[] out, int off) {
        pad();
        Bytes.putLong(partial, 0, aadBytes << 3);
        Bytes.putLong(partial, 8, textBytes << 3);
        blocks(partial, 0, 1);
        state(out, off);
    }

    /** Overwrites H-derived material and state. */
    void wipe() {
        Bytes.wipe(partial);
        clearState();
    }
}
