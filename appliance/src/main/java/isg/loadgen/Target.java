package isg.loadgen;

import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpSender;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A media gateway under test, set up through its own control protocol: ISG through its control
 * API ({@link IsgTarget}), rtpengine through its ng protocol ({@link RtpengineTarget}). Each call
 * crosses it from an SRTP endpoint (AES_CM_128_HMAC_SHA1_80) to a far endpoint that receives
 * AEAD_AES_128_GCM under keys the gateway chose or derived, never the sender's.
 */
public interface Target extends AutoCloseable {

    /** One call as the generator sees it. */
    record Call(String id, InetSocketAddress sendTo, SrtpSender protect, SrtpReceiver check, SrtpReceiver senderKeyAtSink) {
    }

    /** {@code isg} or {@code rtpengine}: the gw= of the BENCH line. */
    String name();

    /**
     * Sets up call {@code index}: its source sends from {@code source}, its sink receives at
     * {@code sink}. {@code senderKeyAtSink} is a context holding the sender's own key in the sink's
     * suite, which must refuse what arrives (a gateway that forwards without re-protecting fails).
     */
    Call open(int index, InetSocketAddress source, InetSocketAddress sink) throws IOException;

    /**
     * Datagrams the gateway has dropped as too late to forward since it started, by its own count,
     * or -1 where it does not say (rtpengine's drops of its backlog are not counted where the ng
     * protocol shows them).
     */
    default long droppedLate() throws IOException {
        return -1;
    }

    /** Tears down every call it opened. */
    @Override
    void close() throws IOException;
}
