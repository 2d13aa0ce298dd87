package isg.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One control-API call from the command line ({@code isg session}, {@code isg partner}): the
 * {@code --name value} options, the bearer token, the call, and the exit status — 0 done, 64
 * usage, 65 refused (4xx), 77 not authorised, 69 the API cannot be reached, 1 other.
 */
final class ApiCall {

    /** The options every control-API command takes, for its --help. */
    static final String OPTIONS = String.join("\n",
            "  --api URL          control API (default http://127.0.0.1:8080)",
            "  --token-file FILE  the bearer token",
            "  --ca FILE          for an https API: the CA of its certificate (PEM)",
            "  --client-cert FILE --client-cert-password-file FILE   PKCS#12 client certificate (mutual TLS)");

    private ApiCall() {
    }

    /** The HTTP client for {@code --api}: with {@code --ca} / {@code --client-cert} when given. */
    static HttpClient http(Map<String, String> o) throws IOException {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (o.containsKey("--ca") || o.containsKey("--client-cert")) {
            try {
                java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                if (o.containsKey("--ca")) {
                    try (var in = Files.newInputStream(Path.of(o.get("--ca")))) {
                        int i = 0;
                        for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                            trust.setCertificateEntry("ca" + i++, c);
                        }
                    }
                }
                javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
                tmf.init(o.containsKey("--ca") ? trust : null);
                javax.net.ssl.KeyManager[] kms = null;
                if (o.containsKey("--client-cert")) {
                    char[] pw = Files.readString(Path.of(SessionCommand.need(o, "--client-cert-password-file"))).trim().toCharArray();
                    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
                    try (var in = Files.newInputStream(Path.of(o.get("--client-cert")))) {
                        ks.load(in, pw);
                    }
                    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
                    kmf.init(ks, pw);
                    kms = kmf.getKeyManagers();
                }
                javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
                ctx.init(kms, tmf.getTrustManagers(), null);
                b.sslContext(ctx);
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException("TLS settings cannot be used: " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** {@code --name value} pairs after the command; null (and a message) when one has no value. */
    static Map<String, String> options(String tool, List<String> args, PrintStream err) {
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.size(); i++) {
            if (!args.get(i).startsWith("--") || i + 1 >= args.size()) {
                err.println(tool + " " + args.get(0) + ": '" + args.get(i) + "' needs a value (see " + tool + " --help)");
                return null;
            }
            o.put(args.get(i), args.get(++i));
        }
        return o;
    }

    /**
     * Sends {@code request(api)} with the token of {@code --token-file}; prints {@code success} of
     * a 2xx answer on {@code out}, the status and body of any other on {@code err}.
     */
    static int run(String tool, String cmd, Map<String, String> o, Function<String, HttpRequest.Builder> request,
            Function<HttpResponse<String>, String> success, PrintStream out, PrintStream err) {
        if (!o.containsKey("--token-file")) {
            err.println(tool + " " + cmd + ": --token-file is required");
            return KeysCommand.EXIT_USAGE;
        }
        String api = o.getOrDefault("--api", "http://127.0.0.1:8080");
        try {
            String token = Files.readString(Path.of(o.get("--token-file")), StandardCharsets.UTF_8).trim();
            HttpRequest.Builder req = request.apply(api);
            HttpResponse<String> r = http(o).send(req.header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 == 2) {
                out.println(success.apply(r));
                return 0;
            }
            err.println(tool + " " + cmd + ": " + r.statusCode() + " " + r.body());
            return r.statusCode() == 401 ? KeysCommand.EXIT_NOPERM : r.statusCode() / 100 == 4 ? KeysCommand.EXIT_DATA : 1;
        } catch (IllegalArgumentException e) {
            err.println(tool + " " + cmd + ": " + e.getMessage());
            return KeysCommand.EXIT_USAGE;
        } catch (ConnectException e) {
            err.println(tool + " " + cmd + ": cannot reach the control API at " + api + " (is the gateway running?)");
            return KeysCommand.EXIT_UNAVAILABLE;
        } catch (IOException e) {
            err.println(tool + " " + cmd + ": " + e.getMessage());
            return KeysCommand.EXIT_UNAVAILABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    static URI uri(String api, String path) {
        return URI.create(api + path);
    }
}
