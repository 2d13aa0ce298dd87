package isg.relay;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Logging from the packet path: at most one line per class per ten seconds, with a count of the rest. */
final class RateLimitedLog {

    private static final long INTERVAL_NANOS = 10_000_000_000L;
    private static final ConcurrentHashMap<Class<?>, long[]> STATE = new ConcurrentHashMap<>();
    private static final AtomicLong SUPPRESSED = new AtomicLong();

    private RateLimitedLog() {
    }

    static void warn(Class<?> where, String message) {
        long now = System.nanoTime();
        long[] last = STATE.computeIfAbsent(where, c -> new long[] {now - INTERVAL_NANOS});
        synchronized (last) {
            if (now - last[0] < INTERVAL_NANOS) {
                SUPPRESSED.incrementAndGet();
                return;
            }
            last[0] = now;
        }
        long more = SUPPRESSED.getAndSet(0);
        System.getLogger(where.getName()).log(System.Logger.Level.WARNING,
                message + (more > 0 ? " (" + more + " similar messages suppressed)" : ""));
    }
}
