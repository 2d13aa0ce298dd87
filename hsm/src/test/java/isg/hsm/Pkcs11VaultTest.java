package isg.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.VaultException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against a real PKCS#11 token: SoftHSM2, initialised for this run. */
class Pkcs11VaultTest extends KeyVaultContract {

    @TempDir
    Path dir;

    @Override
    protected KeyVault openFresh(AuditLog audit) throws Exception {
        // one token serves the whole run: start each test from an empty one
        try (Pkcs11Vault v = Pkcs11Vault.open(SoftHsm.get().config(), AuditLog.inMemory())) {
            for (KeyInfo k : v.list(Actor.INTERNAL)) {
                v.destroy(Actor.INTERNAL, k.uri());
            }
        }
        return Pkcs11Vault.open(SoftHsm.get().config(), audit);
    }

    @Override
    protected KeyVault reopen(AuditLog audit) throws Exception {
        return Pkcs11Vault.open(SoftHsm.get().config(), audit);
    }

    @Override
    protected String token() {
        return SoftHsm.LABEL;
    }

    @Test
    void pkcs11ToolSeesSensitiveNonExtractableKeysWithOurLabelsAndIds() throws Exception {
        vault.generate(Actor.CLI, NewKey.of("partner-b-master", KeyPurpose.INTERCONNECT_MASTER, "partner-b")
                .withId(new byte[] {0x42, 0x01}));
        vault.generate(Actor.CLI, NewKey.of("tls-id", KeyPurpose.TLS_IDENTITY, "home").withId(new byte[] {0x42, 0x02}));
        String listing = SoftHsm.get().listObjects();
        Matcher secret = Pattern.compile("Secret Key Object; AES length 32\\s+label:\\s+partner-b-master\\s+ID:\\s+4201"
                + "\\s+Usage:\\s+encrypt\\s+Access:\\s+(.*)").matcher(listing);
        assertTrue(secret.find(), listing);
        String access = secret.group(1);
        assertTrue(access.contains("sensitive") && access.contains("never extractable") && !access.contains(", extractable"),
                "AES key access flags: " + access);
        assertTrue(Pattern.compile("Private Key Object; EC\\s+label:\\s+tls-id\\s+ID:\\s+4202\\s+Usage:\\s+sign\\s+"
                + "Access:\\s+sensitive, always sensitive, never extractable").matcher(listing).find(), listing);
        assertTrue(Pattern.compile("Data object \\d+\\s+label:\\s+'partner-b-master'\\s+application:\\s+'isg'")
                .matcher(listing).find(), listing);
        assertFalse(Pattern.compile("Secret Key Object; AES[^\\n]*\\n\\s+label:\\s*\\n").matcher(listing).find(),
                "no unlabelled secret left behind by earlier refusals: " + listing);
        assertTrue(vault.kind().startsWith("pkcs11 (SoftHSM"), vault.kind());
    }

    @Test
    void aRefusedUnwrapLeavesNoObjectOnTheToken() throws Exception {
        KeyInfo t = vault.importTransportKey(Actor.CLI, NewKey.of("transport-1", KeyPurpose.TRANSPORT, "site"),
                TRANSPORT.clone());
        byte[] bad = wrap(TRANSPORT, B3_MASTER_KEY);
        bad[9] ^= 0x10;
        assertEquals(Reason.BAD_KEY_MATERIAL, assertThrows(VaultException.class, () -> vault.importWrapped(Actor.API,
                NewKey.of("pck", KeyPurpose.INTERCONNECT_MASTER, "x").withBits(128), t.uri(), bad)).reason());
        assertTrue(vault.healthy(), "a bad wrap is bad data, not a dead token");
        String listing = SoftHsm.get().listObjects();
        assertEquals(1, Pattern.compile("Secret Key Object").matcher(listing).results().count(), listing);
    }

