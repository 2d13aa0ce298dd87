package isg.srtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.srtp.crypto.Bytes;
import isg.srtp.crypto.CryptoBackend;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Closing a context overwrites the key material ISG holds: the session keys, salts, HMAC pads and
 * GHASH subkey tables derived from the master key are searched for, by value, in every array
 * reachable from the context through ISG's own objects; found before close, gone after. (The JDK
 * cipher's internal key schedule is out of reach of any Java code and is not searched.)
 */
class CloseWipesKeysTest {

    /** Every byte[] and long[] reachable from {@code root} through objects of ISG's classes. */
    private static List<Object> arrays(Object root) throws IllegalAccessException {
        List<Object> found = new ArrayList<>();
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        List<Object> todo = new ArrayList<>(List.of(root));
        while (!todo.isEmpty()) {
            Object o = todo.remove(todo.size() - 1);
            if (o == null || seen.put(o, true) != null) {
                continue;
            }
            if (o instanceof byte[] || o instanceof long[]) {
                found.add(o);
                continue;
            }
            if (o instanceof Object[]) {
                todo.addAll(java.util.Arrays.asList((Object[]) o));
                continue;
            }
            if (!o.getClass().getName().startsWith("isg.")) {
                continue;
            }
            for (Class<?> c = o.getClass(); c != null && c.getName().startsWith("isg."); c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
                        f.setAccessible(true);
                        todo.add(f.get(o));
                    }
                }
            }
        }
        return found;
    }

    private static boolean contains(List<Object> arrays, byte[] needle) {
        for (Object a : arrays) {
            if (a instanceof byte[]) {
                byte[] h = (byte[]) a;
                outer:
                for (int i = 0; i + needle.length <= h.length; i++) {
                    for (int j = 0; j < needle.length; j++) {
                        if (h[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    return true;
                }
            } else {
                long want = Bytes.getLong(needle, 0);
                for (long v : (long[]) a) {
                    if (v == want) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("isg.srtp.Backends#withEverySuite")
    void closeOverwritesEverySessionKeyTheContextHeld(CryptoBackend backend, SrtpSuite suite) throws Exception {
        Random r = new Random(suite.ordinal());
        MasterKey master = TestPackets.randomKey(suite, null, r);
        byte[] mk = master.key().clone();
        byte[] ms = master.salt().clone();
        List<byte[]> secrets = new ArrayList<>();
        for (int label : new int[] {KeyDerivation.LABEL_SRTP_SALT, KeyDerivation.LABEL_SRTCP_SALT}) {
            secrets.add(KeyDerivation.derive(CryptoBackend.named("jdk"), mk, ms, label, suite.masterSaltLength()));
        }
        for (int label : new int[] {KeyDerivation.LABEL_SRTP_ENCRYPTION, KeyDerivation.LABEL_SRTCP_ENCRYPTION}) {
            byte[] k = KeyDerivation.derive(CryptoBackend.named("jdk"), mk, ms, label, suite.masterKeyLength());
            if (backend.name().equals("fips")) {
                secrets.add(k); // the fips backend keeps the key bytes for its per-packet JCA init
            }
            if (suite.aead() && backend.name().equals("jdk")) {
                Cipher aes = Cipher.getInstance("AES/ECB/NoPadding");
                aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(k, "AES"));
                secrets.add(aes.doFinal(new byte[16])); // the GHASH subkey H
            }
        }
        if (!suite.aead() && backend.name().equals("jdk")) {
            for (int label : new int[] {KeyDerivation.LABEL_SRTP_AUTH, KeyDerivation.LABEL_SRTCP_AUTH}) {
                byte[] ipad = KeyDerivation.derive(CryptoBackend.named("jdk"), mk, ms, label, 20);
                for (int i = 0; i < ipad.length; i++) {
                    ipad[i] ^= 0x36;
                }
                secrets.add(ipad);
            }
        }
        SrtpSender tx = new SrtpSender(SrtpPolicy.builder(suite).backend(backend).build(), master);
        assertEquals(SrtpStatus.OK, tx.protectRtp(TestPackets.withRoom(TestPackets.rtp(1, 5, 100, r))));
        List<Object> before = arrays(tx);
        for (byte[] s : secrets) {
            assertTrue(contains(before, s), "the search must find " + Bytes.toHex(s) + " while the context is open");
        }
        tx.close();
        List<Object> after = arrays(tx);
        for (Object a : before) {
            after.add(a); // the arrays the context dropped must be wiped too, not just unlinked
        }
        for (byte[] s : secrets) {
            assertFalse(contains(after, s), "still present after close: " + Bytes.toHex(s));
        }
    }

    /** Close from another thread while packets flow: every packet that came out OK is genuine. */
    @Test
    void closingWhileProtectingNeverEmitsAPacketUnderHalfWipedKeys() throws Exception {
        for (CryptoBackend backend : Backends.all().toArray(CryptoBackend[]::new)) {
            for (SrtpSuite suite : new SrtpSuite[] {SrtpSuite.AEAD_AES_128_GCM, SrtpSuite.AES_CM_128_HMAC_SHA1_80}) {
                Random r = new Random(11);
                MasterKey key = TestPackets.randomKey(suite, null, r);
                SrtpPolicy p = SrtpPolicy.builder(suite).backend(backend).build();
                SrtpSender tx = new SrtpSender(p, key);
                List<byte[]> sent = new ArrayList<>();
                AtomicBoolean started = new AtomicBoolean();
                Thread sender = new Thread(() -> {
                    for (int seq = 0; seq < 60000; seq++) {
                        PacketBuffer b = TestPackets.withRoom(TestPackets.rtp(seq, 9, 160, new Random(seq)));
                        SrtpStatus s = tx.protectRtp(b);
                        started.set(true);
                        if (s == SrtpStatus.CLOSED) {
                            return;
                        }
                        sent.add(b.toByteArray());
                    }
                });
                sender.start();
                while (!started.get()) {
                    Thread.onSpinWait();
                }
                Thread.sleep(5);
                tx.close();
                sender.join();
                try (SrtpReceiver rx = new SrtpReceiver(p, key)) {
                    for (int i = 0; i < sent.size(); i++) {
                        PacketBuffer b = TestPackets.withRoom(sent.get(i));
                        assertEquals(SrtpStatus.OK, rx.unprotectRtp(b), backend.name() + " " + suite + " packet " + i);
                        assertEquals(Bytes.toHex(TestPackets.rtp(i, 9, 160, new Random(i))), Bytes.toHex(b.toByteArray()));
                    }
                }
            }
        }
    }
}
