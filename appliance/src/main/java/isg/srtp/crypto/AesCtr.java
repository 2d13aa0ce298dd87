package isg.srtp.crypto;

/** AES counter mode keyed once; the IV is the full 128-bit initial counter block. */
public interface AesCtr extends AutoCloseable {

    /**
     * XORs the keystream that starts at counter block {@code iv} into {@code data[off, off+len)}.
     * The counter is incremented in its low 32 bits, which is exact for SRTP where the low 16
     * bits of every IV are zero and no packet spans 2^16 blocks.
     */
    void apply(byte[] iv, byte[] data, int off, int len);

    /** Forgets and overwrites the key material this object holds. */
    @Override
    void close();
}