    @Test
    void aMissingModuleAWrongLabelAndAWrongPinAreNamed() throws Exception {
        Path pin = SoftHsm.get().pinFile;
        VaultException e = assertThrows(VaultException.class, () -> Pkcs11Vault.open(
                new Pkcs11Config(Path.of("/usr/lib/nowhere/libnothing.so"), SoftHsm.LABEL, pin), AuditLog.inMemory()));
        assertEquals(Reason.MODULE_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("/usr/lib/nowhere/libnothing.so"), e.getMessage());

        e = assertThrows(VaultException.class, () -> Pkcs11Vault.open(
                new Pkcs11Config(SoftHsm.MODULE, "no-such-token", pin), AuditLog.inMemory()));
        assertEquals(Reason.TOKEN_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("no-such-token") && e.getMessage().contains(SoftHsm.LABEL), e.getMessage());

        vault.close();
        vault = null;
        Path wrong = dir.resolve("wrong.pin");
        Files.writeString(wrong, "9999\n");
        e = assertThrows(VaultException.class, () -> Pkcs11Vault.open(
                new Pkcs11Config(SoftHsm.MODULE, SoftHsm.LABEL, wrong), AuditLog.inMemory()));
        assertEquals(Reason.PIN_INCORRECT, e.reason());
        assertTrue(e.getMessage().contains("does not retry"), e.getMessage());
        assertFalse(e.getMessage().contains("9999"), "the PIN is never in a message");

        e = assertThrows(VaultException.class, () -> Pkcs11Vault.open(
                new Pkcs11Config(SoftHsm.MODULE, SoftHsm.LABEL, dir.resolve("absent.pin")), AuditLog.inMemory()));
        assertEquals(Reason.CREDENTIAL_UNREADABLE, e.reason());
    }

    /** A token that stops answering mid-run: fail fast, health down, an event; back without restart. */
    @Test
    void aTokenThatGoesAwayIsReportedAndRecoveredWithoutRestart() throws Exception {
        Pkcs11Config cfg = SoftHsm.get().config();
        FlakyPort.Switch removed = new FlakyPort.Switch();
        List<VaultEvent> events = new ArrayList<>();
        try (Pkcs11Vault flaky = new Pkcs11Vault(SoftHsm.LABEL, again -> {
            if (removed.on) {
                throw new VaultException(Reason.UNAVAILABLE, "token absent");
            }
            return new FlakyPort(WrapperPort.connect(cfg, PinSource.fromFile(cfg.pinFile()), false), removed);
        }, AuditLog.inMemory(), Clock.systemUTC())) {
            flaky.onEvent(events::add);
            flaky.reconnectInterval(java.time.Duration.ZERO);
            KeyInfo t = flaky.importTransportKey(Actor.CLI, NewKey.of("transport-1", KeyPurpose.TRANSPORT, "site"),
                    TRANSPORT.clone());
            flaky.importWrapped(Actor.CLI, NewKey.of("pck", KeyPurpose.INTERCONNECT_MASTER, "home").withBits(128), t.uri(),
                    wrap(TRANSPORT, B3_MASTER_KEY));
            String pck = "pkcs11:object=pck";
            flaky.deriveSrtp(Actor.INTERNAL, pck, B3_MASTER_SALT, 16, 20, 14).close();

            removed.on = true;
            VaultException e = assertThrows(VaultException.class,
                    () -> flaky.deriveSrtp(Actor.INTERNAL, pck, B3_MASTER_SALT, 16, 20, 14));
            assertEquals(Reason.UNAVAILABLE, e.reason());
            assertFalse(flaky.healthy());
            assertEquals(VaultEvent.Kind.DOWN, events.get(0).kind());
            long t0 = System.nanoTime();
            assertEquals(Reason.UNAVAILABLE, assertThrows(VaultException.class,
                    () -> flaky.generate(Actor.API, NewKey.of("new", KeyPurpose.GMK, "x"))).reason());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "fails fast");

            removed.on = false;
            assertTrue(flaky.healthy(), "back without a restart");
            assertEquals(VaultEvent.Kind.UP, events.get(events.size() - 1).kind());
            try (DerivedSrtpKeys d = flaky.deriveSrtp(Actor.INTERNAL, pck, B3_MASTER_SALT, 16, 20, 14)) {
                assertEquals(B3_CIPHER_KEY, HEX.formatHex(d.forLabel(0)));
            }
        }
    }
}
