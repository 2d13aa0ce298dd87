package isg.relay;

import isg.srtp.MasterKey;
import isg.srtp.SrtpSuite;
import java.net.InetSocketAddress;

/**
 * A session to create. For {@code REPROTECT} the inside leg's suite and keys (the MC side's
 * SDES-style keys: the one it sends with, the one ISG sends to it with); for {@code HOP} none.
 * The outside remote may be left out and learnt from the first authenticated packet. The
 * partner's nonce (interconnect v2) is given when the partner gateway created its half first;
 * without it the outside leg waits for {@link Relay#key}. {@code insideRocRate}: the inside's
 * RFC 4771 RCCm3 ROC transmission rate (0: the ROC is not carried), for MC media profiled by
 * TS 33.180 Table E.2-1.
 */
public record SessionSpec(String id, Session.Mode mode, String partner, InetSocketAddress insideRemote,
        InetSocketAddress outsideRemote, SrtpSuite insideSuite, MasterKey insideReceiveKey, MasterKey insideSendKey,
        byte[] partnerNonce, int insideRocRate) {

    /** A session whose outside leg is keyed later, by {@link Relay#key}. */
    public SessionSpec(String id, Session.Mode mode, String partner, InetSocketAddress insideRemote,
            InetSocketAddress outsideRemote, SrtpSuite insideSuite, MasterKey insideReceiveKey, MasterKey insideSendKey) {
        this(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey, insideSendKey, null, 0);
    }

    /** A session whose inside carries no ROC (no RFC 4771 RCCm3). */
    public SessionSpec(String id, Session.Mode mode, String partner, InetSocketAddress insideRemote,
            InetSocketAddress outsideRemote, SrtpSuite insideSuite, MasterKey insideReceiveKey, MasterKey insideSendKey,
            byte[] partnerNonce) {
        this(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey, insideSendKey, partnerNonce,
                0);
    }

    /** The same session with the partner gateway's nonce. */
    public SessionSpec withPartnerNonce(byte[] nonce) {
        return new SessionSpec(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey,
                insideSendKey, nonce, insideRocRate);
    }

    /** The same session with another inside send key. */
    public SessionSpec withInsideSendKey(MasterKey key) {
        return new SessionSpec(id, mode, partner, insideRemote, outsideRemote, insideSuite, insideReceiveKey, key,
                partnerNonce, insideRocRate);
    }

    /** The same session with the inside protected as {@code suite} with RCCm3 rate {@code rocRate} (0: none). */
    public SessionSpec withInsideProfile(SrtpSuite suite, int rocRate) {
        return new SessionSpec(id, mode, partner, insideRemote, outsideRemote, suite, insideReceiveKey, insideSendKey,
                partnerNonce, rocRate);
    }

    @Override
    public String toString() {
        return "SessionSpec[" + id + ", " + mode + ", partner " + partner + "]";
    }
}
