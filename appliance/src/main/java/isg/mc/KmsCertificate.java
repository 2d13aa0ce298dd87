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
 * The certificate's own XML signature (SignedKmsCertificate) is not verified here; the file is
 * trusted as configuration, like the hex keys it replaces.
 */
public record KmsCertificate(Path file, String kmsUri, McIdentity.KeyPeriod period, byte[] z, byte[] kpak,
        Instant validFrom, Instant validTo) {

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
                time(file, cert, "ValidFrom"), time(file, cert, "ValidTo"));
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
