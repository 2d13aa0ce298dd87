package isg.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import isg.channel.ChannelPair;
import isg.hsm.AuditLog;
import isg.kms.KmsProxy;
import isg.mc.Eccsi;
import isg.mc.KmsCertificate;
import isg.mc.McIdentity;
import isg.mc.McKeyRing;
import isg.mc.MikeyKdf;
import isg.mc.MikeyMessage;
import isg.mc.MikeyMessageBuilder;
import isg.mc.MkiReceiveContext;
import isg.mc.Sakke;
import isg.policy.Policy;
import isg.policy.PolicyPoint;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TS 22.280 R-6.17.2-007 end to end: a home member of a group hosted in the partner system gets
 * everything that secures the group from the partner, through the two gateways, and nothing from
 * home. Over the channel: the partner KMS's certificate (init) and the member's key for the
 * partner's domain (keyprov), both through the KMS proxies with each gateway's policy; then the
 * GMK, a MIKEY-SAKKE I_MESSAGE from the partner's GMS (signed with an ECCSI key the partner KMS
 * issued), over the channel's "gms" service. The member verifies and opens it with what it got,
 * and decrypts the partner group's SRTP that crossed the interconnect in hop mode — where the
 * gateways never held the group's keys.
 */
class PartnerGroupEndToEndTest {

    static final String PARTNER_KMS = "kms.fire.partner.example";
    static final String MEMBER = "sip:officer-1@police.home.example";
    static final String GMS = "sip:gms@fire.partner.example";
    static final McIdentity.KeyPeriod PERIOD = new McIdentity.KeyPeriod(2_592_000, 0);
    static final int CS_ID_MCPTT_GROUP = 4;

    @TempDir
    Path dir;
    final SecureRandom random = new SecureRandom();

    /** The partner's KMS: master secrets made here, its certificate and the keys it issues (33.180 Annex D XML). */
    final BigInteger ksak = new BigInteger(255, random);
    final BigInteger zSecret = new BigInteger(255, random);
    final byte[] kpak = Eccsi.kpak(ksak);
    final byte[] z = Sakke.kmsPublicKey(zSecret);
    final long period = (System.currentTimeMillis() / 1000 + McIdentity.NTP_UNIX_OFFSET) / PERIOD.lengthSeconds();

