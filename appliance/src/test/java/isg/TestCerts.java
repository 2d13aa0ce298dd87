package isg;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Certificates for TLS tests, made with openssl in a test's directory: CAs, server and client certificates. */
public final class TestCerts {

    private final Path dir;

    public TestCerts(Path dir) {
        this.dir = dir;
    }

    public Path path(String file) {
        return dir.resolve(file);
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + ": " + out);
        }
    }

    /** A self-signed P-256 CA: {name}.pem and {name}.key. */
    public TestCerts ca(String name) throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name);
        return this;
    }

    /**
     * A certificate {name}.pem/.key issued by {ca}: for a server at 127.0.0.1, or a client; also
     * {name}.p12 with the password in {name}.pass.
     */
    public TestCerts issue(String name, String ca, boolean server) throws Exception {
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
                "-out", name + ".csr", "-subj", "/CN=" + (server ? "127.0.0.1" : name));
        Files.writeString(dir.resolve(name + ".ext"), server ? "subjectAltName=IP:127.0.0.1\n" : "extendedKeyUsage=clientAuth\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext");
        openssl("pkcs12", "-export", "-inkey", name + ".key", "-in", name + ".pem", "-out", name + ".p12", "-passout",
                "pass:changeit");
        Files.writeString(dir.resolve(name + ".pass"), "changeit\n");
        return this;
    }

    /** A client-side SSL context: trusts {ca}.pem, presents {client}.p12 (or nothing when null). */
    public javax.net.ssl.SSLContext clientContext(String ca, String client) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(dir.resolve(ca + ".pem"))) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        javax.net.ssl.KeyManager[] kms = null;
        if (client != null) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(dir.resolve(client + ".p12"))) {
                ks.load(in, "changeit".toCharArray());
            }
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
            kmf.init(ks, "changeit".toCharArray());
            kms = kmf.getKeyManagers();
        }
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kms, tmf.getTrustManagers(), null);
        return ctx;
    }
}
