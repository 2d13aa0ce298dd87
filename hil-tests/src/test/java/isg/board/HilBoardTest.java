package isg.board;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The board contract on the bench: real GPIO through gpiod on the Pi (ISG_HIL_BOARD=pi4|pi5), the
 * simulated board elsewhere (CI). On top of the contract, what only wire can show: each LED output
 * really drives its pin, and the tamper loop and button are read through their pull-ups.
 */
class HilBoardTest extends BoardContract {

    private Bench bench;

    @Override
    protected Board newBoard() throws Exception {
        bench = Bench.open(HOLD);
        System.out.println("HIL board: " + bench.describe());
        return bench.board();
    }

    @Override
    protected void tamperLoop(boolean closed) {
        bench.tamperLoop(closed);
    }

    @Override
    protected void zeroiseButton(boolean pressed) {
        bench.zeroiseButton(pressed);
    }

    @AfterEach
    void closeBench() {
        // runs before the contract closes the board
        bench.close();
    }

    @Test
    void eachLedOutputDrivesItsPinAndNoOther() throws Exception {
        for (Led l : Led.values()) {
            board.led(l, LedPattern.OFF);
        }
        for (Led on : Led.values()) {
            board.led(on, LedPattern.STEADY);
            eventually(() -> bench.ledDriven(on), on + " driven high once steady");
            for (Led other : Led.values()) {
                if (other != on) {
                    assertFalse(bench.ledDriven(other), other + " stays low while only " + on + " is on (crossed wires?)");
                }
            }
            board.led(on, LedPattern.OFF);
            eventually(() -> !bench.ledDriven(on), on + " low again once off");
        }
    }

    @Test
    void theTamperLoopIsReadThroughItsPullUp() throws Exception {
        bench.tamperLoop(true);
        eventually(board::tamperLoopClosed, "closed loop (driven low) reads closed");
        bench.tamperLoop(false);
        eventually(() -> !board.tamperLoopClosed(), "open loop (pulled high) reads open");
        bench.tamperLoop(true);
        eventually(board::tamperLoopClosed, "closed again");
        assertTrue(board.tamperLoopClosed());
    }
}
