package isg.mc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * A KMS certificate (TS 33.180 Annex D): what a KMS publishes about itself — its URI, the user key
 * period and offset, its SAKKE public key (PubEncKey, Z) and ECCSI public authentication key
 * (PubAuthKey, KPAK), parameter set, validity and revocation. Read from the XML the KMS serves,
 * either a bare {@code KmsCertificate} or one inside a {@code KmsResponse}/{@code KmsInit}
 * (elements are matched by local name, whatever their namespace).
 *
 * <p>The XML parser refuses DTDs and external entities: a certificate file is input from outside.
 * When signers are configured for it ({@link #read(Path, List)}), the document must carry one XML
 * Signature (W3C XML Signature, the JDK's {@code javax.xml.crypto.dsig}) by one of them, whose
 * reference covers the KmsCertificate read — the whole document (URI "" with the enveloped
 * transform) or the KmsCertificate element itself by its Id — with SHA-256 or stronger and ECDSA
 * or RSA; the key is the configured signer's, never one the document offers. Without signers the
 * file is trusted as configuration, like the hex keys it replaces.
 */
public record KmsCertificate(Path file, String kmsUri, McIdentity.KeyPeriod period, byte[] z, byte[] kpak,
        Instant validFrom, Instant validTo, boolean signatureVerified) {

    public KmsCertificate {
        z = z.clone();
        kpak = kpak.clone();
    }

    @Override
    public byte[] z() {
        return z.clone();
    }

    @Override
    public byte[] kpak() {
        return kpak.clone();
    }

    /** Reads and checks a certificate file; any defect is an exception naming the file and the element. */
    public static KmsCertificate read(Path file) throws IOException {
        return read(file, java.util.List.of());
    }

    /**
     * As {@link #read(Path)}, and when {@code signers} is not empty the document's XML signature
     * must verify under one of their keys (see the class comment).
     */
    public static KmsCertificate read(Path file, java.util.List<java.security.cert.X509Certificate> signers)
            throws IOException {
        Document doc;
        try (InputStream in = Files.newInputStream(file)) {
            doc = parser().parse(in);
        } catch (SAXException e) {
            throw new IOException(file + ": not a KMS certificate (XML: " + e.getMessage() + ")");
        }
        NodeList found = doc.getElementsByTagNameNS("*", "KmsCertificate");
        if (found.getLength() != 1) {
            throw new IOException(file + ": expected one KmsCertificate element, found " + found.getLength());
        }
        Element cert = (Element) found.item(0);
        if (!signers.isEmpty()) {
            verifySignature(file, doc, cert, signers);
        }
        String uri = text(file, cert, "KmsUri");
        String set = optional(cert, "ParameterSet");
        if (set != null && !set.equals("1")) {
            throw new IOException(file + ": ParameterSet " + set + ": only parameter set 1 (RFC 6509) is supported");
        }
        String idFormat = optional(cert, "UserIdFormat");
        if (idFormat != null && !idFormat.equals("2")) {
            throw new IOException(file + ": UserIdFormat " + idFormat + ": only format 2 (33.180 F.2.1 UIDs) is supported");
        }
        if ("true".equalsIgnoreCase(optional(cert, "Revoked"))) {
            throw new IOException(file + ": the KMS certificate of '" + uri + "' is revoked");
        }
        long length = number(file, cert, "UserKeyPeriod", 1);
        String offsetText = optional(cert, "UserKeyOffset");
        long offset = offsetText == null ? 0 : number(file, cert, "UserKeyOffset", 0);
        if (offset >= length) {
            throw new IOException(file + ": UserKeyOffset " + offset + " is not below UserKeyPeriod " + length);
        }
        byte[] z = point(file, cert, "PubEncKey", Sakke.POINT_LENGTH);
        byte[] kpak = point(file, cert, "PubAuthKey", Eccsi.POINT_LENGTH);
        return new KmsCertificate(file, uri, new McIdentity.KeyPeriod(length, offset), z, kpak,
                time(file, cert, "ValidFrom"), time(file, cert, "ValidTo"), !signers.isEmpty());
    }

    private static final String DSIG = javax.xml.crypto.dsig.XMLSignature.XMLNS;
    private static final java.util.Set<String> SIGNATURE_METHODS = java.util.Set.of(
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512");
    private static final java.util.Set<String> DIGEST_METHODS = java.util.Set.of(
            "http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmldsig-more#sha384",
            "http://www.w3.org/2001/04/xmlenc#sha512");

    private static void verifySignature(Path file, Document doc, Element cert,
            java.util.List<java.security.cert.X509Certificate> signers) throws IOException {
        NodeList sigs = doc.getElementsByTagNameNS(DSIG, "Signature");
        if (sigs.getLength() != 1) {
            throw new IOException(file + ": the KMS certificate must carry one XML signature (found " + sigs.getLength()
                    + "); a signer is configured for it");
        }
        Element sig = (Element) sigs.item(0);
        javax.xml.crypto.dsig.XMLSignatureFactory f = javax.xml.crypto.dsig.XMLSignatureFactory.getInstance("DOM");
        String failure = null;
        for (java.security.cert.X509Certificate signer : signers) {
            javax.xml.crypto.dsig.dom.DOMValidateContext ctx = new javax.xml.crypto.dsig.dom.DOMValidateContext(
                    signer.getPublicKey(), sig);
            ctx.setProperty("org.jcp.xml.dsig.secureValidation", Boolean.TRUE);
            // an Id attribute on the KmsCertificate is what a "#id" reference may name
            if (cert.hasAttribute("Id")) {
                ctx.setIdAttributeNS(cert, null, "Id");
            }
            try {
                javax.xml.crypto.dsig.XMLSignature xs = f.unmarshalXMLSignature(ctx);
                javax.xml.crypto.dsig.SignedInfo si = xs.getSignedInfo();
                String method = si.getSignatureMethod().getAlgorithm();
                if (!SIGNATURE_METHODS.contains(method)) {
                    throw new IOException(file + ": the signature method " + method + " is not accepted (ECDSA or RSA "
                            + "with SHA-256 or stronger)");
                }
                if (si.getReferences().size() != 1) {
                    throw new IOException(file + ": the signature has " + si.getReferences().size()
                            + " references; one, covering the KmsCertificate, is accepted");
                }
                javax.xml.crypto.dsig.Reference ref = (javax.xml.crypto.dsig.Reference) si.getReferences().get(0);
                if (!DIGEST_METHODS.contains(ref.getDigestMethod().getAlgorithm())) {
                    throw new IOException(file + ": the digest method " + ref.getDigestMethod().getAlgorithm()
                            + " is not accepted (SHA-256 or stronger)");
                }
                coversCertificate(file, doc, cert, sig, ref);
                if (xs.validate(ctx)) {
                    return;
                }
                failure = ref.validate(ctx) ? "the signature value does not verify" : "the signed content was changed "
                        + "(digest mismatch)";
            } catch (javax.xml.crypto.MarshalException | javax.xml.crypto.dsig.XMLSignatureException e) {
                failure = "the XML signature cannot be read: " + e.getMessage();
            }
        }
        throw new IOException(file + ": the KMS certificate's XML signature is not valid under a configured signer: "
                + failure);
    }

    /** The reference must cover the certificate element read: the whole document, enveloped, or the element by Id. */
    private static void coversCertificate(Path file, Document doc, Element cert, Element sig,
            javax.xml.crypto.dsig.Reference ref) throws IOException {
        String uri = ref.getURI();
        java.util.List<?> transforms = ref.getTransforms();
        boolean enveloped = transforms.stream().anyMatch(t -> javax.xml.crypto.dsig.Transform.ENVELOPED.equals(
                ((javax.xml.crypto.dsig.Transform) t).getAlgorithm()));
        for (Object t : transforms) {
            String a = ((javax.xml.crypto.dsig.Transform) t).getAlgorithm();
            if (!a.equals(javax.xml.crypto.dsig.Transform.ENVELOPED)
                    && !a.equals(javax.xml.crypto.dsig.CanonicalizationMethod.INCLUSIVE)
                    && !a.equals(javax.xml.crypto.dsig.CanonicalizationMethod.EXCLUSIVE)
                    && !a.equals(javax.xml.crypto.dsig.CanonicalizationMethod.INCLUSIVE_WITH_COMMENTS)
                    && !a.equals(javax.xml.crypto.dsig.CanonicalizationMethod.EXCLUSIVE_WITH_COMMENTS)) {
                throw new IOException(file + ": the signature's transform " + a + " is not accepted");
            }
        }
        if ((uri == null || uri.isEmpty()) && enveloped) {
            if (sig.getParentNode() != doc.getDocumentElement() && sig.getParentNode() != cert) {
                throw new IOException(file + ": an enveloped signature must sit in the document element or the "
                        + "KmsCertificate");
            }
            return;
        }
        if (uri != null && uri.startsWith("#") && cert.hasAttribute("Id") && uri.substring(1).equals(cert.getAttribute("Id"))) {
            return;
        }
        throw new IOException(file + ": the signature's reference '" + uri + "' does not cover the KmsCertificate");
    }

    /** Reads the X.509 certificates of a PEM file (a KMS certificate's configured signers). */
    public static java.util.List<java.security.cert.X509Certificate> signers(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            java.util.List<java.security.cert.X509Certificate> out = new java.util.ArrayList<>();
            for (java.security.cert.Certificate c : java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificates(in)) {
                out.add((java.security.cert.X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException(pem + ": no certificate in the file");
            }
            return out;
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(pem + ": not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** Refuses a certificate outside its validity at {@code now}. */
    public void checkValidAt(Instant now) throws IOException {
        if (validFrom != null && now.isBefore(validFrom)) {
            throw new IOException(file + ": the KMS certificate of '" + kmsUri + "' is valid only from " + validFrom);
        }
        if (validTo != null && now.isAfter(validTo)) {
            throw new IOException(file + ": the KMS certificate of '" + kmsUri + "' expired at " + validTo);
        }
    }

    private static DocumentBuilder parser() throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.ErrorHandler() { // report by exception, never on stderr
                @Override
                public void warning(org.xml.sax.SAXParseException e) {
                }

                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return b;
        } catch (ParserConfigurationException e) {
            throw new IOException("XML parser unavailable: " + e.getMessage(), e);
        }
    }

    private static String optional(Element cert, String name) {
        NodeList l = cert.getElementsByTagNameNS("*", name);
        return l.getLength() == 0 ? null : l.item(0).getTextContent().strip();
    }

    private static String text(Path file, Element cert, String name) throws IOException {
        String v = optional(cert, name);
        if (v == null || v.isEmpty()) {
            throw new IOException(file + ": KmsCertificate has no " + name);
        }
        return v;
    }

    private static long number(Path file, Element cert, String name, long min) throws IOException {
        String v = text(file, cert, name);
        try {
            long n = Long.parseLong(v);
            if (n < min || n > 0xFFFFFFFFL) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IOException(file + ": " + name + " '" + v + "' is not a whole number from " + min + " to 2^32-1");
        }
    }

    private static byte[] point(Path file, Element cert, String name, int octets) throws IOException {
        String v = text(file, cert, name).replaceAll("\\s", "");
        byte[] b;
        try {
            b = HexFormat.of().parseHex(v);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + name + " is not hexadecimal");
        }
        if (b.length != octets || b[0] != 0x04) {
            throw new IOException(file + ": " + name + " is not an uncompressed point of " + octets + " octets (04 || x || y)");
        }
        return b;
    }

    private static Instant time(Path file, Element cert, String name) throws IOException {
        String v = optional(cert, name);
        if (v == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(v).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException again) {
                throw new IOException(file + ": " + name + " '" + v + "' is not a date and time like 2026-01-01T00:00:00");
            }
        }
    }
}
