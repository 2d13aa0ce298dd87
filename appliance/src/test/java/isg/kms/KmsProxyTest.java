package isg.kms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import isg.channel.ChannelPair;
import isg.hsm.AuditLog;
import isg.policy.Policy;
import isg.policy.PolicyPoint;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * Key material from the partner's KMS through two gateways, over the real channel (mutual TLS 1.3,
 * keys in each vault): a home user's KMS request crosses only when the home gateway's OUTBOUND
 * rule and the partner gateway's INBOUND rule both allow it, and the KMS's answer comes back byte
 * for byte. The partner's KMS is a small HTTP server written here that answers like a TS 33.180
 * Annex D KMS and records what reached it.
 */
class KmsProxyTest {

    static final String HOME_KMS = "kms.police.home.example";
    static final String PARTNER_KMS = "kms.fire.partner.example";

    @TempDir
    static Path dir;
    static ChannelPair pair;
    static HttpServer partnerKms;
    static final ConcurrentLinkedQueue<String> kmsSaw = new ConcurrentLinkedQueue<>();
    static final AtomicInteger kmsRequests = new AtomicInteger();
    static final byte[] KEY_SET = HexFormat.of().parseHex("04" + "5a".repeat(32) + "a5".repeat(32));
    static AuditLog homeAudit;
    static AuditLog partnerAudit;
    static PolicyPoint homePolicy;
    static PolicyPoint partnerPolicy;
    static KmsProxy home;
    static KmsProxy partner;

