package isg.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every board does, run against the simulated board and against the Pi4J board (with Pi4J's
 * mock providers here; on the Pi bench with gpiod in hil-tests). Subclasses operate the inputs.
 */
abstract class BoardContract {

    // Long enough that a short press (HOLD / 6) stays short on a loaded CI machine.
    static final Duration HOLD = Duration.ofMillis(600);

    protected Board board;

    protected abstract Board newBoard() throws Exception;

    protected abstract void tamperLoop(boolean closed);

    protected abstract void zeroiseButton(boolean pressed);

    @BeforeEach
    void open() throws Exception {
        board = newBoard();
    }

    @AfterEach
    void close() {
        board.close();
    }

    static void eventually(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + 2_000_000_000L;
        while (!c.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertTrue(c.getAsBoolean(), what);
    }

    @Test
    void ledsShowTheirPatterns() throws Exception {
        board.led(Led.RUN, LedPattern.STEADY);
        board.led(Led.ALARM, LedPattern.OFF);
        board.led(Led.HSM, LedPattern.FAST_BLINK);
        assertEquals(LedPattern.STEADY, board.led(Led.RUN));
        assertTrue(board.lit(Led.RUN));
        assertFalse(board.lit(Led.ALARM));
        boolean sawOn = false;
        boolean sawOff = false;
        for (int i = 0; i < 60 && !(sawOn && sawOff); i++) {
            Thread.sleep(20);
            sawOn |= board.lit(Led.HSM);
            sawOff |= !board.lit(Led.HSM);
        }
        assertTrue(sawOn && sawOff, "a fast-blinking LED goes on and off");
        assertTrue(board.render().contains("[RUN ●]") && board.render().contains("[ALARM ○]"), board.render());
    }

    @Test
    void aNewPatternIsNeverUndoneByTheBlinker() {
        // The blinker ticks concurrently; a pattern just set must show at once, on every tick.
        long end = System.nanoTime() + 300_000_000L;
        boolean on = false;
        while (System.nanoTime() < end) {
            on = !on;
            board.led(Led.RUN, on ? LedPattern.STEADY : LedPattern.OFF);
            assertEquals(on, board.lit(Led.RUN), "RUN just set " + (on ? "steady" : "off"));
        }
    }

    @Test
    void openingTheTamperLoopIsReportedOnce() throws Exception {
        AtomicInteger tampers = new AtomicInteger();
        board.onTamper(tampers::incrementAndGet);
        assertTrue(board.tamperLoopClosed());
        tamperLoop(false);
        eventually(() -> tampers.get() == 1, "tamper reported");
        assertFalse(board.tamperLoopClosed());
        tamperLoop(false);
        Thread.sleep(50);
        assertEquals(1, tampers.get(), "one report per opening");
        tamperLoop(true);
        eventually(board::tamperLoopClosed, "loop closed again");
    }

    @Test
    void theZeroiseButtonCountsOnlyWhenHeld() throws Exception {
        CountDownLatch fired = new CountDownLatch(1);
        AtomicInteger count = new AtomicInteger();
        board.onZeroiseButton(() -> {
            count.incrementAndGet();
            fired.countDown();
        });
        zeroiseButton(true);
        Thread.sleep(HOLD.toMillis() / 6);
        zeroiseButton(false);
        Thread.sleep(HOLD.toMillis() * 2);
        assertEquals(0, count.get(), "a short press does nothing");
        zeroiseButton(true);
        assertTrue(fired.await(HOLD.toMillis() * 5, TimeUnit.MILLISECONDS), "held: zeroise");
        zeroiseButton(false);
        assertEquals(1, count.get());
    }

    @Test
    void theWatchdogCanBeKicked() {
        board.kickWatchdog();
        board.kickWatchdog();
        assertTrue(board.describe().length() > 0);
    }
}
