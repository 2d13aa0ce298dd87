package isg.board;

/** The board cannot be used as configured; the message says what is missing and what to do. */
public final class BoardException extends Exception {

    private static final long serialVersionUID = 1L;

    public BoardException(String message) {
        super(message);
    }

    public BoardException(String message, Throwable cause) {
        super(message, cause);
    }
}
