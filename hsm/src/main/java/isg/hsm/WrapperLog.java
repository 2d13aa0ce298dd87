package isg.hsm;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The PKCS#11 wrapper's log, which it otherwise prints on standard output (its licence banner,
 * every session it opens) where it mixes into command output such as {@code isg keys
 * export-public}: routed to the JDK log as {@code org.xipki.pkcs11}, its info lines at debug level
 * (they describe the module's calls, not the box's state).
 */
final class WrapperLog implements org.xipki.pkcs11.wrapper.Logger {

    private static final Logger LOG = Logger.getLogger("org.xipki.pkcs11");

    static void install() {
        org.xipki.pkcs11.wrapper.StaticLogger.setLogger(new WrapperLog());
    }

    /** The wrapper's "{}" placeholders filled in order. */
    static String format(String pattern, Object... args) {
        if (args == null || args.length == 0) {
            return pattern;
        }
        StringBuilder b = new StringBuilder(pattern.length() + 32);
        int from = 0;
        for (Object a : args) {
            int at = pattern.indexOf("{}", from);
            if (at < 0) {
                break;
            }
            b.append(pattern, from, at).append(a);
            from = at + 2;
        }
        return b.append(pattern, from, pattern.length()).toString();
    }

    private static void log(Level level, String format, Object... args) {
        if (LOG.isLoggable(level)) {
            Throwable t = args != null && args.length > 0 && args[args.length - 1] instanceof Throwable th ? th : null;
            LOG.log(level, format(format, args), t);
        }
    }

    @Override
    public void info(String format, Object... args) {
        log(Level.FINE, format, args);
    }

    @Override
    public void warn(String format, Object... args) {
        log(Level.WARNING, format, args);
    }

    @Override
    public void error(String format, Object... args) {
        log(Level.SEVERE, format, args);
    }

    @Override
    public void debug(String format, Object... args) {
        log(Level.FINER, format, args);
    }

    @Override
    public void trace(String format, Object... args) {
        log(Level.FINEST, format, args);
    }

    @Override
    public boolean isDebugEnabled() {
        return LOG.isLoggable(Level.FINER);
    }

    @Override
    public boolean isInfoEnabled() {
        return LOG.isLoggable(Level.FINE);
    }

    @Override
    public boolean isWarnEnabled() {
        return LOG.isLoggable(Level.WARNING);
    }

    @Override
    public boolean isTraceEnabled() {
        return LOG.isLoggable(Level.FINEST);
    }
}
