package isg;

import isg.bench.BenchCommand;
import isg.srtp.KnownAnswers;
import isg.srtp.crypto.CryptoBackend;
import isg.srtp.crypto.FipsBackend;
import java.io.PrintStream;
import java.util.List;

/**
 * The {@code isg} command. Every command that touches packets runs the engine's known-answer
 * self-test first; a failure stops the box (exit 70) before anything is forwarded.
 */
public final class Main {

    static final int EXIT_USAGE = 64;
    static final int EXIT_SELFTEST = 70;

    private static final String USAGE = String.join("\n",
            "usage: isg <command> [options]",
            "",
            "commands:",
            "  selftest            run the SRTP known-answer self-test on both crypto backends",
            "  bench [--quick] [--no-libsrtp]",
            "                      self-test, then packets/s of the engine (jdk and fips backends) and of",
            "                      libsrtp on this machine, as BENCH / BENCH-ALLOC / BENCH-RATIO lines",
            "  bench relay [--steps 250,500,1000,2000,3000,4000] [--seconds 10] [--warmup 3]",
            "                      the relay beside rtpengine under the same load, each on a core of its own",
            "  loadgen ...         the relay benchmark's load generator as a process (isg loadgen --help)",
            "  run --config FILE   run a gateway: vault, relay and control API from a YAML file",
            "  reload              re-read a running gateway's configuration and token file (isg reload --help)",
            "  firewall --config FILE [--ssh PORT]",
            "                      print the nftables ruleset that admits only what the configuration serves",
            "  alarm ack NAME      clear a latched alarm once its cause is dealt with (isg alarm --help)",
            "  demo [--seconds N] [--mqtt tcp://host:port] [--tamper-after N]",
            "                      two gateways on loopback with MC endpoints streaming through them both ways",
            "                      (one reprotect, one hop session); a status line per second; Ctrl-C stops it;",
            "                      the home board's tamper loop opens after N s, or by keys on a terminal:",
            "                      t (tamper loop), z (zeroise button), a (acknowledge the tamper alarm)",
            "  session <command>   sessions through a running gateway's control API: add, list, show, del, remote",
            "                      (isg session --help)",
            "  partner <command>   the partner systems through the control API: list, show (isg partner --help)",
            "  keys <command>      the key vault: list, generate, import, export-public, destroy, zeroize, audit",
            "                      (isg keys --help)",
            "  help                this text");

    private Main() {
    }

    public static void main(String[] args) {
        String logProblem = LogSetup.install(System.err);
        if (logProblem != null) {
            System.getLogger(Main.class.getName()).log(System.Logger.Level.WARNING, logProblem);
        }
        // Netty 4.2 registers its buffer allocator's JFR events at first use where JFR is present: about
        // 0.3 s of one core before the first packet (event classes spun by ASM). A box is rarely
        // recorded; -Dio.netty.jfr.enabled=true brings them back for a recording.
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        // Netty samples buffers for leak reports by default, which allocates on the packet path;
        // the tests run it at paranoid, the box runs without unless told otherwise
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(run(args, System.out, System.err));
    }

