package isg.channel;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The channel section of a gateway's configuration, validated by {@code ConfigLoader}.
 *
 * @param listen where partner gateways connect (the outside address); null when this gateway only dials
 * @param keyUri the TLS_IDENTITY key in the vault
 * @param certificateUri the TLS_CERTIFICATE issued for it, in the vault
 * @param chain intermediate CA certificates to send after ours (a PEM file), or null
 * @param maxConnections TLS connections at once, handshakes included
 * @param maxHandshakes handshakes in progress at once
 * @param ioThreads event-loop threads for the channel's sockets (1 by default: a stream's inside
 *     socket and its TLS connection then share a thread, with no hand-off between threads, which
 *     measured faster than two threads on a 2-core box; handshakes run on their own threads anyway)
 */
public record ChannelConfig(InetSocketAddress listen, String keyUri, String certificateUri, Path chain,
        Duration handshakeTimeout, Duration keepAlive, int expiryWarningDays, int maxConnections, int maxHandshakes,
        int ioThreads, Map<String, Partner> partners) {

    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(10);
    public static final int DEFAULT_EXPIRY_WARNING_DAYS = 30;
    public static final int DEFAULT_MAX_CONNECTIONS = 64;
    public static final int DEFAULT_MAX_HANDSHAKES = 16;
    public static final int DEFAULT_IO_THREADS = 1;

    public ChannelConfig {
        partners = Map.copyOf(partners);
    }

    /**
     * One partner gateway as the channel sees it.
     *
     * @param connect the partner's channel address, or null when only the partner dials
     * @param connections outbound TLS connections kept to it (streams are spread over every connection)
     * @param identity "uri:..." or "dns:..." its certificate must name
     * @param spkiSha256 the SHA-256 of its certificate's SubjectPublicKeyInfo in hex, or null
     * @param maxStreams streams at once with this partner, both directions
     */
    public record Partner(String id, InetSocketAddress connect, int connections, List<Path> ca, List<Path> crls,
            String identity, String spkiSha256, boolean tls12, int maxStreams, Map<String, Service> services,
            Map<String, Export> exports) {
        public static final int DEFAULT_MAX_STREAMS = 1024;

        public Partner {
            ca = List.copyOf(ca);
            crls = List.copyOf(crls);
            services = Map.copyOf(services);
            exports = Map.copyOf(exports);
        }
    }

    /** An inside listener whose connections reach the partner's export of the same name. */
    public record Service(String name, InetSocketAddress listen, int maxConnections, Duration idleTimeout) {
    }

    /** What the partner may reach on this gateway's inside under a service name. */
    public record Export(String name, InetSocketAddress target, int maxConnections, Duration idleTimeout) {
    }

    public static final int DEFAULT_SERVICE_CONNECTIONS = 256;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
}
