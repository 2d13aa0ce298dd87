package isg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.Gateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code isg session} against a gateway started from its configuration file. */
class SessionCommandTest {

    @TempDir
    Path dir;

    private String out;
    private String err;

    private int session(String api, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api", api, "--token-file", dir.resolve("token").toString()));
        int rc = new SessionCommand(new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8)).run(all);
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return rc;
    }

    @Test
    void addListShowDeleteThroughTheControlApi() throws Exception {
        int base = 34000 + 200 * new java.util.Random().nextInt(20);
        isg.hsm.SecureFiles.writeSecret(dir.resolve("pass"), "keystore passphrase\n");
        isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), "control-token-0123456789abcdef\n");
        Path cfg = dir.resolve("isg.yaml");
        Files.writeString(cfg, "gateway: {id: home}\nvault: {kind: soft, keystore: keys.bcfks, passphraseFile: pass}\n"
                + "inside: {address: 127.0.0.1, ports: " + base + "-" + (base + 19) + "}\n"
                + "outside: {address: 127.0.0.1, ports: " + (base + 100) + "-" + (base + 119) + "}\n"
                + "partners: {partner-a: {masterKey: \"pkcs11:object=pa\"}}\n"
                + "control: {listen: \"127.0.0.1:0\", tokenFile: token}\n");
        try (Gateway g = new Gateway(cfg)) {
            g.vault().generate(isg.hsm.Actor.CLI, isg.hsm.NewKey.of("pa", isg.hsm.KeyPurpose.INTERCONNECT_MASTER, "a")
                    .withBits(128));
            String api = "http://127.0.0.1:" + g.control().address().getPort();
            String key = Base64.getEncoder().encodeToString(new byte[30]);
            assertEquals(0, session(api, "add", "--id", "c1", "--mode", "reprotect", "--partner", "partner-a",
                    "--inside-remote", "127.0.0.1:40000", "--suite", "AES_CM_128_HMAC_SHA1_80", "--receive-key", key,
                    "--send-key", key), err);
            assertTrue(out.contains("\"id\":\"c1\""), out);
            assertEquals(KeysCommand.EXIT_DATA, session(api, "add", "--id", "c1", "--mode", "hop", "--partner",
                    "partner-a", "--inside-remote", "127.0.0.1:40000"));
            assertTrue(err.contains("409"), err);
            assertEquals(0, session(api, "remote", "--id", "c1", "--outside-remote", "127.0.0.1:50000"), err);
            assertTrue(out.contains("\"keyed\":false"), out);
            assertEquals(KeysCommand.EXIT_USAGE, session(api, "key", "--id", "c1"));
            assertTrue(err.contains("--partner-nonce is required"), err);
            assertEquals(0, session(api, "key", "--id", "c1", "--partner-nonce", "00112233445566778899aabbccddeeff"),
                    err);
            assertTrue(out.contains("\"keyed\":true"), out);
            assertEquals(0, session(api, "list"), err);
            assertTrue(out.contains("\"remote\":\"127.0.0.1:50000\""), out);
            assertEquals(0, session(api, "show", "--id", "c1"), err);
            assertEquals(0, session(api, "del", "--id", "c1"), err);
            assertEquals(KeysCommand.EXIT_DATA, session(api, "show", "--id", "c1"));
            assertTrue(err.contains("404"), err);
            isg.hsm.SecureFiles.writeSecret(dir.resolve("token"), "not-the-right-token-xxxxxxxx\n");
            assertEquals(KeysCommand.EXIT_NOPERM, session(api, "list"));
        }
        assertEquals(KeysCommand.EXIT_UNAVAILABLE, session("http://127.0.0.1:9", "list"));
        assertTrue(err.contains("cannot reach the control API"), err);
    }
}
