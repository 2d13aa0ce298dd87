package isg.relay;

import isg.srtp.PacketBuffer;

/**
 * What the sessions of one event loop share: the scratch buffer a datagram is copied into for the
 * engine (room for the largest datagram a leg accepts and what protection adds) and the loop's
 * counters, from which the relay's totals are summed. Sessions of one loop never run at the same
 * time, so one buffer serves them all, and no counter is written by two threads.
 */
final class LoopShare {

    final byte[] scratch;
    final PacketBuffer pb = new PacketBuffer();
    final Counters totals = new Counters();

    LoopShare(int maxDatagram) {
        // an outside datagram may be ROOM over the limit, and re-protecting it for the inside adds more
        scratch = new byte[maxDatagram + 2 * Session.ROOM];
    }
}
