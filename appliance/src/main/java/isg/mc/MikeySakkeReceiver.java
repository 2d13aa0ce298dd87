package isg.mc;

import isg.hsm.Actor;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.VaultException;
import isg.mc.MikeyException.Reason;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The gateway as a member of MC security domains: takes MIKEY-SAKKE I_MESSAGEs addressed to it,
 * and stores the GMK, PCK, CSK or SPK they carry in the vault under its 33.180 key identifier.
 *
 * <p>Checks, cheapest first, and nothing is kept unless all pass: the message parses; its
 * responder KMS is a domain the gateway belongs to and its responder UID is the gateway's UID in
 * that KMS's key period at the message's timestamp; the timestamp is within the accepted skew;
 * the initiator's KMS is trusted; the message was not seen before; the ECCSI signature verifies
 * under that KMS's KPAK for the initiator's UID; the SAKKE encapsulation opens with the
 * gateway's RSK for that period and re-encapsulates to the same point; the key identifier's
 * purpose is one the gateway takes. A GMK's CSB ID is the gateway's GUK-ID, from which the GMK-ID
 * is recovered with the user salt (33.180 F.1.3).
 */
public final class MikeySakkeReceiver implements AutoCloseable {

    /** A KMS whose signatures the gateway accepts. */
    private record Kms(String uri, byte[] kpak) {
    }

    /** The gateway's membership in one domain: its URI there, the domain KMS and its RSKs by period. */
    private static final class Membership {
        final String domain;
        final String kmsUri;
        final Sakke.KmsKey z;
        final McIdentity.KeyPeriod period;
        final String ownUri;
        final Map<Long, Sakke.Receiver> keys = new HashMap<>();

        Membership(String domain, String kmsUri, Sakke.KmsKey z, McIdentity.KeyPeriod period, String ownUri) {
            this.domain = domain;
            this.kmsUri = kmsUri;
            this.z = z;
            this.period = period;
            this.ownUri = ownUri;
        }
    }

    /**
     * What was received and stored; the key itself stays in the vault. {@code profiles}: the media
     * profile of each crypto session by CS ID, from the message's SP payloads (empty for #CS = 0:
     * then every crypto session takes {@link MediaProfile#MC_DEFAULT}).
     */
    public record ReceivedKey(String domain, McIdentity.Purpose purpose, int keyId, int csbId, byte[] rand,
            KeyInfo stored, Instant notBefore, Instant notAfter, KeyParameters parameters,
            Map<Integer, MediaProfile> profiles) {
    }

    /** Attributes stored beside an MC key in the vault (public values, read back at start). */
    public static final String ATTRIBUTE_RAND = "rand";
    public static final String ATTRIBUTE_MEMBER = "member";
    public static final String ATTRIBUTE_NOT_BEFORE = "notBefore";
    public static final String ATTRIBUTE_PROFILE = "profile.";

    private final KeyVault vault;
    private final Clock clock;
    private final long skewSeconds;
    private final Map<String, Kms> trusted = new HashMap<>();
    private final Map<String, Membership> memberships = new HashMap<>();
    /** Digest of (initiator UID, timestamp, RAND) -> NTP second after which it may be forgotten. */
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();
    private static final int MAX_SEEN = 100_000;

    public MikeySakkeReceiver(KeyVault vault, Clock clock, Duration skew) {
        this(vault, clock, skew, null);
    }

    /** As above, and every key received is also held in {@code ring} for media contexts to derive from. */
    public MikeySakkeReceiver(KeyVault vault, Clock clock, Duration skew, McKeyRing ring) {
        this.vault = vault;
        this.clock = clock;
        this.skewSeconds = skew.toSeconds();
        this.ring = ring;
    }

    private final McKeyRing ring;

    /** Accepts signatures made under the KMS {@code kmsUri} (a home or partner KMS). */
    public synchronized void trust(String kmsUri, byte[] kpak) throws KeyMaterialException {
        if (kpak == null || kpak.length != Eccsi.POINT_LENGTH) {
            throw new KeyMaterialException("KPAK of " + kmsUri + " must be a " + Eccsi.POINT_LENGTH + "-octet point");
        }
        trusted.put(kmsUri, new Kms(kmsUri, kpak.clone()));
    }

    /** Joins the domain whose KMS is {@code kmsUri} as {@code ownUri}; the KMS is trusted too. */
    public synchronized void join(String domain, String kmsUri, byte[] kpak, byte[] z, McIdentity.KeyPeriod period,
            String ownUri) throws KeyMaterialException {
        trust(kmsUri, kpak);
        memberships.put(kmsUri, new Membership(domain, kmsUri, Sakke.kmsKey(z), period, ownUri));
    }

