package isg.hsm;

import java.time.Instant;

/**
 * What to create: label (unique), optional id (random 8 bytes when absent), purpose (which also
 * fixes the type), owning domain or partner, expiry, and key size for AES (128 or 256).
 */
public record NewKey(String label, byte[] id, KeyPurpose purpose, String owner, Instant notAfter, int bits) {

    public NewKey {
        if (label == null || label.isBlank() || label.length() > 64) {
            throw new IllegalArgumentException("label is required, 1..64 characters");
        }
        if (purpose == null) {
            throw new IllegalArgumentException("purpose is required");
        }
        if (purpose.type() == KeyType.AES && bits != 128 && bits != 256) {
            throw new IllegalArgumentException("an AES key is 128 or 256 bits, not " + bits);
        }
        if (id != null && (id.length == 0 || id.length > 32)) {
            throw new IllegalArgumentException("id must be 1..32 bytes");
        }
        id = id == null ? null : id.clone();
    }

    public static NewKey of(String label, KeyPurpose purpose, String owner) {
        return new NewKey(label, null, purpose, owner, null, purpose.type() == KeyType.AES ? 256 : 256);
    }

    public NewKey withBits(int b) {
        return new NewKey(label, id, purpose, owner, notAfter, b);
    }

    public NewKey withNotAfter(Instant t) {
        return new NewKey(label, id, purpose, owner, t, bits);
    }

    public NewKey withId(byte[] i) {
        return new NewKey(label, i, purpose, owner, notAfter, bits);
    }
}
