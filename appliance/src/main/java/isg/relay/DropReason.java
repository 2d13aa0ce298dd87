package isg.relay;

import isg.srtp.SrtpStatus;

/** Why the relay dropped a datagram; every datagram that is not forwarded is counted under one. */
public enum DropReason {
    /** Too short, not RTP/RTCP, or larger than {@code relay.maxDatagram} (counted with its true size). */
    MALFORMED,
    UNKNOWN_PORT,
    /** From an address that is not the leg's peer (and could not move it). */
    WRONG_SOURCE,
    AUTH,
    REPLAY,
    TOO_OLD,
    KEY_EXPIRED,
    UNKNOWN_KEY,
    /** The other leg has no peer address yet, or its socket is gone. */
    NO_ROUTE,
    /** The outside leg has no keys yet: the partner gateway's nonce has not been given (interconnect v2). */
    NOT_KEYED,
    /**
     * Re-protected and handed to the leg's socket, and refused by the kernel on the way out (no
     * route, a full send buffer): counted on the leg it was to leave by. Its {@code packetsOut} and
     * {@code bytesOut} count what was handed to the socket, this among it: they only ever grow.
     */
    SEND_FAILED,
    CLOSED,
    /**
     * Waited in the kernel longer than {@code relay.latencyBound} before the relay could read it (an
     * overloaded relay, or one that stalled): dropped unread rather than delivered too late to be
     * played. Counted on the leg it arrived on.
     */
    LATE;

    /** The reason for an engine refusal. */
    static DropReason of(SrtpStatus s) {
        switch (s) {
            case AUTH_FAIL:
                return AUTH;
            case REPLAY:
                return REPLAY;
            case TOO_OLD:
                return TOO_OLD;
            case KEY_EXPIRED:
                return KEY_EXPIRED;
            case UNKNOWN_KEY:
                return UNKNOWN_KEY;
            case CLOSED:
                return CLOSED;
            default:
                return MALFORMED;
        }
    }
}
