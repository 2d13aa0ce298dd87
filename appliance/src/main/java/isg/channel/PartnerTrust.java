package isg.channel;

import isg.hsm.Fips;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What one partner gateway must present (TS 33.310 Annex E profile, narrowed): a P-256
 * certificate that chains to the partner's configured trust anchor, is valid now, is on none of
 * the configured CRLs, names the expected identity in its subjectAltName (URI or DNS), and,
 * where a pin is configured, carries exactly that public key (SHA-256 of its SubjectPublicKeyInfo).
 * Anything else is refused with its {@link Refusal} reason.
 */
public final class PartnerTrust {

    /** The expected identity: a SAN URI or a SAN DNS name. */
    public record Identity(String kind, String value) {
        public static Identity parse(String s) {
            int c = s.indexOf(':');
            String kind = c < 0 ? "" : s.substring(0, c).toLowerCase(Locale.ROOT);
            String value = c < 0 ? "" : s.substring(c + 1);
            if (!(kind.equals("uri") || kind.equals("dns")) || value.isEmpty()) {
                throw new IllegalArgumentException("an identity is uri:<SAN URI> or dns:<SAN DNS name>, got '" + s + "'");
            }
            return new Identity(kind, value);
        }

        @Override
        public String toString() {
            return kind + ":" + value;
        }
    }

    /** The outcome of checking a chain: the partner it identifies, or why it was refused. */
    public record Verdict(Refusal refusal, String detail) {
        public boolean accepted() {
            return refusal == null;
        }
    }

    private final String partner;
    private final Set<TrustAnchor> anchors;
    private final List<X509CRL> crls;
    private final Identity identity;
    private final byte[] spkiSha256;
    private final boolean tls12;

