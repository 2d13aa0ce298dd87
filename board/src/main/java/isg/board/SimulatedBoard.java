package isg.board;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A board in software, for development, the demo and CI: LEDs a test can read (and the console
 * can draw), a tamper loop and a zeroise button a test can operate, a watchdog that counts kicks
 * and notices when they stop. Never chosen silently in place of real hardware.
 */
public final class SimulatedBoard extends AbstractBoard {

    private final Map<Led, Boolean> levels = new EnumMap<>(Led.class);

    private volatile Boolean tamperLoop = Boolean.TRUE;
    private volatile boolean zeroisePressed;
    private final AtomicLong kicks = new AtomicLong();
    private volatile long lastKickNanos = System.nanoTime();
    private volatile Double temperature;

    public SimulatedBoard() {
        this(Duration.ofSeconds(3));
    }

    public SimulatedBoard(Duration zeroiseHold) {
        super(zeroiseHold);
        startDriving();
    }

    @Override
    public String describe() {
        return "simulated board";
    }

    @Override
    protected synchronized void output(Led led, boolean on) {
        levels.put(led, on);
    }

    @Override
    public synchronized boolean lit(Led led) {
        return Boolean.TRUE.equals(levels.get(led));
    }

    @Override
    public boolean tamperLoopClosed() {
        return Boolean.TRUE.equals(tamperLoop) && !tampered();
    }

    /** Closes or opens the tamper loop. */
    public void tamperLoop(boolean closed) {
        tamperLoop = closed;
        tamperInput(closed);
    }

    /** The tamper input stops answering (a cut wire that reads neither level). */
    public void tamperInputFails() {
        tamperLoop = null;
        tamperInput(null);
    }

    public void zeroiseButton(boolean pressed) {
        zeroisePressed = pressed;
        zeroiseInput(pressed);
    }

    @Override
    protected boolean zeroiseStillPressed() {
        return zeroisePressed;
    }

    @Override
    public void kickWatchdog() {
        kicks.incrementAndGet();
        lastKickNanos = System.nanoTime();
    }

    public long watchdogKicks() {
        return kicks.get();
    }

    /** Whether a hardware watchdog with this timeout would have reset the box by now. */
    public boolean watchdogWouldFire(Duration timeout) {
        return System.nanoTime() - lastKickNanos > timeout.toNanos();
    }

    public void temperature(double celsius) {
        this.temperature = celsius;
    }

    @Override
    public OptionalDouble socTemperature() {
        Double t = temperature;
        return t != null ? OptionalDouble.of(t) : super.socTemperature();
    }
}
