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
            String vaultResult) {
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

    /** Zeroises now; the first call does the work, later ones only report again. */
    public synchronized Zeroisation zeroise(String cause) {
        long t0 = System.nanoTime();
        long wiped = relay.zeroise();
        for (Runnable w : wipers) {
            w.run();
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
        }
        board.led(Led.ALARM, LedPattern.STEADY);
        Zeroisation z = new Zeroisation(cause, wiped, wipedAt, destroyed, result);
        last = z;
        LOG.log(System.Logger.Level.ERROR, "ZEROISED (" + cause + "): " + wiped + " sessions' keys wiped in "
                + String.format("%.3f", millis) + " ms; vault: " + result + " (" + destroyed + " keys destroyed)");
        for (Consumer<Zeroisation> l : listeners) {
            l.accept(z);
        }
        return z;
    }
}