    @BeforeAll
    static void up() throws Exception {
        pair = new ChannelPair(dir);
        partnerKms = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        partnerKms.createContext("/keymanagement/identity/v1/", ex -> {
            kmsRequests.incrementAndGet();
            byte[] req = ex.getRequestBody().readAllBytes();
            kmsSaw.add(ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("Authorization") + " "
                    + new String(req, StandardCharsets.UTF_8));
            String path = ex.getRequestURI().getPath();
            byte[] body = path.endsWith("/certcache/99") ? big(2000) : path.endsWith("/certcache/98") ? big(90_000)
                    : kmsAnswer(path);
            ex.getResponseHeaders().set("Content-Type", "application/xml; charset=UTF-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        partnerKms.start();
        homeAudit = AuditLog.inMemory();
        partnerAudit = AuditLog.inMemory();
        homePolicy = new PolicyPoint(new Policy(List.of(
                new Policy.Rule("no-trainees", false, Policy.Direction.OUTBOUND, "*", Set.of(Policy.Action.KEY_MATERIAL),
                        "sip:trainee-*", "*"),
                new Policy.Rule("police-to-fire", true, Policy.Direction.OUTBOUND, "partner",
                        Set.of(Policy.Action.KEY_MATERIAL), "sip:*@police.home.example", PARTNER_KMS))), homeAudit);
        partnerPolicy = new PolicyPoint(new Policy(List.of(
                new Policy.Rule("home-officers", true, Policy.Direction.INBOUND, "home", Set.of(Policy.Action.KEY_MATERIAL),
                        "sip:officer-*@police.home.example", PARTNER_KMS))), partnerAudit);
        Duration timeout = Duration.ofSeconds(5);
        Files.writeString(dir.resolve("fire-kms.xml"), "<SignedKmsCertificate xmlns=\"" + KmsXml.NS + "\"><KmsCertificate "
                + "Version=\"1.1.0\" Role=\"Root\"><KmsUri>" + PARTNER_KMS + "</KmsUri></KmsCertificate></SignedKmsCertificate>");
        home = KmsProxy.start(new KmsProxy.Config(new InetSocketAddress("127.0.0.1", 0),
                Map.of("partner", List.of(PARTNER_KMS)), Set.of(HOME_KMS), null, "isg:home", timeout), pair.home,
                homePolicy, Clock.systemUTC(), new KmsProxy.CertCache(new VaultXmlSigner(pair.homeKeyVault(),
                        "pkcs11:object=home-tls", pair.home.identityCertificate()), List.of(dir.resolve("fire-kms.xml"))));
        partner = KmsProxy.start(new KmsProxy.Config(null, Map.of("home", List.of(HOME_KMS)), Set.of(PARTNER_KMS),
                URI.create("http://127.0.0.1:" + partnerKms.getAddress().getPort()), "isg:partner", timeout), pair.partner,
                partnerPolicy, Clock.systemUTC());
        pair.awaitUp();
    }

    @AfterAll
    static void down() {
        home.close();
        partner.close();
        homePolicy.close();
        partnerPolicy.close();
        partnerKms.stop(0);
        pair.close();
    }

    /** A KmsResponse with a KmsKeyProv as a 33.180 Annex D KMS sends it (fixed content: the proxy must not touch it). */
    static byte[] kmsAnswer(String path) {
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
                + "Version=\"1.1.0\">\n <UserUri>sip:officer-1@police.home.example</UserUri>\n <KmsUri>" + PARTNER_KMS
                + "</KmsUri>\n <Time>2026-12-01T00:00:00</Time>\n <ClientReqUrl>https://" + PARTNER_KMS + path
                + "</ClientReqUrl>\n <KmsMessage><KmsKeyProv Version=\"1.0.0\"><KmsKeySet><UserDecryptKey>"
                + HexFormat.of().formatHex(KEY_SET) + "</UserDecryptKey></KmsKeySet></KmsKeyProv></KmsMessage>\n"
                + "</KmsResponse>\n").getBytes(StandardCharsets.UTF_8);
    }

    /** A KMS answer of {@code n} x 13 octets of comments more: 26 KB (several parts) or 1.17 MB (too large). */
    static byte[] big(int n) {
        return new String(kmsAnswer("/big"), StandardCharsets.UTF_8).replace("<KmsMessage>", "<KmsMessage>"
                + "<!-- cert -->".repeat(n)).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] request(String user, String kms) {
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
                + "Version=\"1.1.0\"><UserUri>" + user + "</UserUri><KmsUri>" + kms + "</KmsUri>"
                + "<Time>2026-12-01T10:00:00</Time><ClientId>ue-17</ClientId>"
                + "<ClientReqUrl>https://" + kms + "/keymanagement/identity/v1/keyprov</ClientReqUrl></KmsRequest>")
                .getBytes(StandardCharsets.UTF_8);
    }

    record Reply(int status, String type, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static Reply post(String path, byte[] body) throws Exception {
        return call("POST", path, body);
    }

    static Reply call(String method, String path, byte[] body) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + home.address().getPort() + path)
                .openConnection();
        c.setRequestMethod(method);
        c.setConnectTimeout(5000);
        c.setReadTimeout(15000);
        c.setRequestProperty("Authorization", "Bearer token-of-the-home-idms");
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/xml");
            try (OutputStream o = c.getOutputStream()) {
                o.write(body);
            }
        }
        int status = c.getResponseCode();
        try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
            return new Reply(status, c.getContentType(), in == null ? new byte[0] : in.readAllBytes());
        }
    }

    /** Reads ErrorCode and ErrorMsg of a KmsError answer with the JDK's parser (namespace-aware). */
    static String[] kmsError(Reply r) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document d = f.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(r.body()));
        assertEquals(KmsXml.NS, d.getDocumentElement().getNamespaceURI(), r.text());
        assertEquals("KmsResponse", d.getDocumentElement().getLocalName());
        return new String[] {
            d.getElementsByTagNameNS(KmsXml.NS, "ErrorCode").item(0).getTextContent(),
            d.getElementsByTagNameNS(KmsXml.NS, "ErrorMsg").item(0).getTextContent(),
        };
    }

    static boolean audited(AuditLog log, String... parts) throws Exception {
        for (String l : log.lines()) {
            boolean all = true;
            for (String p : parts) {
                all &= l.contains(p);
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    @Test
    void keyMaterialCrossesWhenBothGatewaysAllowItAndComesBackByteForByte() throws Exception {
        byte[] req = request("sip:officer-1@police.home.example", PARTNER_KMS);
        Reply r = post("/keymanagement/identity/v1/keyprov/sip:officer-1@police.home.example", req);
        assertEquals(200, r.status(), r.text());
        assertArrayEquals(kmsAnswer("/keymanagement/identity/v1/keyprov/sip:officer-1@police.home.example"), r.body());
        assertEquals("application/xml; charset=UTF-8", r.type());
        assertTrue(kmsSaw.contains("/keymanagement/identity/v1/keyprov/sip:officer-1@police.home.example "
                + "Bearer token-of-the-home-idms " + new String(req, StandardCharsets.UTF_8)), kmsSaw.toString());
        homePolicy.flush();
        partnerPolicy.flush();
        assertTrue(audited(homeAudit, "\"action\":\"policy-key-material\"", "\"label\":\"partner\"",
                "\"id\":\"police-to-fire\"", "\"result\":\"ALLOWED\"", "sip:officer-1@police.home.example"));
        assertTrue(audited(partnerAudit, "\"label\":\"home\"", "\"id\":\"home-officers\"", "\"result\":\"ALLOWED\""));
        // the bearer token is the client's to give the partner KMS; no log line of either gateway holds it
        for (AuditLog log : List.of(homeAudit, partnerAudit)) {
            for (String l : log.lines()) {
                assertTrue(!l.contains("token-of-the-home-idms"), l);
            }
        }
    }

    @Test
    void theHomeGatewaysOutboundRuleRefusesBeforeAnythingCrosses() throws Exception {
        int before = kmsRequests.get();
        Reply r = post("/keymanagement/identity/v1/keyprov", request("sip:trainee-4@police.home.example", PARTNER_KMS));
        assertEquals(403, r.status());
        String[] e = kmsError(r);
        assertEquals("403", e[0]);
        assertTrue(e[1].contains("not authorised for sip:trainee-4@police.home.example by this system (no-trainees)"), e[1]);
        Reply other = post("/keymanagement/identity/v1/keyprov", request("sip:officer-2@ambulance.home.example", PARTNER_KMS));
        assertEquals(403, other.status());
        assertTrue(kmsError(other)[1].contains("(default-deny)"), other.text());
        homePolicy.flush();
        assertTrue(audited(homeAudit, "\"id\":\"no-trainees\"", "\"result\":\"DENIED\"", "sip:trainee-4"));
        assertTrue(audited(homeAudit, "\"id\":\"default-deny\"", "\"result\":\"DENIED\"", "sip:officer-2@ambulance"));
        assertEquals(before, kmsRequests.get(), "nothing reached the partner's KMS");
        assertTrue(homePolicy.counters().get("partner|outbound|key-material|deny|no-trainees") >= 1);
    }

    @Test
    void thePartnerGatewaysInboundRuleRefusesWhatHomeAllowed() throws Exception {
        int before = kmsRequests.get();
        Reply r = post("/keymanagement/identity/v1/init", request("sip:dispatcher-9@police.home.example", PARTNER_KMS));
        assertEquals(403, r.status(), r.text());
        String[] e = kmsError(r);
        assertTrue(e[1].contains("by the partner system (default-deny)"), e[1]);
        partnerPolicy.flush();
        homePolicy.flush();
        assertTrue(audited(homeAudit, "\"id\":\"police-to-fire\"", "\"result\":\"ALLOWED\"", "sip:dispatcher-9"));
        assertTrue(audited(partnerAudit, "\"label\":\"home\"", "\"id\":\"default-deny\"", "\"result\":\"DENIED\"",
                "sip:dispatcher-9"));
        assertEquals(before, kmsRequests.get(), "nothing reached the partner's KMS");
    }

    @Test
    void aKmsNoPartnerServesIsRefusedByName() throws Exception {
        Reply r = post("/keymanagement/identity/v1/keyprov", request("sip:officer-1@police.home.example",
                "kms.nowhere.example"));
        assertEquals(404, r.status());
        assertTrue(kmsError(r)[1].contains("no partner's domains include the KMS kms.nowhere.example"), r.text());
        Reply own = post("/keymanagement/identity/v1/keyprov", request("sip:officer-1@police.home.example", HOME_KMS));
        assertEquals(404, own.status());
        assertTrue(kmsError(own)[1].contains("is this system's own KMS"), own.text());
    }

    @Test
    void hostileRequestsAreRefusedWithTheirReasonAndTheProxyCarriesOn() throws Exception {
        int before = kmsRequests.get();
        String ok = new String(request("sip:officer-1@police.home.example", PARTNER_KMS), StandardCharsets.UTF_8);
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(ok.replace("<KmsRequest", "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><KmsRequest")
                .replace("ue-17", "&x;"), "DOCTYPE");
        cases.put(ok.replace("<KmsRequest", "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>"
                + "<KmsRequest").replace("ue-17", "&b;&b;&b;&b;"), "DOCTYPE");
        cases.put(ok.replace("urn:3gpp:ns:mcsecKMSInterface:1.0", "urn:example:other"), "not in the namespace");
        cases.put(ok.replace("<UserUri>sip:officer-1@police.home.example</UserUri>", ""), "has no UserUri");
        cases.put(ok.replace("</KmsUri>", "</KmsUri><KmsUri>" + PARTNER_KMS + "</KmsUri>"), "has 2 KmsUri elements");
        cases.put(ok.substring(0, ok.length() - 5), "not well-formed");
        cases.put("", "no KmsRequest");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Reply r = post("/keymanagement/identity/v1/keyprov", c.getKey().getBytes(StandardCharsets.UTF_8));
            assertEquals(400, r.status(), c.getValue() + ": " + r.text());
            assertTrue(kmsError(r)[1].contains(c.getValue()), c.getValue() + ": " + r.text());
        }
        Reply big = post("/keymanagement/identity/v1/keyprov", new byte[KmsXml.MAX_REQUEST + 1]);
        assertEquals(413, big.status());
        assertEquals("405", kmsError(call("GET", "/keymanagement/identity/v1/keyprov", null))[0]);
        assertEquals("404", kmsError(post("/admin", ok.getBytes(StandardCharsets.UTF_8)))[0]);
        // a request line that is garbage: an answer or a close, never a hang
        try (Socket s = new Socket("127.0.0.1", home.address().getPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("\u0001\u0002 garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got);
        }
        assertEquals(before, kmsRequests.get(), "nothing reached the partner's KMS");
        // and an honest request still goes through
        assertEquals(200, post("/keymanagement/identity/v1/certcache", ok.getBytes(StandardCharsets.UTF_8)).status());
        assertTrue(home.counters().get("refused:bad-request") >= cases.size(), home.counters().toString());
    }

    @Test
    void aLargeKmsAnswerCrossesInPartsAndATooLargeOneIsRefusedByName() throws Exception {
        byte[] req = request("sip:officer-1@police.home.example", PARTNER_KMS);
        Reply r = post("/keymanagement/identity/v1/certcache/99", req);
        assertEquals(200, r.status(), r.text());
        assertArrayEquals(big(2000), r.body(), "26 KB in three parts, byte for byte");
        Reply tooLarge = post("/keymanagement/identity/v1/certcache/98", req);
        assertEquals(502, tooLarge.status(), tooLarge.text());
        assertTrue(kmsError(tooLarge)[1].contains("the KMS's answer is larger than " + KmsProxy.MAX_RESPONSE), tooLarge.text());
        assertTrue(pair.home.partnerUp("partner"));
        assertEquals(200, post("/keymanagement/identity/v1/certcache/1", req).status());
    }

    @Test
    void theGatewayAsKmsServesItsOwnCertificateAndItsVerifiedPartnerCertificatesSignedWithItsVaultKey() throws Exception {
        int before = kmsRequests.get();
        Reply r = post("/keymanagement/identity/v1/certcache", request("sip:officer-1@police.home.example", "isg:home"));
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("<KmsUri>isg:home</KmsUri>") && r.text().contains("<KmsCertCache Version=\"1.0.0\">"
                + "<SignedKmsCertificate><KmsCertificate ") && r.text().contains("<KmsUri>" + PARTNER_KMS
                + "</KmsUri></KmsCertificate></SignedKmsCertificate></KmsCertCache>"), r.text());
        assertEquals(before, kmsRequests.get(), "answered by the gateway itself");
        // xmlsec1 (libxmlsec1, not the JDK) verifies the signature, and the certificate in it against home's CA
        Path answer = Files.write(dir.resolve("certcache-answer.xml"), r.body());
        Process p = new ProcessBuilder("xmlsec1", "--verify", "--trusted-pem", dir.resolve("home-ca.pem").toString(),
                answer.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("OK"), out);
        // and a changed answer does not verify
        Path changed = Files.writeString(dir.resolve("certcache-changed.xml"), r.text().replace(PARTNER_KMS, "kms.evil.example"));
        Process q = new ProcessBuilder("xmlsec1", "--verify", "--trusted-pem", dir.resolve("home-ca.pem").toString(),
                changed.toString()).redirectErrorStream(true).start();
        q.getInputStream().readAllBytes();
        assertTrue(q.waitFor() != 0, "a changed answer must not verify");
        // its own KMS certificate, saying it is a security gateway, signed the same way
        Reply init = post("/keymanagement/identity/v1/init", request("sip:officer-1@police.home.example", "isg:home"));
        assertEquals(200, init.status(), init.text());
        assertTrue(init.text().contains("IsSecurityGateway=\"true\"") && init.text().contains("<KmsInit")
                && init.text().contains("<KmsUri>isg:home</KmsUri><Issuer>CN=home-tls</Issuer>"), init.text());
        Path initFile = Files.write(dir.resolve("init-answer.xml"), init.body());
        Process v = new ProcessBuilder("xmlsec1", "--verify", "--trusted-pem", dir.resolve("home-ca.pem").toString(),
                initFile.toString()).redirectErrorStream(true).start();
        String vout = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, v.waitFor(), vout);
        // anything else asked of the gateway as KMS is refused by name
        Reply other = post("/keymanagement/identity/v1/keyprov", request("sip:officer-1@police.home.example", "isg:home"));
        assertEquals(404, other.status());
        assertTrue(kmsError(other)[1].contains("answers init and certcache only"), other.text());
    }

    @Test
    void aPartnerThatIsDownIsABadGatewayNotAHang() throws Exception {
        pair.partner.close();
        try {
            ChannelPair.await("home sees the partner down", 20, () -> !pair.home.partnerUp("partner"));
            Reply r = post("/keymanagement/identity/v1/keyprov", request("sip:officer-1@police.home.example", PARTNER_KMS));
            assertEquals(502, r.status());
            assertTrue(kmsError(r)[1].contains("the gateway of partner partner is not reachable"), r.text());
        } finally {
            pair.partner = pair.startPartner();
            partner.close();
            partner = KmsProxy.start(new KmsProxy.Config(null, Map.of("home", List.of(HOME_KMS)), Set.of(PARTNER_KMS),
                    URI.create("http://127.0.0.1:" + partnerKms.getAddress().getPort()), "isg:partner", Duration.ofSeconds(5)),
                    pair.partner, partnerPolicy, Clock.systemUTC());
            pair.awaitUp();
        }
    }
}