    /** Installs the gateway's RSK for key period {@code number} of a joined domain, after validating it. */
    public synchronized void addRsk(String kmsUri, long number, byte[] rsk) throws KeyMaterialException {
        Membership m = memberships.get(kmsUri);
        if (m == null) {
            throw new KeyMaterialException("not a member of the domain of KMS " + kmsUri);
        }
        byte[] uid = McIdentity.uid(m.ownUri, m.kmsUri, m.period, number);
        Sakke.Receiver r = Sakke.receiver(m.z, uid, rsk);
        Sakke.Receiver old = m.keys.put(number, r);
        if (old != null) {
            old.close();
        }
    }

    /** Receives one I_MESSAGE: stores its key or refuses it with the reason, keeping nothing. */
    public synchronized ReceivedKey receive(byte[] message) throws MikeyException {
        MikeyMessage m = MikeyMessage.parse(message);
        String kmsR = uri(m, MikeyMessage.ROLE_KMS_R);
        String kmsI = uri(m, MikeyMessage.ROLE_KMS_I);
        byte[] uidR = required(m, MikeyMessage.ROLE_UID_R);
        byte[] uidI = required(m, MikeyMessage.ROLE_UID_I);
        Membership home = memberships.get(kmsR);
        if (home == null) {
            throw new MikeyException(Reason.NOT_ADDRESSED_TO_US, "responder KMS '" + kmsR + "' is not a domain this gateway belongs to");
        }
        long ts = m.timestampSeconds();
        long period = home.period.numberAtNtp(ts);
        if (!Arrays.equals(uidR, McIdentity.uid(home.ownUri, home.kmsUri, home.period, period))) {
            throw new MikeyException(Reason.NOT_ADDRESSED_TO_US, "responder UID is not this gateway's in domain '"
                    + home.domain + "' for key period " + period);
        }
        long now = clock.instant().getEpochSecond() + McIdentity.NTP_UNIX_OFFSET;
        if (Math.abs(now - ts) > skewSeconds) {
            throw new MikeyException(Reason.STALE, "timestamp " + ts + " is " + (now - ts) + " s from now (NTP), window "
                    + skewSeconds + " s");
        }
        Kms signer = trusted.get(kmsI);
        if (signer == null) {
            throw new MikeyException(Reason.UNKNOWN_KMS, "initiator KMS '" + kmsI + "' is not trusted");
        }
        if (m.sakkeParams() != MikeyMessage.SAKKE_PARAMS_1) {
            throw new MikeyException(Reason.UNSUPPORTED, "SAKKE parameter set " + m.sakkeParams());
        }
        Map<Integer, MediaProfile> profiles = profiles(m);
        int csb = m.csbId();
        McIdentity.Purpose tagged = McIdentity.Purpose.of(csb);
        KeyPurpose purpose = tagged == null ? null : switch (tagged) {
            case GMK -> KeyPurpose.GMK;
            case PCK -> KeyPurpose.PCK;
            case CSK -> KeyPurpose.CSK;
            case SPK -> KeyPurpose.SPK;
            default -> null;
        };
        if (purpose == null) {
            throw new MikeyException(Reason.BAD_KEY_ID, String.format("CSB ID %08x has purpose tag %d, not GMK, PCK, CSK or SPK",
                    csb, csb >>> 28));
        }
        String replayKey = HexFormat.of().formatHex(McCrypto.sha256(uidI, bigEndian(m.timestamp(), 8), m.rand()));
        pruneSeen(now);
        if (seen.containsKey(replayKey)) {
            throw new MikeyException(Reason.REPLAYED, "message from this initiator with this timestamp and RAND was received before");
        }
        if (!Eccsi.verify(signer.kpak(), uidI, m.signedPart(), m.signature())) {
            throw new MikeyException(Reason.BAD_SIGNATURE, "ECCSI signature does not verify under the KPAK of '" + kmsI + "'");
        }
        Sakke.Receiver rsk = home.keys.get(period);
        if (rsk == null) {
            throw new MikeyException(Reason.NOT_ADDRESSED_TO_US, "no RSK installed for domain '" + home.domain
                    + "' key period " + period);
        }
        byte[] key;
        try {
            key = rsk.decapsulate(m.sakkeData());
        } catch (KeyMaterialException e) {
            throw new MikeyException(Reason.BAD_ENCAPSULATION, e.getMessage());
        }
        try {
            int keyId = csb;
            if (tagged == McIdentity.Purpose.GMK) {
                keyId = McIdentity.gukId(csb, key, home.ownUri);
            }
            if (McIdentity.Purpose.of(keyId) != tagged) {
                throw new MikeyException(Reason.BAD_KEY_ID, "key identifier changes purpose");
            }
            String label = String.format("%s-%08x-%s", tagged.name().toLowerCase(), keyId, home.domain);
            if (label.length() > 64) {
                label = label.substring(0, 64);
            }
            KeyParameters params = keyParameters(m, key, csb, tagged);
            Instant notBefore = null;
            Instant notAfter = home.period.end(period);
            if (params != null) {
                if (params.revoked()) {
                    seen.put(replayKey, ts + skewSeconds);
                    throw new MikeyException(Reason.KEY_REVOKED, String.format("the sender revokes %s %08x: not stored%s",
                            tagged, keyId, withdraw(keyId, key, label)));
                }
                if (params.expiryNtp() != 0) {
                    Instant expiry = Instant.ofEpochSecond(params.expiryNtp() - McIdentity.NTP_UNIX_OFFSET);
                    if (!expiry.isAfter(clock.instant())) {
                        throw new MikeyException(Reason.KEY_EXPIRED, String.format("%s %08x expired at %s", tagged, keyId,
                                expiry));
                    }
                    if (expiry.isBefore(notAfter)) {
                        notAfter = expiry;
                    }
                }
                if (params.activationNtp() != 0) {
                    notBefore = Instant.ofEpochSecond(params.activationNtp() - McIdentity.NTP_UNIX_OFFSET);
                }
            }
            KeyInfo stored;
            try {
                // what the gateway needs to key media with it again after a restart, beside the key
                Map<String, String> attributes = new java.util.TreeMap<>();
                attributes.put(ATTRIBUTE_RAND, HexFormat.of().formatHex(m.rand()));
                attributes.put(ATTRIBUTE_MEMBER, home.ownUri);
                if (notBefore != null) {
                    attributes.put(ATTRIBUTE_NOT_BEFORE, notBefore.toString());
                }
                profiles.forEach((cs, p) -> attributes.put(ATTRIBUTE_PROFILE + (cs == McKeyRing.ANY_CRYPTO_SESSION ? "*"
                        : Integer.toString(cs)), p.encode()));
                stored = vault.importMcKey(Actor.INTERNAL, new NewKey(label, bigEndian(keyId & 0xFFFFFFFFL, 4), purpose,
                        home.domain, notAfter, key.length * 8).withAttributes(attributes), key);
            } catch (VaultException e) {
                if (e.reason() != VaultException.Reason.DUPLICATE) {
                    throw new MikeyException(Reason.STORE_FAILED, e.getMessage());
                }
                // The same key sent again (a new message, e.g. on re-affiliation) is no error; a
                // different key under an identifier already in use is.
                if (ring == null || !ring.holds(keyId, key)) {
                    throw new MikeyException(Reason.BAD_KEY_ID, String.format("a different key with identifier %08x is "
                            + "already stored for domain '%s'", keyId, home.domain));
                }
                try {
                    stored = vault.info(Actor.INTERNAL, "pkcs11:object=" + label);
                } catch (VaultException again) {
                    throw new MikeyException(Reason.STORE_FAILED, again.getMessage());
                }
            }
            seen.put(replayKey, ts + skewSeconds);
            if (ring != null) {
                // the key stays in the vault: the ring runs its HMAC there
                ring.putInVault(keyId, vault, stored.uri(), m.rand(), home.ownUri, notBefore, notAfter, profiles);
            }
            return new ReceivedKey(home.domain, tagged, keyId, csb, m.rand(), stored, notBefore, notAfter, params,
                    profiles);
        } finally {
            McCrypto.wipe(key);
        }
    }

