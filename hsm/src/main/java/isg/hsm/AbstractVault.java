package isg.hsm;

import isg.hsm.VaultException.Reason;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The contract both vaults keep, written once: input checks, purpose and expiry rules, the
 * metadata cache, usage counters, health and events, and the audit line of every operation.
 * Subclasses do only the raw work against their store.
 */
abstract class AbstractVault implements KeyVault {

    private static final System.Logger LOG = System.getLogger(AbstractVault.class.getName());

    protected final AuditLog audit;
    protected final Clock clock;
    private final String tokenName;
    private final Map<String, Meta> byLabel = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> uses = new ConcurrentHashMap<>();
    private final List<Consumer<VaultEvent>> listeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean healthy = true;
    private volatile boolean zeroised;
    /** While down, at most one reconnect attempt per interval; calls between attempts fail at once. */
    private volatile java.time.Duration reconnectInterval = java.time.Duration.ofSeconds(1);
    private volatile Instant lastAttempt = Instant.MIN;

    AbstractVault(String tokenName, AuditLog audit, Clock clock) {
        this.tokenName = tokenName;
        this.audit = audit;
        this.clock = clock;
    }

    /** Loads the metadata of every entry; called by subclasses once their store is open. */
    protected final void loadMetadata() throws VaultException {
        byLabel.clear();
        for (Meta m : rawList()) {
            byLabel.put(m.label(), m);
        }
    }

    // ---- what a store does -------------------------------------------------------------------

    abstract List<Meta> rawList() throws VaultException;

    abstract void rawGenerateAes(Meta m) throws VaultException;

    abstract void rawGenerateEc(Meta m) throws VaultException;

    /** A generic secret (HMAC) key of {@code m.bits()} generated in the store. */
    abstract void rawGenerateGeneric(Meta m) throws VaultException;

    /** HMAC-SHA-256 over {@code data} with a generic secret key in the store. */
    abstract byte[] rawHmacSha256(Meta m, byte[] data) throws VaultException;

    /** The value of a secret-data entry, for the caller to use and wipe. */
    abstract byte[] rawReadSecret(Meta m) throws VaultException;

    /** Creates a secret key from its value: a transport key (wraps/unwraps) or an MC key (HMAC). */
    abstract void rawCreateSecret(Meta m, byte[] clear) throws VaultException;

    abstract void rawUnwrap(Meta m, Meta transport, byte[] wrapped) throws VaultException;

    abstract void rawStoreCertificate(Meta m, byte[] der) throws VaultException;

    abstract byte[] rawExportPublic(Meta m) throws VaultException;

    /** ECDSA P-256 with SHA-256 over {@code data}; returns the DER signature. */
    abstract byte[] rawSign(Meta m, byte[] data) throws VaultException;

    /** AES-ECB encryption of whole blocks under an AES key in the store. */
    abstract byte[] rawEcb(Meta m, byte[] blocks) throws VaultException;

    abstract void rawDestroy(Meta m) throws VaultException;

    /** Ends the login (zeroise). */
    abstract void rawLogout();

    /** Checks the store answers; may reconnect. Throws UNAVAILABLE when it does not. */
    abstract void rawProbe() throws VaultException;

    // ---- health -----------------------------------------------------------------------------

    /** How often a down vault tries to reconnect (default one second). */
    public void reconnectInterval(java.time.Duration interval) {
        this.reconnectInterval = interval;
    }

    @Override
    public boolean healthy() {
        if (!healthy && !zeroised) {
            Instant now = clock.instant();
            if (now.isBefore(lastAttempt.plus(reconnectInterval))) {
                return false;
            }
            lastAttempt = now;
            try {
                rawProbe();
                loadMetadata();
                healthy = true;
                LOG.log(System.Logger.Level.INFO, kind() + " answers again");
                emit(VaultEvent.Kind.UP, kind() + " answers again");
            } catch (VaultException e) {
                LOG.log(System.Logger.Level.DEBUG, kind() + " still down: " + e.getMessage());
                return false;
            }
        }
        return healthy && !zeroised;
    }

