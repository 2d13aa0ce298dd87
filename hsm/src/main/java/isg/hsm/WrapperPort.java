package isg.hsm;

import isg.hsm.VaultException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.PKCS11Token;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenException;

/**
 * A logged-in token through the IAIK-style wrapper (org.xipki:ipkcs11wrapper), whose
 * {@link PKCS11Token} keeps a pool of sessions so concurrent callers each get their own.
 * One {@link PKCS11Module} per module path per JVM: C_Initialize happens once.
 */
final class WrapperPort implements TokenPort {

    private static final Map<String, PKCS11Module> MODULES = new ConcurrentHashMap<>();

    private final PKCS11Token token;
    private final String describe;

    private WrapperPort(PKCS11Token token, String describe) {
        this.token = token;
        this.describe = describe;
    }

    /**
     * Opens the module (once per process), finds the token and logs in. {@code again}: the token was
     * lost and this is a reconnection; a module that does not show the token then is initialised
     * afresh on the next attempt (a network HSM's client library reconnects only at C_Initialize).
     */
    static TokenPort connect(Pkcs11Config config, char[] pin, boolean again) throws VaultException {
        String path = config.module().toAbsolutePath().toString();
        if (!Files.isRegularFile(config.module())) {
            throw new VaultException(Reason.MODULE_NOT_FOUND, "PKCS#11 module " + path + " does not exist; install "
                    + "the HSM vendor's library (for SoftHSM2: apt-get install softhsm2) or correct the module path");
        }
        PKCS11Module module;
        try {
            module = MODULES.computeIfAbsent(path, p -> {
                try {
                    PKCS11Module m = PKCS11Module.getInstance(p);
                    m.initialize();
                    return m;
                } catch (IOException | TokenException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
        } catch (IllegalStateException e) {
            throw new VaultException(Reason.MODULE_NOT_FOUND, "PKCS#11 module " + path + " could not be loaded ("
                    + e.getMessage() + "); is it a PKCS#11 library for this architecture?", e);
        }
        List<String> labels = new ArrayList<>();
        try {
            for (Slot slot : module.getSlotList(true)) {
                Token t = slot.getToken();
                String label = t.getTokenInfo().getLabel().trim();
                labels.add(label);
                if (label.equals(config.tokenLabel())) {
                    try {
                        PKCS11Token tok = new PKCS11Token(t, false, pin);
                        return new WrapperPort(tok, t.getTokenInfo().getManufacturerID().trim() + " "
                                + t.getTokenInfo().getModel().trim() + ", token " + label);
                    } catch (PKCS11Exception e) {
                        resetIfGone(path, module, e);
                        throw loginFailure(e, path, label);
                    }
                }
            }
        } catch (TokenException e) {
            if (e instanceof PKCS11Exception) {
                resetIfGone(path, module, (PKCS11Exception) e);
                throw loginFailure((PKCS11Exception) e, path, config.tokenLabel());
            }
            throw new VaultException(Reason.UNAVAILABLE, "PKCS#11 module " + path + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
        if (again) {
            reset(path, module);
        }
        throw new VaultException(Reason.TOKEN_NOT_FOUND, "PKCS#11 module " + path + " has no token labelled '"
                + config.tokenLabel() + "' (tokens present: " + labels + "); initialise it or correct the label");
    }

    /**
     * A module whose device is gone is finalised and forgotten, so the next connection initialises it
     * afresh: a network HSM's client library (p11-kit's client, a vendor's) reconnects only at
     * C_Initialize, and a USB token's library may need it after the token was pulled.
     */
    private static void resetIfGone(String path, PKCS11Module module, PKCS11Exception e) {
        long code = e.getErrorCode();
        if (code == PKCS11Constants.CKR_DEVICE_ERROR || code == PKCS11Constants.CKR_DEVICE_REMOVED
                || code == PKCS11Constants.CKR_TOKEN_NOT_PRESENT || code == PKCS11Constants.CKR_CRYPTOKI_NOT_INITIALIZED) {
            reset(path, module);
        }
    }

    private static void reset(String path, PKCS11Module module) {
        if (MODULES.remove(path, module)) {
            try {
                module.finalize(null);
            } catch (PKCS11Exception ignored) {
                // gone already: initialising it again is what matters
            }
        }
    }

    private static VaultException loginFailure(PKCS11Exception e, String module, String label) {
        long code = e.getErrorCode();
        if (code == PKCS11Constants.CKR_PIN_INCORRECT) {
            return new VaultException(Reason.PIN_INCORRECT, "the PIN was refused by token '" + label + "' of " + module
                    + "; check the PIN file. ISG does not retry, so the token's PIN counter is not run down");
        }
        if (code == PKCS11Constants.CKR_PIN_LOCKED) {
            return new VaultException(Reason.PIN_LOCKED, "token '" + label + "' of " + module
                    + " has locked its user PIN; the security officer must unlock it");
        }
        return new VaultException(Reason.UNAVAILABLE, "token '" + label + "' of " + module + " refused the login: "
                + e.getErrorName(), e);
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public long[] find(AttributeVector template, int max) throws TokenException {
        return token.findObjects(template, max);
    }

    @Override
    public AttributeVector attributes(long handle, long... types) throws TokenException {
        return token.getAttrValues(handle, types);
    }

    @Override
    public long create(AttributeVector template) throws TokenException {
        return token.createObject(template);
    }

    @Override
    public long generateKey(Mechanism mechanism, AttributeVector template) throws TokenException {
        return token.generateKey(mechanism, template);
    }

    @Override
    public PKCS11KeyPair generateKeyPair(Mechanism mechanism, KeyPairTemplate template) throws TokenException {
        return token.generateKeyPair(mechanism, template);
    }

    @Override
    public long unwrap(Mechanism mechanism, long unwrappingKey, byte[] wrapped, AttributeVector template)
            throws TokenException {
        return token.unwrapKey(mechanism, unwrappingKey, wrapped, template);
    }

    @Override
    public byte[] encrypt(Mechanism mechanism, long key, byte[] data) throws TokenException {
        return token.encrypt(mechanism, key, data);
    }

    @Override
    public byte[] sign(Mechanism mechanism, long key, byte[] data) throws TokenException {
        return token.sign(mechanism, key, data);
    }

    @Override
    public void destroy(long handle) throws TokenException {
        token.destroyObject(handle);
    }

    @Override
    public void probe() throws TokenException {
        token.getToken().getTokenInfo();
    }

    @Override
    public void logout() {
        try {
            token.logout();
        } catch (TokenException e) {
            // already logged out or gone: either way no session stays logged in
        }
        token.closeAllSessions();
    }

    @Override
    public void close() {
        token.closeAllSessions();
    }
}
