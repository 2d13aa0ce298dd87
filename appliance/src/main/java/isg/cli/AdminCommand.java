package isg.cli;

import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code isg reload} and {@code isg alarm ack NAME}: operator steps on a running gateway through
 * its control API, for boxes where a signal cannot reach the process (started under nohup, in a
 * container) or must not be the only way. Exit status as {@link SessionCommand}; a reload the
 * gateway refuses exits 65 with its reason.
 */
public final class AdminCommand {

    static final String HELP = String.join("\n",
            "usage: isg reload [--api URL] --token-file FILE",
            "       isg alarm ack NAME [--api URL] --token-file FILE",
            "  reload             re-read the configuration file and the token file; prints what was applied, or",
            "                     why nothing was (a field that takes a restart, a file that does not validate)",
            "  alarm ack NAME     clear a latched alarm whose cause is over (tamper: the loop is closed again; the",
            "                     box stays zeroised and refuses sessions until it is re-keyed and restarted)",
            ApiCall.OPTIONS);

    private final PrintStream out;
    private final PrintStream err;

    public AdminCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public int run(String command, List<String> args) {
        if (args.contains("--help")) {
            out.println(HELP);
            return 0;
        }
        if (command.equals("reload")) {
            List<String> withCommand = new ArrayList<>(List.of("reload"));
            withCommand.addAll(args);
            Map<String, String> o = ApiCall.options("isg", withCommand, err);
            if (o == null) {
                return KeysCommand.EXIT_USAGE;
            }
            return ApiCall.run("isg", "reload", o, api -> HttpRequest.newBuilder(ApiCall.uri(api, "/reload"))
                    .POST(HttpRequest.BodyPublishers.noBody()), HttpResponse::body, out, err);
        }
        if (args.size() < 2 || !args.get(0).equals("ack")) {
            err.println(HELP);
            return KeysCommand.EXIT_USAGE;
        }
        String name = args.get(1);
        if (!name.matches("[A-Za-z0-9:._-]{1,80}")) {
            err.println("isg alarm ack: '" + name + "' is not an alarm name");
            return KeysCommand.EXIT_USAGE;
        }
        List<String> rest = new ArrayList<>(List.of("ack"));
        rest.addAll(args.subList(2, args.size()));
        Map<String, String> o = ApiCall.options("isg alarm", rest, err);
        if (o == null) {
            return KeysCommand.EXIT_USAGE;
        }
        return ApiCall.run("isg alarm", "ack", o, api -> HttpRequest.newBuilder(ApiCall.uri(api, "/alarms/" + name
                + "/ack")).POST(HttpRequest.BodyPublishers.noBody()), HttpResponse::body, out, err);
    }
}
