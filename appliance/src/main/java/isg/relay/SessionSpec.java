package isg.relay;

import isg.srtp.MasterKey;
import isg.srtp.SrtpSuite;
import java.net.InetSocketAddress;

/**
 * A session to create. For {@code REPROTECT} the inside leg's suite and keys (the MC side's
 * SDES-style keys: the one it sends with, the one ISG sends to it with); for {@code HOP} none.
 * The outside remote may be left out and learnt from the first authenticated packet. The
 * partner's nonce (interconnect v2) is given when the partner gateway created its half first;
 * without it the outside leg waits for {@link Relay#key}.
 */
public record SessionSpec(String id, Session.Mode mode, String partner, InetSocketAddress insideRemote,
        InetSocketAddress outsideRemote, SrtpSuite insideSuite, MasterKey insideReceiveKey, MasterKey insideSendKey,
        byte[] partnerNonce) {

    /** A session whose outside leg is keyed later, by {@link Relay#key}. */
    public SessionSpec(String id, Session.Mode mode, String partner, InetSocketAddress insideRemote,
            InetSocketAddress outsideRemote, SrtpSuite insideSuite, MasterKey insideReceiveKey, MasterKey insideSendKey) {
        this(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey, insideSendKey, null);
    }

    /** The same session with the partner gateway's nonce. */
    public SessionSpec withPartnerNonce(byte[] nonce) {
        return new SessionSpec(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey,
                insideSendKey, nonce);
    }

    /** The same session with another inside send key. */
    public SessionSpec withInsideSendKey(MasterKey key) {
        return new SessionSpec(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey, key,
                partnerNonce);
    }

    @Override
    public String toString() {
        return "SessionSpec[" + id + ", " + mode + ", partner " + partner + "]";
    }
}
