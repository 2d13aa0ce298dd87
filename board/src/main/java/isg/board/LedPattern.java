package isg.board;

/** What an LED does: off, on, or blinking slowly (1 Hz) or fast (4 Hz). */
public enum LedPattern {
    OFF(0), STEADY(0), SLOW_BLINK(500), FAST_BLINK(125);

    private final long halfPeriodMillis;

    LedPattern(long halfPeriodMillis) {
        this.halfPeriodMillis = halfPeriodMillis;
    }

    /** Whether the LED is lit at {@code millis} (a monotonic clock). */
    public boolean litAt(long millis) {
        switch (this) {
            case OFF:
                return false;
            case STEADY:
                return true;
            default:
                return (millis / halfPeriodMillis) % 2 == 0;
        }
    }
}
