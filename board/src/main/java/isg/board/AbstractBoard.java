package isg.board;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What every board does the same way: LED patterns driven by one blinker thread, tamper edges
 * (fail closed), the zeroise button's hold time, listeners, and the SoC temperature from
 * {@code /sys/class/thermal}. Implementations set output levels and report input levels.
 */
abstract class AbstractBoard implements Board {

    private static final System.Logger LOG = System.getLogger(AbstractBoard.class.getName());
    private static final long TICK_MILLIS = 62;

    private final Map<Led, LedPattern> patterns = new EnumMap<>(Led.class);
    private final List<Runnable> tamperListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> zeroiseListeners = new CopyOnWriteArrayList<>();
    private final Duration zeroiseHold;
    protected final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "board");
        t.setDaemon(true);
        return t;
    });
    private final long start = System.nanoTime();
    private volatile boolean tampered;
    private ScheduledFuture<?> zeroiseCheck;

    AbstractBoard(Duration zeroiseHold) {
        this.zeroiseHold = zeroiseHold;
        for (Led l : Led.values()) {
            patterns.put(l, LedPattern.OFF);
        }
    }

    /** Starts the blinker; subclasses call it last in their constructor, once their outputs exist. */
    protected final void startDriving() {
        scheduler.scheduleAtFixedRate(this::drive, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Sets the physical level of an LED. */
    protected abstract void output(Led led, boolean on);

    private long millis() {
        return (System.nanoTime() - start) / 1_000_000;
    }

    private void drive() {
        long now = millis();
        for (Led l : Led.values()) {
            try {
                // Pattern read and level written under one lock: otherwise a pattern set between
                // the two would be overwritten by the old pattern's level until the next tick.
                synchronized (this) {
                    output(l, patterns.get(l).litAt(now));
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot drive LED " + l + ": " + e);
            }
        }
    }

    @Override
    public synchronized void led(Led led, LedPattern pattern) {
        patterns.put(led, pattern);
        output(led, pattern.litAt(millis()));
    }

    @Override
    public synchronized LedPattern led(Led led) {
        return patterns.get(led);
    }

    @Override
    public void onTamper(Runnable listener) {
        tamperListeners.add(listener);
    }

    @Override
    public void onZeroiseButton(Runnable listener) {
        zeroiseListeners.add(listener);
    }

    /** Report the tamper input: closed loop, open loop, or {@code null} for an unreadable input. */
    protected final void tamperInput(Boolean loopClosed) {
        boolean tamper = loopClosed == null || !loopClosed;
        if (tamper && !tampered) {
            tampered = true;
            for (Runnable r : tamperListeners) {
                scheduler.execute(r);
            }
        } else if (!tamper) {
            tampered = false;
        }
    }

    protected final boolean tampered() {
        return tampered;
    }

    /** Report the zeroise button: pressed or released; held for the hold time, it fires once. */
    protected final synchronized void zeroiseInput(boolean pressed) {
        if (pressed && zeroiseCheck == null) {
            zeroiseCheck = scheduler.schedule(() -> {
                synchronized (this) {
                    zeroiseCheck = null;
                }
                if (zeroiseStillPressed()) {
                    zeroiseListeners.forEach(Runnable::run);
                }
            }, zeroiseHold.toMillis(), TimeUnit.MILLISECONDS);
        } else if (!pressed && zeroiseCheck != null) {
            zeroiseCheck.cancel(false);
            zeroiseCheck = null;
        }
    }

    /** Whether the button is still down when the hold time ends. */
    protected abstract boolean zeroiseStillPressed();

    @Override
    public OptionalDouble socTemperature() {
        Path p = Path.of("/sys/class/thermal/thermal_zone0/temp");
        try {
            return OptionalDouble.of(Long.parseLong(Files.readString(p).trim()) / 1000.0);
        } catch (java.io.IOException | RuntimeException e) {
            return OptionalDouble.empty();
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
