package isg.hsm;

import java.util.List;
import java.util.function.Consumer;

/**
 * The key vault: keys by label and id (RFC 7512 URIs), created inside it or imported wrapped,
 * used inside it, never returned in clear. Two implementations keep the same contract:
 * {@code Pkcs11Vault} (any PKCS#11 module) and {@code SoftVault} (a BC FIPS keystore file, the
 * embedded default). Every operation is audited with the actor that asked. Thread-safe.
 */
public interface KeyVault extends AutoCloseable {

    /** For status: e.g. "pkcs11 (SoftHSM, token isg)" or "software token (/var/lib/isg/keys.bcfks)". */
    String kind();

    /** Whether the vault answers now; a down vault fails every operation fast. */
    boolean healthy();

    /**
     * Asks the store whether it still answers, so that a token pulled (or a network HSM lost) while
     * nothing uses it is noticed, and one that is back is reconnected. Blocking: call it from a
     * thread of its own, never an event loop.
     */
    default void heartbeat() {
        healthy();
    }

    /** Called on DOWN, UP and ZEROISED. */
    void onEvent(Consumer<VaultEvent> listener);

    /** Metadata of every entry ISG owns. */
    List<KeyInfo> list(Actor actor) throws VaultException;

    /** Metadata of one entry by URI ({@code object} and/or {@code id}). */
    KeyInfo info(Actor actor, String uri) throws VaultException;

    /** Generates an AES key or an EC P-256 key pair (by purpose) inside the vault. */
    KeyInfo generate(Actor actor, NewKey spec) throws VaultException;

    /**
     * Creates a TRANSPORT key from its clear value: the one key ceremony through which the first
     * secret enters a vault, so that every later key can arrive wrapped. The caller wipes the
     * array; the audit log records the ceremony.
     */
    KeyInfo importTransportKey(Actor actor, NewKey spec, byte[] clear) throws VaultException;

    /**
     * Imports a secret key (AES, generic secret) or secret data (a SAKKE RSK) wrapped under a
     * TRANSPORT key in the vault with AES key wrap with padding (RFC 5649); {@code spec.bits()} is
     * its length. A bad wrap, a wrong length or an unknown transport key is refused and nothing is
     * stored.
     */
    KeyInfo importWrapped(Actor actor, NewKey spec, String transportUri, byte[] wrapped) throws VaultException;

    /**
     * Stores a GMK, PCK, CSK or SPK that arrived as a MIKEY-SAKKE I_MESSAGE addressed to the
     * gateway, after its ECCSI signature was verified and its SAKKE encapsulation opened: the way
     * MC keys reach a member (encapsulated to its identity, not wrapped under a vault key). It is
     * kept as a generic secret that keys HMAC-SHA-256 in the vault ({@link #hmacSha256}). Other
     * purposes are refused; the caller wipes the array; the audit log records it.
     */
    KeyInfo importMcKey(Actor actor, NewKey spec, byte[] clear) throws VaultException;

    /** Stores a public X.509 certificate (DER). */
    KeyInfo importCertificate(Actor actor, NewKey spec, byte[] der) throws VaultException;

    /** The public half of an EC key pair (X.509 SubjectPublicKeyInfo DER) or a certificate's DER. */
    byte[] exportPublic(Actor actor, String uri) throws VaultException;

    /** ECDSA P-256 with SHA-256 over {@code data} with a vault-held private key; DER signature. */
    byte[] sign(Actor actor, String uri, byte[] data) throws VaultException;

    /**
     * SRTP session keys (RFC 3711 §4.3, rate 0) derived inside the vault from the AES master key
     * at {@code masterUri} and a master salt (14 bytes, or 12 for the GCM suites).
     */
    DerivedSrtpKeys deriveSrtp(Actor actor, String masterUri, byte[] masterSalt, int keyLength, int authLength,
            int saltLength) throws VaultException;

    /**
     * HMAC-SHA-256 over {@code data} keyed by an MC key (GMK, PCK, CSK, SPK) in the vault: the PRF
     * of the MIKEY KDF (RFC 6043 §6.1) and of 33.180's KDF, run where the key lives.
     */
    byte[] hmacSha256(Actor actor, String uri, byte[] data) throws VaultException;

    /**
     * The value of a secret-data entry (a SAKKE RSK), which the gateway must hold to use; the
     * caller wipes it. Audited.
     */
    byte[] readSecret(Actor actor, String uri) throws VaultException;

    /** Destroys one entry (and its metadata). */
    void destroy(Actor actor, String uri) throws VaultException;

    /**
     * Destroys every secret and private key ISG owns and logs out; certificates stay. Returns how
     * many keys were destroyed. The vault refuses further use until reopened.
     */
    int zeroise(Actor actor) throws VaultException;

    @Override
    void close();
}
