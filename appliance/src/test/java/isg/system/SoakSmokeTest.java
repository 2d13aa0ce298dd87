package isg.system;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.box.Sh;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's short form, so that it cannot rot: 40 streams for 20 s through the whole system. */
class SoakSmokeTest {

    @TempDir
    Path dir;

    @Test
    void fortyStreamsForTwentySecondsHoldEverythingTheSoakChecks() throws Exception {
        assertTrue(Sh.root(), "network namespaces need root (CI runs as root)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String failure = Soak.run(dir, 20, 40, new PrintStream(out, true, StandardCharsets.UTF_8));
        String said = out.toString(StandardCharsets.UTF_8);
        System.out.print(said);
        assertNull(failure, said);
        assertTrue(said.matches("(?s).*SOAK-RESULT streams=40 .* bad=0 .* unaccounted=0 leaks=0 .*PASS.*"), said);
    }
}
