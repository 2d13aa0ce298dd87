package isg.mc;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The MC keys (GMK, PCK, CSK) a media context derives from, by 33.180 key identifier, with the
 * RAND and crypto session ID of the message that carried them. The MIKEY KDF runs in software
 * (HMAC-SHA-256 in the BC FIPS module), so these keys are held in memory as well as in the vault;
 * {@link #close()} and {@link #remove} overwrite them. Entries have no toString with key bytes.
 */
public final class McKeyRing implements AutoCloseable {

    /** One key: value, RAND of its I_MESSAGE, validity. */
    public static final class Entry {
        private final byte[] key;
        private final byte[] rand;
        private final String member;
        private final Instant notBefore;
        private final Instant notAfter;
        private final Map<Integer, MediaProfile> profiles;

        Entry(byte[] key, byte[] rand, String member, Instant notBefore, Instant notAfter,
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

        byte[] key() {
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
            return "McKey[" + key.length * 8 + " bits, until " + notAfter + ", value withheld]";
        }
    }

    /** The profile key that applies to every crypto session (a message with #CS = 0). */
    public static final int ANY_CRYPTO_SESSION = -1;

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
        Entry old = keys.put(keyId, new Entry(key.clone(), rand.clone(), member, notBefore, notAfter,
                Map.copyOf(profiles)));
        if (old != null) {
            McCrypto.wipe(old.key);
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

    /** Whether the ring holds exactly {@code key} under {@code keyId} (compared in constant time). */
    public boolean holds(int keyId, byte[] key) {
        Entry e = keys.get(keyId);
        return e != null && java.security.MessageDigest.isEqual(e.key, key);
    }

    public boolean remove(int keyId) {
        Entry e = keys.remove(keyId);
        if (e != null) {
            McCrypto.wipe(e.key);
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