    public PartnerTrust(String partner, List<X509Certificate> anchors, List<X509CRL> crls, Identity identity,
            byte[] spkiSha256, boolean tls12) {
        if (anchors.isEmpty()) {
            throw new IllegalArgumentException("partner " + partner + ": no trust anchor");
        }
        this.partner = partner;
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate c : anchors) {
            a.add(new TrustAnchor(c, null));
        }
        this.anchors = Set.copyOf(a);
        this.crls = List.copyOf(crls);
        this.identity = identity;
        this.spkiSha256 = spkiSha256 == null ? null : spkiSha256.clone();
        this.tls12 = tls12;
    }

    public String partner() {
        return partner;
    }

    public Identity identity() {
        return identity;
    }

    /** Whether this partner may use TLS 1.2 (AEAD suites only); otherwise TLS 1.3 only. */
    public boolean tls12() {
        return tls12;
    }

    /** How long a chain that was accepted is taken again without re-running the path validation. */
    static final java.time.Duration REMEMBER = java.time.Duration.ofSeconds(60);

    private record Accepted(byte[] digest, Instant until) {
    }

    /** The last chain accepted (a partner presents the same one on every handshake). */
    private volatile Accepted accepted;

    /**
     * Checks a peer's chain (leaf first) at {@code now}. An accepted chain is remembered for
     * {@link #REMEMBER} (never past its leaf's notAfter): the same chain again within that time
     * is accepted without running PKIX again. Refusals are never remembered.
     */
    public Verdict verify(List<X509Certificate> chain, Instant now) {
        byte[] digest = chainDigest(chain);
        Accepted a = accepted;
        if (a != null && digest != null && now.isBefore(a.until()) && MessageDigest.isEqual(a.digest(), digest)) {
            return new Verdict(null, "partner " + partner + " (" + identity + ")");
        }
        Verdict v = validate(chain, now);
        if (v.accepted() && digest != null) {
            Instant until = now.plus(REMEMBER);
            Instant notAfter = chain.get(0).getNotAfter().toInstant();
            accepted = new Accepted(digest, until.isBefore(notAfter) ? until : notAfter);
        }
        return v;
    }

    private static byte[] chainDigest(List<X509Certificate> chain) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (X509Certificate c : chain) {
                d.update(c.getEncoded());
            }
            return d.digest();
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    private Verdict validate(List<X509Certificate> chain, Instant now) {
        if (chain.isEmpty()) {
            return new Verdict(Refusal.NO_CERTIFICATE, "no certificate");
        }
        X509Certificate leaf = chain.get(0);
        if (!isP256(leaf.getPublicKey())) {
            return new Verdict(Refusal.BAD_KEY, "the certificate's key is " + leaf.getPublicKey().getAlgorithm()
                    + ", not EC P-256");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509", Fips.PROVIDER);
            CertPath path = cf.generateCertPath(withoutAnchors(chain));
            PKIXParameters params = new PKIXParameters(anchors);
            params.setDate(Date.from(now));
            params.setRevocationEnabled(!crls.isEmpty());
            if (!crls.isEmpty()) {
                params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls),
                        Fips.PROVIDER));
            }
            CertPathValidator.getInstance("PKIX", Fips.PROVIDER).validate(path, params);
        } catch (CertPathValidatorException e) {
            return new Verdict(reasonOf(e), "certificate path: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            return new Verdict(Refusal.UNKNOWN_CA, "certificate path: " + e.getMessage());
        }
        if (!names(leaf, identity)) {
            return new Verdict(Refusal.WRONG_IDENTITY, "the certificate does not name " + identity
                    + " (subject " + leaf.getSubjectX500Principal().getName() + ")");
        }
        if (spkiSha256 != null && !MessageDigest.isEqual(spkiSha256, spkiSha256(leaf.getPublicKey()))) {
            return new Verdict(Refusal.PIN_MISMATCH, "the certificate's key is not the pinned key (SHA-256 of SPKI "
                    + HexFormat.of().formatHex(spkiSha256(leaf.getPublicKey())) + ")");
        }
        return new Verdict(null, "partner " + partner + " (" + identity + ")");
    }

    private List<X509Certificate> withoutAnchors(List<X509Certificate> chain) {
        List<X509Certificate> out = new ArrayList<>();
        for (X509Certificate c : chain) {
            boolean anchor = false;
            for (TrustAnchor a : anchors) {
                anchor |= a.getTrustedCert().equals(c);
            }
            if (!anchor) {
                out.add(c);
            }
        }
        return out.isEmpty() ? List.of(chain.get(0)) : out;
    }

    private static Refusal reasonOf(CertPathValidatorException e) {
        CertPathValidatorException.Reason r = e.getReason();
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return Refusal.EXPIRED;
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return Refusal.NOT_YET_VALID;
        }
        if (r == CertPathValidatorException.BasicReason.REVOKED) {
            return Refusal.REVOKED;
        }
        if (r == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
            return Refusal.REVOCATION_UNKNOWN;
        }
        if (r == PKIXReason.NO_TRUST_ANCHOR || r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return Refusal.UNKNOWN_CA;
        }
        // The FIPS provider's PKIX often leaves the reason UNSPECIFIED and says it in words.
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (m.contains("expired")) {
            return Refusal.EXPIRED;
        }
        if (m.contains("not yet valid")) {
            return Refusal.NOT_YET_VALID;
        }
        if (m.contains("revoked") || m.contains("certificate revocation after")) {
            return Refusal.REVOKED;
        }
        if (m.contains("crl") || m.contains("revocation")) {
            return Refusal.REVOCATION_UNKNOWN;
        }
        return Refusal.UNKNOWN_CA;
    }

    static boolean isP256(PublicKey key) {
        if (!(key instanceof ECPublicKey ec)) {
            return false;
        }
        // secp256r1's order n: the one P-256 property that names the curve unambiguously.
        return ec.getParams().getOrder().equals(new java.math.BigInteger(
                "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16))
                && ec.getParams().getCurve().getField().getFieldSize() == 256;
    }

    /** Whether the certificate's subjectAltName carries the identity (DNS compared without case). */
    static boolean names(X509Certificate c, Identity id) {
        Collection<List<?>> sans;
        try {
            sans = c.getSubjectAlternativeNames();
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
        if (sans == null) {
            return false;
        }
        int want = id.kind().equals("uri") ? 6 : 2;
        for (List<?> san : sans) {
            if (san.size() >= 2 && ((Integer) san.get(0)) == want && san.get(1) instanceof String v) {
                if (want == 6 ? v.equals(id.value()) : v.equalsIgnoreCase(id.value())) {
                    return true;
                }
            }
        }
        return false;
    }

    public static byte[] spkiSha256(PublicKey key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every certificate in a PEM (or DER) file; a file with none is an error naming it. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509", Fips.PROVIDER);
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : cf.generateCertificates(new ByteArrayInputStream(raw))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException(file + ": no X.509 certificate in the file");
            }
            return out;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException(file + ": not an X.509 certificate file (PEM or DER): " + e.getMessage());
        }
    }

    /** Every CRL in a PEM (or DER) file. */
    public static List<X509CRL> readCrls(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509", Fips.PROVIDER);
            List<X509CRL> out = new ArrayList<>();
            for (java.security.cert.CRL c : cf.generateCRLs(new ByteArrayInputStream(raw))) {
                out.add((X509CRL) c);
            }
            if (out.isEmpty()) {
                throw new IOException(file + ": no CRL in the file");
            }
            return out;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException(file + ": not a CRL file (PEM or DER): " + e.getMessage());
        }
    }
}
