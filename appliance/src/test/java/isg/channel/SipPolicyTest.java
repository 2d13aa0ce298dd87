package isg.channel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import isg.hsm.AuditLog;
import isg.hsm.KeyVault;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftHsm;
import isg.hsm.SoftVault;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SIP policy enforcement point between two real gateways started from their YAML files: the
 * home IS proxy's connection to the channel's "sip" service reaches the partner's IBCF (an echo
 * server here: what it receives comes back, so a request that crossed is read back byte for
 * byte). A request naming a partner group crosses only when home's OUTBOUND affiliate rule and the
 * partner's INBOUND affiliate rule both allow it; a refused one is answered 403 with the interconnect
 * warning by the gateway that refused it, on the same connection, and nothing reaches the IBCF.
 */
class SipPolicyTest {

    private static final String TOKEN = "control-token-0123456789abcdef";

    @TempDir
    static Path dir;
    static Echo ibcf;
    static Gateway home;
    static Gateway partner;
    static int sip;

    @BeforeAll
    static void up() throws Exception {
        ChannelPki pki = new ChannelPki(dir).ca("home-ca").ca("partner-ca");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), TOKEN + "\n");
        try (KeyVault v = SoftVault.open(dir.resolve("home.bcfks"), "keystore passphrase".toCharArray(), true,
                AuditLog.inMemory())) {
            pki.gateway(v, "home-tls", "home-ca", "isg:home");
        }
        String partnerLabel = "sip-partner-tls-" + Long.toHexString(System.nanoTime());
        try (KeyVault v = Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory())) {
            pki.gateway(v, partnerLabel, "partner-ca", "isg:partner");
        }
        int partnerPort = ChannelPair.freePort();
        sip = ChannelPair.freePort();
        ibcf = new Echo();
        Path h = dir.resolve("home.yaml");
        Files.writeString(h, "gateway: {id: home}\n"
                + "vault: {kind: soft, keystore: home.bcfks, passphraseFile: pass, audit: home-audit.jsonl}\n"
                + "inside: {address: 127.0.0.1, ports: 37400-37419}\noutside: {address: 127.0.0.1, ports: 37500-37519}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n"
                + "channel: {key: \"pkcs11:object=home-tls\", certificate: \"pkcs11:object=home-tls-cert\"}\n"
                + "partners:\n  partner:\n    masterKey: \"pkcs11:object=partner-master\"\n"
                + "    groups: [\"sip:*@groups.partner.example\"]\n    channel:\n"
                + "      connect: \"127.0.0.1:" + partnerPort + "\"\n      ca: partner-ca.pem\n"
                + "      identity: \"uri:isg:partner\"\n"
                + "      services: {sip: {listen: \"127.0.0.1:" + sip + "\"}}\n"
                + "ownGroups: [\"sip:*@groups.home.example\"]\n"
                + "policy:\n"
                + "  - {rule: no-trainees, decision: deny, direction: outbound, partner: \"*\", actions: [affiliate], "
                + "users: \"sip:trainee-*\", targets: \"*\"}\n"
                + "  - {rule: affiliate-out, decision: allow, direction: outbound, partner: partner, actions: [affiliate], "
                + "users: \"sip:*@home.example\", targets: \"sip:*@groups.partner.example\"}\n");
        Path p = dir.resolve("partner.yaml");
        Files.writeString(p, "gateway: {id: partner}\n"
                + "vault: {kind: pkcs11, module: " + SoftHsm.MODULE + ", token: " + SoftHsm.LABEL + ", pinFile: "
                + SoftHsm.get().pinFile + ", audit: partner-audit.jsonl}\n"
                + "inside: {address: 127.0.0.1, ports: 37600-37619}\noutside: {address: 127.0.0.1, ports: 37700-37719}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n"
                + "channel: {listen: \"127.0.0.1:" + partnerPort + "\", key: \"pkcs11:object=" + partnerLabel + "\", "
                + "certificate: \"pkcs11:object=" + partnerLabel + "-cert\"}\n"
                + "partners:\n  home:\n    masterKey: \"pkcs11:object=home-master\"\n"
                + "    groups: [\"sip:*@groups.home.example\"]\n    channel:\n"
                + "      ca: home-ca.pem\n      identity: \"uri:isg:home\"\n"
                + "      exports: {sip: {target: \"127.0.0.1:" + ibcf.address().getPort() + "\"}}\n"
                + "ownGroups: [\"sip:*@groups.partner.example\"]\n"
                + "policy:\n"
                + "  - {rule: officers-in, decision: allow, direction: inbound, partner: home, actions: [affiliate], "
                + "users: \"sip:officer-*@home.example\", targets: \"sip:*@groups.partner.example\"}\n");
        home = new Gateway(h);
        partner = new Gateway(p);
        ChannelPair.await("the channel up", 20, () -> home.channel().partnerUp("partner"));
    }

    @AfterAll
    static void down() {
        home.close();
        partner.close();
        ibcf.close();
    }

    static byte[] subscribe(String user, String requestUri, String body) {
        return ("SUBSCRIBE " + requestUri + " SIP/2.0\r\n"
                + "Via: SIP/2.0/TCP is.home.example;branch=z9hG4bK-1\r\n"
                + "Via: SIP/2.0/TCP ue.home.example;branch=z9hG4bK-0\r\n"
                + "From: <" + user + ">;tag=f1\r\n"
                + "To: <" + requestUri + ">\r\n"
                + "Call-ID: c-" + System.nanoTime() + "@home.example\r\n"
                + "CSeq: 1 SUBSCRIBE\r\n"
                + "P-Asserted-Identity: <" + user + ">\r\n"
                + "Event: conference\r\n"
                + "Content-Type: application/resource-lists+xml\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Reads one SIP message (head and Content-Length body) from {@code in}. */
    static String readMessage(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.UTF_8).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.UTF_8);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?im)^Content-Length: *(\\d+)").matcher(h);
        int n = m.find() ? Integer.parseInt(m.group(1)) : 0;
        byte[] body = new byte[n];
        new DataInputStream(in).readFully(body);
        return h + new String(body, StandardCharsets.UTF_8);
    }

    static Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", sip);
        s.setSoTimeout(10000);
        return s;
    }

    static boolean audited(String file, String... parts) throws IOException {
        for (String l : Files.readAllLines(dir.resolve(file))) {
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
    void aRequestBothGatewaysAllowCrossesByteForByte() throws Exception {
        byte[] req = subscribe("sip:officer-1@home.example", "sip:fire-ops@groups.partner.example", "");
        try (Socket s = connect()) {
            s.getOutputStream().write(req);
            byte[] back = new byte[req.length];
            new DataInputStream(s.getInputStream()).readFully(back);
            assertArrayEquals(req, back, "crossed unchanged (and the echo came back unchanged)");
        }
        home.policy().flush();
        partner.policy().flush();
        assertTrue(audited("home-audit.jsonl", "\"action\":\"policy-affiliate\"", "\"id\":\"affiliate-out\"", "ALLOWED"));
        assertTrue(audited("partner-audit.jsonl", "\"id\":\"officers-in\"", "ALLOWED", "sip:fire-ops@groups.partner.example"));
    }

    @Test
    void theHomeGatewayRefusesWithA403AndTheWarningAndNothingCrosses() throws Exception {
        long before = ibcf.bytes.get();
        byte[] req = subscribe("sip:trainee-7@home.example", "sip:fire-ops@groups.partner.example", "");
        try (Socket s = connect()) {
            s.getOutputStream().write(req);
            String answer = readMessage(s.getInputStream());
            assertTrue(answer.startsWith("SIP/2.0 403 Forbidden\r\n"), answer);
            assertTrue(answer.contains("\r\nWarning: 399 home \"service not authorized with the interconnected system\"\r\n"),
                    answer);
            assertTrue(answer.contains("Via: SIP/2.0/TCP is.home.example;branch=z9hG4bK-1\r\n"
                    + "Via: SIP/2.0/TCP ue.home.example;branch=z9hG4bK-0\r\n"), answer);
            assertTrue(answer.contains("\r\nCSeq: 1 SUBSCRIBE\r\n") && answer.contains("\r\nTo: <sip:fire-ops@groups"
                    + ".partner.example>;tag="), answer);
            // the connection carries on: an allowed request after the refused one crosses
            byte[] ok = subscribe("sip:officer-1@home.example", "sip:fire-ops@groups.partner.example", "");
            s.getOutputStream().write(ok);
            byte[] back = new byte[ok.length];
            new DataInputStream(s.getInputStream()).readFully(back);
            assertArrayEquals(ok, back);
        }
        assertEquals(before + subscribe("sip:officer-1@home.example", "sip:fire-ops@groups.partner.example", "").length,
                ibcf.bytes.get(), "only the allowed request reached the IBCF");
        home.policy().flush();
        assertTrue(audited("home-audit.jsonl", "\"id\":\"no-trainees\"", "DENIED", "sip:trainee-7@home.example"));
    }

    @Test
    void thePartnerGatewayRefusesAGroupNamedInTheBodyThatHomeAllowed() throws Exception {
        long before = ibcf.bytes.get();
        String list = "<?xml version=\"1.0\"?><resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list>"
                + "<entry uri=\"sip:fire-ops@groups.partner.example\"/></list></resource-lists>";
        // a dispatcher: home's rule allows any home user, the partner's only officers
        byte[] req = subscribe("sip:dispatcher-2@home.example", "sip:conference-factory@partner.example", list);
        try (Socket s = connect()) {
            s.getOutputStream().write(req);
            String answer = readMessage(s.getInputStream());
            assertTrue(answer.startsWith("SIP/2.0 403 Forbidden\r\n"), answer);
            assertTrue(answer.contains("Warning: 399 partner \"service not authorized with the interconnected system\""),
                    "refused by the partner's gateway: " + answer);
        }
        assertEquals(before, ibcf.bytes.get(), "nothing reached the IBCF");
        partner.policy().flush();
        assertTrue(audited("partner-audit.jsonl", "\"id\":\"default-deny\"", "DENIED", "sip:dispatcher-2@home.example"));
    }

    @Test
    void requestsNamingNoGroupAndKeepAlivesPassUntouched() throws Exception {
        byte[] options = ("OPTIONS sip:ibcf.partner.example SIP/2.0\r\nVia: SIP/2.0/TCP is.home.example;branch=z9hG4bK-9\r\n"
                + "From: <sip:is.home.example>;tag=1\r\nTo: <sip:ibcf.partner.example>\r\nCall-ID: o1\r\nCSeq: 9 OPTIONS\r\n"
                + "l: 0\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] stream = new byte[options.length + 4];
        System.arraycopy("\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, stream, 0, 4);
        System.arraycopy(options, 0, stream, 4, options.length);
        try (Socket s = connect()) {
            // written in three pieces, cutting the head: the gateway waits for the whole message
            s.getOutputStream().write(stream, 0, 10);
            s.getOutputStream().flush();
            s.getOutputStream().write(stream, 10, 30);
            s.getOutputStream().write(stream, 40, stream.length - 40);
            byte[] back = new byte[stream.length];
            new DataInputStream(s.getInputStream()).readFully(back);
            assertArrayEquals(stream, back);
        }
    }

    @Test
    void whatIsNotSipIsCutOffAndCountedAndOtherConnectionsCarryOn() throws Exception {
        String[] bad = {
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "SUBSCRIBE sip:g@groups.partner.example SIP/2.0\r\nFrom: <sip:officer-1@home.example>\r\n\r\n",
            "SUBSCRIBE sip:g@groups.partner.example SIP/2.0\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "SUBSCRIBE sip:g@groups.partner.example SIP/2.0\r\nContent-Length: 99999999\r\n\r\n",
            "\u0000\u0001\u0002garbage\r\n\r\n",
        };
        try (Socket keep = connect()) {
            for (String b : bad) {
                try (Socket s = connect()) {
                    s.getOutputStream().write(b.getBytes(StandardCharsets.ISO_8859_1));
                    assertTrue(closedWithoutAnswer(s), "closed: " + b);
                }
            }
            byte[] ok = subscribe("sip:officer-1@home.example", "sip:fire-ops@groups.partner.example", "");
            keep.getOutputStream().write(ok);
            byte[] back = new byte[ok.length];
            new DataInputStream(keep.getInputStream()).readFully(back);
            assertArrayEquals(ok, back);
        }
        ChannelPair.await("malformed SIP counted", 10, () -> home.channel().statusJson().contains(
                "\"name\":\"sip\",\"direction\":\"service\"") && home.channel().statusJson().matches(
                "(?s).*\"name\":\"sip\",\"direction\":\"service\".*\"protocol\":" + bad.length + ".*"));
        assertTrue(home.channel().partnerUp("partner"), "the channel is unaffected");
    }

    @Test
    void theOperatorSeesEachPartnerWithItsRulesStateAndDecisions() throws Exception {
        byte[] req = subscribe("sip:officer-1@home.example", "sip:fire-ops@groups.partner.example", "");
        try (Socket s = connect()) {
            s.getOutputStream().write(req);
            new DataInputStream(s.getInputStream()).readFully(new byte[req.length]);
        }
        String api = "http://127.0.0.1:" + home.control().address().getPort();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int rc = new isg.cli.PartnerCommand(new java.io.PrintStream(out, true), new java.io.PrintStream(err, true)).run(
                java.util.List.of("show", "--id", "partner", "--api", api, "--token-file", dir.resolve("token").toString()));
        assertEquals(0, rc, err.toString());
        com.fasterxml.jackson.databind.JsonNode p = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
        assertEquals("partner", p.path("id").asText());
        assertEquals("pkcs11:object=partner-master", p.path("interconnectKey").asText(), "the key's label, never the key");
        assertEquals("sip:*@groups.partner.example", p.path("groups").path(0).asText());
        assertEquals("127.0.0.1", p.path("channel").path("connect").asText().split(":")[0]);
        assertEquals("uri:isg:partner", p.path("channel").path("identity").asText());
        assertTrue(p.path("channel").path("state").path("up").asBoolean(), out.toString());
        assertEquals(List.of("no-trainees", "affiliate-out"), List.of(p.path("rules").path(0).path("rule").asText(),
                p.path("rules").path(1).path("rule").asText()));
        assertTrue(p.path("decisions").path("outbound|affiliate|allow|affiliate-out").asLong() >= 1, out.toString());
        out.reset();
        assertEquals(0, new isg.cli.PartnerCommand(new java.io.PrintStream(out, true), new java.io.PrintStream(err, true))
                .run(java.util.List.of("list", "--api", api, "--token-file", dir.resolve("token").toString())));
        assertTrue(out.toString().startsWith("[{\"id\":\"partner\""), out.toString());
        err.reset();
        assertEquals(isg.cli.KeysCommand.EXIT_DATA, new isg.cli.PartnerCommand(new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true)).run(java.util.List.of("show", "--id", "nobody", "--api", api,
                        "--token-file", dir.resolve("token").toString())));
        assertTrue(err.toString().contains("404") && err.toString().contains("no partner 'nobody'"), err.toString());
    }

    private static boolean closedWithoutAnswer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (java.net.SocketException e) {
            return true; // reset
        } catch (SocketTimeoutException e) {
            return false;
        }
    }
}
