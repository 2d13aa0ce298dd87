package isg.mc;

import isg.hsm.Actor;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyType;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.Bytes;
import java.io.IOException;
import java.time.Clock;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The gateway's key plane as configured: its memberships (with the RSKs found in each domain's
 * {@code rskDir}), the KMSs it trusts, the receive path for MIKEY-SAKKE messages and the key
 * ring media contexts derive from. Closing it wipes the RSKs and the ring.
 */
public final class McPlane implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(McPlane.class.getName());
    /** The attribute of a SAKKE_RSK vault entry that names its key period number. */
    public static final String ATTRIBUTE_PERIOD = "period";

    /** Derives keys held in the vault for new talkers, off the packet threads. */
    private final java.util.concurrent.ExecutorService keying = java.util.concurrent.Executors.newFixedThreadPool(2,
            r -> {
                Thread t = new Thread(r, "isg-mc-keying");
                t.setDaemon(true);
                return t;
            });

    private final McConfig config;
    private final McKeyRing ring;
    private final MikeySakkeReceiver receiver;
    private final AtomicLong received = new AtomicLong();
    private final Map<MikeyException.Reason, AtomicLong> refused =
            new ConcurrentHashMap<>();
    private final List<BiConsumer<String, String>> listeners =
            new CopyOnWriteArrayList<>();

    private McPlane(McConfig config, McKeyRing ring, MikeySakkeReceiver receiver) {
        this.config = config;
        this.ring = ring;
        this.receiver = receiver;
    }

    /**
     * Joins every configured domain and installs its RSKs from the vault (SAKKE_RSK entries owned
     * by the domain, their key period in the attribute {@code period}); holds in the key ring the
     * MC keys the vault kept from earlier runs, so group and private calls are received again with
     * no I_MESSAGE sent anew. Any bad key material stops the start, naming the field or the vault
     * key and the reason.
     */
    public static McPlane start(McConfig config, KeyVault vault, Clock clock) throws IOException {
        McKeyRing ring = new McKeyRing(clock);
        MikeySakkeReceiver r = new MikeySakkeReceiver(vault, clock, config.skew(), ring);
        try {
            for (Map.Entry<String, byte[]> t : config.trust().entrySet()) {
                try {
                    r.trust(t.getKey(), t.getValue());
                } catch (KeyMaterialException e) {
                    throw new IOException("mc.trust." + t.getKey() + ": " + e.getMessage());
                }
            }
            for (KmsCertificate c : config.trustCertificates()) {
                c.checkValidAt(clock.instant());
                try {
                    r.trust(c.kmsUri(), c.kpak());
                } catch (KeyMaterialException e) {
                    throw new IOException(c.file() + ": PubAuthKey: " + e.getMessage());
                }
            }
            List<KeyInfo> held;
            try {
                held = vault.list(Actor.INTERNAL);
            } catch (VaultException e) {
                throw new IOException("the vault does not list its keys: " + e.getMessage(), e);
            }
            for (McConfig.Domain d : config.domains()) {
                if (d.certificate() != null) {
                    d.certificate().checkValidAt(clock.instant());
                }
                try {
                    r.join(d.name(), d.kms(), d.kpak(), d.z(), d.period(), d.uri());
                } catch (KeyMaterialException e) {
                    throw new IOException("mc.domains." + d.name() + ": " + e.getMessage());
                }
                int installed = 0;
                for (KeyInfo k : held) {
                    if (k.purpose() == KeyPurpose.SAKKE_RSK && d.name().equals(k.owner())) {
                        installRsk(r, vault, d, k);
                        installed++;
                    }
                }
                if (installed == 0) {
                    throw new IOException("the vault holds no RSK for domain '" + d.name() + "'; import the gateway's "
                            + "RSK for each key period, wrapped under a transport key: isg keys import-rsk --domain "
                            + d.name() + " --period N --transport URI --wrapped-file F");
                }
            }
            for (KeyInfo k : held) {
                holdFromVault(ring, vault, config, k);
            }
        } catch (IOException | RuntimeException e) {
            r.close();
            ring.close();
            throw e;
        }
        return new McPlane(config, ring, r);
    }

    /** One RSK from the vault, validated for the gateway's UID in its key period. */
    private static void installRsk(MikeySakkeReceiver r, KeyVault vault, McConfig.Domain d, KeyInfo k)
            throws IOException {
        String which = "vault key " + k.label() + " (RSK of domain '" + d.name() + "'";
        long number;
        try {
            number = Long.parseLong(String.valueOf(k.attribute(ATTRIBUTE_PERIOD)));
        } catch (NumberFormatException e) {
            throw new IOException(which + "): no key period number in its attribute '" + ATTRIBUTE_PERIOD + "'");
        }
        byte[] rsk;
        try {
            rsk = vault.readSecret(Actor.INTERNAL, k.uri());
        } catch (VaultException e) {
            throw new IOException(which + ", key period " + number + "): " + e.getMessage(), e);
        }
        try {
            r.addRsk(d.kms(), number, rsk);
        } catch (KeyMaterialException e) {
            throw new IOException(which + ", key period " + number + "): " + e.getMessage());
        } finally {
            McCrypto.wipe(rsk);
        }
    }

    /**
     * An MC key an earlier run received and the vault kept: held in the ring again (its HMAC runs
     * in the vault), with the RAND, identity and media profiles stored beside it. Keys of domains
     * the gateway no longer belongs to, and keys an earlier ISG stored without these, are left.
     */
    private static void holdFromVault(McKeyRing ring, KeyVault vault, McConfig config, KeyInfo k) {
        if (!k.purpose().mcKey() || k.type() != KeyType.GENERIC_SECRET
                || config.domains().stream().noneMatch(d -> d.name().equals(k.owner()))) {
            return;
        }
        String rand = k.attribute(MikeySakkeReceiver.ATTRIBUTE_RAND);
        String member = k.attribute(MikeySakkeReceiver.ATTRIBUTE_MEMBER);
        if (rand == null || member == null || k.id().length() != 8) {
            LOG.log(System.Logger.Level.WARNING, "MC key " + k.label() + " lacks what media needs (RAND, identity): it "
                    + "keys media again once its I_MESSAGE is sent again");
            return;
        }
        Map<Integer, MediaProfile> profiles = new java.util.TreeMap<>();
        for (Map.Entry<String, String> a : k.attributes().entrySet()) {
            if (a.getKey().startsWith(MikeySakkeReceiver.ATTRIBUTE_PROFILE)) {
                String cs = a.getKey().substring(MikeySakkeReceiver.ATTRIBUTE_PROFILE.length());
                profiles.put(cs.equals("*") ? McKeyRing.ANY_CRYPTO_SESSION : Integer.parseInt(cs),
                        MediaProfile.decode(a.getValue()));
            }
        }
        String notBefore = k.attribute(MikeySakkeReceiver.ATTRIBUTE_NOT_BEFORE);
        ring.putInVault(Integer.parseUnsignedInt(k.id(), 16), vault, k.uri(), HexFormat.of().parseHex(rand), member,
                notBefore == null ? null : java.time.Instant.parse(notBefore), k.notAfter(), profiles);
    }

    /**
     * Receives one I_MESSAGE (see {@link MikeySakkeReceiver#receive}), counts it and tells the
     * listeners: {@code mc-key-received} or {@code mc-key-refused}, with identifiers and reasons only.
     */
    public MikeySakkeReceiver.ReceivedKey receive(byte[] message) throws MikeyException {
        try {
            MikeySakkeReceiver.ReceivedKey k = receiver.receive(message);
            received.incrementAndGet();
            tell("mc-key-received", String.format("%s %08x for domain %s, valid until %s", k.purpose(), k.keyId(),
                    k.domain(), k.notAfter()));
            return k;
        } catch (MikeyException e) {
            refused.computeIfAbsent(e.reason(), r -> new AtomicLong()).incrementAndGet();
            tell("mc-key-refused", e.getMessage());
            throw e;
        }
    }

    /** Listens for key-plane events (type, detail); details name keys by identifier, never by value. */
    public void onEvent(BiConsumer<String, String> listener) {
        listeners.add(listener);
    }

    private void tell(String type, String detail) {
        for (BiConsumer<String, String> l : listeners) {
            try {
                l.accept(type, detail);
            } catch (RuntimeException e) {
                System.getLogger(McPlane.class.getName()).log(System.Logger.Level.WARNING,
                        "key-plane event listener failed: " + e);
            }
        }
    }

    /** The domains joined, by name. */
    public List<String> domains() {
        return config.domains().stream().map(McConfig.Domain::name).toList();
    }

    /** MC keys held for media (in the key ring). */
    public int keysHeld() {
        return ring.size();
    }

    /** I_MESSAGEs received and stored. */
    public long received() {
        return received.get();
    }

    /** I_MESSAGEs refused, by reason. */
    public Map<MikeyException.Reason, Long> refused() {
        Map<MikeyException.Reason, Long> m = new EnumMap<>(MikeyException.Reason.class);
        refused.forEach((r, n) -> m.put(r, n.get()));
        return m;
    }

    /**
     * SSRCs a group session keeps replay state for: four per talker it may hold (a talker that
     * rejoins may use a new SSRC). A stream's state outlives its talker's key, so a talker let go
     * cannot have its old packets replayed; when the table is full, new SSRCs are refused
     * ({@code STREAM_LIMIT}), never someone's replay state dropped.
     */
    public int streamsPerGroup() {
        return Math.min(65536, Math.max(SrtpPolicy.DEFAULT_MAX_STREAMS, 4 * config.maxTalkers()));
    }

    /**
     * A receive context for a group (8-octet MKIs) or private call (4-octet) keyed from the ring,
     * holding at most {@code mc.talkers.max} senders and letting go of those silent for {@code mc.talkers.idle}.
     */
    public MkiReceiveContext receiveContext(SrtpPolicy policy, int csId) {
        return new MkiReceiveContext(policy, ring, csId, config.maxTalkers(), config.talkerIdle(),
                config.newTalkersPerSecond(), keying);
    }

    /**
     * How media of crypto session {@code csId} under the GMK {@code gmkId} is protected, as the
     * GMK's I_MESSAGE said (its SP payload) or TS 33.180's default (Table E.2-1).
     */
    public MediaProfile profile(int gmkId, int csId) throws KeyMaterialException {
        McKeyRing.Entry e = McIdentity.Purpose.of(gmkId) == McIdentity.Purpose.GMK ? ring.get(gmkId) : null;
        if (e == null) {
            throw new KeyMaterialException(String.format("no valid GMK %08x is held (it comes by MIKEY-SAKKE first)", gmkId));
        }
        return e.profile(csId);
    }

    /**
     * The master key the gateway sends into a group with, as a member (33.180 F.1.3): from the GMK
     * {@code gmkId} it holds, with its own GUK-ID (GMK-ID XOR its user salt) as CSB ID, for crypto
     * session {@code csId}; MKI = GMK-ID || GUK-ID, so every member derives the same key from the
     * MKI, as the gateway does for theirs. The caller closes it.
     */
    public MasterKey groupSendKey(int gmkId, int csId, SrtpSuite suite) throws KeyMaterialException {
        McKeyRing.Entry e = McIdentity.Purpose.of(gmkId) == McIdentity.Purpose.GMK ? ring.get(gmkId) : null;
        if (e == null || e.member() == null) {
            throw new KeyMaterialException(String.format("no valid GMK %08x is held (it comes by MIKEY-SAKKE first)", gmkId));
        }
        int gukId = McIdentity.gukId(gmkId, e.key(), e.member());
        byte[] mki = new byte[8];
        Bytes.putInt(mki, 0, gmkId);
        Bytes.putInt(mki, 4, gukId);
        byte[] k = MikeyKdf.masterKey(e.key(), csId, gukId, e.rand(), suite.masterKeyLength());
        byte[] salt = null;
        try {
            salt = MikeyKdf.masterSalt(e.key(), csId, gukId, e.rand(), suite.masterSaltLength());
            return new MasterKey(k, salt, mki);
        } finally {
            McCrypto.wipe(k, salt);
        }
    }

    @Override
    public void close() {
        keying.shutdownNow();
        receiver.close();
        ring.close();
    }
}
