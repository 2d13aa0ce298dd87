package isg.relay;

import isg.srtp.MasterKey;
import isg.srtp.SrtpSuite;
import java.net.InetSocketAddress;

/**
 * A session to create. For {@code REPROTECT} the inside leg's suite and keys (the MC side's
 * SDES-style keys: the one it sends with, the one ISG sends to it with); for {@code HOP} none.
 * The outside remote may be left out and learnt from the first authenticated packet.
 */
public record SessionSpec(String id, Session.Mode mode, String partner, InetSocketAddress insideRemote,
        InetSocketAddress outsideRemote, SrtpSuite insideSuite, MasterKey insideReceiveKey, MasterKey insideSendKey) {

    @Override
    public String toString() {
        return "SessionSpec[" + id + ", " + mode + ", partner " + partner + "]";
    }
}
