package isg.hsm;

import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.TokenException;

/**
 * The calls {@link Pkcs11Vault} makes on a logged-in token: the seam where a failing token is
 * simulated in tests ("a wrapper that starts failing"), the real one being {@link WrapperPort}.
 */
interface TokenPort {

    String describe();

    long[] find(AttributeVector template, int max) throws TokenException;

    AttributeVector attributes(long handle, long... types) throws TokenException;

    long create(AttributeVector template) throws TokenException;

    long generateKey(Mechanism mechanism, AttributeVector template) throws TokenException;

    PKCS11KeyPair generateKeyPair(Mechanism mechanism, KeyPairTemplate template) throws TokenException;

    long unwrap(Mechanism mechanism, long unwrappingKey, byte[] wrapped, AttributeVector template) throws TokenException;

    byte[] encrypt(Mechanism mechanism, long key, byte[] data) throws TokenException;

    byte[] sign(Mechanism mechanism, long key, byte[] data) throws TokenException;

    void destroy(long handle) throws TokenException;

    /** Asks the token something cheap; throws when it does not answer. */
    void probe() throws TokenException;

    void logout();

    void close();

    /** Opens a port: module, token, login; {@code again}: after the token was lost. */
    @FunctionalInterface
    interface Connector {
        TokenPort connect(boolean again) throws VaultException;
    }
}
