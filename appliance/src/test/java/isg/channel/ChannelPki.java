package isg.channel;

import isg.hsm.Actor;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test PKI made with OpenSSL (not with the code under test): CAs run by {@code openssl ca},
 * gateway certificates issued for vault keys from the requests {@code isg keys csr} makes, file
 * keys and certificates for OpenSSL's own s_client/s_server, dated (expired) certificates and CRLs.
 */
final class ChannelPki {

    final Path dir;

    ChannelPki(Path dir) {
        this.dir = dir;
    }

    Path path(String file) {
        return dir.resolve(file);
    }

    String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + ": " + out);
        }
        return out;
    }

    /** A self-signed P-256 CA {name}.pem/.key with an {@code openssl ca} database. */
    ChannelPki ca(String name) throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + ".key", "-out", name + ".pem", "-days", "30", "-subj", "/CN=" + name + " CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Path d = Files.createDirectories(dir.resolve(name + ".d/new"));
        Files.writeString(d.getParent().resolve("index.txt"), "");
        Files.writeString(d.getParent().resolve("serial"), "1000\n");
        Files.writeString(d.getParent().resolve("crlnumber"), "1000\n");
        Files.writeString(dir.resolve(name + ".cnf"), String.join("\n",
                "[ ca ]", "default_ca = d", "[ d ]", "dir = ./" + name + ".d", "database = $dir/index.txt",
                "new_certs_dir = $dir/new", "serial = $dir/serial", "crlnumber = $dir/crlnumber",
                "certificate = " + name + ".pem", "private_key = " + name + ".key", "default_md = sha256",
                "policy = any", "copy_extensions = copy", "default_days = 30", "default_crl_days = 2",
                "unique_subject = no", "[ any ]", "commonName = supplied", ""));
        return this;
    }

    /** Signs {csr} with {ca}; validity now..+30 days, or between the given dates (YYYYMMDDHHMMSSZ). */
    void sign(String ca, String csr, String out, String startDate, String endDate) throws Exception {
        List<String> a = new ArrayList<>(List.of("ca", "-batch", "-config", ca + ".cnf", "-in", csr, "-out", out,
                "-notext"));
        if (startDate != null) {
            a.addAll(List.of("-startdate", startDate, "-enddate", endDate));
        }
        openssl(a.toArray(new String[0]));
    }

    /**
     * A TLS identity in {@code vault} (key generated inside it), certified by {@code ca} for
     * {@code sanUri}: the request is the product's ({@link CertificateRequests}), the certificate
     * OpenSSL's. Returns the identity loaded the way the gateway loads it.
     */
    LocalIdentity gateway(KeyVault vault, String label, String ca, String sanUri) throws Exception {
        vault.generate(Actor.CLI, NewKey.of(label, KeyPurpose.TLS_IDENTITY, "test"));
        String keyUri = "pkcs11:object=" + label;
        Files.writeString(dir.resolve(label + ".csr"),
                CertificateRequests.pkcs10Pem(vault, keyUri, "CN=" + label, List.of("uri:" + sanUri)));
        sign(ca, label + ".csr", label + ".pem", null, null);
        byte[] der = derOf(dir.resolve(label + ".pem"));
        vault.importCertificate(Actor.CLI, NewKey.of(label + "-cert", KeyPurpose.TLS_CERTIFICATE, "test"), der);
        return LocalIdentity.load(vault, keyUri, "pkcs11:object=" + label + "-cert", List.of());
    }

    /**
     * A file key and certificate {name}.key/.pem for OpenSSL's peers: P-256 (or RSA when
     * {@code rsa}), SAN URI {@code sanUri}, signed by {@code ca}, optionally between the dates given.
     */
    ChannelPki peer(String name, String ca, String sanUri, boolean rsa, String startDate, String endDate)
            throws Exception {
        List<String> a = new ArrayList<>(List.of("req", "-new"));
        if (rsa) {
            a.addAll(List.of("-newkey", "rsa:2048"));
        } else {
            a.addAll(List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"));
        }
        a.addAll(List.of("-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name,
                "-addext", "subjectAltName=URI:" + sanUri, "-addext", "keyUsage=critical,digitalSignature",
                "-addext", "extendedKeyUsage=serverAuth,clientAuth"));
        openssl(a.toArray(new String[0]));
        sign(ca, name + ".csr", name + ".pem", startDate, endDate);
        return this;
    }

    ChannelPki peer(String name, String ca, String sanUri) throws Exception {
        return peer(name, ca, sanUri, false, null, null);
    }

    /** Revokes {cert} in {ca}'s database and writes {ca}.crl.pem. */
    void revoke(String ca, String cert) throws Exception {
        openssl("ca", "-batch", "-config", ca + ".cnf", "-revoke", cert);
        crl(ca);
    }

    /** Writes {ca}.crl.pem from its database. */
    void crl(String ca) throws Exception {
        openssl("ca", "-batch", "-config", ca + ".cnf", "-gencrl", "-out", ca + ".crl.pem");
    }

    static byte[] derOf(Path pem) throws Exception {
        String t = Files.readString(pem);
        int b = t.indexOf("-----BEGIN CERTIFICATE-----");
        int e = t.indexOf("-----END CERTIFICATE-----");
        return java.util.Base64.getMimeDecoder().decode(t.substring(b + 27, e));
    }
}
