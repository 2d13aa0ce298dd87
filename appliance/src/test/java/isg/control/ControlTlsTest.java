package isg.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.TestCerts;
import isg.demo.Lab;
import isg.hsm.KeyVault;
import isg.relay.Relay;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control API over mutual TLS: a client with a certificate from the configured CA gets in, others do not. */
class ControlTlsTest {

    @TempDir
    Path dir;

    @Test
    void onlyClientsWithACertificateFromTheConfiguredCaAreServed() throws Exception {
        TestCerts certs = new TestCerts(dir).ca("ca").ca("other-ca").issue("server", "ca", true)
                .issue("operator", "ca", false).issue("intruder", "other-ca", false);
        Files.writeString(dir.resolve("token"), "control-token-0123456789abcdef\n");
        try (Lab lab = new Lab(); KeyVault vault = lab.vault("home");
                Relay relay = Lab.relay("home", "partner", vault, 25600, 2, 1);
                ControlServer server = new ControlServer(relay, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        dir.resolve("token"), new ControlServer.Tls(certs.path("server.p12"), certs.path("server.pass"),
                                certs.path("ca.pem")))) {
            isg.hsm.AuditLog audit = isg.hsm.AuditLog.inMemory();
            server.audit(audit);
            URI status = URI.create("https://127.0.0.1:" + server.address().getPort() + "/status");
            HttpRequest req = HttpRequest.newBuilder(status).header("Authorization",
                    "Bearer control-token-0123456789abcdef").build();
            HttpResponse<String> r = HttpClient.newBuilder().sslContext(certs.clientContext("ca", "operator")).build()
                    .send(req, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertThrows(java.io.IOException.class, () -> HttpClient.newBuilder()
                    .sslContext(certs.clientContext("ca", null)).build().send(req, HttpResponse.BodyHandlers.ofString()),
                    "no client certificate");
            assertThrows(java.io.IOException.class, () -> HttpClient.newBuilder()
                    .sslContext(certs.clientContext("ca", "intruder")).build()
                    .send(req, HttpResponse.BodyHandlers.ofString()), "a certificate from another CA");
            // both refusals are audited as failed authentications, with where they came from
            long end = System.nanoTime() + 5_000_000_000L;
            while (audit.lines().stream().filter(l -> l.contains("\"reason\":\"tls: ")).count() < 2
                    && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            java.util.List<String> refused = audit.lines().stream().filter(l -> l.contains("\"action\":\"api-authenticate\"")
                    && l.contains("\"result\":\"REFUSED\"") && l.contains("\"reason\":\"tls: ")
                    && l.contains("\"from\":\"/127.0.0.1:")).toList();
            // (the JDK's client tries each handshake twice; the other CA's certificate is not even offered)
            assertTrue(refused.size() >= 2, audit.lines().toString());
            // the operator who was let in is named by its certificate on what it does
            r = HttpClient.newBuilder().sslContext(certs.clientContext("ca", "operator")).build()
                    .send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.address().getPort()
                            + "/sessions/nope")).DELETE().header("Authorization", "Bearer wrong-token-0000000000").build(),
                            HttpResponse.BodyHandlers.ofString());
            assertEquals(401, r.statusCode());
            assertTrue(audit.lines().stream().anyMatch(l -> l.contains("\"reason\":\"wrong-token\"")
                    && l.contains("\"client\":\"CN=operator")), audit.lines().toString());
            // and isg session over it
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int rc = new isg.cli.SessionCommand(new java.io.PrintStream(out, true), new java.io.PrintStream(out, true))
                    .run(java.util.List.of("list", "--api", "https://127.0.0.1:" + server.address().getPort(),
                            "--token-file", dir.resolve("token").toString(), "--ca", certs.path("ca.pem").toString(),
                            "--client-cert", certs.path("operator.p12").toString(), "--client-cert-password-file",
                            certs.path("operator.pass").toString()));
            assertEquals(0, rc, out.toString());
        }
    }
}
