package isg.srtp.crypto;

/** HMAC-SHA1 keyed once: {@code update} any number of times, then {@code doFinal}. */
public interface HmacSha1 extends AutoCloseable {

    int LENGTH = 20;

    void update(byte[] data, int off, int len);

    /** Writes the 20-byte MAC to {@code out[off..]} and resets for the next message. */
    void doFinal(byte[] out, int off);

    @Override
    void close();
}
