package isg.hsm;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * What to create: label (unique), optional id (random 8 bytes when absent), purpose (which also
 * fixes the type), owning domain or partner, expiry, size (128 or 256 bits for AES and generic
 * secret keys; the value's length for secret data) and public attributes stored beside it (what
 * the gateway needs to use the key again after a restart, e.g. an MC key's RAND; never secrets).
 */
public record NewKey(String label, byte[] id, KeyPurpose purpose, String owner, Instant notAfter, int bits,
        Map<String, String> attributes) {

    /** At most this many characters of attributes (keys and values together). */
    public static final int MAX_ATTRIBUTES = 2048;

    public NewKey {
        if (label == null || label.isBlank() || label.length() > 64) {
            throw new IllegalArgumentException("label is required, 1..64 characters");
        }
        if (purpose == null) {
            throw new IllegalArgumentException("purpose is required");
        }
        KeyType type = purpose.type();
        if ((type == KeyType.AES || type == KeyType.GENERIC_SECRET) && bits != 128 && bits != 256) {
            throw new IllegalArgumentException("a " + purpose + " key is 128 or 256 bits, not " + bits);
        }
        if (type == KeyType.SECRET_DATA && (bits <= 0 || bits % 8 != 0 || bits > 8 * 4096)) {
            throw new IllegalArgumentException("secret data is 1..4096 octets, not " + bits + " bits");
        }
        if (id != null && (id.length == 0 || id.length > 32)) {
            throw new IllegalArgumentException("id must be 1..32 bytes");
        }
        id = id == null ? null : id.clone();
        attributes = attributes == null ? Map.of() : Map.copyOf(new TreeMap<>(attributes));
        int size = 0;
        for (Map.Entry<String, String> a : attributes.entrySet()) {
            size += a.getKey().length() + a.getValue().length();
        }
        if (size > MAX_ATTRIBUTES) {
            throw new IllegalArgumentException("attributes are at most " + MAX_ATTRIBUTES + " characters, got " + size);
        }
    }

    public NewKey(String label, byte[] id, KeyPurpose purpose, String owner, Instant notAfter, int bits) {
        this(label, id, purpose, owner, notAfter, bits, Map.of());
    }

    public static NewKey of(String label, KeyPurpose purpose, String owner) {
        return new NewKey(label, null, purpose, owner, null, 256);
    }

    public NewKey withBits(int b) {
        return new NewKey(label, id, purpose, owner, notAfter, b, attributes);
    }

    public NewKey withNotAfter(Instant t) {
        return new NewKey(label, id, purpose, owner, t, bits, attributes);
    }

    public NewKey withId(byte[] i) {
        return new NewKey(label, i, purpose, owner, notAfter, bits, attributes);
    }

    public NewKey withAttributes(Map<String, String> a) {
        return new NewKey(label, id, purpose, owner, notAfter, bits, a);
    }
}
