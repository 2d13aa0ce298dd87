package isg.hsm;

import isg.hsm.VaultException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The software token: a Bouncy Castle FIPS keystore file (BCFKS, integrity-protected and
 * encrypted under a passphrase read from a file), used when no HSM is configured. Same contract
 * as the PKCS#11 vault; reported as "software token" so an operator knows the keys are only as
 * safe as this file and its passphrase. Each entry's metadata is stored in the keystore beside it.
 * Keys are cached in memory once used: a software token cannot keep them anywhere else.
 */
public final class SoftVault extends AbstractVault {

    static final String META = "isg-meta:";

    private final Path file;
    private final char[] passphrase;
    private KeyStore store;
    private final Map<String, Key> cache = new ConcurrentHashMap<>();

    private SoftVault(Path file, char[] passphrase, AuditLog audit, Clock clock) {
        super("isg-soft", audit, clock);
        this.file = file;
        this.passphrase = passphrase.clone();
    }

    /**
     * Opens the keystore at {@code file}, creating an empty one when {@code create} is set and it
     * does not exist.
     */
    public static SoftVault open(Path file, char[] passphrase, boolean create, AuditLog audit) throws VaultException {
        return open(file, passphrase, create, audit, Clock.systemUTC());
    }

    public static SoftVault open(Path file, char[] passphrase, boolean create, AuditLog audit, Clock clock)
            throws VaultException {
        SoftVault v = new SoftVault(file, passphrase, audit, clock);
        v.load(create);
        v.loadMetadata();
        return v;
    }

    private void load(boolean create) throws VaultException {
        try {
            KeyStore ks = KeyStore.getInstance("BCFKS", Fips.PROVIDER);
            if (Files.exists(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    ks.load(in, passphrase);
                } catch (IOException e) {
                    if (Files.isReadable(file) && String.valueOf(e.getMessage()).contains("MAC")) {
                        throw new VaultException(Reason.PIN_INCORRECT, "the passphrase does not open the software token "
                                + file + " (its integrity check failed); check the passphrase file, or the keystore "
                                + "was altered");
                    }
                    throw new VaultException(Reason.MODULE_NOT_FOUND, "cannot read the software token " + file + ": "
                            + e.getMessage());
                }
            } else if (create) {
                ks.load(null, passphrase);
                store = ks;
                save();
            } else {
                throw new VaultException(Reason.MODULE_NOT_FOUND, "no software token at " + file
                        + "; create one (isg keys ... --create) or configure the path of an existing one");
            }
            store = ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new VaultException(Reason.MODULE_NOT_FOUND, "BC FIPS cannot open a BCFKS keystore: " + e.getMessage(), e);
        }
    }

