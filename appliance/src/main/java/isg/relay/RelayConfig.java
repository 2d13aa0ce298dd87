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
 * @param latencyBound how long a datagram may wait for the relay (counted from its arrival in the
 *     kernel) and still be forwarded: one that waited longer is dropped as {@link DropReason#LATE}
 *     (default {@link #DEFAULT_LATENCY_BOUND}, for voice); zero turns the check off. Needs the epoll
 *     transport and the arrival stamps ({@link ArrivalClock}).
 */
public record RelayConfig(String gatewayId, InetAddress insideAddress, int insidePortMin, int insidePortMax,
        InetAddress outsideAddress, int outsidePortMin, int outsidePortMax, Map<String, String> partners,
        Duration idleTimeout, int maxSessions, String backend, boolean connectedSockets, int maxDatagram,
        boolean multicastRemotes, String transport, Duration latencyBound) {

    /**
     * Voice: ITU-T G.114 puts the one-way budget at 150 ms for the whole path, so one box of it
     * holding a packet longer than 60 ms only makes the receiver's jitter buffer discard it later.
     */
    public static final Duration DEFAULT_LATENCY_BOUND = Duration.ofMillis(60);
    /** Longer than this is not a bound on media latency any more. */
    public static final Duration MAX_LATENCY_BOUND = Duration.ofSeconds(10);

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
                partners, idleTimeout, maxSessions, backend, connectedSockets, MAX_DATAGRAM, false, "auto",
                DEFAULT_LATENCY_BOUND);
    }

    /** The same configuration on another transport. */
    public RelayConfig withTransport(String t) {
        return new RelayConfig(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin,
                outsidePortMax, partners, idleTimeout, maxSessions, backend, connectedSockets, maxDatagram,
                multicastRemotes, t, latencyBound);
    }

    /** The same configuration with connected (or unconnected) sockets. */
    public RelayConfig withConnectedSockets(boolean connected) {
        return new RelayConfig(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin,
                outsidePortMax, partners, idleTimeout, maxSessions, backend, connected, maxDatagram, multicastRemotes,
                transport, latencyBound);
    }

    /** The same configuration with another latency bound (zero: off). */
    public RelayConfig withLatencyBound(Duration bound) {
        return new RelayConfig(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin,
                outsidePortMax, partners, idleTimeout, maxSessions, backend, connectedSockets, maxDatagram,
                multicastRemotes, transport, bound);
    }

    /** The same configuration with another datagram limit. */
    public RelayConfig withMaxDatagram(int bytes) {
        return new RelayConfig(gatewayId, insideAddress, insidePortMin, insidePortMax, outsideAddress, outsidePortMin,
                outsidePortMax, partners, idleTimeout, maxSessions, backend, connectedSockets, bytes, multicastRemotes,
                transport, latencyBound);
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
        if (latencyBound == null || latencyBound.isNegative() || latencyBound.compareTo(MAX_LATENCY_BOUND) > 0
                || (!latencyBound.isZero() && latencyBound.toMillis() < 1)) {
            throw new IllegalArgumentException("relay.latencyBound must be 1 ms to " + MAX_LATENCY_BOUND.toSeconds()
                    + " s, or 0 (off), got " + latencyBound);
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
