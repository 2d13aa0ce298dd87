package isg.board;

import java.util.OptionalDouble;

/**
 * The box: front-panel LEDs, the tamper loop, the zeroise button, the hardware watchdog and the
 * SoC temperature. Implementations: {@link GpioBoard} (Pi4J with the gpiod provider on a
 * Raspberry Pi) and {@link SimulatedBoard} (development, the demo and CI). One contract test runs
 * against both.
 */
public interface Board extends AutoCloseable {

    /** E.g. "Raspberry Pi GPIO (gpiod), pin map pi4" or "simulated board". */
    String describe();

    void led(Led led, LedPattern pattern);

    LedPattern led(Led led);

    /** Whether the LED is lit at this moment (blinking LEDs alternate). */
    boolean lit(Led led);

    /**
     * Whether the normally-closed tamper loop is closed. An open loop or an input that cannot be
     * read counts as tamper: the board fails closed.
     */
    boolean tamperLoopClosed();

    /** Called (on a board thread) when the tamper loop opens or its input stops answering. */
    void onTamper(Runnable listener);

    /** Called when the zeroise button has been held for the hold time (3 s by default). */
    void onZeroiseButton(Runnable listener);

    /** Kicks the hardware watchdog; the health loop calls it only while the box is healthy. */
    void kickWatchdog();

    /** SoC temperature in °C, when the board can read it. */
    OptionalDouble socTemperature();

    /** The LEDs as text for a console: {@code [RUN ●] [IN ○] ...}. */
    default String render() {
        StringBuilder b = new StringBuilder();
        for (Led l : Led.values()) {
            String name = switch (l) {
                case RUN -> "RUN";
                case INSIDE_LINK -> "IN";
                case OUTSIDE_LINK -> "OUT";
                case HSM -> "HSM";
                case ALARM -> "ALARM";
            };
            b.append(b.length() == 0 ? "" : " ").append('[').append(name).append(' ')
                    .append(led(l) == LedPattern.OFF ? "○" : led(l) == LedPattern.STEADY ? "●"
                            : led(l) == LedPattern.SLOW_BLINK ? "◐" : "◑")
                    .append(']');
        }
        return b.toString();
    }

    @Override
    void close();
}
