package isg.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
