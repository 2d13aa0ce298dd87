package isg.kms;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;

/**
 * The KMS interface's XML (TS 33.180 Annex D, namespace {@value #NS}), as much of it as a border
 * gateway reads: who asks ({@code UserUri}) and which KMS ({@code KmsUri}) a request is for, and
 * the {@code KmsError} answer the gateway gives when it refuses. A request may be a plain
 * {@code KmsRequest} or a {@code SignedKmsRequest} (the security extension: HMAC with InK/TrK);
 * either way the gateway never changes its bytes. Parsing is hostile-input safe: no DOCTYPE (so no
 * entity expansion or external entities), no XInclude, a size limit before the parser sees it.
 */
public final class KmsXml {

    public static final String NS = "urn:3gpp:ns:mcsecKMSInterface:1.0";
    /** The largest request body the gateway reads (a KmsRequest is well under 2 KiB). */
    public static final int MAX_REQUEST = 64 * 1024;
    public static final String CONTENT_TYPE = "application/xml";

    private KmsXml() {
    }

    /** What the gateway needs of a request. */
    public record Request(String userUri, String kmsUri, String time, String clientReqUrl, boolean signed) {
    }

    /** A request the gateway refuses to read, with the reason a client is told. */
    public static final class BadRequest extends Exception {
        public BadRequest(String message) {
            super(message);
        }
    }