    /**
     * The media profile of each crypto session (RFC 3830 §6.1 CS ID map, §6.10 SP payloads): the
     * SP payloads its policy numbers name, or, where it names none that the message carries,
     * TS 33.180's default (Table E.2-1). With #CS = 0 the message's SP payloads apply to every
     * crypto session (under {@link McKeyRing#ANY_CRYPTO_SESSION}), and without any, the default.
     * A crypto session for another protocol than SRTP, or a policy the gateway cannot apply,
     * refuses the message.
     */
    static Map<Integer, MediaProfile> profiles(MikeyMessage m) throws MikeyException {
        Map<Integer, MediaProfile> out = new java.util.TreeMap<>();
        if (m.sessions().isEmpty() && !m.policies().isEmpty()) {
            // #CS = 0 (a PCK or CSK message, 33.180 E.3/E.4): the SP payload is the policy of
            // every crypto session the key is used for
            java.util.List<byte[]> params = new java.util.ArrayList<>();
            for (MikeyMessage.Policy p : m.policies()) {
                if (p.protocol() != 0) {
                    throw new MikeyException(Reason.UNSUPPORTED_POLICY, "SP payload " + p.number() + " is for protocol "
                            + p.protocol() + ", expected 0 (SRTP)");
                }
                params.add(p.parameters());
            }
            out.put(McKeyRing.ANY_CRYPTO_SESSION, SrtpSecurityPolicy.profile(params, "#CS = 0 (SP payload)"));
        }
        for (MikeyMessage.CryptoSession cs : m.sessions()) {
            String where = "crypto session " + cs.csId();
            if (cs.protocol() != 0) {
                throw new MikeyException(Reason.UNSUPPORTED_POLICY, where + ": protocol " + cs.protocol()
                        + ", expected 0 (SRTP)");
            }
            java.util.List<byte[]> params = new java.util.ArrayList<>();
            for (byte number : cs.policies()) {
                for (MikeyMessage.Policy p : m.policies()) {
                    if (p.number() == (number & 0xFF)) {
                        if (p.protocol() != 0) {
                            throw new MikeyException(Reason.UNSUPPORTED_POLICY, where + ": SP payload " + p.number()
                                    + " is for protocol " + p.protocol() + ", expected 0 (SRTP)");
                        }
                        params.add(p.parameters());
                    }
                }
            }
            if (out.put(cs.csId(), params.isEmpty() ? MediaProfile.MC_DEFAULT
                    : SrtpSecurityPolicy.profile(params, where + " (SP payload)")) != null) {
                throw new MikeyException(Reason.MALFORMED, "two crypto sessions with CS ID " + cs.csId());
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** The message's 3GPP key parameters (33.180 E.6), opened with the key it carries; null when absent. */
    private static KeyParameters keyParameters(MikeyMessage m, byte[] key, int csb, McIdentity.Purpose tagged)
            throws MikeyException {
        KeyParameters params = null;
        for (MikeyMessage.Extension e : m.extensions()) {
            if (e.type() == KeyParameters.EXTENSION_TYPE) {
                if (params != null) {
                    throw new MikeyException(Reason.MALFORMED, "two 3GPP key parameters extensions");
                }
                params = KeyParameters.open(e.data(), key, csb);
            }
        }
        if (params != null && params.keyType() != tagged.ordinal()) {
            throw new MikeyException(Reason.BAD_KEY_PARAMETERS, "3GPP key parameters give key type " + params.keyType()
                    + ", the CSB ID's purpose is " + tagged + " (" + tagged.ordinal() + ")");
        }
        return params;
    }

    /** A revoked key this gateway holds (the same key under the same identifier) is dropped from the ring and the vault. */
    private String withdraw(int keyId, byte[] key, String label) {
        if (ring == null || !ring.holds(keyId, key)) {
            return "";
        }
        ring.remove(keyId);
        try {
            vault.destroy(Actor.INTERNAL, "pkcs11:object=" + label);
            return "; the copy held was withdrawn and destroyed";
        } catch (VaultException e) {
            return "; the copy held was withdrawn from media, but the vault did not destroy it: " + e.getMessage();
        }
    }

    private void pruneSeen(long now) {
        for (Iterator<Map.Entry<String, Long>> i = seen.entrySet().iterator(); i.hasNext();) {
            Map.Entry<String, Long> e = i.next();
            if (e.getValue() < now || seen.size() > MAX_SEEN) {
                i.remove();
            } else {
                break;
            }
        }
    }

    private static String uri(MikeyMessage m, int role) throws MikeyException {
        return new String(required(m, role), StandardCharsets.UTF_8);
    }

    private static byte[] required(MikeyMessage m, int role) throws MikeyException {
        byte[] v = m.identity(role);
        if (v == null) {
            throw new MikeyException(Reason.MALFORMED, "no IDR payload with role " + role);
        }
        return v;
    }

    private static byte[] bigEndian(long v, int n) {
        byte[] b = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    @Override
    public synchronized void close() {
        for (Membership m : memberships.values()) {
            m.keys.values().forEach(Sakke.Receiver::close);
            m.keys.clear();
        }
    }
}
