package isg.cli;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.NewKey;
import isg.hsm.Pkcs11Config;
import isg.hsm.Pkcs11Vault;
import isg.hsm.PinSource;
import isg.hsm.SoftVault;
import isg.hsm.VaultException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code isg keys}: the vault from the command line, against either implementation. Every
 * operation is audited as actor CLI. Exit status: 0 done, 64 usage, 65 bad input, 69 vault
 * unavailable, 77 PIN/passphrase refused, 1 other refusals.
 */
public final class KeysCommand {

    public static final int EXIT_USAGE = 64;
    public static final int EXIT_DATA = 65;
    public static final int EXIT_UNAVAILABLE = 69;
    public static final int EXIT_NOPERM = 77;

    /**
     * The exit status for a vault refusal, the same from every command ({@code isg run} as
     * {@code isg keys}): 77 a wrong or locked PIN or passphrase, 69 the vault is not there or not
     * readable, 65 bad key material or request.
     */
    public static int exitCode(VaultException e) {
        switch (e.reason()) {
            case PIN_INCORRECT:
            case PIN_LOCKED:
                return EXIT_NOPERM;
            case UNAVAILABLE:
            case MODULE_NOT_FOUND:
            case TOKEN_NOT_FOUND:
            case CREDENTIAL_UNREADABLE:
                return EXIT_UNAVAILABLE;
            case BAD_KEY_MATERIAL:
            case BAD_REQUEST:
                return EXIT_DATA;
            default:
                return 1;
        }
    }

    static final String HELP = String.join("\n",
            "usage: isg keys <command> [vault options] [command options]",
            "",
            "vault options (default: the software token):",
            "  --vault soft|pkcs11",
            "  --keystore FILE          software token file (default ./isg-keys.bcfks); --create makes it",
            "  --passphrase-file FILE   its passphrase",
            "  --module FILE            PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so",
            "  --token LABEL            token label",
            "  --pin-file FILE          user PIN (or the systemd credential isg-hsm-pin)",
            "  --audit FILE             audit log (default: next to the keystore, or ./isg-audit.jsonl)",
            "",
            "commands:",
            "  list",
            "  generate --label L --purpose P [--owner O] [--bits 128|256] [--id HEX] [--not-after 2030-01-01T00:00:00Z]",
            "  import-transport --label L --key-file F [--owner O]   key ceremony: a TRANSPORT key from its clear value",
            "  import --label L --purpose P --bits N --transport URI --wrapped-file F [--owner O] [--id HEX] [--not-after T]",
            "                           an AES key wrapped under a transport key (RFC 5649), raw or hex file",
            "  import-rsk --domain D --period N --transport URI --wrapped-file F [--label L]",
            "                           the gateway's SAKKE RSK for MC domain D and key period N (RFC 6508, 257 octets",
            "                           04||x||y), wrapped under a transport key (RFC 5649); validated when the gateway starts",
            "  import-cert --label L --purpose KMS_CERTIFICATE|PARTNER_TLS_CERTIFICATE|TLS_CERTIFICATE --cert-file F",
            "              [--owner O] [--key URI]",
            "                           TLS_CERTIFICATE: the certificate a CA issued for the gateway's TLS_IDENTITY key",
            "                           (--key names it; the certificate must carry that key, EC P-256)",
            "  csr --key URI --subject DN [--san-uri U[,U...]] [--san-dns D[,D...]] [--out F]",
            "                           a PKCS#10 request (PEM) for the TLS_IDENTITY key, signed in the vault: SAN as",
            "                           given, digitalSignature, serverAuth and clientAuth; e.g. --subject CN=isg-home,O=Police",
            "  export-public --uri URI  PEM of a public key or certificate",
            "  destroy --uri URI",
            "  zeroize --yes            destroy every secret and private key, log out",
            "  audit                    print the audit log",
            "",
            "purposes: " + Arrays.toString(KeyPurpose.values()),
            "keys are named by RFC 7512 URIs, e.g. pkcs11:token=isg;object=partner-a-master");

    private static final Set<String> FLAGS = Set.of("--create", "--yes");
    /** An RSK of SAKKE parameter set 1 (RFC 6509): an uncompressed point 04 || x || y of 1 + 2 * 128 octets. */
    static final int RSK_LENGTH = 257;

    private final PrintStream out;
    private final PrintStream err;

    public KeysCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    private static final class Usage extends Exception {
        private static final long serialVersionUID = 1L;

        Usage(String m) {
            super(m);
        }
    }

