package isg.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import isg.hsm.VaultException.Reason;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The one contract every vault keeps, run against the software token and against a real
 * PKCS#11 token (SoftHSM2). Subclasses say how to open a fresh store and how to reopen it.
 */
abstract class KeyVaultContract {

    static final HexFormat HEX = HexFormat.of();
    /** RFC 3711 Appendix B.3. */
    static final byte[] B3_MASTER_KEY = HEX.parseHex("e1f97a0d3e018be0d64fa32c06de4139");
    static final byte[] B3_MASTER_SALT = HEX.parseHex("0ec675ad498afeebb6960b3aabe6");
    static final String B3_CIPHER_KEY = "c61e7a93744f39ee10734afe3ff7a087";
    static final String B3_AUTH_KEY = "cebe321f6ff7716b6fd4ab49af256a156d38baa4";
    static final String B3_CIPHER_SALT = "30cbbc08863d8c85d49db34a9ae1";
    static final byte[] TRANSPORT = HEX.parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    protected AuditLog audit;
    protected KeyVault vault;

    /** A vault over a new, empty store. */
    protected abstract KeyVault openFresh(AuditLog audit) throws Exception;

    /** The same store opened again (a restart). */
    protected abstract KeyVault reopen(AuditLog audit) throws Exception;

    /** The token name that URIs carry. */
    protected abstract String token();

    @BeforeEach
    void open() throws Exception {
        audit = AuditLog.inMemory();
        vault = openFresh(audit);
    }

    @AfterEach
    void closeVault() {
        if (vault != null) {
            vault.close();
        }
    }

