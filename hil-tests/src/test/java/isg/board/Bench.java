package isg.board;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalInput;
import com.pi4j.io.gpio.digital.DigitalOutput;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.io.gpio.digital.PullResistance;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalInputProvider;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalOutputProvider;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

/**
 * The bench around a board under test: what operates its inputs and what sees its outputs.
 *
 * <p>On the Pi bench ({@code ISG_HIL_BOARD=pi4|pi5}) that is wire: the bench's own GPIO lines drive
 * the tamper loop and the zeroise button, and each LED output is looped back to a bench input (the
 * wiring table is in hil-tests/README.md). Anywhere else it is the simulated board, operated directly.
 */
interface Bench extends AutoCloseable {

    /** BCM GPIO lines the bench itself uses on a Pi (hil-tests/README.md, "Wiring"). */
    int TAMPER_DRIVE = 16;
    int ZEROISE_DRIVE = 20;
    Map<Led, Integer> LED_SENSE = Map.of(Led.RUN, 12, Led.INSIDE_LINK, 13, Led.OUTSIDE_LINK, 19, Led.HSM, 26,
            Led.ALARM, 21);

    Board board();

    /** Closes (true) or opens the tamper loop. */
    void tamperLoop(boolean closed);

    /** Presses (true) or releases the zeroise button. */
    void zeroiseButton(boolean pressed);

    /** Whether the LED's output is driven high, as seen from outside the board. */
    boolean ledDriven(Led led);

    String describe();

    /** Releases the bench's own lines (not the board's). */
    @Override
    void close();

    /** The bench this machine has: the Pi's, when ISG_HIL_BOARD names its pin map; else simulated. */
    static Bench open(Duration hold) throws BoardException {
        String pins = System.getenv("ISG_HIL_BOARD");
        return pins == null || pins.isBlank() ? new Simulated(hold) : new Wired(PinMap.named(pins.trim()), hold);
    }

    final class Simulated implements Bench {
        private final SimulatedBoard board;

        Simulated(Duration hold) {
            board = new SimulatedBoard(hold);
        }

        @Override
        public Board board() {
            return board;
        }

        @Override
        public void tamperLoop(boolean closed) {
            board.tamperLoop(closed);
        }

        @Override
        public void zeroiseButton(boolean pressed) {
            board.zeroiseButton(pressed);
        }

        @Override
        public boolean ledDriven(Led led) {
            return board.lit(led);
        }

        @Override
        public String describe() {
            return "simulated board (set ISG_HIL_BOARD=pi4 or pi5 on the Pi bench)";
        }

        @Override
        public void close() {
            // the board is closed by whoever opened it through board()
        }
    }

    /** Real GPIO: the board through gpiod, the bench's lines through a second gpiod context. */
    final class Wired implements Bench {
        private final Context bench;
        private final DigitalOutput tamper;
        private final DigitalOutput zeroise;
        private final Map<Led, DigitalInput> sense = new EnumMap<>(Led.class);
        private final GpioBoard board;

        Wired(PinMap pins, Duration hold) throws BoardException {
            bench = Pi4J.newContextBuilder()
                    .add(GpioDDigitalInputProvider.newInstance(), GpioDDigitalOutputProvider.newInstance()).build();
            // the loop starts closed (driven low) and the button released (high)
            tamper = bench.create(DigitalOutput.newConfigBuilder(bench).id("bench-tamper").address(TAMPER_DRIVE)
                    .initial(DigitalState.LOW).shutdown(DigitalState.LOW).provider("gpiod-digital-output"));
            zeroise = bench.create(DigitalOutput.newConfigBuilder(bench).id("bench-zeroise").address(ZEROISE_DRIVE)
                    .initial(DigitalState.HIGH).shutdown(DigitalState.HIGH).provider("gpiod-digital-output"));
            for (Map.Entry<Led, Integer> e : LED_SENSE.entrySet()) {
                sense.put(e.getKey(), bench.create(DigitalInput.newConfigBuilder(bench).id("bench-" + e.getKey())
                        .address(e.getValue()).pull(PullResistance.PULL_DOWN).provider("gpiod-digital-input")));
            }
            board = GpioBoard.openGpiod(pins, hold);
        }

        @Override
        public Board board() {
            return board;
        }

        @Override
        public void tamperLoop(boolean closed) {
            tamper.state(closed ? DigitalState.LOW : DigitalState.HIGH);
        }

        @Override
        public void zeroiseButton(boolean pressed) {
            zeroise.state(pressed ? DigitalState.LOW : DigitalState.HIGH);
        }

        @Override
        public boolean ledDriven(Led led) {
            return sense.get(led).state() == DigitalState.HIGH;
        }

        @Override
        public String describe() {
            return board.describe() + "; bench lines tamper " + TAMPER_DRIVE + ", zeroise " + ZEROISE_DRIVE + ", LED sense "
                    + LED_SENSE;
        }

        @Override
        public void close() {
            // the board is closed by whoever opened it through board(); these are the bench's own lines
            bench.shutdown();
        }
    }
}