    public int run(List<String> args) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h") || args.get(0).equals("help")) {
            out.println(HELP);
            return args.isEmpty() ? EXIT_USAGE : 0;
        }
        String cmd = args.get(0);
        Map<String, String> o;
        try {
            o = options(args.subList(1, args.size()));
        } catch (Usage u) {
            err.println("isg keys " + cmd + ": " + u.getMessage() + " (see isg keys --help)");
            return EXIT_USAGE;
        }
        try {
            if (cmd.equals("audit")) {
                for (String line : Files.readAllLines(auditPath(o), StandardCharsets.UTF_8)) {
                    out.println(line);
                }
                return 0;
            }
            try (AuditLog audit = new AuditLog(auditPath(o)); KeyVault vault = open(o, audit)) {
                return execute(cmd, o, vault);
            }
        } catch (Usage u) {
            err.println("isg keys " + cmd + ": " + u.getMessage() + " (see isg keys --help)");
            return EXIT_USAGE;
        } catch (VaultException e) {
            err.println("isg keys " + cmd + ": " + e.reason() + ": " + e.getMessage());
            return exitCode(e);
        } catch (IOException e) {
            err.println("isg keys " + cmd + ": " + e.getMessage());
            return EXIT_DATA;
        }
    }

    private static Map<String, String> options(List<String> args) throws Usage {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                throw new Usage("unexpected argument '" + a + "'");
            }
            if (FLAGS.contains(a)) {
                o.put(a, "true");
            } else {
                if (i + 1 >= args.size()) {
                    throw new Usage(a + " needs a value");
                }
                o.put(a, args.get(++i));
            }
        }
        return o;
    }

    private static String need(Map<String, String> o, String name) throws Usage {
        String v = o.get(name);
        if (v == null) {
            throw new Usage(name + " is required");
        }
        return v;
    }

    private static Path auditPath(Map<String, String> o) {
        if (o.containsKey("--audit")) {
            return Path.of(o.get("--audit"));
        }
        if ("pkcs11".equals(o.get("--vault"))) {
            return Path.of("isg-audit.jsonl");
        }
        return Path.of(o.getOrDefault("--keystore", "isg-keys.bcfks") + ".audit.jsonl");
    }

    private static KeyVault open(Map<String, String> o, AuditLog audit) throws Usage, VaultException {
        String kind = o.getOrDefault("--vault", "soft");
        if (kind.equals("pkcs11")) {
            Path pin = o.containsKey("--pin-file") ? Path.of(o.get("--pin-file")) : null;
            return Pkcs11Vault.open(new Pkcs11Config(Path.of(need(o, "--module")), need(o, "--token"), pin), audit);
        }
        if (!kind.equals("soft")) {
            throw new Usage("--vault must be soft or pkcs11, not '" + kind + "'");
        }
        char[] pass = PinSource.fromFile(Path.of(need(o, "--passphrase-file")));
        try {
            return SoftVault.open(Path.of(o.getOrDefault("--keystore", "isg-keys.bcfks")), pass,
                    o.containsKey("--create"), audit);
        } finally {
            Arrays.fill(pass, '\0');
        }
    }

    private static NewKey spec(Map<String, String> o, KeyPurpose purpose) throws Usage {
        try {
            NewKey k = new NewKey(need(o, "--label"), o.containsKey("--id") ? HexFormat.of().parseHex(o.get("--id")) : null,
                    purpose, o.get("--owner"), o.containsKey("--not-after") ? Instant.parse(o.get("--not-after")) : null,
                    Integer.parseInt(o.getOrDefault("--bits", "256")));
            return k;
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new Usage(e.getMessage());
        }
    }

    private static KeyPurpose purpose(Map<String, String> o) throws Usage {
        try {
            return KeyPurpose.parse(need(o, "--purpose"));
        } catch (IllegalArgumentException e) {
            throw new Usage(e.getMessage());
        }
    }

    /** A key file holds raw bytes or hex text. */
    private static byte[] keyBytes(Path file) throws IOException, Usage {
        byte[] raw = Files.readAllBytes(file);
        String text = new String(raw, StandardCharsets.US_ASCII).trim();
        if (!text.isEmpty() && text.matches("(?i)[0-9a-f]+") && text.length() % 2 == 0) {
            Arrays.fill(raw, (byte) 0);
            return HexFormat.of().parseHex(text);
        }
        return raw;
    }

    private int execute(String cmd, Map<String, String> o, KeyVault vault) throws Usage, VaultException, IOException {
        switch (cmd) {
            case "list":
                out.println("# " + vault.kind());
                for (KeyInfo k : vault.list(Actor.CLI)) {
                    out.println(k.toJson());
                }
                return 0;
            case "generate":
                out.println(vault.generate(Actor.CLI, spec(o, purpose(o))).toJson());
                return 0;
            case "import-transport": {
                byte[] clear = keyBytes(Path.of(need(o, "--key-file")));
                try {
                    NewKey s = spec(o, KeyPurpose.TRANSPORT);
                    out.println(vault.importTransportKey(Actor.CLI, s, clear).toJson());
                } finally {
                    Arrays.fill(clear, (byte) 0);
                }
                return 0;
            }
            case "import":
                out.println(vault.importWrapped(Actor.CLI, spec(o, purpose(o)), need(o, "--transport"),
                        keyBytes(Path.of(need(o, "--wrapped-file")))).toJson());
                return 0;
            case "import-rsk": {
                String domain = need(o, "--domain");
                long period;
                try {
                    period = Long.parseLong(need(o, "--period"));
                } catch (NumberFormatException e) {
                    throw new Usage("--period must be a key period number (a whole number)");
                }
                if (period < 0) {
                    throw new Usage("--period must be a key period number (0 or more)");
                }
                NewKey spec;
                try {
                    spec = new NewKey(o.getOrDefault("--label", "rsk-" + domain + "-" + period), null,
                            KeyPurpose.SAKKE_RSK, domain, null, RSK_LENGTH * 8)
                            .withAttributes(Map.of(isg.mc.McPlane.ATTRIBUTE_PERIOD, Long.toString(period)));
                } catch (IllegalArgumentException e) {
                    throw new Usage(e.getMessage());
                }
                out.println(vault.importWrapped(Actor.CLI, spec, need(o, "--transport"),
                        keyBytes(Path.of(need(o, "--wrapped-file")))).toJson());
                return 0;
            }
            case "import-cert": {
                Path file = Path.of(need(o, "--cert-file"));
                java.security.cert.X509Certificate cert;
                try {
                    cert = isg.channel.PartnerTrust.readCertificates(file).get(0);
                } catch (IOException e) {
                    throw new Usage(e.getMessage());
                }
                KeyPurpose purpose = purpose(o);
                if (purpose.type() != isg.hsm.KeyType.CERTIFICATE) {
                    throw new Usage("--purpose " + purpose + " is not a certificate purpose");
                }
                if (purpose == KeyPurpose.TLS_CERTIFICATE) {
                    String key = need(o, "--key");
                    if (vault.info(Actor.CLI, key).purpose() != KeyPurpose.TLS_IDENTITY) {
                        throw new Usage("--key " + key + " is not a TLS_IDENTITY key");
                    }
                    if (!java.security.MessageDigest.isEqual(vault.exportPublic(Actor.CLI, key),
                            cert.getPublicKey().getEncoded())) {
                        throw new Usage(file + " (" + cert.getSubjectX500Principal().getName() + ") is not a certificate "
                                + "for the key " + key);
                    }
                }
                try {
                    out.println(vault.importCertificate(Actor.CLI, spec(o, purpose), cert.getEncoded()).toJson());
                } catch (java.security.cert.CertificateEncodingException e) {
                    throw new Usage(file + ": " + e.getMessage());
                }
                return 0;
            }
            case "csr": {
                List<String> sans = new java.util.ArrayList<>();
                for (String u : o.getOrDefault("--san-uri", "").split(",")) {
                    if (!u.isBlank()) {
                        sans.add("uri:" + u.trim());
                    }
                }
                for (String d : o.getOrDefault("--san-dns", "").split(",")) {
                    if (!d.isBlank()) {
                        sans.add("dns:" + d.trim());
                    }
                }
                String pem;
                try {
                    pem = isg.channel.CertificateRequests.pkcs10Pem(vault, need(o, "--key"), need(o, "--subject"), sans);
                } catch (IllegalArgumentException e) {
                    throw new Usage(e.getMessage());
                }
                if (o.containsKey("--out")) {
                    Files.writeString(Path.of(o.get("--out")), pem, StandardCharsets.US_ASCII);
                    out.println("wrote " + o.get("--out"));
                } else {
                    out.print(pem);
                }
                return 0;
            }
            case "export-public": {
                String uri = need(o, "--uri");
                byte[] der = vault.exportPublic(Actor.CLI, uri);
                KeyInfo k = vault.info(Actor.CLI, uri);
                String type = k.type() == isg.hsm.KeyType.CERTIFICATE ? "CERTIFICATE" : "PUBLIC KEY";
                out.println("-----BEGIN " + type + "-----");
                out.println(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der));
                out.println("-----END " + type + "-----");
                return 0;
            }
            case "destroy":
                vault.destroy(Actor.CLI, need(o, "--uri"));
                out.println("destroyed " + o.get("--uri"));
                return 0;
            case "zeroize":
            case "zeroise":
                if (!o.containsKey("--yes")) {
                    throw new Usage("zeroize destroys every secret key; confirm with --yes");
                }
                out.println("zeroised: " + vault.zeroise(Actor.CLI) + " keys destroyed");
                return 0;
            default:
                throw new Usage("unknown command '" + cmd + "'");
        }
    }
}
