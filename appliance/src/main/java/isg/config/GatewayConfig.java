package isg.config;

import isg.relay.RelayConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * One gateway's configuration file, validated: relay settings, the vault, the control API.
 *
 * @param vaultKind {@code soft} or {@code pkcs11}
 * @param boardKind {@code simulated} or {@code gpio}
 * @param mqttBroker null when no broker is configured
 * @param mc null when the gateway is a member of no MC security domain
 * @param channel null when the gateway runs no channel to partner gateways
 * @param partnerDomains partner id → the KMS URIs of its MC domains
 * @param policy what may cross between our users and the partners' (deny by default)
 * @param kmsProxy null when the gateway proxies no KMS requests
 * @param partnerGroups partner id → globs of its group URIs
 * @param ownGroups globs of our group URIs
 * @param controlLimits the control API's connection limit and timeouts
 * @param mqttClientId the MQTT client id; null for the default (unique per box)
 * @param auditMaxBytes the audit log's size at which it is rotated
 * @param auditKeep rotated audit files kept
 * @param partnerAddresses partner id → addresses or prefixes its gateways send from (canonical)
 * @param tree the whole file as plain values, to tell what a reload changes
 */
public record GatewayConfig(Path file, RelayConfig relay, String vaultKind, Path keystore, Path passphraseFile,
        Path module, String token, Path pinFile, Path audit, InetSocketAddress controlListen, Path controlTokenFile,
        String boardKind, String boardPins, String mqttBroker, String mqttPrefix, Path mqttCredentials,
        int mqttMetricsSeconds, Path mqttCa, Path mqttClientKeyStore, Path mqttClientKeyStorePassword,
        isg.control.ControlServer.Tls controlTls, isg.mc.McConfig mc, isg.channel.ChannelConfig channel,
        java.util.Map<String, java.util.List<String>> partnerDomains, isg.policy.Policy policy,
        isg.kms.KmsProxy.Config kmsProxy, java.util.Map<String, java.util.List<String>> partnerGroups,
        java.util.List<String> ownGroups, isg.control.ControlServer.Limits controlLimits, String mqttClientId,
        long auditMaxBytes, int auditKeep,
        java.util.Map<String, java.util.List<String>> partnerAddresses, java.util.Map<String, Object> tree) {
}
