package isg.box;

import isg.board.Board;
import isg.board.Led;
import isg.board.LedPattern;
import isg.hsm.Actor;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import isg.relay.Relay;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Tamper and the zeroise button (DESIGN §6): session keys in memory are wiped first (the relay
 * stops forwarding in both directions at once), then the vault is zeroised (secrets destroyed,
 * session logged out), the alarm LED lights and an alarm is raised. The box stays up to report,
 * and refuses new sessions until an operator re-keys it.
 */
public final class TamperGuard {

    private static final System.Logger LOG = System.getLogger(TamperGuard.class.getName());

    /** What happened, for status and alarms. */
    public record Zeroisation(String cause, long sessionsWiped, long keysWipedAtNanos, int vaultKeysDestroyed,
            String vaultResult, List<String> errors) {
    }

    private final Relay relay;
    private final KeyVault vault;
    private final Board board;
    private final List<Consumer<Zeroisation>> listeners = new CopyOnWriteArrayList<>();
    private volatile Zeroisation last;

    public TamperGuard(Relay relay, KeyVault vault, Board board) {
        this.relay = relay;
        this.vault = vault;
        this.board = board;
        board.onTamper(() -> zeroise("tamper loop opened"));
        board.onZeroiseButton(() -> zeroise("zeroise button held"));
    }

    /** Memory that holds keys beside the relay's sessions (the MC key ring): wiped with them, before the vault. */
    public void alsoWipe(Runnable wipe) {
        wipers.add(wipe);
    }

    private final List<Runnable> wipers = new CopyOnWriteArrayList<>();

    public void onZeroised(Consumer<Zeroisation> listener) {
        listeners.add(listener);
    }

    public Zeroisation last() {
        return last;
    }

    /**
     * Zeroises now. Every step runs whatever the steps before it did: a wiper that throws is
     * reported (in {@link Zeroisation#errors()}, the log and the listeners) and the next one, the
     * vault and the alarm LED still run. The first call does the work; a repeated trigger (the
     * loop bouncing, the button held again) only reports the first zeroisation again.
     */
    public synchronized Zeroisation zeroise(String cause) {
        if (last != null) {
            LOG.log(System.Logger.Level.WARNING, "zeroise again (" + cause + "): already zeroised ("
                    + last.cause() + "); reporting again");
            notifyListeners(last);
            return last;
        }
        long t0 = System.nanoTime();
        List<String> errors = new java.util.ArrayList<>();
        long wiped = 0;
        try {
            wiped = relay.zeroise();
        } catch (RuntimeException | Error e) {
            errors.add("relay: " + describe(e));
        }
        int step = 0;
        for (Runnable w : wipers) {
            step++;
            try {
                w.run();
            } catch (RuntimeException | Error e) {
                errors.add("wiper " + step + ": " + describe(e));
            }
        }
        long wipedAt = System.nanoTime();
        double millis = (wipedAt - t0) / 1e6;
        int destroyed = 0;
        String result;
        try {
            destroyed = vault.zeroise(Actor.INTERNAL);
            result = "zeroised";
        } catch (VaultException e) {
            result = e.reason() + ": " + e.getMessage();
            errors.add("vault: " + result);
        } catch (RuntimeException | Error e) {
            result = "failed: " + describe(e);
            errors.add("vault: " + result);
        }
        try {
            board.led(Led.ALARM, LedPattern.STEADY);
        } catch (RuntimeException | Error e) {
            errors.add("alarm LED: " + describe(e));
        }
        Zeroisation z = new Zeroisation(cause, wiped, wipedAt, destroyed, result, List.copyOf(errors));
        last = z;
        LOG.log(System.Logger.Level.ERROR, "ZEROISED (" + cause + "): " + wiped + " sessions' keys wiped in "
                + String.format("%.3f", millis) + " ms; vault: " + result + " (" + destroyed + " keys destroyed)"
                + (errors.isEmpty() ? "" : "; steps that failed: " + String.join("; ", errors)));
        notifyListeners(z);
        return z;
    }

    private void notifyListeners(Zeroisation z) {
        for (Consumer<Zeroisation> l : listeners) {
            try {
                l.accept(z);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "reporting the zeroisation failed: " + describe(e));
            }
        }
    }

    /** An exception's class and message only: a wiper's message never carries key bytes, but no stack goes to the panel. */
    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
