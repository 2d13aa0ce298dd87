package isg.mc;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code mc:} section of the configuration: the MC security domains the gateway is a member
 * of, and the partner KMSs whose signatures it accepts.
 *
 * <pre>
 * mc:
 *   skew: 5m                # accepted I_MESSAGE timestamp skew
 *   talkers:                # per group/private-call session, senders keyed from their MKIs
 *     max: 256
 *     idle: 5m              # a sender silent this long is let go (its key comes back on its next packet)
 *     newPerSecond: 50      # keys derived for new senders per second at most (a flood of made-up MKIs gets no more)
 *   domains:
 *     police:
 *       kms: kms.police.example
 *       kpak: 04...            # the KMS's public authentication key (ECCSI), hex
 *       z: 04...               # the KMS's public key (SAKKE), hex
 *       keyPeriod: 2592000     # seconds (UserKeyPeriod)
 *       keyPeriodOffset: 0     # seconds (UserKeyOffset)
 *       uri: sip:isg@police.example   # its RSKs are in the vault: isg keys import-rsk --domain police
 *     fire-mutual-aid:                # or: the KMS certificate (33.180 Annex D XML) in place of
 *       kmsCertificate: /etc/isg/kms/fire.xml   # kms, kpak, z, keyPeriod and keyPeriodOffset
 *       uri: sip:isg@fire.example
 *   trust:
 *     kms.fire.example: 04...  # a partner KMS's KPAK
 *   trustCertificates: [/etc/isg/kms/ambulance.xml]   # partner KMSs by certificate
 * </pre>
 */
public record McConfig(Duration skew, List<Domain> domains, Map<String, byte[]> trust,
        List<KmsCertificate> trustCertificates, int maxTalkers, Duration talkerIdle, int newTalkersPerSecond) {

    public static final int DEFAULT_MAX_TALKERS = 256;
    public static final Duration DEFAULT_TALKER_IDLE = Duration.ofMinutes(5);


    /** A domain the gateway belongs to; {@code certificate} is the KMS certificate it was read from, or null. */
    public record Domain(String name, String kms, byte[] kpak, byte[] z, McIdentity.KeyPeriod period, String uri,
            KmsCertificate certificate) {
    }
}