    /** One parser per thread, configured once (building a factory per request cost about a millisecond). */
    private static final ThreadLocal<DocumentBuilder> PARSERS = ThreadLocal.withInitial(() -> {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("XML parser unavailable: " + e.getMessage(), e);
        }
    });

    /** Errors are exceptions, never lines on stderr (hostile input must not write to the console). */
    private static final org.xml.sax.ErrorHandler QUIET = new org.xml.sax.ErrorHandler() {
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
    };

    private static DocumentBuilder parser() throws ParserConfigurationException {
        DocumentBuilder b = PARSERS.get();
        b.reset();
        b.setErrorHandler(QUIET);
        b.setEntityResolver((publicId, systemId) -> {
            throw new SAXException("external entities are not read");
        });
        return b;
    }

    /** Parses XML the hostile-input-safe way (no DOCTYPE, no external anything). */
    static Document parse(byte[] xml) throws BadRequest {
        try {
            return parser().parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException | ParserConfigurationException e) {
            throw new BadRequest("not well-formed XML: " + clip(e.getMessage()));
        }
    }

    static Document newDocument() {
        try {
            return parser().newDocument();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Appends {@code <name>text</name>} in the KMS namespace. */
    static void child(Element parent, String name, String text) {
        Element e = parent.getOwnerDocument().createElementNS(NS, name);
        e.setTextContent(text);
        parent.appendChild(e);
    }

    /** The document as UTF-8 XML, exactly as signed (no re-indentation). */
    static byte[] serialize(Document d) {
        try {
            javax.xml.transform.TransformerFactory tf = javax.xml.transform.TransformerFactory.newInstance();
            tf.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            javax.xml.transform.Transformer t = tf.newTransformer();
            t.setOutputProperty(javax.xml.transform.OutputKeys.ENCODING, "UTF-8");
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            t.transform(new javax.xml.transform.dom.DOMSource(d), new javax.xml.transform.stream.StreamResult(out));
            return out.toByteArray();
        } catch (javax.xml.transform.TransformerException e) {
            throw new IllegalStateException("serialising XML: " + e.getMessage(), e);
        }
    }

    /** Parses a request body; throws with the reason when it is not a KMS request the gateway will pass. */
    public static Request parseRequest(byte[] body) throws BadRequest {
        if (body.length == 0) {
            throw new BadRequest("no KmsRequest in the body");
        }
        if (body.length > MAX_REQUEST) {
            throw new BadRequest("the body is " + body.length + " octets, more than the " + MAX_REQUEST + " a KmsRequest may be");
        }
        Document doc;
        try {
            doc = parser().parse(new ByteArrayInputStream(body));
        } catch (SAXException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            throw new BadRequest(m.contains("DOCTYPE") ? "a DOCTYPE is not allowed in a KmsRequest"
                    : "the body is not well-formed XML: " + clip(m));
        } catch (IOException | ParserConfigurationException e) {
            throw new BadRequest("the body cannot be read as XML: " + clip(e.getMessage()));
        }
        Element root = doc.getDocumentElement();
        if (!NS.equals(root.getNamespaceURI())) {
            throw new BadRequest("the root element is not in the namespace " + NS + " (got "
                    + (root.getNamespaceURI() == null ? "none" : clip(root.getNamespaceURI())) + ")");
        }
        boolean signed = false;
        Element req = root;
        if (root.getLocalName().equals("SignedKmsRequest")) {
            req = child(root, "KmsRequest");
            if (req == null) {
                throw new BadRequest("a SignedKmsRequest without a KmsRequest");
            }
            signed = true;
        } else if (!root.getLocalName().equals("KmsRequest")) {
            throw new BadRequest("the root element is " + clip(root.getLocalName()) + ", not KmsRequest or SignedKmsRequest");
        }
        return new Request(required(req, "UserUri"), required(req, "KmsUri"), required(req, "Time"),
                required(req, "ClientReqUrl"), signed);
    }

    private static Element child(Element parent, String name) {
        Element found = null;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && NS.equals(e.getNamespaceURI()) && name.equals(e.getLocalName())) {
                if (found != null) {
                    return null;
                }
                found = e;
            }
        }
        return found;
    }

    private static String required(Element req, String name) throws BadRequest {
        int count = 0;
        for (Node n = req.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && NS.equals(e.getNamespaceURI()) && name.equals(e.getLocalName())) {
                count++;
            }
        }
        if (count != 1) {
            throw new BadRequest(count == 0 ? "the KmsRequest has no " + name : "the KmsRequest has " + count + " " + name
                    + " elements");
        }
        String v = child(req, name).getTextContent().trim();
        if (v.isEmpty() || v.length() > 1024) {
            throw new BadRequest("the KmsRequest's " + name + " is " + (v.isEmpty() ? "empty" : "longer than 1024 characters"));
        }
        for (int i = 0; i < v.length(); i++) {
            if (Character.isISOControl(v.charAt(i))) {
                throw new BadRequest("the KmsRequest's " + name + " contains a control character");
            }
        }
        return v;
    }

    /**
     * The gateway's own refusal, in the KMS interface's form: a {@code KmsResponse} whose
     * {@code KmsMessage} is a {@code KmsError} with {@code ErrorCode} (the HTTP status it comes
     * with) and {@code ErrorMsg}. {@code request} may be null when the request could not be read.
     */
    public static byte[] error(Request request, String gatewayKmsUri, int code, String message, Instant now) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KmsResponse xmlns=\"")
                .append(NS).append("\" Version=\"1.1.0\">\n");
        b.append("  <UserUri>").append(escape(request == null ? "" : request.userUri())).append("</UserUri>\n");
        b.append("  <KmsUri>").append(escape(gatewayKmsUri)).append("</KmsUri>\n");
        b.append("  <Time>").append(now.truncatedTo(ChronoUnit.SECONDS)).append("</Time>\n");
        b.append("  <ClientReqUrl>").append(escape(request == null ? "" : request.clientReqUrl())).append("</ClientReqUrl>\n");
        b.append("  <KmsMessage>\n    <KmsError>\n      <ErrorCode>").append(code).append("</ErrorCode>\n      <ErrorMsg>")
                .append(escape(message)).append("</ErrorMsg>\n    </KmsError>\n  </KmsMessage>\n</KmsResponse>\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(Character.isISOControl(c) && c != '\n' && c != '\t' ? '?' : c);
            }
        }
        return b.toString();
    }

    private static String clip(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    /** The KMS interface's request paths (TS 33.180 D.2): init, keyprov[/user[/time]], certcache[/n]. */
    public static boolean isKmsPath(String path) {
        String p = "/keymanagement/identity/v1/";
        if (!path.startsWith(p)) {
            return false;
        }
        String rest = path.substring(p.length());
        return rest.equals("init") || rest.equals("keyprov") || rest.startsWith("keyprov/") || rest.equals("certcache")
                || rest.matches("certcache/[0-9]{1,10}");
    }
}