    @Override
    public void heartbeat() {
        if (healthy && !zeroised) {
            try {
                rawProbe();
            } catch (VaultException e) {
                down(e.getMessage(), e);
            }
        } else {
            healthy();
        }
    }

    @Override
    public void onEvent(Consumer<VaultEvent> listener) {
        listeners.add(listener);
    }

    private void emit(VaultEvent.Kind kind, String detail) {
        VaultEvent e = new VaultEvent(clock.instant(), kind, detail);
        for (Consumer<VaultEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "vault event listener failed: " + ex);
            }
        }
    }

    /** A store failure that means the token or module is gone: health goes down, once. */
    protected final VaultException down(String detail, Throwable cause) {
        if (healthy) {
            healthy = false;
            LOG.log(System.Logger.Level.ERROR, kind() + " is down: " + detail);
            emit(VaultEvent.Kind.DOWN, detail);
        }
        return new VaultException(Reason.UNAVAILABLE, kind() + " is not answering (" + detail
                + "); new sessions and key changes wait until it is back", cause);
    }

    private void ready() throws VaultException {
        if (zeroised) {
            throw new VaultException(Reason.UNAVAILABLE, kind() + " was zeroised; re-key the box and restart it");
        }
        if (!healthy()) {
            throw new VaultException(Reason.UNAVAILABLE, kind() + " is down; operations resume when it answers");
        }
    }

    // ---- audit ------------------------------------------------------------------------------

    @FunctionalInterface
    interface Op<T> {
        T run() throws VaultException;
    }

    private <T> T audited(Actor actor, String action, String label, String id, boolean durable, Op<T> op)
            throws VaultException {
        try {
            ready();
            T t = op.run();
            audit.record(actor, action, label, id, "ok", null, durable);
            return t;
        } catch (VaultException e) {
            audit.record(actor, action, label, id, "refused", e.reason() + ": " + e.getMessage(), durable);
            throw e;
        } catch (RuntimeException e) {
            audit.record(actor, action, label, id, "failed", e.getClass().getSimpleName(), durable);
            throw e;
        }
    }

    // ---- lookups ----------------------------------------------------------------------------

    private Meta resolve(String uri) throws VaultException {
        Pkcs11Uri u;
        try {
            u = Pkcs11Uri.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new VaultException(Reason.BAD_REQUEST, e.getMessage());
        }
        if (u.token() != null && !u.token().equals(tokenName)) {
            throw new VaultException(Reason.KEY_NOT_FOUND, "URI names token '" + u.token() + "'; this vault is token '"
                    + tokenName + "'");
        }
        if (u.object() == null && u.id() == null) {
            throw new VaultException(Reason.BAD_REQUEST, "URI " + uri + " names no object= or id=");
        }
        for (Meta m : byLabel.values()) {
            if ((u.object() == null || u.object().equals(m.label())) && (u.id() == null || Arrays.equals(u.id(), m.id()))) {
                return m;
            }
        }
        throw new VaultException(Reason.KEY_NOT_FOUND, "no key " + uri + " in " + kind());
    }

    private static String labelOf(String uri) {
        try {
            Pkcs11Uri u = Pkcs11Uri.parse(uri);
            return u.object();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Meta usable(String uri, KeyType type) throws VaultException {
        Meta m = resolve(uri);
        if (m.type() != type) {
            throw new VaultException(Reason.NOT_PERMITTED, m.label() + " is a " + m.type() + ", not a " + type);
        }
        if (m.notAfter() != null && !clock.instant().isBefore(m.notAfter())) {
            throw new VaultException(Reason.NOT_PERMITTED, m.label() + " expired at " + m.notAfter());
        }
        uses.computeIfAbsent(m.label(), l -> new AtomicLong()).incrementAndGet();
        return m;
    }

    private Meta newMeta(NewKey spec) throws VaultException {
        if (byLabel.containsKey(spec.label())) {
            throw new VaultException(Reason.DUPLICATE, "a key labelled '" + spec.label() + "' exists in " + kind());
        }
        byte[] id = spec.id();
        if (id == null) {
            id = new byte[8];
            random.nextBytes(id);
        }
        for (Meta m : byLabel.values()) {
            if (Arrays.equals(m.id(), id)) {
                throw new VaultException(Reason.DUPLICATE, "id " + m.idHex() + " is already used by '" + m.label() + "'");
            }
        }
        KeyType type = spec.purpose().type();
        int bits = switch (type) {
            case AES, GENERIC_SECRET, SECRET_DATA -> spec.bits();
            case EC_P256 -> 256;
            case CERTIFICATE -> 0;
        };
        return new Meta(spec.label(), id, type, spec.purpose(), spec.owner(), bits,
                clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), spec.notAfter(), spec.attributes());
    }

    private KeyInfo stored(Meta m) {
        byLabel.put(m.label(), m);
        return m.info(tokenName, 0);
    }

    private KeyInfo info(Meta m) {
        AtomicLong n = uses.get(m.label());
        return m.info(tokenName, n == null ? 0 : n.get());
    }

    // ---- the contract -----------------------------------------------------------------------

    @Override
    public List<KeyInfo> list(Actor actor) throws VaultException {
        return audited(actor, "list", null, null, false, () -> {
            List<KeyInfo> out = new ArrayList<>();
            for (Meta m : byLabel.values()) {
                out.add(info(m));
            }
            out.sort(Comparator.comparing(KeyInfo::label));
            return out;
        });
    }

    @Override
    public KeyInfo info(Actor actor, String uri) throws VaultException {
        return audited(actor, "info", labelOf(uri), null, false, () -> info(resolve(uri)));
    }

    @Override
    public synchronized KeyInfo generate(Actor actor, NewKey spec) throws VaultException {
        return audited(actor, "generate", spec.label(), null, true, () -> {
            Meta m = newMeta(spec);
            switch (m.type()) {
                case AES -> rawGenerateAes(m);
                case EC_P256 -> rawGenerateEc(m);
                case GENERIC_SECRET -> rawGenerateGeneric(m);
                default -> throw new VaultException(Reason.BAD_REQUEST,
                        "a " + spec.purpose() + " is imported, not generated");
            }
            return stored(m);
        });
    }

    @Override
    public synchronized KeyInfo importTransportKey(Actor actor, NewKey spec, byte[] clear) throws VaultException {
        return audited(actor, "import-transport-ceremony", spec.label(), null, true, () -> {
            if (spec.purpose() != KeyPurpose.TRANSPORT) {
                throw new VaultException(Reason.NOT_PERMITTED, "only a TRANSPORT key may enter in clear; "
                        + spec.purpose() + " keys arrive wrapped");
            }
            if (clear == null || (clear.length != 16 && clear.length != 32)) {
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "a transport key is 16 or 32 bytes, got "
                        + (clear == null ? 0 : clear.length));
            }
            Meta m = newMeta(spec.withBits(clear.length * 8));
            rawCreateSecret(m, clear);
            return stored(m);
        });
    }

    @Override
    public synchronized KeyInfo importMcKey(Actor actor, NewKey spec, byte[] clear) throws VaultException {
        return audited(actor, "import-mikey-sakke", spec.label(), null, true, () -> {
            KeyPurpose p = spec.purpose();
            if (!p.mcKey()) {
                throw new VaultException(Reason.NOT_PERMITTED, "only GMK, PCK, CSK and SPK keys arrive by MIKEY-SAKKE, not "
                        + p);
            }
            if (clear == null || (clear.length != 16 && clear.length != 32)) {
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "an MC key is 16 or 32 bytes, got "
                        + (clear == null ? 0 : clear.length));
            }
            Meta m = newMeta(spec.withBits(clear.length * 8));
            byte[] value = hmacKey(clear);
            try {
                rawCreateSecret(m, value);
            } finally {
                if (value != clear) {
                    Arrays.fill(value, (byte) 0);
                }
            }
            return stored(m);
        });
    }

    /**
     * An MC key as the vault keeps it for HMAC-SHA-256: a key shorter than 32 octets is padded with
     * zeros to 32. HMAC pads a short key with zeros to the hash's block size anyway (RFC 2104 §2),
     * so HMAC under K || 0...0 is HMAC under K; and tokens that refuse HMAC keys shorter than the
     * digest (SoftHSM2 does, for CKM_SHA256_HMAC) take it.
     */
    static byte[] hmacKey(byte[] key) {
        return key.length >= 32 ? key : Arrays.copyOf(key, 32);
    }

    @Override
    public synchronized KeyInfo importWrapped(Actor actor, NewKey spec, String transportUri, byte[] wrapped)
            throws VaultException {
        return audited(actor, "import-wrapped", spec.label(), null, true, () -> {
            KeyType type = spec.purpose().type();
            if (spec.purpose().mcKey()) {
                throw new VaultException(Reason.NOT_PERMITTED, spec.purpose() + " keys reach the gateway by MIKEY-SAKKE "
                        + "(POST /mikey), encapsulated to its identity, not wrapped under a transport key");
            }
            if ((type != KeyType.AES && type != KeyType.SECRET_DATA) || spec.purpose() == KeyPurpose.TRANSPORT) {
                throw new VaultException(Reason.NOT_PERMITTED, "only AES keys and secret data other than transport "
                        + "keys are imported wrapped, not " + spec.purpose());
            }
            Meta t = resolve(transportUri);
            if (t.purpose() != KeyPurpose.TRANSPORT) {
                throw new VaultException(Reason.NOT_PERMITTED, t.label() + " is a " + t.purpose()
                        + " key; keys are unwrapped only with TRANSPORT keys");
            }
            int expected = spec.bits() / 8;
            // RFC 5649: 8-byte integrity block plus the key padded to a multiple of 8 (at least 16 in all)
            int wrappedLength = Math.max(16, 8 + ((expected + 7) / 8) * 8);
            if (wrapped == null || wrapped.length != wrappedLength) {
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "a wrapped " + spec.bits() + "-bit value is "
                        + wrappedLength + " bytes (RFC 5649), got " + (wrapped == null ? 0 : wrapped.length));
            }
            Meta m = newMeta(spec);
            uses.computeIfAbsent(t.label(), l -> new AtomicLong()).incrementAndGet();
            rawUnwrap(m, t, wrapped);
            return stored(m);
        });
    }

    @Override
    public synchronized KeyInfo importCertificate(Actor actor, NewKey spec, byte[] der) throws VaultException {
        return audited(actor, "import-certificate", spec.label(), null, true, () -> {
            if (spec.purpose().type() != KeyType.CERTIFICATE) {
                throw new VaultException(Reason.BAD_REQUEST, spec.purpose() + " is not a certificate purpose");
            }
            try {
                java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(new java.io.ByteArrayInputStream(der));
            } catch (java.security.cert.CertificateException | RuntimeException e) {
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "not a DER X.509 certificate: " + e.getMessage());
            }
            Meta m = newMeta(spec);
            rawStoreCertificate(m, der);
            return stored(m);
        });
    }

    @Override
    public byte[] exportPublic(Actor actor, String uri) throws VaultException {
        return audited(actor, "export-public", labelOf(uri), null, false, () -> {
            Meta m = resolve(uri);
            if (m.type() != KeyType.EC_P256 && m.type() != KeyType.CERTIFICATE) {
                throw new VaultException(Reason.NOT_PERMITTED, m.label() + " is a secret; it has no public half "
                        + "and never leaves the vault");
            }
            return rawExportPublic(m);
        });
    }

    @Override
    public byte[] sign(Actor actor, String uri, byte[] data) throws VaultException {
        return audited(actor, "sign", labelOf(uri), null, false, () -> {
            if (data == null) {
                throw new VaultException(Reason.BAD_REQUEST, "nothing to sign");
            }
            return rawSign(usable(uri, KeyType.EC_P256), data);
        });
    }

    @Override
    public DerivedSrtpKeys deriveSrtp(Actor actor, String masterUri, byte[] masterSalt, int keyLength, int authLength,
            int saltLength) throws VaultException {
        return audited(actor, "derive-srtp", labelOf(masterUri), null, false, () -> {
            if (masterSalt == null || (masterSalt.length != 14 && masterSalt.length != 12)) {
                throw new VaultException(Reason.BAD_REQUEST, "an SRTP master salt is 14 bytes (12 for AEAD suites)");
            }
            if ((keyLength != 16 && keyLength != 32) || authLength < 0 || authLength > 64 || saltLength < 12
                    || saltLength > 14) {
                throw new VaultException(Reason.BAD_REQUEST, "session key lengths out of range");
            }
            Meta m = usable(masterUri, KeyType.AES);
            if (!m.purpose().derivesSrtp()) {
                throw new VaultException(Reason.NOT_PERMITTED, m.label() + " is a " + m.purpose()
                        + " key; SRTP keys derive from master keys only");
            }
            if (m.bits() / 8 != keyLength) {
                throw new VaultException(Reason.NOT_PERMITTED, m.label() + " is a " + m.bits()
                        + "-bit key; this suite needs " + keyLength * 8);
            }
            int[] lengths = SrtpKdf.lengths(keyLength, authLength, saltLength);
            return SrtpKdf.split(rawEcb(m, SrtpKdf.counterBlocks(masterSalt, lengths)), lengths);
        });
    }

    @Override
    public byte[] hmacSha256(Actor actor, String uri, byte[] data) throws VaultException {
        return audited(actor, "hmac-sha256", labelOf(uri), null, false, () -> {
            if (data == null) {
                throw new VaultException(Reason.BAD_REQUEST, "nothing to authenticate");
            }
            Meta m = resolve(uri);
            if (m.type() != KeyType.GENERIC_SECRET) {
                throw new VaultException(Reason.NOT_PERMITTED, m.label() + " is a " + m.purpose() + " "
                        + m.type() + (m.purpose().mcKey() ? " (stored by an earlier ISG as an AES key: receive it again)"
                                : "") + "; HMAC runs on MC keys only");
            }
            return rawHmacSha256(usable(uri, KeyType.GENERIC_SECRET), data);
        });
    }

    @Override
    public byte[] readSecret(Actor actor, String uri) throws VaultException {
        return audited(actor, "read-secret", labelOf(uri), null, false,
                () -> rawReadSecret(usable(uri, KeyType.SECRET_DATA)));
    }

    @Override
    public synchronized void destroy(Actor actor, String uri) throws VaultException {
        audited(actor, "destroy", labelOf(uri), null, true, () -> {
            Meta m = resolve(uri);
            rawDestroy(m);
            byLabel.remove(m.label());
            uses.remove(m.label());
            return null;
        });
    }

    @Override
    public synchronized int zeroise(Actor actor) throws VaultException {
        return audited(actor, "zeroise", null, null, true, () -> {
            int n = 0;
            for (Meta m : new ArrayList<>(byLabel.values())) {
                if (m.type() != KeyType.CERTIFICATE) {
                    rawDestroy(m);
                    byLabel.remove(m.label());
                    n++;
                }
            }
            rawLogout();
            zeroised = true;
            emit(VaultEvent.Kind.ZEROISED, n + " keys destroyed in " + kind());
            return n;
        });
    }

    protected final Instant now() {
        return clock.instant();
    }
}
