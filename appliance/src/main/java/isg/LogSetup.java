package isg;

import java.io.PrintStream;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * How the box logs: one line per record on stderr (the JDK's default takes two), so each record
 * is one journald entry; under systemd ({@code JOURNAL_STREAM} set) each line starts with its
 * sd-daemon priority ({@code <3>} error, {@code <4>} warning, {@code <6>} info, {@code <7>} debug)
 * and carries no time of its own (the journal stamps it). The level is {@code ISG_LOG_LEVEL} or
 * {@code -Disg.log.level}: error, warning, info (the default) or debug. Netty logs through the same
 * handler. Nothing here ever adds a secret: records carry what their callers wrote.
 */
public final class LogSetup {

    private LogSetup() {
    }

    /** Parses a level name; null for one that is not known. */
    static Level level(String name) {
        if (name == null) {
            return Level.INFO;
        }
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "error":
                return Level.SEVERE;
            case "warning":
            case "warn":
                return Level.WARNING;
            case "info":
                return Level.INFO;
            case "debug":
                return Level.FINE;
            default:
                return null;
        }
    }

    /** Installs the one-line handler on the root logger; returns a problem with the level setting, or null. */
    public static String install(PrintStream to) {
        String asked = System.getProperty("isg.log.level", System.getenv("ISG_LOG_LEVEL"));
        Level level = level(asked);
        String problem = null;
        if (level == null) {
            problem = "log level '" + asked + "' is not error, warning, info or debug; using info";
            level = Level.INFO;
        }
        boolean journal = System.getenv("JOURNAL_STREAM") != null;
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(level);
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (isLoggable(r)) {
                    to.print(getFormatter().format(r));
                    to.flush();
                }
            }

            @Override
            public void flush() {
                to.flush();
            }

            @Override
            public void close() {
                flush();
            }
        };
        h.setLevel(level);
        h.setFormatter(new OneLine(journal));
        root.addHandler(h);
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
                io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
        return problem;
    }

    /** {@code time LEVEL logger: message[; exception]} on one line, or {@code <p>logger: message} for journald. */
    static final class OneLine extends Formatter {
        private final boolean journal;

        OneLine(boolean journal) {
            this.journal = journal;
        }

        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(160);
            int v = r.getLevel().intValue();
            if (journal) {
                b.append('<').append(v >= Level.SEVERE.intValue() ? 3 : v >= Level.WARNING.intValue() ? 4
                        : v >= Level.INFO.intValue() ? 6 : 7).append('>');
            } else {
                b.append(r.getInstant()).append(' ').append(v >= Level.SEVERE.intValue() ? "ERROR"
                        : v >= Level.WARNING.intValue() ? "WARN " : v >= Level.INFO.intValue() ? "INFO " : "DEBUG")
                        .append(' ');
            }
            b.append(r.getLoggerName()).append(": ").append(formatMessage(r));
            for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                b.append(t == r.getThrown() ? "; " : "; caused by ").append(t.getClass().getName());
                if (t.getMessage() != null) {
                    b.append(": ").append(t.getMessage());
                }
                StackTraceElement[] at = t.getStackTrace();
                if (at.length > 0) {
                    b.append(" at ").append(at[0]);
                }
            }
            // a message with line breaks must still be one record: the journal splits on them
            for (int i = 0; i < b.length(); i++) {
                if (b.charAt(i) == '\n' || b.charAt(i) == '\r') {
                    b.setCharAt(i, ' ');
                }
            }
            return b.append('\n').toString();
        }
    }
}
