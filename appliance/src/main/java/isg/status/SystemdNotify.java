package isg.status;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The systemd service notification protocol (sd_notify(3)): a datagram of {@code KEY=value} lines to
 * the AF_UNIX socket named by {@code $NOTIFY_SOCKET}. {@code READY=1} once the gateway forwards,
 * {@code WATCHDOG=1} from the liveness check while the process's loops answer, {@code STOPPING=1} at
 * shutdown, {@code STATUS=} for {@code systemctl status}. Outside systemd (no NOTIFY_SOCKET) every call
 * does nothing.
 *
 * <p>The JDK cannot send AF_UNIX datagrams, so this uses the datagram socket of Netty's native
 * transport library (already shipped for the relay, for x86_64 and aarch64).
 */
public final class SystemdNotify implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SystemdNotify.class.getName());

    private final byte[] path;
    private final String shown;
    private final Duration watchdog;
    private final Socket socket;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(512);

    private SystemdNotify(String socketPath, Duration watchdog) throws IOException {
        this.shown = socketPath;
        byte[] p = socketPath.getBytes(StandardCharsets.UTF_8);
        if (p[0] == '@') {
            p[0] = 0; // abstract namespace
        }
        this.path = p;
        this.watchdog = watchdog;
        Epoll.ensureAvailability();
        this.socket = Socket.newSocketDomainDgram();
    }

    /**
     * From the environment systemd gives a service; null outside systemd, or when the socket cannot
     * be used (logged: the service then fails its start timeout, which says the same).
     */
    public static SystemdNotify fromEnvironment() {
        String s = System.getenv("NOTIFY_SOCKET");
        if (s == null || s.isEmpty()) {
            return null;
        }
        Duration wd = null;
        String usec = System.getenv("WATCHDOG_USEC");
        String pid = System.getenv("WATCHDOG_PID");
        if (usec != null && (pid == null || pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            try {
                long us = Long.parseLong(usec.trim());
                wd = us > 0 ? Duration.ofNanos(us * 1000) : null;
            } catch (NumberFormatException e) {
                LOG.log(System.Logger.Level.WARNING, "WATCHDOG_USEC is not a number ('" + usec + "'): no watchdog pings");
            }
        }
        try {
            return new SystemdNotify(s, wd);
        } catch (IOException | UnsatisfiedLinkError | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot notify systemd at " + s + ": " + e);
            return null;
        }
    }

    /** The watchdog interval systemd asked for, or null when it asked for none. */
    public Duration watchdog() {
        return watchdog;
    }

    public void ready(String status) {
        send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    public void watchdogAlive() {
        send("WATCHDOG=1");
    }

    public void status(String status) {
        send("STATUS=" + oneLine(status));
    }

    public void stopping() {
        send("STOPPING=1");
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    private synchronized void send(String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        buffer.clear();
        buffer.put(m, 0, Math.min(m.length, buffer.capacity()));
        buffer.flip();
        try {
            socket.sendToDomainSocket(buffer, buffer.position(), buffer.limit(), path);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "systemd notification to " + shown + " failed: " + e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to tell systemd
        }
    }
}
