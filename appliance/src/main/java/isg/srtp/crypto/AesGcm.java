package isg.srtp.crypto;

/**
 * AES-GCM with a 12-byte IV and a 16-byte tag, in place. One message at a time:
 * {@link #begin}, any number of {@link #aad} calls, then {@link #seal} or {@link #open}.
 */
public interface AesGcm extends AutoCloseable {

    int TAG_LENGTH = 16;
    int IV_LENGTH = 12;

    void begin(byte[] iv);

    void aad(byte[] data, int off, int len);

    /** Encrypts {@code data[off, off+len)} in place and writes the tag at {@code off+len}. */
    void seal(byte[] data, int off, int len);

    /**
     * Verifies the tag at {@code data[off+len-16, off+len)} over the ciphertext before it and the
     * associated data; only when it matches is the ciphertext decrypted in place.
     *
     * @return whether the tag matched; on {@code false} the buffer is unchanged
     */
    boolean open(byte[] data, int off, int len);

    @Override
    void close();
}
