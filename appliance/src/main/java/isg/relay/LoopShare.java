package isg.relay;

import isg.srtp.PacketBuffer;

/**
 * What the sessions of one event loop share: the scratch buffer a datagram is copied into for the
 * engine (room for the largest datagram a leg accepts and what protection adds) and the loop's
 * counters, from which the relay's totals are summed; and, where datagrams are judged late, the
 * bound and the loop's {@link ArrivalClock}. Sessions of one loop never run at the same time, so
 * one buffer serves them all, and no counter is written by two threads.
 */
final class LoopShare {

    final byte[] scratch;
    final PacketBuffer pb = new PacketBuffer();
    final Counters totals = new Counters();
    /** Null where lateness is not judged (off, no stamps, or not epoll). */
    final ArrivalClock clock;
    /** The latency bound in nanoseconds (meaningful only with a clock). */
    final long boundNanos;

    LoopShare(int maxDatagram) {
        this(maxDatagram, null, 0);
    }

    LoopShare(int maxDatagram, ArrivalClock clock, long boundNanos) {
        this.clock = clock;
        this.boundNanos = boundNanos;
        // an outside datagram may be ROOM over the limit, and re-protecting it for the inside adds more
        scratch = new byte[maxDatagram + 2 * Session.ROOM];
    }
}
