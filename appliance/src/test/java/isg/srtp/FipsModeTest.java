package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import isg.srtp.crypto.FipsBackend;
import org.junit.jupiter.api.Test;

/**
 * Proves which mode the BC FIPS module runs in for this test run, so the approved-only execution
 * of this suite cannot silently run in the general mode (and the default one not the reverse).
 */
class FipsModeTest {

    @Test
    void theModuleRunsInTheModeThisTestRunAskedFor() {
        boolean asked = Boolean.getBoolean("org.bouncycastle.fips.approved_only");
        assertEquals(asked, FipsBackend.approvedOnly());
        KnownAnswers.runAll(FipsBackend.instance());
    }
}
