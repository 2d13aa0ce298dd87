package isg.srtp;

/**
 * The outcome of protecting or unprotecting one packet. Anything but {@link #OK} means the packet
 * was not processed and no state (replay window, ROC, counters) changed; the relay drops it and
 * counts it under this reason.
 */
public enum SrtpStatus {
    /** Processed; the buffer holds the result. */
    OK,
    /**
     * Too short, wrong version, or a header/extension/CSRC length that does not fit. RTP padding
     * is not judged (the application's business, as for libsrtp).
     */
    MALFORMED,
    /** The MKI names no master key this context holds. */
    UNKNOWN_KEY,
    /** The authentication tag did not verify. */
    AUTH_FAIL,
    /** This packet index was already received (or, on protect, already sent: keystream reuse). */
    REPLAY,
    /** The packet index lies behind the replay window. */
    TOO_OLD,
    /** The master key reached its packet limit (RFC 3711 §9.2, or the configured lower limit). */
    KEY_EXPIRED,
    /** The buffer has no room for the tag and MKI that protection appends. */
    BUFFER_TOO_SMALL,
    /** A new SSRC arrived but the context already tracks its configured maximum of streams. */
    STREAM_LIMIT,
    /** The context was closed (keys wiped); nothing more is processed. */
    CLOSED
}
