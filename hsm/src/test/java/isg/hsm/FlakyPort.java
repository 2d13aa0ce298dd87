package isg.hsm;

import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.TokenException;

/** A real token port that answers CKR_DEVICE_REMOVED while its switch is on: a pulled token. */
final class FlakyPort implements TokenPort {

    static final class Switch {
        volatile boolean on;
    }

    private final TokenPort real;
    private final Switch removed;

    FlakyPort(TokenPort real, Switch removed) {
        this.real = real;
        this.removed = removed;
    }

    private void check() throws TokenException {
        if (removed.on) {
            throw new PKCS11Exception(PKCS11Constants.CKR_DEVICE_REMOVED);
        }
    }

    @Override
    public String describe() {
        return "flaky " + real.describe();
    }

    @Override
    public long[] find(AttributeVector template, int max) throws TokenException {
        check();
        return real.find(template, max);
    }

    @Override
    public AttributeVector attributes(long handle, long... types) throws TokenException {
        check();
        return real.attributes(handle, types);
    }

    @Override
    public long create(AttributeVector template) throws TokenException {
        check();
        return real.create(template);
    }

    @Override
    public long generateKey(Mechanism mechanism, AttributeVector template) throws TokenException {
        check();
        return real.generateKey(mechanism, template);
    }

    @Override
    public PKCS11KeyPair generateKeyPair(Mechanism mechanism, KeyPairTemplate template) throws TokenException {
        check();
        return real.generateKeyPair(mechanism, template);
    }

    @Override
    public long unwrap(Mechanism mechanism, long unwrappingKey, byte[] wrapped, AttributeVector template)
            throws TokenException {
        check();
        return real.unwrap(mechanism, unwrappingKey, wrapped, template);
    }

    @Override
    public byte[] encrypt(Mechanism mechanism, long key, byte[] data) throws TokenException {
        check();
        return real.encrypt(mechanism, key, data);
    }

    @Override
    public byte[] sign(Mechanism mechanism, long key, byte[] data) throws TokenException {
        check();
        return real.sign(mechanism, key, data);
    }

    @Override
    public void destroy(long handle) throws TokenException {
        check();
        real.destroy(handle);
    }

    @Override
    public void probe() throws TokenException {
        check();
        real.probe();
    }

    @Override
    public void logout() {
        real.logout();
    }

    @Override
    public void close() {
        real.close();
    }
}
