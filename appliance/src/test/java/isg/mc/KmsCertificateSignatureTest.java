package isg.mc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed KMS certificates, signed by xmlsec1 (libxmlsec1 over OpenSSL: an XML Signature
 * implementation that shares nothing with the JDK's) with a P-256 key OpenSSL made, and read with
 * the partner's signer configured: what xmlsec1 signed is accepted, and every change, wrong key,
 * weak algorithm, missing signature or reference that does not cover the certificate is refused
 * by name.
 */
class KmsCertificateSignatureTest {

    @TempDir
    static Path dir;
    static List<X509Certificate> signer;
    static List<X509Certificate> stranger;

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
        return out;
    }

    static void keyAndCertificate(String name) throws Exception {
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key");
        run("openssl", "req", "-new", "-x509", "-key", name + ".key", "-out", name + ".pem", "-days", "30", "-subj",
                "/CN=" + name);
    }

    @BeforeAll
    static void keys() throws Exception {
        keyAndCertificate("fire-kms-signer");
        keyAndCertificate("someone-else");
        signer = KmsCertificate.signers(dir.resolve("fire-kms-signer.pem"));
        stranger = KmsCertificate.signers(dir.resolve("someone-else.pem"));
    }

    static String certificate(String idAttribute, String period) {
        String v = KmsCertificateTest.response("kms.fire.example", period, StreamwideVectors.text("kms.z"),
                StreamwideVectors.text("kms.kpak"), "2020-01-01T00:00:00", "2040-01-01T00:00:00");
        String cert = v.substring(v.indexOf("<KmsCertificate"), v.indexOf("</KmsCertificate>") + 17);
        return idAttribute == null ? cert : cert.replace("<KmsCertificate ", "<KmsCertificate Id=\"" + idAttribute + "\" ");
    }

    static String template(String cert, String uri, String signatureMethod, String digest) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<SignedKmsCertificate xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\">\n" + cert + "\n"
                + "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
                + "<CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>"
                + "<SignatureMethod Algorithm=\"" + signatureMethod + "\"/>"
                + "<Reference URI=\"" + uri + "\">"
                + (uri.isEmpty() ? "<Transforms><Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
                        + "</Transforms>" : "")
                + "<DigestMethod Algorithm=\"" + digest + "\"/><DigestValue/></Reference></SignedInfo>"
                + "<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>\n</SignedKmsCertificate>\n";
    }

    static final String ECDSA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    static final String SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

    /** Signs a template with xmlsec1; returns the signed file. */
    static Path sign(String name, String template, String key) throws Exception {
        Path t = Files.writeString(dir.resolve(name + ".template.xml"), template);
        Path out = dir.resolve(name + ".xml");
        run("xmlsec1", "--sign", "--privkey-pem", key + ".key," + key + ".pem", "--id-attr:Id",
                "urn:3gpp:ns:mcsecKMSInterface:1.0:KmsCertificate", "--output", out.toString(), t.toString());
        return out;
    }

    @Test
    void aCertificateXmlsecSignedIsReadWithItsSignerEnvelopedOrById() throws Exception {
        Path enveloped = sign("enveloped", template(certificate(null, "2592000"), "", ECDSA256, SHA256), "fire-kms-signer");
        KmsCertificate c = KmsCertificate.read(enveloped, signer);
        assertEquals("kms.fire.example", c.kmsUri());
        assertEquals(2592000, c.period().lengthSeconds());
        Path byId = sign("by-id", template(certificate("kmscert", "2592000"), "#kmscert", ECDSA256, SHA256), "fire-kms-signer");
        assertEquals("kms.fire.example", KmsCertificate.read(byId, signer).kmsUri());
        // the signer's file may hold several certificates: any of them may have signed
        assertEquals("kms.fire.example", KmsCertificate.read(enveloped, List.of(stranger.get(0), signer.get(0))).kmsUri());
    }

    @Test
    void aChangedCertificateIsRefused() throws Exception {
        Path signed = sign("changed", template(certificate(null, "2592000"), "", ECDSA256, SHA256), "fire-kms-signer");
        Path changed = Files.writeString(dir.resolve("changed-after.xml"), Files.readString(signed)
                .replace("<UserKeyPeriod>2592000</UserKeyPeriod>", "<UserKeyPeriod>1</UserKeyPeriod>"));
        String m = assertThrows(IOException.class, () -> KmsCertificate.read(changed, signer)).getMessage();
        assertTrue(m.contains("is not valid under a configured signer: the signed content was changed"), m);
    }

    @Test
    void anotherKeysSignatureIsRefused() throws Exception {
        Path signed = sign("stranger", template(certificate(null, "2592000"), "", ECDSA256, SHA256), "someone-else");
        String m = assertThrows(IOException.class, () -> KmsCertificate.read(signed, signer)).getMessage();
        assertTrue(m.contains("the signature value does not verify"), m);
    }

    @Test
    void anUnsignedCertificateIsRefusedWhenASignerIsConfigured() throws Exception {
        Path unsigned = Files.writeString(dir.resolve("unsigned.xml"), certificate(null, "2592000"));
        String m = assertThrows(IOException.class, () -> KmsCertificate.read(unsigned, signer)).getMessage();
        assertTrue(m.contains("must carry one XML signature (found 0)"), m);
        // without a signer it is configuration, as before
        assertEquals("kms.fire.example", KmsCertificate.read(unsigned).kmsUri());
    }

    @Test
    void weakAlgorithmsAreRefused() throws Exception {
        Path sha1 = sign("sha1", template(certificate(null, "2592000"), "", ECDSA256,
                "http://www.w3.org/2000/09/xmldsig#sha1"), "fire-kms-signer");
        String m = assertThrows(IOException.class, () -> KmsCertificate.read(sha1, signer)).getMessage();
        // the JDK's secure validation refuses SHA-1 before our own list is consulted; either way it is named
        assertTrue(m.contains("http://www.w3.org/2000/09/xmldsig#sha1") && !m.contains("does not verify"), m);
        Path ecdsaSha1 = sign("ecdsa-sha1", template(certificate(null, "2592000"), "",
                "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", SHA256), "fire-kms-signer");
        m = assertThrows(IOException.class, () -> KmsCertificate.read(ecdsaSha1, signer)).getMessage();
        assertTrue(m.contains("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1") && !m.contains("does not verify"), m);
    }

    @Test
    void aSignatureOverSomethingElseDoesNotVouchForTheCertificate() throws Exception {
        // xmlsec1 signs an element of its own; the certificate beside it is not covered
        String other = "<Note Id=\"note\">signed, but not the certificate</Note>";
        String t = template(certificate(null, "2592000") + other, "#note", ECDSA256, SHA256);
        Path tp = Files.writeString(dir.resolve("wrap.template.xml"), t);
        Path out = dir.resolve("wrap.xml");
        run("xmlsec1", "--sign", "--privkey-pem", "fire-kms-signer.key,fire-kms-signer.pem", "--id-attr:Id",
                "urn:3gpp:ns:mcsecKMSInterface:1.0:Note", "--output", out.toString(), tp.toString());
        String m = assertThrows(IOException.class, () -> KmsCertificate.read(out, signer)).getMessage();
        assertTrue(m.contains("the signature's reference '#note' does not cover the KmsCertificate"), m);
    }
}
