package isg.srtp;

/**
 * What checks and removes SRTP/SRTCP protection on a receiving leg: an {@link SrtpReceiver} with
 * provisioned master keys, or a context that derives keys from the packets' MKIs (33.180 group
 * calls). Per-packet results are statuses, never exceptions.
 */
public interface SrtpUnprotector extends AutoCloseable {

    SrtpStatus unprotectRtp(PacketBuffer p);

    SrtpStatus unprotectRtcp(PacketBuffer p);

    /**
     * After {@code OK}: whether that packet was newer than anything its stream had seen, so that a
     * latching leg may move its peer for it. False where a context cannot tell: it never moves one.
     */
    default boolean lastPacketAdvanced() {
        return false;
    }

    /** Packets the most used key may still accept; the key-expiry horizon. */
    long srtpPacketsLeft();

    boolean closed();

    /**
     * Called every few seconds by whoever owns the context (the relay's sweep), never per packet:
     * a chance to let go of state that is no longer used. Nothing by default.
     */
    default void housekeeping(long nowNanos) {
    }

    /** Overwrites every key. */
    @Override
    void close();
}
