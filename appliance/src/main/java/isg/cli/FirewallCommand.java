package isg.cli;

import isg.box.Firewall;
import isg.config.ConfigException;
import isg.config.ConfigLoader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code isg firewall --config FILE [--ssh PORT]...}: prints the box's nftables ruleset for that
 * configuration (see {@link Firewall}); load it with {@code nft -f}.
 */
public final class FirewallCommand {

    static final String USAGE = String.join("\n",
            "usage: isg firewall --config FILE [--ssh PORT]...",
            "  prints the nftables ruleset that lets in only what the configuration serves: the control API",
            "  (and SSH, with --ssh) on the management address, the inside port range and TCP services, and on",
            "  the outside the port range and the channel from the partners' addresses; everything else is",
            "  dropped and counted. Load it with: isg firewall --config FILE > isg.nft && nft -f isg.nft");

    private final PrintStream out;
    private final PrintStream err;

    public FirewallCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public int run(List<String> options) {
        Path config = null;
        List<Integer> ssh = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) {
            String o = options.get(i);
            if (o.equals("--help") || o.equals("-h")) {
                out.println(USAGE);
                return 0;
            }
            String v = i + 1 < options.size() ? options.get(++i) : null;
            if (o.equals("--config") && v != null && config == null) {
                config = Path.of(v);
            } else if (o.equals("--ssh") && v != null) {
                try {
                    int port = Integer.parseInt(v);
                    if (port < 1 || port > 65535) {
                        throw new NumberFormatException();
                    }
                    ssh.add(port);
                } catch (NumberFormatException e) {
                    err.println("isg firewall: --ssh takes a TCP port 1-65535, got '" + v + "'");
                    return 64;
                }
            } else {
                err.println("isg firewall: " + (v == null ? o + " needs a value" : "unknown option '" + o + "'") + "\n"
                        + USAGE);
                return 64;
            }
        }
        if (config == null) {
            err.println("isg firewall: --config FILE is required\n" + USAGE);
            return 64;
        }
        try {
            out.print(Firewall.generate(ConfigLoader.load(config), ssh));
            out.flush();
            return 0;
        } catch (ConfigException e) {
            err.println("isg firewall: " + e.getMessage());
            return 78;
        }
    }
}
