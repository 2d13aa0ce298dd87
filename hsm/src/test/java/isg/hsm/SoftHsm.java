package isg.hsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real SoftHSM2 token for this test run: a fresh token directory, the configuration file that
 * {@code SOFTHSM2_CONF} (set by the build) points at, and a token initialised with
 * {@code softhsm2-util}. Also runs {@code pkcs11-tool} against it.
 */
public final class SoftHsm {

    public static final Path MODULE = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    public static final String LABEL = "isg-test";
    public static final String PIN = "1234";
    static final String SO_PIN = "12345678";

    private static SoftHsm instance;

    final Path conf;
    public final Path pinFile;

    private SoftHsm(Path conf, Path pinFile) {
        this.conf = conf;
        this.pinFile = pinFile;
    }

    public static synchronized SoftHsm get() throws IOException, InterruptedException {
        if (instance == null) {
            String env = System.getenv("SOFTHSM2_CONF");
            if (env == null) {
                throw new IllegalStateException("SOFTHSM2_CONF is not set: run the tests through Maven");
            }
            if (!Files.isRegularFile(MODULE)) {
                throw new IllegalStateException(MODULE + " is missing: the README's test command installs softhsm2");
            }
            Path conf = Path.of(env);
            Path tokens = conf.getParent().resolve("tokens-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            Files.createDirectories(tokens);
            Files.writeString(conf, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
            run(List.of("softhsm2-util", "--init-token", "--free", "--label", LABEL, "--so-pin", SO_PIN, "--pin", PIN), conf);
            Path pin = conf.getParent().resolve("user.pin");
            Files.writeString(pin, PIN + "\n");
            // a PIN file others can read is refused by the gateway at start
            Files.setPosixFilePermissions(pin, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            instance = new SoftHsm(conf, pin);
        }
        return instance;
    }

    public Pkcs11Config config() {
        return new Pkcs11Config(MODULE, LABEL, pinFile);
    }

    /** pkcs11-tool's listing of the token's objects, logged in. */
    public String listObjects() throws IOException, InterruptedException {
        return run(List.of("pkcs11-tool", "--module", MODULE.toString(), "--token-label", LABEL, "--login", "--pin", PIN,
                "--list-objects"), conf);
    }

    static String run(List<String> cmd, Path conf) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }
}