    static byte[] wrap(byte[] transport, byte[] key) throws Exception {
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(transport, "AES"));
        return c.wrap(new SecretKeySpec(key, "AES"));
    }

    private String uri(String label) {
        return "pkcs11:token=" + token() + ";object=" + label;
    }

    private KeyInfo transport() throws VaultException {
        return vault.importTransportKey(Actor.CLI, NewKey.of("transport-1", KeyPurpose.TRANSPORT, "site"), TRANSPORT.clone());
    }

    @Test
    void aGeneratedKeyIsListedWithItsMetadataAndFoundByLabelOrId() throws Exception {
        Instant notAfter = Instant.parse("2030-01-01T00:00:00Z");
        KeyInfo k = vault.generate(Actor.CLI, NewKey.of("partner-a-master", KeyPurpose.INTERCONNECT_MASTER, "partner-a")
                .withNotAfter(notAfter).withId(HEX.parseHex("0a0b0c")));
        assertEquals(KeyType.AES, k.type());
        assertEquals(256, k.bits());
        assertEquals("partner-a", k.owner());
        assertEquals(notAfter, k.notAfter());
        assertEquals("0a0b0c", k.id());
        assertTrue(k.uri().startsWith("pkcs11:token=" + token() + ";object=partner-a-master;id=%0a%0b%0c"), k.uri());
        assertEquals(List.of("partner-a-master"), vault.list(Actor.API).stream().map(KeyInfo::label).toList());
        assertEquals("partner-a-master", vault.info(Actor.API, "pkcs11:id=%0A%0B%0C").label());
        assertEquals("0a0b0c", vault.info(Actor.API, k.uri()).id());
        VaultException e = assertThrows(VaultException.class, () -> vault.exportPublic(Actor.CLI, k.uri()));
        assertEquals(Reason.NOT_PERMITTED, e.reason(), "a secret key has no export of any kind");
        assertEquals(Reason.KEY_NOT_FOUND,
                assertThrows(VaultException.class, () -> vault.info(Actor.API, uri("nope"))).reason());
        assertEquals(Reason.DUPLICATE, assertThrows(VaultException.class,
                () -> vault.generate(Actor.CLI, NewKey.of("partner-a-master", KeyPurpose.GMK, "x"))).reason());
    }

    @Test
    void keysSurviveAReopen() throws Exception {
        vault.generate(Actor.CLI, NewKey.of("gmk-1", KeyPurpose.GMK, "home").withBits(128));
        vault.close();
        vault = reopen(audit);
        KeyInfo k = vault.info(Actor.API, uri("gmk-1"));
        assertEquals(KeyPurpose.GMK, k.purpose());
        assertEquals(128, k.bits());
    }

    @Test
    void anMcKeyFromMikeySakkeKeysHmacSha256InTheVaultAndIsStoredOnlyForItsPurposes() throws Exception {
        KeyInfo k = vault.importMcKey(Actor.INTERNAL, NewKey.of("pck-b3", KeyPurpose.PCK, "domain-a")
                .withId(HEX.parseHex("1278dcab")).withAttributes(java.util.Map.of("rand", "d154c2d3")),
                B3_MASTER_KEY.clone());
        assertEquals(KeyPurpose.PCK, k.purpose());
        assertEquals(KeyType.GENERIC_SECRET, k.type());
        assertEquals(128, k.bits());
        byte[] label = HEX.parseHex("2ad01c64041278dcabd154c2d389bd9ec536a90e863b3474df");
        javax.crypto.Mac jdk = javax.crypto.Mac.getInstance("HmacSHA256", "SunJCE");
        jdk.init(new SecretKeySpec(B3_MASTER_KEY, "HmacSHA256"));
        assertArrayEquals(jdk.doFinal(label), vault.hmacSha256(Actor.INTERNAL, uri("pck-b3"), label),
                "the vault's HMAC is HMAC-SHA-256 under the key it was given (SunJCE computes the same)");
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.deriveSrtp(Actor.INTERNAL, uri("pck-b3"), B3_MASTER_SALT, 16, 20, 14)).reason(),
                "MC keys derive by the MIKEY KDF, not RFC 3711's");
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.readSecret(Actor.INTERNAL, uri("pck-b3"))).reason(), "an MC key is never read");
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.exportPublic(Actor.INTERNAL, uri("pck-b3"))).reason());
        vault.close();
        vault = reopen(audit);
        assertEquals("d154c2d3", vault.info(Actor.API, uri("pck-b3")).attribute("rand"), "attributes survive a reopen");
        assertArrayEquals(jdk.doFinal(label), vault.hmacSha256(Actor.INTERNAL, uri("pck-b3"), label));
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class, () -> vault.importMcKey(Actor.INTERNAL,
                NewKey.of("t", KeyPurpose.TRANSPORT, "x"), new byte[16])).reason());
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class, () -> vault.importMcKey(Actor.INTERNAL,
                NewKey.of("i", KeyPurpose.INTERCONNECT_MASTER, "x"), new byte[32])).reason());
        assertEquals(Reason.BAD_KEY_MATERIAL, assertThrows(VaultException.class, () -> vault.importMcKey(Actor.INTERNAL,
                NewKey.of("g", KeyPurpose.GMK, "x"), new byte[15])).reason());
        assertEquals(List.of("pck-b3"), vault.list(Actor.API).stream().map(KeyInfo::label).toList(), "nothing half-stored");
        assertEquals(1, audit.lines().stream().filter(l -> l.contains("\"action\":\"import-mikey-sakke\"")
                && l.contains("\"result\":\"ok\"")).count(), String.join("\n", audit.lines()));
    }

    @Test
    void aSakkeRskImportedWrappedIsKeptPrivateAndReadBackOnlyAsSecretData() throws Exception {
        KeyInfo t = transport();
        byte[] rsk = new byte[257];
        new java.util.Random(6508).nextBytes(rsk);
        rsk[0] = 0x04;
        NewKey spec = NewKey.of("rsk-police-700", KeyPurpose.SAKKE_RSK, "police").withBits(257 * 8)
                .withAttributes(java.util.Map.of("period", "700"));
        KeyInfo k = vault.importWrapped(Actor.CLI, spec, t.uri(), wrapData(TRANSPORT, rsk));
        assertEquals(KeyType.SECRET_DATA, k.type());
        assertEquals("700", k.attribute("period"));
        assertArrayEquals(rsk, vault.readSecret(Actor.INTERNAL, k.uri()));
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.hmacSha256(Actor.INTERNAL, k.uri(), new byte[1])).reason());
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.exportPublic(Actor.INTERNAL, k.uri())).reason());
        byte[] tooShort = wrapData(TRANSPORT, java.util.Arrays.copyOf(rsk, 256));
        assertEquals(Reason.BAD_KEY_MATERIAL, assertThrows(VaultException.class, () -> vault.importWrapped(Actor.CLI,
                NewKey.of("rsk-short", KeyPurpose.SAKKE_RSK, "police").withBits(257 * 8), t.uri(), tooShort)).reason());
        vault.close();
        vault = reopen(audit);
        assertArrayEquals(rsk, vault.readSecret(Actor.INTERNAL, k.uri()), "kept across a reopen");
        String all = String.join("\n", audit.lines()).toLowerCase();
        assertTrue(all.contains("\"action\":\"read-secret\""), "every read is audited");
        assertFalse(all.contains(HEX.formatHex(rsk).substring(0, 32)), "and holds no RSK bytes");
    }

    /** RFC 5649 of arbitrary bytes, as an operator's key ceremony would make it. */
    static byte[] wrapData(byte[] transport, byte[] data) throws Exception {
        Cipher c = Cipher.getInstance("AESKWP", Fips.PROVIDER);
        c.init(Cipher.WRAP_MODE, new SecretKeySpec(transport, "AES"));
        return c.wrap(new SecretKeySpec(data, "HmacSHA512"));
    }

    @Test
    void aKeyImportedWrappedDerivesTheRfc3711B3SessionKeysInsideTheVault() throws Exception {
        KeyInfo t = transport();
        vault.importWrapped(Actor.API, NewKey.of("pck-b3", KeyPurpose.INTERCONNECT_MASTER, "home").withBits(128), t.uri(),
                wrap(TRANSPORT, B3_MASTER_KEY));
        try (DerivedSrtpKeys d = vault.deriveSrtp(Actor.INTERNAL, uri("pck-b3"), B3_MASTER_SALT, 16, 20, 14)) {
            assertEquals(B3_CIPHER_KEY, HEX.formatHex(d.forLabel(0)));
            assertEquals(B3_AUTH_KEY, HEX.formatHex(d.forLabel(1)));
            assertEquals(B3_CIPHER_SALT, HEX.formatHex(d.forLabel(2)));
            assertEquals(16, d.forLabel(3).length);
            assertFalse(d.toString().contains(B3_CIPHER_KEY));
        }
        assertEquals(1, vault.info(Actor.API, uri("pck-b3")).uses());
    }

    @Test
    void badWrappedImportsAreRefusedAuditedAndLeaveNothing() throws Exception {
        KeyInfo t = transport();
        byte[] good = wrap(TRANSPORT, B3_MASTER_KEY);
        byte[] flipped = good.clone();
        flipped[5] ^= 1;
        NewKey spec = NewKey.of("pck-x", KeyPurpose.INTERCONNECT_MASTER, "home").withBits(128);
        assertEquals(Reason.BAD_KEY_MATERIAL,
                assertThrows(VaultException.class, () -> vault.importWrapped(Actor.API, spec, t.uri(), flipped)).reason());
        assertEquals(Reason.BAD_KEY_MATERIAL, assertThrows(VaultException.class,
                () -> vault.importWrapped(Actor.API, spec, t.uri(), java.util.Arrays.copyOf(good, 16))).reason());
        assertEquals(Reason.BAD_KEY_MATERIAL, assertThrows(VaultException.class,
                () -> vault.importWrapped(Actor.API, spec.withBits(256), t.uri(), good)).reason(), "declared length");
        assertEquals(Reason.KEY_NOT_FOUND, assertThrows(VaultException.class,
                () -> vault.importWrapped(Actor.API, spec, uri("no-such-transport"), good)).reason());
        vault.generate(Actor.CLI, NewKey.of("not-a-transport", KeyPurpose.INTERCONNECT_MASTER, "p"));
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.importWrapped(Actor.API, spec, uri("not-a-transport"), good)).reason());
        assertEquals(List.of("not-a-transport", "transport-1"),
                vault.list(Actor.API).stream().map(KeyInfo::label).toList(), "nothing half-stored");
        long refused = audit.lines().stream().filter(l -> l.contains("\"action\":\"import-wrapped\"")
                && l.contains("\"result\":\"refused\"")).count();
        assertEquals(5, refused);
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class, () -> vault.importTransportKey(Actor.CLI,
                NewKey.of("clear-gmk", KeyPurpose.GMK, "x"), new byte[16])).reason(), "only transport keys in clear");
    }

    @Test
    void purposeAndExpiryLimitWhatAKeyDoes() throws Exception {
        KeyInfo t = transport();
        VaultException e = assertThrows(VaultException.class,
                () -> vault.deriveSrtp(Actor.INTERNAL, t.uri(), B3_MASTER_SALT, 32, 20, 14));
        assertEquals(Reason.NOT_PERMITTED, e.reason(), "a transport key derives nothing");
        vault.generate(Actor.CLI, NewKey.of("old", KeyPurpose.GMK, "x").withNotAfter(Instant.parse("2020-01-01T00:00:00Z")));
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.deriveSrtp(Actor.INTERNAL, uri("old"), B3_MASTER_SALT, 32, 20, 14)).reason());
        vault.generate(Actor.CLI, NewKey.of("gmk-256", KeyPurpose.INTERCONNECT_MASTER, "x"));
        assertEquals(Reason.NOT_PERMITTED, assertThrows(VaultException.class,
                () -> vault.deriveSrtp(Actor.INTERNAL, uri("gmk-256"), B3_MASTER_SALT, 16, 20, 14)).reason(),
                "key length must match the suite");
        assertEquals(Reason.BAD_REQUEST, assertThrows(VaultException.class,
                () -> vault.deriveSrtp(Actor.INTERNAL, uri("gmk-256"), new byte[3], 32, 20, 14)).reason());
        assertEquals(Reason.BAD_REQUEST, assertThrows(VaultException.class,
                () -> vault.deriveSrtp(Actor.INTERNAL, "http://nope", B3_MASTER_SALT, 32, 20, 14)).reason());
    }

    @Test
    void aTokenHeldEcKeySignsAndOnlyItsPublicHalfLeaves() throws Exception {
        KeyInfo k = vault.generate(Actor.CLI, NewKey.of("tls-identity", KeyPurpose.TLS_IDENTITY, "home"));
        assertEquals(KeyType.EC_P256, k.type());
        byte[] spki = vault.exportPublic(Actor.CLI, k.uri());
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
        assertEquals(256, ((ECPublicKey) pub).getParams().getCurve().getField().getFieldSize());
        byte[] data = "ClientHello transcript".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] sig = vault.sign(Actor.INTERNAL, k.uri(), data);
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update(data);
        assertTrue(v.verify(sig));
        v.initVerify(pub);
        v.update("something else".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertFalse(v.verify(sig));
    }

    @Test
    void certificatesAreStoredAndExportedAsGiven() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Fips.PROVIDER);
        g.initialize(new ECGenParameterSpec("P-256"), Fips.DRBG);
        KeyPair kp = g.generateKeyPair();
        X500Name n = new X500Name("CN=KMS partner-a");
        byte[] der = new JcaX509v3CertificateBuilder(n, BigInteger.ONE, new Date(), new Date(System.currentTimeMillis() + 86_400_000L),
                n, kp.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(Fips.PROVIDER)
                        .build(kp.getPrivate())).getEncoded();
        KeyInfo c = vault.importCertificate(Actor.CLI, NewKey.of("kms-partner-a", KeyPurpose.KMS_CERTIFICATE, "partner-a"), der);
        assertArrayEquals(der, vault.exportPublic(Actor.CLI, c.uri()));
        assertEquals(Reason.BAD_KEY_MATERIAL, assertThrows(VaultException.class, () -> vault.importCertificate(Actor.CLI,
                NewKey.of("junk", KeyPurpose.KMS_CERTIFICATE, "x"), new byte[] {0x30, 0x03, 1, 2, 3})).reason());
    }

    @Test
    void destroyRemovesOneKeyAndZeroiseAllSecrets() throws Exception {
        List<VaultEvent> events = new ArrayList<>();
        vault.onEvent(events::add);
        transport();
        vault.generate(Actor.CLI, NewKey.of("m1", KeyPurpose.INTERCONNECT_MASTER, "p"));
        vault.generate(Actor.CLI, NewKey.of("tls", KeyPurpose.TLS_IDENTITY, "home"));
        vault.destroy(Actor.CLI, uri("m1"));
        assertEquals(Reason.KEY_NOT_FOUND,
                assertThrows(VaultException.class, () -> vault.info(Actor.CLI, uri("m1"))).reason());
        assertEquals(Reason.KEY_NOT_FOUND,
                assertThrows(VaultException.class, () -> vault.destroy(Actor.CLI, uri("m1"))).reason());
        assertEquals(2, vault.zeroise(Actor.INTERNAL));
        assertEquals(VaultEvent.Kind.ZEROISED, events.get(events.size() - 1).kind());
        assertFalse(vault.healthy());
        assertEquals(Reason.UNAVAILABLE, assertThrows(VaultException.class, () -> vault.list(Actor.CLI)).reason());
        vault.close();
        vault = reopen(audit);
        assertEquals(List.of(), vault.list(Actor.CLI), "nothing secret survives a zeroise");
    }

    @Test
    void theAuditLogRecordsEveryOperationAndNoKeyBytes() throws Exception {
        KeyInfo t = transport();
        vault.importWrapped(Actor.API, NewKey.of("pck-b3", KeyPurpose.INTERCONNECT_MASTER, "home").withBits(128), t.uri(),
                wrap(TRANSPORT, B3_MASTER_KEY));
        vault.deriveSrtp(Actor.INTERNAL, uri("pck-b3"), B3_MASTER_SALT, 16, 20, 14).close();
        assertThrows(VaultException.class, () -> vault.destroy(Actor.CLI, uri("missing")));
        List<String> lines = audit.lines();
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"actor\":\"CLI\"") && l.contains("import-transport-ceremony")
                && l.contains("\"result\":\"ok\"")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"actor\":\"INTERNAL\"") && l.contains("derive-srtp")
                && l.contains("pck-b3")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"action\":\"destroy\"") && l.contains("KEY_NOT_FOUND")));
        String all = String.join("\n", lines).toLowerCase();
        for (String secret : new String[] {HEX.formatHex(TRANSPORT), HEX.formatHex(B3_MASTER_KEY), B3_CIPHER_KEY,
                HEX.formatHex(TRANSPORT).substring(0, 16)}) {
            assertFalse(all.contains(secret), "audit holds key bytes: " + secret);
        }
    }

    @Test
    void manyThreadsDeriveWhileKeysAreCreatedAndDestroyed() throws Exception {
        KeyInfo t = transport();
        vault.importWrapped(Actor.API, NewKey.of("pck-b3", KeyPurpose.INTERCONNECT_MASTER, "home").withBits(128), t.uri(),
                wrap(TRANSPORT, B3_MASTER_KEY));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        AtomicBoolean stop = new AtomicBoolean();
        List<Future<Integer>> derivers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            derivers.add(pool.submit(() -> {
                int n = 0;
                while (!stop.get() || n < 20) {
                    try (DerivedSrtpKeys d = vault.deriveSrtp(Actor.INTERNAL, uri("pck-b3"), B3_MASTER_SALT, 16, 20, 14)) {
                        assertEquals(B3_CIPHER_KEY, HEX.formatHex(d.forLabel(0)));
                    }
                    n++;
                }
                return n;
            }));
        }
        Future<?> churn = pool.submit(() -> {
            for (int i = 0; i < 10; i++) {
                vault.generate(Actor.API, NewKey.of("churn-" + i, KeyPurpose.GMK, "x"));
                vault.destroy(Actor.API, uri("churn-" + i));
            }
            return null;
        });
        churn.get(120, TimeUnit.SECONDS);
        stop.set(true);
        int total = 0;
        for (Future<Integer> f : derivers) {
            total += f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(total >= 100);
        assertEquals(total, vault.info(Actor.API, uri("pck-b3")).uses());
        assertNotNull(vault.kind());
    }
}
