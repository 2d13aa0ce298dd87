package isg.relay;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/** An MC client or server on loopback: a real RTP socket and the RTCP socket on the next port. */
final class UdpPeer implements AutoCloseable {

    final DatagramSocket rtp;
    final DatagramSocket rtcp;

    UdpPeer() throws IOException {
        DatagramSocket a = null;
        DatagramSocket b = null;
        for (int attempt = 0; attempt < 50 && b == null; attempt++) {
            a = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int p = a.getLocalPort();
            if ((p & 1) == 0) {
                try {
                    b = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), p + 1));
                } catch (IOException e) {
                    b = null;
                }
            }
            if (b == null) {
                a.close();
            }
        }
        if (b == null) {
            throw new IOException("no free even/odd port pair");
        }
        rtp = a;
        rtcp = b;
        rtp.setReceiveBufferSize(4 << 20);
        rtcp.setReceiveBufferSize(4 << 20);
        rtp.setSoTimeout(2000);
        rtcp.setSoTimeout(2000);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) rtp.getLocalSocketAddress();
    }

    void send(boolean isRtcp, byte[] data, InetSocketAddress rtpDest) throws IOException {
        InetSocketAddress d = isRtcp ? new InetSocketAddress(rtpDest.getAddress(), rtpDest.getPort() + 1) : rtpDest;
        (isRtcp ? rtcp : rtp).send(new DatagramPacket(data, data.length, d));
    }

    /** The next datagram, or null after the timeout. */
    byte[] receive(boolean isRtcp, int timeoutMillis) throws IOException {
        DatagramSocket s = isRtcp ? rtcp : rtp;
        s.setSoTimeout(timeoutMillis);
        byte[] buf = new byte[65536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(buf, p.getLength());
    }

    @Override
    public void close() {
        rtp.close();
        rtcp.close();
    }
}
