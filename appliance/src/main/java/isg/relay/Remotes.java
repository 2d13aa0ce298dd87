package isg.relay;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Enumeration;

/**
 * What a leg's peer may be: one unicast host of the leg's address family. Not the unspecified
 * address (0.0.0.0, ::), not a broadcast address (255.255.255.255, 127.255.255.255 or a local
 * interface's), not a multicast group unless the configuration allows one on the inside, and not
 * an IPv6 address on a leg bound to IPv4 (or the reverse, unless the leg is bound to the IPv6
 * wildcard, which serves both).
 */
final class Remotes {

    private Remotes() {
    }

    static void check(InetAddress peer, InetAddress legLocal, boolean multicastAllowed, String field)
            throws RelayException {
        if (peer.isAnyLocalAddress()) {
            throw new RelayException(400, field + ": " + peer.getHostAddress() + " is the unspecified address, not a "
                    + "peer; give the unicast address of the host that sends and receives the media");
        }
        boolean v4 = peer instanceof Inet4Address;
        boolean legV4 = legLocal instanceof Inet4Address;
        boolean dualStack = legLocal instanceof Inet6Address && legLocal.isAnyLocalAddress();
        if (v4 != legV4 && !dualStack) {
            throw new RelayException(400, field + ": " + peer.getHostAddress() + " is an IPv" + (v4 ? 4 : 6)
                    + " address but this leg is bound to IPv" + (legV4 ? 4 : 6) + " (" + legLocal.getHostAddress()
                    + ")");
        }
        if (peer.isMulticastAddress()) {
            if (!multicastAllowed) {
                throw new RelayException(400, field + ": " + peer.getHostAddress() + " is a multicast group; "
                        + (field.startsWith("outside") ? "the partner gateway is one unicast host"
                                : "set relay.multicastRemotes: true to send the inside to a group"));
            }
            return;
        }
        if (v4 && isBroadcast((Inet4Address) peer)) {
            throw new RelayException(400, field + ": " + peer.getHostAddress() + " is a broadcast address, not a peer");
        }
    }

    private static boolean isBroadcast(Inet4Address a) {
        byte[] b = a.getAddress();
        if ((b[0] & b[1] & b[2] & b[3]) == (byte) 0xFF) {
            return true;
        }
        if (b[0] == 127 && (b[1] & b[2] & b[3]) == (byte) 0xFF) {
            // loopback's broadcast: the kernel routes it as one (and refuses to send there), but
            // Java names no broadcast address for an interface without IFF_BROADCAST, as lo is
            return true;
        }
        try {
            for (Enumeration<NetworkInterface> e = NetworkInterface.getNetworkInterfaces(); e != null
                    && e.hasMoreElements(); ) {
                for (InterfaceAddress ia : e.nextElement().getInterfaceAddresses()) {
                    if (a.equals(ia.getBroadcast())) {
                        return true;
                    }
                }
            }
        } catch (SocketException e) {
            // interfaces unreadable: the limited broadcast above is still refused
        }
        return false;
    }
}
