package isg.mc;

import isg.hsm.KeyVault;
import isg.srtp.MasterKey;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.Bytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * Joins every configured domain and installs its RSKs; any bad key material stops the start
     * with the file or field and the reason.
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
                try (DirectoryStream<Path> files = Files.newDirectoryStream(d.rskDir(), "*.rsk")) {
                    for (Path f : files) {
                        String name = f.getFileName().toString();
                        long number;
                        try {
                            number = Long.parseLong(name.substring(0, name.length() - 4));
                        } catch (NumberFormatException e) {
                            throw new IOException(f + ": an RSK file is named <key period number>.rsk");
                        }
                        byte[] rsk;
                        try {
                            rsk = HexFormat.of().parseHex(Files.readString(f, StandardCharsets.US_ASCII).strip());
                        } catch (IllegalArgumentException e) {
                            throw new IOException(f + ": not hexadecimal");
                        }
                        try {
                            r.addRsk(d.kms(), number, rsk);
                        } catch (KeyMaterialException e) {
                            throw new IOException(f + ": " + e.getMessage());
                        } finally {
                            McCrypto.wipe(rsk);
                        }
                        installed++;
                    }
                }
                if (installed == 0) {
                    throw new IOException(d.rskDir() + ": no <period>.rsk file for domain '" + d.name() + "'");
                }
            }
        } catch (IOException | RuntimeException e) {
            r.close();
            ring.close();
            throw e;
        }
        return new McPlane(config, ring, r);
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
                config.newTalkersPerSecond());
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
        byte[] salt = MikeyKdf.masterSalt(e.key(), csId, gukId, e.rand(), suite.masterSaltLength());
        try {
            return new MasterKey(k, salt, mki);
        } finally {
            McCrypto.wipe(k, salt);
        }
    }

    @Override
    public void close() {
        receiver.close();
        ring.close();
    }
}
