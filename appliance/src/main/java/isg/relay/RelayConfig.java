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
 */
public record RelayConfig(String gatewayId, InetAddress insideAddress, int insidePortMin, int insidePortMax,
        InetAddress outsideAddress, int outsidePortMin, int outsidePortMax, Map<String, String> partners,
        Duration idleTimeout, int maxSessions, String backend) {

    public RelayConfig {
        if (gatewayId == null || gatewayId.isBlank()) {
            throw new IllegalArgumentException("gateway id is required");
        }
        checkRange("inside", insidePortMin, insidePortMax);
        checkRange("outside", outsidePortMin, outsidePortMax);
        partners = Map.copyOf(partners);
    }

    private static void checkRange(String leg, int min, int max) {
        if (min < 1024 || max > 65535 || min > max - 1) {
            throw new IllegalArgumentException(leg + " port range " + min + "-" + max
                    + " must lie within 1024-65535 and hold at least one RTP/RTCP pair");
        }
    }
}
