package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Messages made by another implementation parse, verify and open here. */
class MikeyMessageTest {

    @Test
    void streamwideMessagesParseVerifyAndOpen() throws Exception {
        Sakke.KmsKey kms = Sakke.kmsKey(StreamwideVectors.hex("kms.z"));
        byte[] kpak = StreamwideVectors.hex("kms.kpak");
        String[][] cases = {{"gmk", "gms", "alice"}, {"csk", "alice", "gms"}, {"pck", "alice", "bob"}};
        for (String[] c : cases) {
            MikeyMessage m = MikeyMessage.parse(StreamwideVectors.message(c[0]));
            assertArrayEquals(StreamwideVectors.hex(c[1] + ".uid"), m.identity(MikeyMessage.ROLE_UID_I), c[0]);
            assertArrayEquals(StreamwideVectors.hex(c[2] + ".uid"), m.identity(MikeyMessage.ROLE_UID_R), c[0]);
            assertArrayEquals(StreamwideVectors.hex(c[0] + ".rand"), m.rand(), c[0]);
            assertTrue(Eccsi.verify(kpak, m.identity(MikeyMessage.ROLE_UID_I), m.signedPart(), m.signature()), c[0]);
            byte[] ssv = Sakke.decapsulate(m.sakkeData(), StreamwideVectors.hex(c[2] + ".uid"),
                    StreamwideVectors.hex(c[2] + ".rsk"), kms);
            assertArrayEquals(StreamwideVectors.hex(c[0] + ".key"), ssv, c[0]);
        }
    }
}
