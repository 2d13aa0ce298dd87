package isg.relay;

/** A session request the relay refused, with the HTTP status the control API answers. */
public class RelayException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    public RelayException(int status, String message) {
        super(message);
        this.status = status;
    }

    public RelayException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** 400 bad request, 404 unknown session, 409 conflict, 422 unknown partner or key, 503 no ports or vault down. */
    public int status() {
        return status;
    }
}
