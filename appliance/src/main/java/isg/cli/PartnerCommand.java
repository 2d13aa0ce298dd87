package isg.cli;

import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/**
 * {@code isg partner list | show --id ID}: the partner systems through the control API (their
 * configuration, channel state, the rules that name them and the decisions taken). Exit status as
 * {@link SessionCommand}.
 */
public final class PartnerCommand {

    static final String HELP = String.join("\n",
            "usage: isg partner list|show [--id ID] [--api URL] --token-file FILE [--ca FILE]",
            "  list               every partner: domains, groups, channel state, rules, decisions (JSON)",
            "  show --id ID       one partner",
            ApiCall.OPTIONS);

    private final PrintStream out;
    private final PrintStream err;

    public PartnerCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public int run(List<String> args) {
        if (args.isEmpty() || args.contains("--help")) {
            out.println(HELP);
            return args.isEmpty() ? KeysCommand.EXIT_USAGE : 0;
        }
        String cmd = args.get(0);
        Map<String, String> o = ApiCall.options("isg partner", args, err);
        if (o == null) {
            return KeysCommand.EXIT_USAGE;
        }
        if (!cmd.equals("list") && !cmd.equals("show")) {
            err.println("isg partner: unknown command '" + cmd + "'\n" + HELP);
            return KeysCommand.EXIT_USAGE;
        }
        return ApiCall.run("isg partner", cmd, o, api -> HttpRequest.newBuilder(ApiCall.uri(api, cmd.equals("list")
                ? "/partners" : "/partners/" + SessionCommand.need(o, "--id"))).GET(), HttpResponse::body, out, err);
    }
}
