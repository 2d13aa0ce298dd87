package isg.hsm;

/** Who asked for a key operation, as the audit log records it. */
public enum Actor {
    CLI, API, INTERNAL
}
