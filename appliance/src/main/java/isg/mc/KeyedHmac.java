package isg.mc;

import isg.hsm.Actor;
import isg.hsm.KeyVault;
import isg.hsm.VaultException;
import javax.crypto.Mac;

/**
 * HMAC-SHA-256 keyed by an MC key (GMK, PCK, CSK), wherever the key is: the PRF of the MIKEY KDF
 * (RFC 6043 §6.1) and of 33.180's KDF. The gateway keeps its MC keys in the vault
 * ({@link #inVault}), so the key never sits in memory; tests and tools key it from bytes
 * ({@link #of}). MC keys are 16 or 32 octets: one 256-bit piece of the MIKEY PRF.
 */
public interface KeyedHmac extends AutoCloseable {

    /** HMAC-SHA-256(key, data). */
    byte[] mac(byte[] data) throws KeyMaterialException;

    /** Whether a call may block on I/O (the vault): such a key is never used on a packet thread. */
    boolean remote();

    /** Wipes a key held in memory; nothing for a key in the vault. */
    @Override
    void close();

    /** A key held in memory (a copy of {@code key}, wiped by {@link #close()}). */
    static KeyedHmac of(byte[] key) {
        if (key == null || key.length == 0 || key.length > 32) {
            throw new IllegalArgumentException("an MC key is 1-32 octets");
        }
        byte[] k = key.clone();
        return new KeyedHmac() {
            @Override
            public byte[] mac(byte[] data) {
                Mac m = McCrypto.hmacSha256(k);
                return m.doFinal(data);
            }

            @Override
            public boolean remote() {
                return false;
            }

            @Override
            public void close() {
                McCrypto.wipe(k);
            }

            @Override
            public String toString() {
                return "KeyedHmac[in memory, value withheld]";
            }
        };
    }

    /** The key at {@code uri} in {@code vault}: every call is an audited vault operation. */
    static KeyedHmac inVault(KeyVault vault, String uri) {
        return new KeyedHmac() {
            @Override
            public byte[] mac(byte[] data) throws KeyMaterialException {
                try {
                    return vault.hmacSha256(Actor.INTERNAL, uri, data);
                } catch (VaultException e) {
                    throw new KeyMaterialException("MC key " + uri + ": " + e.getMessage());
                }
            }

            @Override
            public boolean remote() {
                return true;
            }

            @Override
            public void close() {
            }

            @Override
            public String toString() {
                return "KeyedHmac[" + uri + "]";
            }
        };
    }
}
