package isg.hsm;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_EC_POINT;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_VALUE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKA_VALUE_LEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_EC;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_AES_ECB;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_AES_KEY_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_AES_KEY_WRAP_PAD;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_ECDSA;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKK_GENERIC_SECRET;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_EC_KEY_PAIR_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_GENERIC_SECRET_KEY_GEN;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKM_SHA256_HMAC;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_CERTIFICATE;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_DATA;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PRIVATE_KEY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_PUBLIC_KEY;
import static org.xipki.pkcs11.wrapper.PKCS11Constants.CKO_SECRET_KEY;

import isg.hsm.VaultException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.TokenException;

/**
 * The vault on any PKCS#11 token (SoftHSM2 in tests). Secret keys are token objects that are
 * sensitive and never extractable; the SRTP key derivation runs as AES-ECB inside the token; EC
 * keys sign inside it. ISG's metadata for each entry is a private CKO_DATA object
 * (application "isg") with the same label. A token that stops answering turns health down and
 * fails calls fast; {@link #healthy()} reconnects when it is back.
 */
public final class Pkcs11Vault extends AbstractVault {

    static {
        // before the wrapper prints its banner on standard output
        WrapperLog.install();
    }

    private static final String APPLICATION = "isg";
    /** DER of the prime256v1 OID, CKA_EC_PARAMS for P-256. */
    private static final byte[] P256 = {0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x03, 0x01, 0x07};
    /** SubjectPublicKeyInfo prefix for an uncompressed P-256 point (RFC 5480). */
    private static final byte[] P256_SPKI_PREFIX = java.util.HexFormat.of()
            .parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

    private final TokenPort.Connector connector;
    private volatile TokenPort port;
    private final Map<String, Long> handles = new ConcurrentHashMap<>();

    Pkcs11Vault(String tokenLabel, TokenPort.Connector connector, AuditLog audit, Clock clock) throws VaultException {
        super(tokenLabel, audit, clock);
        this.connector = connector;
        this.port = connector.connect(false);
        loadMetadata();
    }

    /** Opens the token named by {@code config}, reading the PIN from its file or systemd credential. */
    public static Pkcs11Vault open(Pkcs11Config config, AuditLog audit) throws VaultException {
        return open(config, audit, Clock.systemUTC());
    }

    /** As above, judging key expiry by {@code clock}. */
    public static Pkcs11Vault open(Pkcs11Config config, AuditLog audit, Clock clock) throws VaultException {
        TokenPort.Connector c = again -> WrapperPort.connect(config,
                PinSource.fromCredentialOrFile(Pkcs11Config.PIN_CREDENTIAL, config.pinFile()), again);
        return new Pkcs11Vault(config.tokenLabel(), c, audit, clock);
    }

    @Override
    public String kind() {
        TokenPort p = port;
        return "pkcs11 (" + (p == null ? "not connected" : p.describe()) + ")";
    }

    @FunctionalInterface
    private interface Call<T> {
        T on(TokenPort p) throws TokenException, VaultException;
    }