    HttpServer partnerKms() throws Exception {
        HttpServer kms = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        kms.createContext("/keymanagement/identity/v1/", ex -> {
            ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            String message = path.endsWith("/init")
                    ? "<KmsInit Version=\"1.0.0\"><KmsCertificate Version=\"1.1.0\" Role=\"Root\"><KmsUri>" + PARTNER_KMS
                            + "</KmsUri><Issuer>fire.partner.example</Issuer><Revoked>false</Revoked>"
                            + "<UserIdFormat>2</UserIdFormat><UserKeyPeriod>" + PERIOD.lengthSeconds() + "</UserKeyPeriod>"
                            + "<UserKeyOffset>0</UserKeyOffset><PubEncKey>" + HexFormat.of().formatHex(z) + "</PubEncKey>"
                            + "<PubAuthKey>" + HexFormat.of().formatHex(kpak) + "</PubAuthKey><ParameterSet>1</ParameterSet>"
                            + "</KmsCertificate></KmsInit>"
                    : "<KmsKeyProv Version=\"1.0.0\"><KmsKeySet><UserUri>" + MEMBER + "</UserUri><UserKeyPeriodNo>" + period
                            + "</UserKeyPeriodNo><UserDecryptKey>" + HexFormat.of().formatHex(Sakke.receiverSecretKey(zSecret,
                                    McIdentity.uid(MEMBER, PARTNER_KMS, PERIOD, period))) + "</UserDecryptKey></KmsKeySet>"
                            + "</KmsKeyProv>";
            byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
                    + "Version=\"1.1.0\"><UserUri>" + MEMBER + "</UserUri><KmsUri>" + PARTNER_KMS + "</KmsUri><Time>"
                    + java.time.Instant.now() + "</Time><ClientReqUrl>https://" + PARTNER_KMS + path + "</ClientReqUrl>"
                    + "<KmsMessage>" + message + "</KmsMessage></KmsResponse>").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        kms.start();
        return kms;
    }

    /** The partner's GMS: hands each connection one GMK I_MESSAGE for the member (length-prefixed). */
    static Thread gms(ServerSocket server, byte[] iMessage) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept(); DataOutputStream o = new DataOutputStream(s.getOutputStream())) {
                    o.writeInt(iMessage.length);
                    o.write(iMessage);
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "test-gms");
        t.setDaemon(true);
        t.start();
        return t;
    }

    byte[] gmkMessage(int gmkId, byte[] gmk) {
        byte[] uidGms = McIdentity.uid(GMS, PARTNER_KMS, PERIOD, period);
        byte[] uidMember = McIdentity.uid(MEMBER, PARTNER_KMS, PERIOD, period);
        byte[] rand = new byte[16];
        random.nextBytes(rand);
        long ntp = System.currentTimeMillis() / 1000 + McIdentity.NTP_UNIX_OFFSET;
        try {
            return new MikeyMessageBuilder().csbId(gmkId).ntpSeconds(ntp).rand(rand)
                    .identity(MikeyMessage.ROLE_UID_I, uidGms).identity(MikeyMessage.ROLE_UID_R, uidMember)
                    .identity(MikeyMessage.ROLE_KMS_I, PARTNER_KMS.getBytes(StandardCharsets.US_ASCII))
                    .identity(MikeyMessage.ROLE_KMS_R, PARTNER_KMS.getBytes(StandardCharsets.US_ASCII))
                    .build(Sakke.encapsulate(gmk, uidMember, Sakke.kmsKey(z)), Eccsi.issue(ksak, uidGms));
        } catch (isg.mc.KeyMaterialException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] post(int port, String path, String kmsUri) throws Exception {
        byte[] req = ("<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Version=\"1.1.0\"><UserUri>" + MEMBER
                + "</UserUri><KmsUri>" + kmsUri + "</KmsUri><Time>2026-12-01T10:00:00</Time><ClientReqUrl>https://" + kmsUri
                + path + "</ClientReqUrl></KmsRequest>").getBytes(StandardCharsets.UTF_8);
        HttpURLConnection h = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        h.setRequestMethod("POST");
        h.setDoOutput(true);
        h.setReadTimeout(10000);
        try (OutputStream o = h.getOutputStream()) {
            o.write(req);
        }
        assertEquals(200, h.getResponseCode(), path);
        try (InputStream in = h.getInputStream()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aHomeMemberOfAPartnerGroupGetsItsKeysFromThePartnerAndDecryptsItsMedia() throws Exception {
        int gmkId = McIdentity.Purpose.GMK.tag(0x0F1E2D);
        byte[] gmk = new byte[16];
        random.nextBytes(gmk);
        HttpServer kms = partnerKms();
        Files.createDirectories(dir.resolve("channel"));
        try (ServerSocket gmsServer = new ServerSocket(0, 10, java.net.InetAddress.getLoopbackAddress());
                ChannelPair pair = new ChannelPair(dir.resolve("channel"), (InetSocketAddress) gmsServer.getLocalSocketAddress());
                PolicyPoint homePolicy = new PolicyPoint(new Policy(List.of(new Policy.Rule("members-out", true,
                        Policy.Direction.OUTBOUND, "partner", Set.of(Policy.Action.KEY_MATERIAL), "sip:*@police.home.example",
                        PARTNER_KMS))), AuditLog.inMemory());
                PolicyPoint partnerPolicy = new PolicyPoint(new Policy(List.of(new Policy.Rule("fire-group-members-in", true,
                        Policy.Direction.INBOUND, "home", Set.of(Policy.Action.KEY_MATERIAL), MEMBER, PARTNER_KMS))),
                        AuditLog.inMemory());
                KmsProxy home = KmsProxy.start(new KmsProxy.Config(new InetSocketAddress("127.0.0.1", 0),
                        Map.of("partner", List.of(PARTNER_KMS)), Set.of("kms.police.home.example"), null, "isg:home",
                        Duration.ofSeconds(5)), pair.home, homePolicy, Clock.systemUTC());
                KmsProxy partner = KmsProxy.start(new KmsProxy.Config(null, Map.of(), Set.of(PARTNER_KMS),
                        URI.create("http://127.0.0.1:" + kms.getAddress().getPort()), "isg:partner", Duration.ofSeconds(5)),
                        pair.partner, partnerPolicy, Clock.systemUTC());
                GatewayPair relays = new GatewayPair(dir, random)) {
            gms(gmsServer, gmkMessage(gmkId, gmk));
            pair.awaitUp();

            // 1. the partner KMS's certificate and the member's key in the partner's domain, through both gateways
            Path init = Files.write(dir.resolve("partner-kms-init.xml"), post(home.address().getPort(),
                    "/keymanagement/identity/v1/init", PARTNER_KMS));
            KmsCertificate partnerCert = KmsCertificate.read(init);
            assertEquals(PARTNER_KMS, partnerCert.kmsUri());
            byte[] keyProv = post(home.address().getPort(), "/keymanagement/identity/v1/keyprov", PARTNER_KMS);
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            String rskHex = f.newDocumentBuilder().parse(new java.io.ByteArrayInputStream(keyProv))
                    .getElementsByTagNameNS("*", "UserDecryptKey").item(0).getTextContent();
            byte[] rsk = HexFormat.of().parseHex(rskHex);

            // 2. the GMK from the partner's GMS, over the channel
            byte[] iMessage;
            try (Socket s = new Socket("127.0.0.1", pair.gmsService)) {
                s.setSoTimeout(10000);
                DataInputStream in = new DataInputStream(s.getInputStream());
                iMessage = new byte[in.readInt()];
                in.readFully(iMessage);
            }
            MikeyMessage m = MikeyMessage.parse(iMessage);
            byte[] myUid = McIdentity.uid(MEMBER, PARTNER_KMS, partnerCert.period(), period);
            assertArrayEquals(myUid, m.identity(MikeyMessage.ROLE_UID_R), "addressed to the member in the partner's domain");
            assertTrue(Eccsi.verify(partnerCert.kpak(), m.identity(MikeyMessage.ROLE_UID_I), m.signedPart(), m.signature()),
                    "signed by the partner's GMS under the partner KMS's KPAK");
            byte[] opened = Sakke.decapsulate(m.sakkeData(), myUid, rsk, Sakke.kmsKey(partnerCert.z()));
            assertArrayEquals(gmk, opened, "the GMK the partner's GMS sent");
            assertEquals(gmkId, m.csbId());

            // 3. the partner group's media, keyed by the GMK per talker (33.180 F.1.3), crossing in hop mode
            Session[] s = relays.session("fire-ops", Session.Mode.HOP, null, null, null, null);
            String talker = "sip:firefighter-3@fire.partner.example";
            int guk = McIdentity.gukId(gmkId, gmk, talker);
            byte[] mki = new byte[8];
            isg.srtp.crypto.Bytes.putInt(mki, 0, gmkId);
            isg.srtp.crypto.Bytes.putInt(mki, 4, guk);
            SrtpPolicy group = isg.mc.MediaProfile.MC_DEFAULT.policy(isg.srtp.crypto.JdkBackend.INSTANCE, 8).build();
            try (McKeyRing ring = new McKeyRing(Clock.systemUTC());
                    MkiReceiveContext member = new MkiReceiveContext(group, ring, CS_ID_MCPTT_GROUP, 16, Duration.ofMinutes(5));
                    MasterKey key = new MasterKey(MikeyKdf.masterKey(gmk, CS_ID_MCPTT_GROUP, guk, m.rand(), 16),
                            MikeyKdf.masterSalt(gmk, CS_ID_MCPTT_GROUP, guk, m.rand(), 12), mki);
                    SrtpSender partnerTalker = new SrtpSender(group, key)) {
                // the member holds only what came through the gateways
                ring.put(m.csbId(), opened, m.rand(), null);
                for (int i = 0; i < 10; i++) {
                    byte[] voice = new byte[160];
                    random.nextBytes(voice);
                    byte[] b = new byte[12 + 160 + 64];
                    b[0] = (byte) 0x80;
                    b[3] = (byte) i;
                    isg.srtp.crypto.Bytes.putInt(b, 8, 0x0F1E0003);
                    System.arraycopy(voice, 0, b, 12, 160);
                    PacketBuffer p = new PacketBuffer(b, 0, 12 + 160);
                    assertEquals(SrtpStatus.OK, partnerTalker.protectRtp(p));
                    relays.mcPartner.send(false, p.toByteArray(), s[1].inside().localRtp());
                    byte[] arrived = relays.mcHome.receive(false, 2000);
                    PacketBuffer q = new PacketBuffer(arrived, 0, arrived.length);
                    assertEquals(SrtpStatus.OK, member.unprotectRtp(q), "packet " + i);
                    assertArrayEquals(voice, java.util.Arrays.copyOfRange(q.array(), q.offset() + 12, q.offset() + q.length()),
                            "the talker's voice, packet " + i);
                }
            }
        } finally {
            kms.stop(0);
        }
    }
}
