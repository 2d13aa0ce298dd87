package isg.board;

/** The front-panel LEDs. */
public enum Led {
    RUN, INSIDE_LINK, OUTSIDE_LINK, HSM, ALARM
}