    /** Runs a token call, turning PKCS#11 return values into reasons an operator can act on. */
    private <T> T call(String what, Call<T> c) throws VaultException {
        TokenPort p = port;
        if (p == null) {
            throw down("not connected", null);
        }
        try {
            return c.on(p);
        } catch (PKCS11Exception e) {
            long code = e.getErrorCode();
            if (code == PKCS11Constants.CKR_DEVICE_MEMORY) {
                throw new VaultException(Reason.TOKEN_FULL, kind() + " has no room left for " + what
                        + "; destroy unused keys or use a larger token", e);
            }
            if (code == PKCS11Constants.CKR_MECHANISM_INVALID) {
                throw new VaultException(Reason.MECHANISM_UNSUPPORTED, kind() + " does not support the mechanism "
                        + what + " needs; ISG needs CKM_AES_KEY_GEN, CKM_AES_ECB, CKM_AES_KEY_WRAP_PAD, "
                        + "CKM_GENERIC_SECRET_KEY_GEN, CKM_SHA256_HMAC, CKM_EC_KEY_PAIR_GEN and CKM_ECDSA", e);
            }
            if (code == PKCS11Constants.CKR_WRAPPED_KEY_INVALID || code == PKCS11Constants.CKR_WRAPPED_KEY_LEN_RANGE
                    || code == PKCS11Constants.CKR_ENCRYPTED_DATA_INVALID) {
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "the wrapped key does not unwrap (RFC 5649 "
                        + "integrity check failed): wrong transport key or damaged data", e);
            }
            if (code == PKCS11Constants.CKR_PIN_INCORRECT || code == PKCS11Constants.CKR_PIN_LOCKED
                    || code == PKCS11Constants.CKR_TEMPLATE_INCONSISTENT) {
                throw new VaultException(Reason.NOT_PERMITTED, kind() + " refused " + what + ": " + e.getErrorName(), e);
            }
            throw down(what + ": " + e.getErrorName(), e);
        } catch (TokenException e) {
            throw down(what + ": " + e.getMessage(), e);
        }
    }

    /**
     * The template of a secret entry: an AES key that encrypts (the RFC 3711 KDF) or, for a
     * transport key, wraps and unwraps; a generic secret that signs (HMAC-SHA-256) for an MC key;
     * and for secret data (a SAKKE RSK, which ISG must read to use) a generic secret that does
     * nothing, private to the logged-in user, neither sensitive nor unextractable (PKCS#11 hides
     * the value of either). Keys are token objects that are never extractable.
     */
    private static AttributeVector secretTemplate(Meta m) {
        boolean transport = m.purpose() == KeyPurpose.TRANSPORT;
        AttributeVector t = switch (m.type()) {
            case GENERIC_SECRET -> AttributeVector.newSecretKey(CKK_GENERIC_SECRET).sensitive(true).extractable(false)
                    .encrypt(false).wrap(false).unwrap(false).sign(true);
            case SECRET_DATA -> AttributeVector.newSecretKey(CKK_GENERIC_SECRET).sensitive(false).extractable(true)
                    .encrypt(false).wrap(false).unwrap(false).sign(false);
            default -> AttributeVector.newAESSecretKey().sensitive(true).extractable(false).encrypt(!transport)
                    .wrap(transport).unwrap(transport).sign(false);
        };
        t.token(true).private_(true).decrypt(false).verify(false).derive(false).label(m.label())
                .id(m.id());
        return m.notAfter() == null ? t : t.endDate(m.notAfter());
    }

    private void storeMeta(TokenPort p, Meta m) throws TokenException {
        p.create(new AttributeVector().class_(CKO_DATA).token(true).private_(true).application(APPLICATION)
                .label(m.label()).value(m.toJson().getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes the metadata; if that fails the key just made is destroyed, so nothing is half-stored. */
    private void withMeta(TokenPort p, Meta m, long... made) throws TokenException {
        try {
            storeMeta(p, m);
        } catch (TokenException e) {
            for (long h : made) {
                try {
                    p.destroy(h);
                } catch (TokenException ignored) {
                    // the key stays unreachable without metadata; the original failure is reported
                }
            }
            throw e;
        }
    }

    @Override
    List<Meta> rawList() throws VaultException {
        return call("listing objects", p -> {
            List<Meta> out = new ArrayList<>();
            for (long h : p.find(new AttributeVector().class_(CKO_DATA).application(APPLICATION), 100_000)) {
                byte[] v = p.attributes(h, CKA_VALUE).value();
                out.add(Meta.fromJson(new String(v, StandardCharsets.UTF_8)));
            }
            return out;
        });
    }

    @Override
    void rawGenerateAes(Meta m) throws VaultException {
        call("AES key generation", p -> {
            long h = p.generateKey(new Mechanism(CKM_AES_KEY_GEN), secretTemplate(m).valueLen(m.bits() / 8));
            withMeta(p, m, h);
            return null;
        });
    }

    @Override
    void rawGenerateEc(Meta m) throws VaultException {
        call("EC P-256 key pair generation", p -> {
            KeyPairTemplate t = new KeyPairTemplate(CKK_EC).token(true).labels(m.label()).id(m.id()).signVerify(true)
                    .decryptEncrypt(false).unwrapWrap(false).derive(false).private_(true, false);
            t.privateKey().sensitive(true).extractable(false).derive(false);
            t.publicKey().ecParams(P256);
            var kp = p.generateKeyPair(new Mechanism(CKM_EC_KEY_PAIR_GEN), t);
            withMeta(p, m, kp.getPrivateKey(), kp.getPublicKey());
            return null;
        });
    }

    @Override
    void rawGenerateGeneric(Meta m) throws VaultException {
        call("generic secret key generation", p -> {
            // at least 32 octets: tokens refuse shorter HMAC-SHA-256 keys (see AbstractVault.hmacKey)
            long h = p.generateKey(new Mechanism(CKM_GENERIC_SECRET_KEY_GEN),
                    secretTemplate(m).valueLen(Math.max(32, m.bits() / 8)));
            withMeta(p, m, h);
            return null;
        });
    }

    @Override
    byte[] rawHmacSha256(Meta m, byte[] data) throws VaultException {
        long h = handle(m, CKO_SECRET_KEY);
        return call("HMAC-SHA-256 in the token", p -> p.sign(new Mechanism(CKM_SHA256_HMAC), h, data));
    }

    @Override
    byte[] rawReadSecret(Meta m) throws VaultException {
        long h = handle(m, CKO_SECRET_KEY);
        return call("reading " + m.label(), p -> p.attributes(h, CKA_VALUE).value());
    }

    @Override
    void rawCreateSecret(Meta m, byte[] clear) throws VaultException {
        call("secret key creation", p -> {
            long h = p.create(secretTemplate(m).value(clear.clone()));
            withMeta(p, m, h);
            return null;
        });
    }

    @Override
    void rawUnwrap(Meta m, Meta transport, byte[] wrapped) throws VaultException {
        long t = handle(transport, CKO_SECRET_KEY);
        call("unwrapping a key", p -> {
            long h;
            try {
                h = p.unwrap(new Mechanism(CKM_AES_KEY_WRAP_PAD), t, wrapped, secretTemplate(m));
            } catch (PKCS11Exception e) {
                // Tokens differ in how they report a failed RFC 5649 integrity check (SoftHSM2:
                // CKR_GENERAL_ERROR). If the token still answers, the data was bad, not the token.
                p.probe();
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "the wrapped key does not unwrap under '"
                        + transport.label() + "' (" + e.getErrorName() + "): wrong transport key or damaged data");
            }
            // The wrapped length was checked against the declared size before, which leaves at most
            // eight possible lengths; a token that reports CKA_VALUE_LEN settles it.
            Long len = p.attributes(h, CKA_VALUE_LEN).getLongAttrValue(CKA_VALUE_LEN);
            if (len != null && len != 0 && len * 8 != m.bits()) {
                p.destroy(h);
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "the wrapped key is " + (len == null ? "?" : len * 8)
                        + " bits; " + m.bits() + " were declared");
            }
            withMeta(p, m, h);
            return null;
        });
    }

    @Override
    void rawStoreCertificate(Meta m, byte[] der) throws VaultException {
        byte[] subject;
        try {
            subject = ((java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der))).getSubjectX500Principal().getEncoded();
        } catch (java.security.cert.CertificateException e) {
            throw new VaultException(Reason.BAD_KEY_MATERIAL, "not an X.509 certificate: " + e.getMessage());
        }
        call("storing a certificate", p -> {
            long h = p.create(AttributeVector.newX509Certificate().token(true).private_(false).label(m.label())
                    .id(m.id()).subject(subject).value(der));
            withMeta(p, m, h);
            return null;
        });
    }

    /** The handle of the object of {@code cls} for an entry, cached; looked up again after a reconnect. */
    private long handle(Meta m, long cls) throws VaultException {
        String key = m.label() + "/" + cls;
        Long h = handles.get(key);
        if (h != null) {
            return h;
        }
        long found = call("finding " + m.label(), p -> {
            long[] hs = p.find(new AttributeVector().class_(cls).label(m.label()).id(m.id()), 2);
            if (hs.length != 1) {
                throw new VaultException(Reason.KEY_NOT_FOUND, (hs.length == 0 ? "no" : "more than one")
                        + " object '" + m.label() + "' on " + kind());
            }
            return hs[0];
        });
        handles.put(key, found);
        return found;
    }

    @Override
    byte[] rawExportPublic(Meta m) throws VaultException {
        if (m.type() == KeyType.CERTIFICATE) {
            long h = handle(m, CKO_CERTIFICATE);
            return call("reading a certificate", p -> p.attributes(h, CKA_VALUE).value());
        }
        long h = handle(m, CKO_PUBLIC_KEY);
        byte[] point = call("reading a public key", p -> p.attributes(h, CKA_EC_POINT).ecPoint());
        // CKA_EC_POINT is a DER OCTET STRING around the uncompressed point 04||X||Y
        if (point.length == 67 && point[0] == 0x04 && point[1] == 65) {
            point = java.util.Arrays.copyOfRange(point, 2, 67);
        }
        if (point.length != 65 || point[0] != 0x04) {
            throw new VaultException(Reason.BAD_KEY_MATERIAL, "token returned an EC point ISG cannot read");
        }
        byte[] spki = java.util.Arrays.copyOf(P256_SPKI_PREFIX, P256_SPKI_PREFIX.length + 65);
        System.arraycopy(point, 0, spki, P256_SPKI_PREFIX.length, 65);
        return spki;
    }

    @Override
    byte[] rawSign(Meta m, byte[] data) throws VaultException {
        long h = handle(m, CKO_PRIVATE_KEY);
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] rs = call("ECDSA signing", p -> p.sign(new Mechanism(CKM_ECDSA), h, digest));
        return Ecdsa.rawToDer(rs);
    }

    @Override
    byte[] rawEcb(Meta m, byte[] blocks) throws VaultException {
        long h = handle(m, CKO_SECRET_KEY);
        return call("AES-ECB in the token", p -> p.encrypt(new Mechanism(CKM_AES_ECB), h, blocks));
    }

    @Override
    void rawDestroy(Meta m) throws VaultException {
        call("destroying " + m.label(), p -> {
            for (long h : p.find(new AttributeVector().label(m.label()), 16)) {
                p.destroy(h);
            }
            return null;
        });
        handles.keySet().removeIf(k -> k.startsWith(m.label() + "/"));
    }

    @Override
    void rawLogout() {
        TokenPort p = port;
        if (p != null) {
            p.logout();
        }
        handles.clear();
    }

    @Override
    void rawProbe() throws VaultException {
        TokenPort p = port;
        if (p != null) {
            try {
                p.probe();
                return;
            } catch (TokenException e) {
                p.close();
            }
        }
        port = null;
        handles.clear();
        port = connector.connect(true);
    }

    @Override
    public void close() {
        TokenPort p = port;
        if (p != null) {
            p.close();
        }
    }
}
