package isg.relay;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;

/**
 * What the relay needs to know: this gateway's id (both gateways of a session derive the
 * interconnect keys from it), where the inside and outside legs bind and which ports they use,
 * the partners, and limits.
 *
 * @param partners partner gateway id to its interconnect master key URI in the vault
 * @param connectedSockets connect each leg's sockets to its peer once the peer is known: the kernel
 *     then drops datagrams from any other source before they reach ISG (counted host-wide as Udp
 *     NoPorts, not per leg), reads need no sender address, and forwarding allocates ≈24 bytes per
 *     packet instead of ≈176; reads are then one datagram per system call instead of recvmmsg
 * @param maxDatagram the largest datagram a leg accepts, in bytes ({@value #MIN_DATAGRAM} to
 *     {@value #MAX_DATAGRAM}, default the largest): a larger one is dropped as MALFORMED and
 *     counted with its true size; a hop session delivers every datagram up to it byte-identical
 * @param multicastRemotes whether an inside remote may be a multicast group (outside remotes never)
 * @param transport {@code auto} (epoll where it loads, NIO elsewhere), {@code epoll} (refuse to start
 *     without it) or {@code nio}
 */
public record RelayConfig(String gatewayId, InetAddress insideAddress, int insidePortMin, int insidePortMax,
        InetAddress outsideAddress, int outsidePortMin, int outsidePortMax, Map<String, String> partners,
        Duration idleTimeout, int maxSessions, String backend, boolean connectedSockets, int maxDatagram,
        boolean multicastRemotes, String transport) {

    /** The transports a relay can run on. */
    public static final java.util.Set<String> TRANSPORTS = java.util.Set.of("auto", "epoll", "nio");

    /**
     * The largest accepted datagram that still fits a UDP payload over IPv4 (65,507 bytes) once
     * protection added its tag, SRTCP index and MKI.
     */
    public static final int MAX_DATAGRAM = 65_400;
    /** Smaller than this would refuse ordinary voice packets. */
    public static final int MIN_DATAGRAM = 256;

    /** Accepting datagrams of any size up to {@link #MAX_DATAGRAM}, no multicast. */
    public RelayConfig(String gatewayId, InetAddress insideAddress, int insidePortMin, int insidePortMax,
            InetAddress outsideAddress, int outsidePortMin, int outsidePortMax, Map<String, String> partners,
            Duration idleTimeout, int maxSessions, String backend, boolean connectedSockets) {
        this(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin, outsidePortMax,
                partners, idleTimeout, maxSessions, backend, connectedSockets, MAX_DATAGRAM, false, "auto");
    }

    /** The same configuration on another transport. */
    public RelayConfig withTransport(String t) {
        return new RelayConfig(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin,
                outsidePortMax, partners, idleTimeout, maxSessions, backend, connectedSockets, maxDatagram,
                multicastRemotes, t);
    }

    /** The same configuration with another datagram limit. */
    public RelayConfig withMaxDatagram(int bytes) {
        return new RelayConfig(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin,
                outsidePortMax, partners, idleTimeout, maxSessions, backend, connectedSockets, bytes, multicastRemotes,
                transport);
    }

    /** With unconnected sockets: every wrong-source datagram is seen and counted per leg. */
    public RelayConfig(String gatewayId, InetAddress insideAddress, int insidePortMin, int insidePortMax,
            InetAddress outsideAddress, int outsidePortMin, int outsidePortMax, Map<String, String> partners,
            Duration idleTimeout, int maxSessions, String backend) {
        this(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin, outsidePortMax,
                partners, idleTimeout, maxSessions, backend, false);
    }

    public RelayConfig {
        if (gatewayId == null || gatewayId.isBlank()) {
            throw new IllegalArgumentException("gateway id is required");
        }
        checkRange("inside", insidePortMin, insidePortMax);
        checkRange("outside", outsidePortMin, outsidePortMax);
        if (!TRANSPORTS.contains(transport)) {
            throw new IllegalArgumentException("relay.transport must be auto, epoll or nio, got '" + transport + "'");
        }
        if (maxDatagram < MIN_DATAGRAM || maxDatagram > MAX_DATAGRAM) {
            throw new IllegalArgumentException("relay.maxDatagram must be " + MIN_DATAGRAM + "-" + MAX_DATAGRAM
                    + " bytes, got " + maxDatagram);
        }
        partners = Map.copyOf(partners);
    }

    private static void checkRange(String leg, int min, int max) {
        if (min < 1024 || max > 65535 || min > max - 1) {
            throw new IllegalArgumentException(leg + " port range " + min + "-" + max
                    + " must lie within 1024-65535 and hold at least one RTP/RTCP pair");
        }
    }
}
