package isg.relay;

import isg.srtp.SrtpStatus;

/** Why the relay dropped a datagram; every datagram that is not forwarded is counted under one. */
public enum DropReason {
    MALFORMED, UNKNOWN_PORT, WRONG_SOURCE, AUTH, REPLAY, TOO_OLD, KEY_EXPIRED, UNKNOWN_KEY, NO_ROUTE, CLOSED;

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