    /** Replaces the keystore file: 0600 (or the mode it has), forced to disk before and after the rename. */
    private void save() throws VaultException {
        try {
            SecureFiles.replace(file, out -> store.store(out, passphrase));
        } catch (IOException | GeneralSecurityException e) {
            throw new VaultException(Reason.UNAVAILABLE, "cannot write the software token " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String kind() {
        return "software token (" + file + ")";
    }

    private KeyStore.PasswordProtection protection() {
        return new KeyStore.PasswordProtection(passphrase);
    }

    private KeyStore ks() throws VaultException {
        KeyStore ks = store;
        if (ks == null) {
            throw new VaultException(Reason.UNAVAILABLE, "the software token is logged out");
        }
        return ks;
    }

    @Override
    List<Meta> rawList() throws VaultException {
        List<Meta> out = new ArrayList<>();
        try {
            Enumeration<String> aliases = ks().aliases();
            while (aliases.hasMoreElements()) {
                String a = aliases.nextElement();
                if (a.startsWith(META)) {
                    Key k = ks().getKey(a, passphrase);
                    out.add(Meta.fromJson(new String(k.getEncoded(), StandardCharsets.UTF_8)));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.UNAVAILABLE, "cannot read the software token " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Stores an entry and its metadata, then writes the file; nothing half-stored on failure. */
    private void put(Meta m, KeyStore.Entry entry) throws VaultException {
        KeyStore ks = ks();
        String label = m.label();
        String metaJson = m.toJson();
        try {
            ks.setEntry(label, entry, entry instanceof KeyStore.TrustedCertificateEntry ? null : protection());
            ks.setEntry(META + label, new KeyStore.SecretKeyEntry(
                    new SecretKeySpec(metaJson.getBytes(StandardCharsets.UTF_8), "HmacSHA512")), protection());
            save();
        } catch (GeneralSecurityException | VaultException e) {
            try {
                ks.deleteEntry(label);
                ks.deleteEntry(META + label);
            } catch (GeneralSecurityException ignored) {
                // best effort: the entry was never written to the file
            }
            if (e instanceof VaultException) {
                throw (VaultException) e;
            }
            throw new VaultException(Reason.UNAVAILABLE, "cannot store '" + label + "' in " + kind() + ": "
                    + e.getMessage(), e);
        }
    }

    private Key key(String label) throws VaultException {
        Key k = cache.get(label);
        if (k == null) {
            try {
                k = ks().getKey(label, passphrase);
            } catch (GeneralSecurityException e) {
                throw new VaultException(Reason.UNAVAILABLE, "cannot read '" + label + "' from " + kind(), e);
            }
            if (k == null) {
                throw new VaultException(Reason.KEY_NOT_FOUND, "'" + label + "' has no key in " + kind());
            }
            cache.put(label, k);
        }
        return k;
    }

    @Override
    void rawGenerateAes(Meta m) throws VaultException {
        int bits = m.bits();
        try {
            KeyGenerator g = KeyGenerator.getInstance("AES", Fips.PROVIDER);
            g.init(bits, Fips.DRBG);
            put(m, new KeyStore.SecretKeyEntry(g.generateKey()));
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.MECHANISM_UNSUPPORTED, "BC FIPS cannot generate AES-" + bits, e);
        }
    }

    @Override
    void rawGenerateEc(Meta m) throws VaultException {
        String label = m.label();
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Fips.PROVIDER);
            g.initialize(new ECGenParameterSpec("P-256"), Fips.DRBG);
            KeyPair kp = g.generateKeyPair();
            // a keystore holds a private key with a certificate: a self-signed placeholder, never presented
            X500Name name = new X500Name("CN=isg key " + label.replaceAll("[,+=\"\\\\<>;#]", "_"));
            Date from = new Date(now().toEpochMilli());
            Date to = new Date(now().plus(Duration.ofDays(3650)).toEpochMilli());
            X509Certificate cert = new JcaX509CertificateConverter().setProvider(Fips.PROVIDER).getCertificate(
                    new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now().toEpochMilli()), from, to, name,
                            kp.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA")
                                    .setProvider(Fips.PROVIDER).setSecureRandom(Fips.DRBG).build(kp.getPrivate())));
            put(m, new KeyStore.PrivateKeyEntry(kp.getPrivate(), new Certificate[] {cert}));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new VaultException(Reason.MECHANISM_UNSUPPORTED, "BC FIPS cannot generate an EC P-256 key pair: "
                    + e.getMessage(), e);
        }
    }

    /** The JCA algorithm a secret of this entry is stored as: AES, an HMAC-SHA-256 key, or opaque data. */
    private static String algorithm(Meta m) {
        return switch (m.type()) {
            case GENERIC_SECRET -> "HmacSHA256";
            case SECRET_DATA -> "HmacSHA512";
            default -> "AES";
        };
    }

    @Override
    void rawCreateSecret(Meta m, byte[] clear) throws VaultException {
        put(m, new KeyStore.SecretKeyEntry(new SecretKeySpec(clear, algorithm(m))));
    }

    @Override
    void rawGenerateGeneric(Meta m) throws VaultException {
        byte[] k = new byte[m.bits() / 8];
        Fips.DRBG.nextBytes(k);
        try {
            rawCreateSecret(m, k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    @Override
    byte[] rawHmacSha256(Meta m, byte[] data) throws VaultException {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256", Fips.PROVIDER);
            mac.init(key(m.label()));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.MECHANISM_UNSUPPORTED, "HMAC-SHA-256 failed: " + e.getMessage(), e);
        }
    }

    @Override
    byte[] rawReadSecret(Meta m) throws VaultException {
        return key(m.label()).getEncoded();
    }

    @Override
    void rawUnwrap(Meta m, Meta transport, byte[] wrapped) throws VaultException {
        String transportLabel = transport.label();
        int bits = m.bits();
        Key unwrapped;
        try {
            Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
            c.init(Cipher.UNWRAP_MODE, key(transportLabel));
            unwrapped = c.unwrap(wrapped, algorithm(m), Cipher.SECRET_KEY);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new VaultException(Reason.BAD_KEY_MATERIAL, "the wrapped key does not unwrap under '" + transportLabel
                    + "' (RFC 5649 integrity check failed): wrong transport key or damaged data");
        }
        byte[] raw = unwrapped.getEncoded();
        try {
            if (raw.length * 8 != bits) {
                throw new VaultException(Reason.BAD_KEY_MATERIAL, "the wrapped key is " + raw.length * 8
                        + " bits; " + bits + " were declared");
            }
            put(m, new KeyStore.SecretKeyEntry(new SecretKeySpec(raw, algorithm(m))));
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    @Override
    void rawStoreCertificate(Meta m, byte[] der) throws VaultException {
        try {
            Certificate c = CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(der));
            put(m, new KeyStore.TrustedCertificateEntry(c));
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.BAD_KEY_MATERIAL, "not an X.509 certificate: " + e.getMessage());
        }
    }

    @Override
    byte[] rawExportPublic(Meta m) throws VaultException {
        String label = m.label();
        KeyType type = m.type();
        try {
            Certificate c = ks().getCertificate(label);
            if (c == null) {
                throw new VaultException(Reason.KEY_NOT_FOUND, "'" + label + "' has no public part in " + kind());
            }
            return type == KeyType.CERTIFICATE ? c.getEncoded() : c.getPublicKey().getEncoded();
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.UNAVAILABLE, "cannot read '" + label + "'", e);
        }
    }

    @Override
    byte[] rawSign(Meta m, byte[] data) throws VaultException {
        String label = m.label();
        try {
            Signature s = Signature.getInstance("SHA256withECDSA", Fips.PROVIDER);
            s.initSign((PrivateKey) key(label), Fips.DRBG);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.MECHANISM_UNSUPPORTED, "ECDSA signing failed: " + e.getMessage(), e);
        }
    }

    @Override
    byte[] rawEcb(Meta m, byte[] blocks) throws VaultException {
        String label = m.label();
        try {
            Cipher c = Cipher.getInstance("AES/ECB/NoPadding", Fips.PROVIDER);
            c.init(Cipher.ENCRYPT_MODE, (SecretKey) key(label));
            return c.doFinal(blocks);
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.MECHANISM_UNSUPPORTED, "AES-ECB failed: " + e.getMessage(), e);
        }
    }

    @Override
    void rawDestroy(Meta m) throws VaultException {
        String label = m.label();
        try {
            ks().deleteEntry(label);
            ks().deleteEntry(META + label);
            cache.remove(label);
            save();
        } catch (GeneralSecurityException e) {
            throw new VaultException(Reason.UNAVAILABLE, "cannot delete '" + label + "'", e);
        }
    }

    @Override
    void rawLogout() {
        cache.clear();
        store = null;
        Arrays.fill(passphrase, '\0');
    }

    @Override
    void rawProbe() throws VaultException {
        if (!Files.isReadable(file)) {
            throw new VaultException(Reason.UNAVAILABLE, "the software token file " + file + " is gone");
        }
    }

    @Override
    public void close() {
        rawLogout();
    }
}
