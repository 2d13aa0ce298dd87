package isg.box;

import isg.board.Board;
import isg.board.Led;
import isg.board.LedPattern;
import isg.hsm.KeyVault;
import isg.relay.Counters;
import isg.relay.Relay;
import isg.relay.Session;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the LEDs show, from the box's health, four times a second:
 *
 * <pre>
 * RUN      slow blink: starting   steady: forwarding   fast blink: self-test failed   off: stopped
 * IN/OUT   steady: packets on that side in the last 2 s   slow blink: sessions but quiet   off: no sessions
 * HSM      steady: vault answers   fast blink: vault down   off: zeroised
 * ALARM    steady: an alarm is active (tamper, zeroised, vault down)   off: none
 * </pre>
 * The hardware watchdog is kicked from the same loop, only while the box is healthy (vault up,
 * not zeroised): a hung or broken box is reset by the watchdog.
 */
public final class FrontPanel implements AutoCloseable {

    private final Board board;
    private final Relay relay;
    private final KeyVault vault;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "front-panel");
        t.setDaemon(true);
        return t;
    });
    private long insideSeen;
    private long outsideSeen;
    private long insideQuietSince = System.nanoTime();
    private long outsideQuietSince = System.nanoTime();

    public FrontPanel(Board board, Relay relay, KeyVault vault) {
        this.board = board;
        this.relay = relay;
        this.vault = vault;
        board.led(Led.RUN, LedPattern.SLOW_BLINK);
        loop.scheduleAtFixedRate(this::update, 0, 250, TimeUnit.MILLISECONDS);
    }

    /** The self-test failed: RUN blinks fast, ALARM on, no watchdog kicks. */
    public static void selfTestFailed(Board board) {
        board.led(Led.RUN, LedPattern.FAST_BLINK);
        board.led(Led.ALARM, LedPattern.STEADY);
    }

    synchronized void update() {
        boolean zeroised = relay.zeroised();
        boolean vaultUp = !zeroised && vault.healthy();
        board.led(Led.RUN, zeroised ? LedPattern.FAST_BLINK : LedPattern.STEADY);
        board.led(Led.HSM, zeroised ? LedPattern.OFF : vaultUp ? LedPattern.STEADY : LedPattern.FAST_BLINK);
        long in = 0;
        long out = 0;
        for (Session s : relay.sessions()) {
            in += s.inside().counters().packetsIn();
            out += s.outside().counters().packetsIn();
        }
        long now = System.nanoTime();
        if (in != insideSeen) {
            insideSeen = in;
            insideQuietSince = now;
        }
        if (out != outsideSeen) {
            outsideSeen = out;
            outsideQuietSince = now;
        }
        boolean sessions = !relay.sessions().isEmpty() && !zeroised;
        board.led(Led.INSIDE_LINK, link(sessions, now - insideQuietSince));
        board.led(Led.OUTSIDE_LINK, link(sessions, now - outsideQuietSince));
        board.led(Led.ALARM, zeroised || !vaultUp || !board.tamperLoopClosed() ? LedPattern.STEADY : LedPattern.OFF);
        if (vaultUp && board.tamperLoopClosed()) {
            board.kickWatchdog();
        }
    }

    private static LedPattern link(boolean sessions, long quietNanos) {
        if (!sessions) {
            return LedPattern.OFF;
        }
        return quietNanos < 2_000_000_000L ? LedPattern.STEADY : LedPattern.SLOW_BLINK;
    }

    /** Counters of all sessions, for status. */
    public Counters totals() {
        return relay.totals();
    }

    @Override
    public void close() {
        loop.shutdownNow();
        board.led(Led.RUN, LedPattern.OFF);
    }
}
