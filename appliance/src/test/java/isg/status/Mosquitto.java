package isg.status;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A real Mosquitto broker for a test: 127.0.0.1, a free port, started here and stopped by its PID. */
public final class Mosquitto implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/sbin/mosquitto");

    final int port;
    private final Path conf;
    private Process process;

    public Mosquitto(Path dir) throws IOException, InterruptedException {
        this(dir, null);
    }

    /** A TLS listener on {@link #tlsPort} as well, with these mosquitto.conf lines (cafile, certfile, ...). */
    final int tlsPort;

    Mosquitto(Path dir, String tlsListenerLines) throws IOException, InterruptedException {
        this(dir, tlsListenerLines, "");
    }

    /** With these global mosquitto.conf lines as well (limits such as max_inflight_messages). */
    static Mosquitto withSettings(Path dir, String globalLines) throws IOException, InterruptedException {
        return new Mosquitto(dir, null, globalLines);
    }

    private Mosquitto(Path dir, String tlsListenerLines, String globalLines) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: the README's test command installs mosquitto");
        }
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        if (tlsListenerLines != null) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                tlsPort = s.getLocalPort();
            }
        } else {
            tlsPort = -1;
        }
        conf = dir.resolve("mosquitto.conf");
        // as root, mosquitto would drop to its own user, which cannot read a test's private temp dir
        Files.writeString(conf, "user " + System.getProperty("user.name") + "\nper_listener_settings true\nlistener " + port + " 127.0.0.1\nallow_anonymous true\n"
                + (tlsListenerLines == null ? "" : "listener " + tlsPort + " 127.0.0.1\nallow_anonymous true\n"
                        + tlsListenerLines + "\n") + "persistence false\n" + globalLines);
        start();
    }

    void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(BINARY.toString(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IOException("mosquitto did not start on port " + port);
    }

    public String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    /** Stops the broker by its PID. */
    void stop() throws InterruptedException {
        if (process != null) {
            ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
