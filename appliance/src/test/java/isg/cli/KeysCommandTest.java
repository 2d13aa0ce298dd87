package isg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.SoftHsm;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code isg keys} against both vaults: what an operator types and what comes back. */
class KeysCommandTest {

    @TempDir
    Path dir;

    private String out;
    private String err;

    private int keys(List<String> vault, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(1, vault);
        int rc = new KeysCommand(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(all);
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return rc;
    }

    private void walkThrough(List<String> vault, String token) throws Exception {
        Path keyFile = dir.resolve("transport.hex");
        Files.writeString(keyFile, "000102030405060708090a0b0c0d0e0f\n");
        assertEquals(0, keys(vault, "import-transport", "--label", "kek", "--key-file", keyFile.toString()), err);
        Path wrapped = dir.resolve("pck.wrapped");
        Files.write(wrapped, VaultDerivationMatchesEngineTest.wrap(java.util.HexFormat.of()
                .parseHex("000102030405060708090a0b0c0d0e0f"), new byte[16]));
        assertEquals(0, keys(vault, "import", "--label", "pck-1", "--purpose", "INTERCONNECT_MASTER", "--bits", "128",
                "--transport", "pkcs11:object=kek", "--wrapped-file", wrapped.toString(), "--owner", "home"), err);
        assertEquals(1, keys(vault, "import", "--label", "gmk-x", "--purpose", "GMK", "--bits", "128", "--transport",
                "pkcs11:object=kek", "--wrapped-file", wrapped.toString()));
        assertTrue(err.contains("NOT_PERMITTED") && err.contains("MIKEY-SAKKE"), "MC keys come by MIKEY-SAKKE: " + err);
        // the gateway's SAKKE RSK, wrapped for the vault by the operator's key ceremony
        byte[] rsk = new byte[KeysCommand.RSK_LENGTH];
        rsk[0] = 0x04;
        rsk[200] = 0x5A;
        Path wrappedRsk = dir.resolve("rsk.wrapped");
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AESKWP", isg.hsm.Fips.PROVIDER);
        c.init(javax.crypto.Cipher.WRAP_MODE, new javax.crypto.spec.SecretKeySpec(java.util.HexFormat.of()
                .parseHex("000102030405060708090a0b0c0d0e0f"), "AES"));
        Files.writeString(wrappedRsk, java.util.HexFormat.of().formatHex(c.wrap(
                new javax.crypto.spec.SecretKeySpec(rsk, "HmacSHA512"))) + "\n");
        assertEquals(0, keys(vault, "import-rsk", "--domain", "police", "--period", "700", "--transport",
                "pkcs11:object=kek", "--wrapped-file", wrappedRsk.toString()), err);
        assertTrue(out.contains("\"label\":\"rsk-police-700\"") && out.contains("\"purpose\":\"SAKKE_RSK\"")
                && out.contains("\"attributes\":{\"period\":\"700\"}"), out);
        assertEquals(KeysCommand.EXIT_USAGE, keys(vault, "import-rsk", "--domain", "police", "--period", "soon",
                "--transport", "pkcs11:object=kek", "--wrapped-file", wrappedRsk.toString()));
        assertEquals(KeysCommand.EXIT_DATA, keys(vault, "import-rsk", "--domain", "police", "--period", "701",
                "--transport", "pkcs11:object=kek", "--wrapped-file", wrapped.toString()));
        assertTrue(err.contains("BAD_KEY_MATERIAL"), "a 16-octet value is no RSK: " + err);
        assertEquals(0, keys(vault, "generate", "--label", "tls", "--purpose", "tls_identity"), err);
        assertEquals(0, keys(vault, "list"), err);
        assertTrue(out.contains("\"label\":\"pck-1\"") && out.contains("\"purpose\":\"INTERCONNECT_MASTER\"") && out.contains("\"owner\":\"home\""), out);
        assertTrue(out.contains("token=" + token), out);
        assertEquals(0, keys(vault, "export-public", "--uri", "pkcs11:object=tls"), err);
        assertTrue(out.startsWith("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"), out);
        tlsCertificate(vault);
        assertEquals(1, keys(vault, "export-public", "--uri", "pkcs11:object=pck-1"));
        assertTrue(err.contains("NOT_PERMITTED") && err.contains("never leaves the vault"), err);
        assertEquals(KeysCommand.EXIT_DATA, keys(vault, "import", "--label", "pck-2", "--purpose", "INTERCONNECT_MASTER", "--bits", "128",
                "--transport", "pkcs11:object=kek", "--wrapped-file", keyFile.toString()));
        assertTrue(err.contains("BAD_KEY_MATERIAL"), err);
        assertEquals(KeysCommand.EXIT_USAGE, keys(vault, "generate", "--label", "x", "--purpose", "bogus"));
        assertEquals(KeysCommand.EXIT_USAGE, keys(vault, "zeroize"));
        assertEquals(0, keys(vault, "destroy", "--uri", "pkcs11:object=pck-1"), err);
        assertEquals(0, keys(vault, "zeroize", "--yes"), err);
        assertTrue(out.contains("zeroised: 3 keys destroyed"), out);
        assertEquals(0, keys(vault, "list"), err);
        // certificates are public and stay; every secret and private key is gone
        assertTrue(out.contains("\"label\":\"tls-cert\"") && out.lines().filter(l -> l.startsWith("{"))
                .allMatch(l -> l.contains("\"type\":\"CERTIFICATE\"")), out);
        assertEquals(0, keys(vault, "audit"), err);
        assertTrue(out.contains("\"action\":\"import-transport-ceremony\"") && out.contains("\"actor\":\"CLI\""), out);
        assertFalse(out.contains("000102030405060708090a0b0c0d0e0f"), "no key bytes in the audit log");
        assertFalse(out.toLowerCase().contains("00005a00"), "no RSK bytes in the audit log");
    }

    /**
     * The TLS identity's certificate: the request made in the vault is verified and signed by
     * OpenSSL, and only a certificate for that key is taken.
     */
    private void tlsCertificate(List<String> vault) throws Exception {
        Path csr = dir.resolve("tls.csr");
        assertEquals(0, keys(vault, "csr", "--key", "pkcs11:object=tls", "--subject", "CN=isg-home,O=Police",
                "--san-uri", "isg:home", "--san-dns", "gw.home.example", "--out", csr.toString()), err);
        String text = openssl("req", "-in", "tls.csr", "-noout", "-verify", "-text");
        assertTrue(text.contains("verify OK") && text.contains("URI:isg:home") && text.contains("DNS:gw.home.example")
                && text.contains("TLS Web Server Authentication, TLS Web Client Authentication")
                && text.contains("Digital Signature") && text.contains("CN = isg-home"), text);
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.pem", "-days", "2", "-subj", "/CN=ca");
        openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-copy_extensions", "copy", "-days", "2", "-out", "tls.pem");
        assertEquals(KeysCommand.EXIT_USAGE, keys(vault, "import-cert", "--label", "tls-cert", "--purpose",
                "TLS_CERTIFICATE", "--cert-file", dir.resolve("ca.pem").toString(), "--key", "pkcs11:object=tls"));
        assertTrue(err.contains("is not a certificate for the key pkcs11:object=tls"), err);
        assertEquals(KeysCommand.EXIT_USAGE, keys(vault, "import-cert", "--label", "tls-cert", "--purpose",
                "TLS_CERTIFICATE", "--cert-file", csr.toString(), "--key", "pkcs11:object=tls"));
        assertEquals(0, keys(vault, "import-cert", "--label", "tls-cert", "--purpose", "TLS_CERTIFICATE", "--cert-file",
                dir.resolve("tls.pem").toString(), "--key", "pkcs11:object=tls"), err);
        assertTrue(out.contains("\"purpose\":\"TLS_CERTIFICATE\""), out);
    }

    private String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0, o);
        return o;
    }

    @Test
    void theSoftwareToken() throws Exception {
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "a long passphrase\n");
        List<String> v = List.of("--keystore", dir.resolve("k.bcfks").toString(), "--passphrase-file", pass.toString());
        assertEquals(KeysCommand.EXIT_UNAVAILABLE, keys(v, "list"));
        assertTrue(err.contains("no software token at"), err);
        List<String> create = new ArrayList<>(v);
        create.add("--create");
        assertEquals(0, keys(create, "list"), err);
        assertTrue(out.startsWith("# software token"), out);
        walkThrough(v, "isg-soft");
    }

    @Test
    void aPkcs11Token() throws Exception {
        SoftHsm hsm = SoftHsm.get();
        List<String> v = List.of("--vault", "pkcs11", "--module", SoftHsm.MODULE.toString(), "--token", SoftHsm.LABEL,
                "--pin-file", hsm.pinFile.toString(), "--audit", dir.resolve("audit.jsonl").toString());
        assertEquals(0, keys(v, "list"), err);
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                String label = line.replaceAll(".*\"label\":\"([^\"]*)\".*", "$1");
                assertEquals(0, keys(v, "destroy", "--uri", "pkcs11:object=" + label), err);
            }
        }
        walkThrough(v, SoftHsm.LABEL);
        List<String> wrong = List.of("--vault", "pkcs11", "--module", "/nope.so", "--token", "x", "--pin-file", "/nope");
        assertEquals(KeysCommand.EXIT_UNAVAILABLE, keys(wrong, "list"));
        assertTrue(err.contains("MODULE_NOT_FOUND") || err.contains("CREDENTIAL_UNREADABLE"), err);
        assertEquals(0, keys(List.of(), "--help"));
        assertTrue(out.contains("usage: isg keys"));
    }
}
