package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.Actor;
import isg.hsm.AuditLog;
import isg.hsm.KeyInfo;
import isg.hsm.KeyPurpose;
import isg.hsm.KeyVault;
import isg.hsm.Pkcs11Vault;
import isg.hsm.SoftHsm;
import isg.hsm.SoftVault;
import isg.hsm.VaultException;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.JdkBackend;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MC keys at rest: a GMK received by MIKEY-SAKKE stays in the vault (as a key that runs HMAC
 * there, never read out), with what media needs beside it, and after a restart the gateway
 * receives the group's media and sends into it with no I_MESSAGE sent again. On the software
 * token and on a real PKCS#11 token (SoftHSM2, which refuses HMAC keys shorter than 32 octets:
 * the 128-bit GMK is kept zero-padded, which keys the same HMAC).
 */
class KeyRingRestartTest {

    private static final Instant SW_TIME = Instant.ofEpochSecond(0xec86684fL - McIdentity.NTP_UNIX_OFFSET);
    private static final int CS_ID_MCPTT_GROUP = 4;

    @TempDir
    Path dir;

    private KeyVault open(String kind, boolean fresh, Clock clock) throws Exception {
        if (kind.equals("soft")) {
            return SoftVault.open(dir.resolve("k.bcfks"), "pass".toCharArray(), fresh, AuditLog.inMemory(), clock);
        }
        if (fresh) {
            try (Pkcs11Vault v = Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory())) {
                for (KeyInfo k : v.list(Actor.INTERNAL)) {
                    v.destroy(Actor.INTERNAL, k.uri());
                }
            }
        }
        return Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory(), clock);
    }

    private static McConfig config() {
        return new McConfig(Duration.ofMinutes(5), List.of(new McConfig.Domain("streamwide", "kms.mydev.streamwide.com",
                StreamwideVectors.hex("kms.kpak"), StreamwideVectors.hex("kms.z"),
                new McIdentity.KeyPeriod(16_777_215, 0), StreamwideVectors.text("alice.uri"), null)), Map.of(), List.of(),
                16, Duration.ofMinutes(5), 50);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"soft", "pkcs11"})
    void aGmkReceivedBeforeARestartKeysGroupMediaAfterIt(String kind) throws Exception {
        Clock clock = Clock.fixed(SW_TIME, ZoneOffset.UTC);
        byte[] gmk = StreamwideVectors.hex("gmk.key");
        byte[] rand = StreamwideVectors.hex("gmk.rand");
        int gmkId = StreamwideVectors.id("gmk.id");
        KeyVault vault = open(kind, true, clock);
        try {
            VaultRsk.importInto(vault, "streamwide", 236, StreamwideVectors.hex("alice.rsk"));
            try (McPlane mc = McPlane.start(config(), vault, clock)) {
                mc.receive(StreamwideVectors.message("gmk"));
                assertEquals(1, mc.keysHeld());
            }
            KeyInfo stored = vault.list(Actor.API).stream().filter(k -> k.purpose() == KeyPurpose.GMK).findFirst()
                    .orElseThrow();
            KeyVault before = vault;
            assertEquals(VaultException.Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                    () -> before.readSecret(Actor.INTERNAL, stored.uri())).reason(), "the GMK is never read out of the vault");
            vault.close();

            // the restart: a new process opens the same vault; no I_MESSAGE comes again
            vault = open(kind, false, clock);
            try (McPlane mc = McPlane.start(config(), vault, clock)) {
                assertEquals(1, mc.keysHeld(), "the key ring is back from the vault");
                SrtpPolicy group = MediaProfile.MC_DEFAULT.policy(JdkBackend.INSTANCE, 8).build();
                assertEquals(MediaProfile.MC_DEFAULT, mc.profile(gmkId, CS_ID_MCPTT_GROUP), "and its media profile");
                try (MkiReceiveContext rx = mc.receiveContext(group, CS_ID_MCPTT_GROUP);
                        SrtpSender bob = talker(group, gmk, gmkId, rand, "sip:bob@streamwide.com")) {
                    int seq = 100;
                    PacketBuffer first = rtp(bob, seq++, "over".getBytes());
                    assertEquals(SrtpStatus.UNKNOWN_KEY, rx.unprotectRtp(first),
                            "the first packet waits while the talker's key is derived in the vault");
                    byte[] said = null;
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (said == null && System.nanoTime() < deadline) {
                        byte[] payload = ("talk " + seq).getBytes();
                        PacketBuffer p = rtp(bob, seq++, payload);
                        SrtpStatus s = rx.unprotectRtp(p);
                        if (s == SrtpStatus.OK) {
                            said = Arrays.copyOfRange(p.array(), 12, p.length());
                            assertArrayEquals(payload, said);
                        } else {
                            assertEquals(SrtpStatus.UNKNOWN_KEY, s);
                            Thread.sleep(5);
                        }
                    }
                    assertTrue(said != null, "bob is received after the restart");
                    assertEquals(1, rx.senders());
                    assertTrue(rx.awaitingKey() >= 1);
                }
                // and the gateway sends into the group as a member: a member who holds the GMK reads it
                try (MasterKey k = mc.groupSendKey(gmkId, CS_ID_MCPTT_GROUP, SrtpSuite.AEAD_AES_128_GCM);
                        SrtpSender gateway = new SrtpSender(group, k); McKeyRing memberRing = new McKeyRing(clock);
                        MkiReceiveContext member = new MkiReceiveContext(group, memberRing, CS_ID_MCPTT_GROUP, 8,
                                Duration.ofMinutes(5))) {
                    memberRing.put(gmkId, gmk, rand, null);
                    PacketBuffer p = rtp(gateway, 7, "from the gateway".getBytes());
                    assertEquals(SrtpStatus.OK, member.unprotectRtp(p));
                    assertArrayEquals("from the gateway".getBytes(), Arrays.copyOfRange(p.array(), 12, p.length()));
                }
            }
        } finally {
            vault.close();
        }
    }

    private static SrtpSender talker(SrtpPolicy policy, byte[] gmk, int gmkId, byte[] rand, String uri) throws Exception {
        int guk = McIdentity.gukId(gmkId, gmk, uri);
        byte[] mki = java.nio.ByteBuffer.allocate(8).putInt(gmkId).putInt(guk).array();
        try (MasterKey k = new MasterKey(MikeyKdf.masterKey(gmk, CS_ID_MCPTT_GROUP, guk, rand, 16),
                MikeyKdf.masterSalt(gmk, CS_ID_MCPTT_GROUP, guk, rand, 12), mki)) {
            return new SrtpSender(policy, k);
        }
    }

    private static PacketBuffer rtp(SrtpSender tx, int seq, byte[] payload) {
        byte[] b = new byte[12 + payload.length + 64];
        b[0] = (byte) 0x80;
        b[2] = (byte) (seq >>> 8);
        b[3] = (byte) seq;
        b[11] = 0x42;
        System.arraycopy(payload, 0, b, 12, payload.length);
        PacketBuffer p = new PacketBuffer(b, 0, 12 + payload.length);
        assertEquals(SrtpStatus.OK, tx.protectRtp(p));
        return p;
    }
}
