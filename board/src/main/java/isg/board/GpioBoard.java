package isg.board;

import com.pi4j.Pi4J;
import com.pi4j.context.Context;
import com.pi4j.io.gpio.digital.DigitalInput;
import com.pi4j.io.gpio.digital.DigitalOutput;
import com.pi4j.io.gpio.digital.DigitalState;
import com.pi4j.io.gpio.digital.PullResistance;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalInputProvider;
import com.pi4j.plugin.gpiod.provider.gpio.digital.GpioDDigitalOutputProvider;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The real front panel through Pi4J 2.8 with the gpiod provider, built from an explicit context
 * (never Pi4J's auto context, which would pick a mock provider if one were on the classpath).
 * The hardware watchdog is {@code /dev/watchdog} when present.
 */
public class GpioBoard extends AbstractBoard {

    private final Context pi4j;
    private final PinMap pins;
    private final String provider;
    private final Map<Led, DigitalOutput> leds = new EnumMap<>(Led.class);
    private final DigitalInput tamper;
    private final DigitalInput zeroise;
    private final FileOutputStream watchdog;

    /**
     * Opens the Raspberry Pi GPIO through gpiod. A configured real board that is not there is an
     * error: no silent fallback to a simulated one.
     */
    public static GpioBoard openGpiod(PinMap pins, Duration zeroiseHold) throws BoardException {
        boolean chip;
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            chip = dev.anyMatch(p -> p.getFileName().toString().startsWith("gpiochip"));
        } catch (IOException e) {
            chip = false;
        }
        if (!chip) {
            throw new BoardException("board '" + pins.name() + "' is configured but this machine has no GPIO "
                    + "character device (/dev/gpiochip*); on a Raspberry Pi check the kernel and permissions, "
                    + "elsewhere configure board: simulated");
        }
        Context ctx = Pi4J.newContextBuilder()
                .add(GpioDDigitalInputProvider.newInstance(), GpioDDigitalOutputProvider.newInstance()).build();
        return new GpioBoard(ctx, pins, "gpiod", zeroiseHold, Path.of("/dev/watchdog"));
    }

    /**
     * Over a given Pi4J context whose digital I/O providers are named {@code provider}-digital-input
     * and -output (tests use Pi4J's mock providers, test scope only).
     */
    public GpioBoard(Context pi4j, PinMap pins, String provider, Duration zeroiseHold, Path watchdogDevice)
            throws BoardException {
        super(zeroiseHold);
        this.pi4j = pi4j;
        this.pins = pins;
        this.provider = provider;
        try {
            for (Led l : Led.values()) {
                leds.put(l, pi4j.create(DigitalOutput.newConfigBuilder(pi4j).id("led-" + l.name().toLowerCase())
                        .name(l.name()).address(pins.pin(l)).initial(DigitalState.LOW).shutdown(DigitalState.LOW)
                        .provider(provider + "-digital-output")));
            }
            tamper = pi4j.create(DigitalInput.newConfigBuilder(pi4j).id("tamper").name("tamper loop")
                    .address(pins.tamper()).pull(PullResistance.PULL_UP).debounce(10_000L)
                    .provider(provider + "-digital-input"));
            zeroise = pi4j.create(DigitalInput.newConfigBuilder(pi4j).id("zeroise").name("zeroise button")
                    .address(pins.zeroise()).pull(PullResistance.PULL_UP).debounce(10_000L)
                    .provider(provider + "-digital-input"));
        } catch (RuntimeException e) {
            pi4j.shutdown();
            throw new BoardException("cannot open the front panel pins (" + pins + ") through " + provider + ": "
                    + e.getMessage(), e);
        }
        tamper.addListener(e -> tamperInput(readLoop()));
        zeroise.addListener(e -> zeroiseInput(e.state() == DigitalState.LOW));
        FileOutputStream wd = null;
        if (watchdogDevice != null && Files.isWritable(watchdogDevice)) {
            try {
                wd = new FileOutputStream(watchdogDevice.toFile());
            } catch (IOException e) {
                wd = null;
            }
        }
        this.watchdog = wd;
        tamperInput(readLoop());
        startDriving();
    }

    /** Closed (low) is true, open is false, unreadable is null: fail closed. */
    private Boolean readLoop() {
        try {
            DigitalState s = tamper.state();
            return s == DigitalState.LOW ? Boolean.TRUE : s == DigitalState.HIGH ? Boolean.FALSE : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public String describe() {
        return "Raspberry Pi GPIO (" + provider + "), pin map " + pins.name()
                + (watchdog != null ? ", watchdog /dev/watchdog" : ", no hardware watchdog");
    }

    @Override
    protected void output(Led led, boolean on) {
        DigitalOutput o = leds.get(led);
        if (o != null) {
            o.state(on ? DigitalState.HIGH : DigitalState.LOW);
        }
    }

    @Override
    public boolean lit(Led led) {
        return leds.get(led).state() == DigitalState.HIGH;
    }

    @Override
    public boolean tamperLoopClosed() {
        Boolean closed = readLoop();
        tamperInput(closed);
        return Boolean.TRUE.equals(closed);
    }

    @Override
    protected boolean zeroiseStillPressed() {
        try {
            return zeroise.state() == DigitalState.LOW;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void kickWatchdog() {
        if (watchdog != null) {
            try {
                watchdog.write('k');
                watchdog.flush();
            } catch (IOException e) {
                System.getLogger(GpioBoard.class.getName()).log(System.Logger.Level.WARNING, "watchdog kick failed: " + e);
            }
        }
    }

    @Override
    public void close() {
        super.close();
        if (watchdog != null) {
            try {
                watchdog.write('V'); // magic close: a clean stop does not reset the box
                watchdog.close();
            } catch (IOException ignored) {
                // the device is gone either way
            }
        }
        pi4j.shutdown();
    }
}
