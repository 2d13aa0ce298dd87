package isg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/**
 * {@code isg session add | list | show | del | remote | key}: the control API from the command line. Exit
 * status: 0 done, 64 usage, 65 refused as malformed or conflicting (4xx), 77 not authorised, 69
 * the API cannot be reached, 1 other.
 */
public final class SessionCommand {

    static final String HELP = String.join("\n",
            "usage: isg session <command> [--api URL] --token-file FILE [options]",
            ApiCall.OPTIONS,
            "commands:",
            "  list",
            "  show --id ID",
            "  del --id ID",
            "  add --id ID --mode reprotect|hop --partner P --inside-remote HOST:PORT [--outside-remote HOST:PORT]",
            "      [--partner-nonce HEX]   the partner gateway's nonce for the session, if it created its half first",
            "      reprotect also: --suite SUITE --receive-key BASE64 --send-key BASE64 [--mki HEX]",
            "  remote --id ID [--inside-remote HOST:PORT] [--outside-remote HOST:PORT] [--partner-nonce HEX]",
            "  key --id ID --partner-nonce HEX   keys the outside with the partner gateway's nonce (its outside.nonce)",
            "The answer to add shows outside.nonce: give it to the partner gateway's add (or key) for the same id.");

    private final PrintStream out;
    private final PrintStream err;
    public SessionCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public int run(List<String> args) {
        if (args.isEmpty() || args.contains("--help")) {
            out.println(HELP);
            return args.isEmpty() ? KeysCommand.EXIT_USAGE : 0;
        }
        String cmd = args.get(0);
        Map<String, String> o = ApiCall.options("isg session", args, err);
        if (o == null) {
            return KeysCommand.EXIT_USAGE;
        }
        if (!List.of("list", "show", "del", "add", "remote", "key").contains(cmd)) {
            err.println("isg session: unknown command '" + cmd + "'\n" + HELP);
            return KeysCommand.EXIT_USAGE;
        }
        return ApiCall.run("isg session", cmd, o, api -> request(api, cmd, o),
                r -> r.statusCode() == 204 ? "deleted " + o.get("--id") : r.body(), out, err);
    }

    private static HttpRequest.Builder request(String api, String cmd, Map<String, String> o) {
        switch (cmd) {
            case "list":
                return HttpRequest.newBuilder(URI.create(api + "/sessions")).GET();
            case "show":
                return HttpRequest.newBuilder(URI.create(api + "/sessions/" + need(o, "--id"))).GET();
            case "del":
                return HttpRequest.newBuilder(URI.create(api + "/sessions/" + need(o, "--id"))).DELETE();
            case "add":
                return HttpRequest.newBuilder(URI.create(api + "/sessions")).POST(HttpRequest.BodyPublishers.ofString(addBody(o)));
            default: // remote, key
                if (cmd.equals("key")) {
                    need(o, "--partner-nonce");
                }
                return HttpRequest.newBuilder(URI.create(api + "/sessions/" + need(o, "--id")))
                        .method("PATCH", HttpRequest.BodyPublishers.ofString(remoteBody(o)));
        }
    }

    static String need(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        return v;
    }

    private static String addBody(Map<String, String> o) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode n = m.createObjectNode();
        n.put("id", need(o, "--id"));
        n.put("mode", need(o, "--mode"));
        n.put("partner", need(o, "--partner"));
        ObjectNode in = n.putObject("inside");
        in.put("remote", need(o, "--inside-remote"));
        for (String[] f : new String[][] {{"--suite", "suite"}, {"--receive-key", "receiveKey"},
                {"--send-key", "sendKey"}, {"--mki", "mki"}}) {
            if (o.containsKey(f[0])) {
                in.put(f[1], o.get(f[0]));
            }
        }
        outside(n, o);
        return n.toString();
    }

    private static void outside(ObjectNode n, Map<String, String> o) {
        if (o.containsKey("--outside-remote") || o.containsKey("--partner-nonce")) {
            ObjectNode out = n.putObject("outside");
            if (o.containsKey("--outside-remote")) {
                out.put("remote", o.get("--outside-remote"));
            }
            if (o.containsKey("--partner-nonce")) {
                out.put("partnerNonce", o.get("--partner-nonce"));
            }
        }
    }

    private static String remoteBody(Map<String, String> o) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        if (o.containsKey("--inside-remote")) {
            n.putObject("inside").put("remote", o.get("--inside-remote"));
        }
        outside(n, o);
        return n.toString();
    }
}
