package isg.board;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInput;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalInputProvider;
import com.pi4j.plugin.mock.provider.gpio.digital.MockDigitalOutputProvider;
import org.junit.jupiter.api.Test;

/** The Pi4J board over Pi4J's mock providers (test scope): the same contract as the simulated board. */
class GpioBoardMockTest extends BoardContract {

    private Context pi4j;

    @Override
    protected Board newBoard() throws Exception {
        pi4j = Pi4J.newContextBuilder().add(MockDigitalInputProvider.newInstance(), MockDigitalOutputProvider.newInstance())
                .build();
        // the loop starts closed: the input reads low
        GpioBoard b = new GpioBoard(pi4j, PinMap.PI4, "mock", HOLD, null) {
        };
        input("tamper").mockState(DigitalState.LOW);
        input("zeroise").mockState(DigitalState.HIGH);
        b.tamperLoopClosed();
        return b;
    }

    private MockDigitalInput input(String id) {
        return (MockDigitalInput) pi4j.registry().get(id);
    }

    @Override
    protected void tamperLoop(boolean closed) {
        input("tamper").mockState(closed ? DigitalState.LOW : DigitalState.HIGH);
    }

    @Override
    protected void zeroiseButton(boolean pressed) {
        input("zeroise").mockState(pressed ? DigitalState.LOW : DigitalState.HIGH);
    }

    @Test
    void aConfiguredRealBoardThatIsNotThereIsAnError() {
        BoardException e = assertThrows(BoardException.class, () -> GpioBoard.openGpiod(PinMap.PI4, HOLD).close());
        assertTrue(e.getMessage().contains("no GPIO character device") && e.getMessage().contains("pi4"), e.getMessage());
    }
}
