package isg.board;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SimulatedBoardTest extends BoardContract {

    @Override
    protected Board newBoard() {
        return new SimulatedBoard(HOLD);
    }

    @Override
    protected void tamperLoop(boolean closed) {
        ((SimulatedBoard) board).tamperLoop(closed);
    }

    @Override
    protected void zeroiseButton(boolean pressed) {
        ((SimulatedBoard) board).zeroiseButton(pressed);
    }

    @Test
    void anUnreadableTamperInputIsTamper() throws Exception {
        AtomicInteger tampers = new AtomicInteger();
        board.onTamper(tampers::incrementAndGet);
        ((SimulatedBoard) board).tamperInputFails();
        eventually(() -> tampers.get() == 1, "fail closed: an unreadable input is tamper");
        assertFalse(board.tamperLoopClosed());
    }

    @Test
    void theWatchdogNoticesWhenKicksStop() throws Exception {
        SimulatedBoard b = (SimulatedBoard) board;
        b.kickWatchdog();
        assertFalse(b.watchdogWouldFire(Duration.ofMillis(200)));
        Thread.sleep(250);
        assertTrue(b.watchdogWouldFire(Duration.ofMillis(200)));
        assertEquals(1, b.watchdogKicks());
        b.temperature(48.5);
        assertEquals(48.5, b.socTemperature().getAsDouble());
    }
}
