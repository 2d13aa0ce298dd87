package isg.mc;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MC keys (GMK, PCK, CSK) media contexts derive from, by 33.180 key identifier, with the
 * RAND of the message that carried them, the gateway's identity in their domain, their validity
 * and the media profile of each crypto session. The gateway's keys stay in the vault: an entry
 * holds a {@link KeyedHmac} that runs the MIKEY KDF's HMAC there ({@link #putInVault}), so the
 * ring can be rebuilt from the vault after a restart. Keys given as bytes ({@link #put}, for
 * tests and tools) are held in memory and overwritten by {@link #close()} and {@link #remove}.
 * Entries have no toString with key bytes.
 */
public final class McKeyRing implements AutoCloseable {

    /** One key: where its HMAC runs, RAND of its I_MESSAGE, validity, media profiles. */
    public static final class Entry {
        private final KeyedHmac key;
        private final byte[] rand;
        private final String member;
        private final Instant notBefore;
        private final Instant notAfter;
        private final Map<Integer, MediaProfile> profiles;

        Entry(KeyedHmac key, byte[] rand, String member, Instant notBefore, Instant notAfter,
                Map<Integer, MediaProfile> profiles) {
            this.key = key;
            this.rand = rand;
            this.member = member;
            this.notBefore = notBefore;
            this.notAfter = notAfter;
            this.profiles = profiles;
        }

        /**
         * How media of crypto session {@code csId} under this key is protected: as the key's
         * I_MESSAGE said (its SP payload), or TS 33.180's default where it said nothing.
         */
        public MediaProfile profile(int csId) {
            MediaProfile p = profiles.get(csId);
            if (p == null) {
                p = profiles.getOrDefault(ANY_CRYPTO_SESSION, MediaProfile.MC_DEFAULT);
            }
            return p;
        }

        /** The gateway's own URI in the domain the key came from (its identity as a group member), or null. */
        public String member() {
            return member;
        }

        /** HMAC-SHA-256 keyed by this key, wherever it is. */
        KeyedHmac key() {
            return key;
        }

        byte[] rand() {
            return rand;
        }

        public Instant notAfter() {
            return notAfter;
        }

        @Override
        public String toString() {
            return "McKey[" + key + ", until " + notAfter + "]";
        }
    }

    /** The profile key that applies to every crypto session (a message with #CS = 0). */
    public static final int ANY_CRYPTO_SESSION = -1;
    /** What {@link #holds} has both keys authenticate: equal MACs, equal keys. */
    private static final byte[] CHECK = "isg key ring: same key?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final Map<Integer, Entry> keys = new ConcurrentHashMap<>();
    private final Clock clock;

    public McKeyRing(Clock clock) {
        this.clock = clock;
    }

    /** Holds a copy of {@code key} under {@code keyId}, valid until {@code notAfter} (null: no limit). */
    public void put(int keyId, byte[] key, byte[] rand, Instant notAfter) {
        put(keyId, key, rand, null, null, notAfter);
    }

    /**
     * Holds a copy of {@code key} under {@code keyId}, received by the gateway as {@code member},
     * usable from {@code notBefore} to {@code notAfter} (either null: no limit), replacing (and
     * wiping) any earlier one.
     */
    public void put(int keyId, byte[] key, byte[] rand, String member, Instant notBefore, Instant notAfter) {
        put(keyId, key, rand, member, notBefore, notAfter, Map.of());
    }

    /** As above, with the media profile of each crypto session (by CS ID) the key's message gave. */
    public void put(int keyId, byte[] key, byte[] rand, String member, Instant notBefore, Instant notAfter,
            Map<Integer, MediaProfile> profiles) {
        hold(keyId, new Entry(KeyedHmac.of(key), rand.clone(), member, notBefore, notAfter, Map.copyOf(profiles)));
    }

    /** Holds the key kept in {@code vault} at {@code uri}: it never enters memory, its HMAC runs there. */
    public void putInVault(int keyId, isg.hsm.KeyVault vault, String uri, byte[] rand, String member,
            Instant notBefore, Instant notAfter, Map<Integer, MediaProfile> profiles) {
        hold(keyId, new Entry(KeyedHmac.inVault(vault, uri), rand.clone(), member, notBefore, notAfter,
                Map.copyOf(profiles)));
    }

    private void hold(int keyId, Entry e) {
        Entry old = keys.put(keyId, e);
        if (old != null) {
            old.key.close();
        }
    }

    /** The key with this identifier while it is valid (activated and not expired), else null. */
    public Entry get(int keyId) {
        Entry e = keys.get(keyId);
        if (e == null) {
            return null;
        }
        Instant now = clock.instant();
        if ((e.notAfter != null && now.isAfter(e.notAfter)) || (e.notBefore != null && now.isBefore(e.notBefore))) {
            return null;
        }
        return e;
    }

    /**
     * Whether the ring holds exactly {@code key} under {@code keyId}: both authenticate the same
     * string and the MACs are compared in constant time (the held key may be in the vault).
     */
    public boolean holds(int keyId, byte[] key) {
        Entry e = keys.get(keyId);
        if (e == null) {
            return false;
        }
        try (KeyedHmac given = KeyedHmac.of(key)) {
            return java.security.MessageDigest.isEqual(e.key.mac(CHECK), given.mac(CHECK));
        } catch (KeyMaterialException ex) {
            return false;
        }
    }

    public boolean remove(int keyId) {
        Entry e = keys.remove(keyId);
        if (e != null) {
            e.key.close();
        }
        return e != null;
    }

    public int size() {
        return keys.size();
    }

    @Override
    public void close() {
        for (Integer id : keys.keySet()) {
            remove(id);
        }
    }
}