    /** {@code isg bench relay}: the full sweep of the relay beside rtpengine. */
    private static int relayBench(List<String> options, PrintStream out, PrintStream err) {
        String steps = "250,500,1000,2000,3000,4000";
        int[] n;
        double seconds = 10;
        double warmup = 3;
        try {
            for (int i = 0; i < options.size(); i += 2) {
                String v = i + 1 < options.size() ? options.get(i + 1) : null;
                switch (options.get(i)) {
                    case "--steps" -> steps = java.util.Objects.requireNonNull(v);
                    case "--seconds" -> seconds = Double.parseDouble(java.util.Objects.requireNonNull(v));
                    case "--warmup" -> warmup = Double.parseDouble(java.util.Objects.requireNonNull(v));
                    default -> throw new IllegalArgumentException(options.get(i));
                }
            }
            n = java.util.Arrays.stream(steps.split(",")).mapToInt(Integer::parseInt).toArray();
            if (n.length == 0 || java.util.Arrays.stream(n).anyMatch(x -> x < 1) || !(seconds > 0) || !(warmup >= 0)) {
                throw new IllegalArgumentException(steps);
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            err.println("isg bench relay: usage: isg bench relay [--steps N,N,...] [--seconds S] [--warmup S]"
                    + " (steps of 1 stream or more, seconds more than 0)");
            return EXIT_USAGE;
        }
        try {
            new isg.bench.RelayVersusBench(out, n, seconds, warmup).run();
            return 0;
        } catch (Exception e) {
            err.println("isg bench relay: " + e.getMessage());
            return 1;
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(USAGE);
            return EXIT_USAGE;
        }
        String command = args[0];
        List<String> options = List.of(args).subList(Math.min(1, args.length), args.length);
        try {
            switch (command) {
                case "selftest":
                    if (!selfTest(out, err)) {
                        return EXIT_SELFTEST;
                    }
                    out.println("relay transport (auto): " + isg.relay.Relay.autoTransport());
                    String stamps = isg.relay.ArrivalClock.unavailable();
                    out.println("relay arrival stamps (LATE): " + (stamps == null ? "available" : stamps));
                    return 0;
                case "bench":
                    if (!options.isEmpty() && options.get(0).equals("relay")) {
                        return relayBench(options.subList(1, options.size()), out, err);
                    }
                    for (String o : options) {
                        if (!o.equals("--quick") && !o.equals("--no-libsrtp")) {
                            err.println("isg bench: unknown option '" + o + "'\n" + USAGE);
                            return EXIT_USAGE;
                        }
                    }
                    if (!selfTest(out, err)) {
                        return EXIT_SELFTEST;
                    }
                    return new BenchCommand(out, options.contains("--quick"), !options.contains("--no-libsrtp")).run();
                case "demo": {
                    double seconds = 0;
                    double tamperAfter = 0;
                    String mqtt = null;
                    boolean usage = false;
                    for (int i = 0; i < options.size(); i += 2) {
                        String v = i + 1 < options.size() ? options.get(i + 1) : null;
                        if (v == null) {
                            usage = true;
                        } else if (options.get(i).equals("--seconds")) {
                            try {
                                seconds = Double.parseDouble(v);
                            } catch (NumberFormatException e) {
                                usage = true;
                            }
                        } else if (options.get(i).equals("--mqtt")) {
                            mqtt = v;
                        } else if (options.get(i).equals("--tamper-after")) {
                            try {
                                tamperAfter = Double.parseDouble(v);
                            } catch (NumberFormatException e) {
                                usage = true;
                            }
                        } else {
                            usage = true;
                        }
                    }
                    if (usage || seconds < 0 || tamperAfter < 0) {
                        err.println("isg demo: usage: isg demo [--seconds N] [--mqtt tcp://host:port] [--tamper-after N]");
                        return EXIT_USAGE;
                    }
                    if (!selfTest(out, err)) {
                        return EXIT_SELFTEST;
                    }
                    try {
                        // on a terminal the home board's keys work: t tamper loop, z zeroise, a acknowledge
                        return isg.demo.Demo.run(out, seconds, mqtt, tamperAfter,
                                System.console() != null ? System.in : null);
                    } catch (Exception e) {
                        err.println("isg demo: " + e);
                        return 1;
                    }
                }
                case "run":
                    if (options.size() != 2 || !options.get(0).equals("--config")) {
                        err.println("isg run: usage: isg run --config FILE");
                        return EXIT_USAGE;
                    }
                    return run(java.nio.file.Path.of(options.get(1)), out, err);
                case "session":
                    return new isg.cli.SessionCommand(out, err).run(options);
                case "loadgen":
                    if (options.contains("--help")) {
                        out.println(isg.loadgen.LoadGenCommand.USAGE);
                        return 0;
                    }
                    return new isg.loadgen.LoadGenCommand(out, err).run(options);
                case "keys":
                    return new isg.cli.KeysCommand(out, err).run(options);
                case "partner":
                    return new isg.cli.PartnerCommand(out, err).run(options);
                case "firewall":
                    return new isg.cli.FirewallCommand(out, err).run(options);
                case "reload":
                case "alarm":
                    return new isg.cli.AdminCommand(out, err).run(command, options);
                case "help":
                case "--help":
                case "-h":
                    out.println(USAGE);
                    return 0;
                default:
                    err.println("isg: unknown command '" + command + "'\n" + USAGE);
                    return EXIT_USAGE;
            }
        } catch (java.io.IOException e) {
            err.println("isg " + command + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * {@code isg run}: the configuration first (a wrong file exits 78 before anything starts), then
     * the known-answer test of the backend that will forward, then the gateway. Only that backend
     * gates forwarding: the other one does not protect a packet in this process, and testing it
     * would load the Bouncy Castle FIPS module (about two seconds of one core) before the first
     * packet. {@code isg selftest} tests every backend.
     */
    private static int run(java.nio.file.Path file, PrintStream out, PrintStream err) {
        isg.config.GatewayConfig config;
        try {
            config = isg.config.ConfigLoader.load(file);
        } catch (isg.config.ConfigException e) {
            err.println("isg run: " + e.getMessage());
            return 78;
        }
        if (!selfTest(List.of(config.relay().backend()), backends, out, err)) {
            return showSelfTestFailure(config, out, err);
        }
        return runGateway(file, config, out, err);
    }

    private static int runGateway(java.nio.file.Path file, isg.config.GatewayConfig config, PrintStream out,
            PrintStream err) {
        Gateway g;
        try {
            g = new Gateway(file, config);
        } catch (isg.config.ConfigException | isg.hsm.VaultException | java.io.IOException
                | isg.board.BoardException e) {
            err.println("isg run: " + e.getMessage());
            return e instanceof isg.config.ConfigException ? 78
                    : e instanceof isg.hsm.VaultException v ? isg.cli.KeysCommand.exitCode(v) : 69;
        }
        String reloadHow = "POST /reload on the control API (isg reload) reloads " + file;
        try {
            sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
                try {
                    out.println("configuration reloaded: " + g.reload("SIGHUP"));
                } catch (isg.config.ConfigException | isg.relay.RelayException e) {
                    err.println("reload refused, the running configuration stays: " + e.getMessage());
                }
            });
            if (before == sun.misc.SignalHandler.SIG_IGN) {
                // started under nohup (or with SIGHUP ignored otherwise): the JVM installs no handler then
                err.println("SIGHUP is ignored in this process (started under nohup?): it does not reload; use "
                        + "isg reload");
            } else {
                reloadHow = "SIGHUP or " + reloadHow;
            }
        } catch (IllegalArgumentException noSignal) {
            err.println("no SIGHUP on this platform: use isg reload");
        }
        java.net.InetSocketAddress api = g.control().address();
        String running = "gateway " + g.config().relay().gatewayId() + " running; control API on "
                + (api.getAddress() instanceof java.net.Inet6Address ? "[" + api.getHostString() + "]" : api.getHostString())
                + ":" + api.getPort();
        out.println(running + "; " + reloadHow + "; SIGTERM/Ctrl-C stops");
        markRunning(System.getProperty("isg.runningMark"));
        isg.status.SystemdNotify systemd = isg.status.SystemdNotify.fromEnvironment();
        java.util.concurrent.ScheduledExecutorService watchdog = null;
        if (systemd != null) {
            systemd.ready(running + ", relay " + g.relay().transport());
            java.time.Duration every = systemd.watchdog();
            if (every != null) {
                // systemd's watchdog (WatchdogSec=) restarts a process whose loops stop answering; the
                // hardware watchdog stays with systemd (RuntimeWatchdogSec=), which owns /dev/watchdog
                java.time.Duration half = every.dividedBy(2);
                watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "isg-systemd-watchdog");
                    t.setDaemon(true);
                    return t;
                });
                watchdog.scheduleAtFixedRate(() -> {
                    if (g.relay().loopsAnswer(half)) {
                        systemd.watchdogAlive();
                    } else {
                        System.getLogger("isg.Main").log(System.Logger.Level.ERROR, "a relay event loop did not "
                                + "answer within " + half.toMillis() + " ms: no watchdog ping, systemd will restart ISG");
                    }
                }, 0, Math.max(1, half.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        java.util.concurrent.ScheduledExecutorService pinger = watchdog;
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (systemd != null) {
                systemd.stopping();
                if (pinger != null) {
                    pinger.shutdownNow();
                }
            }
            g.close();
            if (systemd != null) {
                systemd.close();
            }
            done.countDown();
        }));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /**
     * Creates {@code mark} (when given) once the gateway runs. The start script lists the classes a
     * start loads and archives them at the next start (class-data sharing); only the list of a start
     * that got this far is worth archiving: one that stopped at a configuration error would leave
     * every later start with half an archive.
     */
    private static void markRunning(String mark) {
        if (mark == null || mark.isEmpty()) {
            return;
        }
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of(mark), "");
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            System.getLogger("isg.Main").log(System.Logger.Level.WARNING, "cannot mark this start as running ("
                    + mark + "): the next start will not archive its classes: " + e.getMessage());
        }
    }

    /** Where the self-test gets its backends; tests swap in a broken one to see the box stop. */
    static java.util.function.Function<String, CryptoBackend> backends = CryptoBackend::named;

    /** The self-test of {@code isg selftest}, the demo and the benchmarks: every RFC vector on every backend. */
    static boolean selfTest(PrintStream out, PrintStream err) {
        return selfTest(List.of("jdk", "fips"), backends, out, err);
    }

    /**
     * The self-test failed under {@code isg run}: the configured front panel shows it (RUN blinks
     * fast, ALARM on) for {@code isg.selftest.holdSeconds} (default 30) so someone at the rack sees
     * it, then the process exits 70 and forwards nothing.
     */
    private static int showSelfTestFailure(isg.config.GatewayConfig c, PrintStream out, PrintStream err) {
        try (isg.board.Board board = c.boardKind().equals("gpio")
                ? isg.board.GpioBoard.openGpiod(isg.board.PinMap.named(c.boardPins()), java.time.Duration.ofSeconds(3))
                : new isg.board.SimulatedBoard()) {
            isg.box.FrontPanel.selfTestFailed(board);
            out.println("front panel: " + board.render());
            Thread.sleep(Long.getLong("isg.selftest.holdSeconds", 30) * 1000);
        } catch (isg.board.BoardException e) {
            err.println("isg run: cannot show the self-test failure on the front panel: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return EXIT_SELFTEST;
    }

    static boolean selfTest(List<String> names, java.util.function.Function<String, CryptoBackend> backends,
            PrintStream out, PrintStream err) {
        for (String name : names) {
            try {
                CryptoBackend backend = backends.apply(name);
                List<String> ran = KnownAnswers.runAll(backend);
                out.println("self-test " + name + ": passed " + String.join(", ", ran)
                        + (name.equals("fips") && FipsBackend.approvedOnly() ? " (approved-only mode)" : ""));
            } catch (RuntimeException | Error e) {
                // a wrong answer, a refused key or an unapproved operation in FIPS mode alike
                err.println("self-test " + name + " FAILED: " + e.getMessage());
                err.println("ISG stops here: a crypto backend that fails its known-answer test must not forward traffic.");
                return false;
            }
        }
        String ghash = isg.srtp.crypto.JdkBackend.ghashImplementation();
        out.println("jdk backend GHASH: " + ghash);
        return true;
    }
}
