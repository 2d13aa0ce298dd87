package isg.channel;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one service with one partner, in one direction: {@code service} (our inside
 * listener, streams we open) or {@code export} (streams the partner opens to our inside target).
 */
public final class StreamCounters {

    final String partner;
    final String service;
    final String direction;
    final AtomicInteger active = new AtomicInteger();
    final LongAdder opened = new LongAdder();
    final LongAdder bytesToPartner = new LongAdder();
    final LongAdder bytesFromPartner = new LongAdder();
    private final Map<Frame.Reason, LongAdder> refused = new EnumMap<>(Frame.Reason.class);

    StreamCounters(String partner, String service, String direction) {
        this.partner = partner;
        this.service = service;
        this.direction = direction;
        for (Frame.Reason r : Frame.Reason.values()) {
            refused.put(r, new LongAdder());
        }
    }

    void refused(Frame.Reason r) {
        refused.get(r).increment();
    }

    public String partner() {
        return partner;
    }

    public String service() {
        return service;
    }

    public String direction() {
        return direction;
    }

    public int active() {
        return active.get();
    }

    public long opened() {
        return opened.sum();
    }

    public long bytesToPartner() {
        return bytesToPartner.sum();
    }

    public long bytesFromPartner() {
        return bytesFromPartner.sum();
    }

    /** Refusals (and resets) by reason, only those that happened. */
    public Map<Frame.Reason, Long> refusals() {
        Map<Frame.Reason, Long> m = new EnumMap<>(Frame.Reason.class);
        refused.forEach((r, n) -> {
            long v = n.sum();
            if (v > 0) {
                m.put(r, v);
            }
        });
        return m;
    }
}
