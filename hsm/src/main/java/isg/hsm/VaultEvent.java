package isg.hsm;

import java.time.Instant;

/** A change the status reporting should hear about: the vault went down, came back, or was zeroised. */
public record VaultEvent(Instant time, Kind kind, String detail) {

    public enum Kind {
        DOWN, UP, ZEROISED
    }
}
