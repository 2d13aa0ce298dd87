package isg.mc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KMS certificates (33.180 Annex D) read from the XML a KMS serves, and every way one is refused. */
public class KmsCertificateTest {

    @TempDir
    Path dir;

    /** A KmsInit response as KMSs serve it, namespaced, with one certificate. */
    public static String response(String uri, String period, String z, String kpak, String from, String to) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <KmsResponse Version="1.1.0" xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">
                  <KmsUri>%1$s</KmsUri>
                  <UserUri>sip:isg@example</UserUri>
                  <KmsMessage>
                    <KmsInit Version="1.0.0">
                      <KmsCertificate Version="1.1.0" Role="Root">
                        <KmsUri>%1$s</KmsUri>
                        <Issuer>www.example</Issuer>
                        <ValidFrom>%5$s</ValidFrom>
                        <ValidTo>%6$s</ValidTo>
                        <Revoked>false</Revoked>
                        <UserIdFormat>2</UserIdFormat>
                        <UserKeyPeriod>%2$s</UserKeyPeriod>
                        <UserKeyOffset>0</UserKeyOffset>
                        <PubEncKey>%3$s</PubEncKey>
                        <PubAuthKey>%4$s</PubAuthKey>
                        <ParameterSet>1</ParameterSet>
                      </KmsCertificate>
                    </KmsInit>
                  </KmsMessage>
                </KmsResponse>
                """.formatted(uri, period, z, kpak, from, to);
    }

    private static String valid() {
        return response("kms.mydev.streamwide.com", "16777215", StreamwideVectors.text("kms.z"),
                StreamwideVectors.text("kms.kpak"), "2020-01-01T00:00:00", "2040-01-01T00:00:00+00:00");
    }

    private Path write(String xml) throws IOException {
        return Files.writeString(dir.resolve("kms.xml"), xml);
    }

    @Test
    void aKmsResponseGivesTheDomainsKeysAndPeriods() throws Exception {
        KmsCertificate c = KmsCertificate.read(write(valid()));
        assertEquals("kms.mydev.streamwide.com", c.kmsUri());
        assertEquals(new McIdentity.KeyPeriod(16_777_215, 0), c.period());
        assertArrayEquals(StreamwideVectors.hex("kms.z"), c.z());
        assertArrayEquals(StreamwideVectors.hex("kms.kpak"), c.kpak());
        assertEquals(Instant.parse("2020-01-01T00:00:00Z"), c.validFrom(), "a time without zone is UTC");
        assertEquals(Instant.parse("2040-01-01T00:00:00Z"), c.validTo());
        c.checkValidAt(Instant.parse("2026-11-28T00:00:00Z"));
        IOException expired = assertThrows(IOException.class, () -> c.checkValidAt(Instant.parse("2041-01-01T00:00:00Z")));
        assertTrue(expired.getMessage().contains("expired at 2040-01-01T00:00:00Z"), expired.getMessage());
        IOException early = assertThrows(IOException.class, () -> c.checkValidAt(Instant.parse("2019-01-01T00:00:00Z")));
        assertTrue(early.getMessage().contains("valid only from"), early.getMessage());
        // a bare certificate, no validity given
        String bare = valid().substring(valid().indexOf("<KmsCertificate"), valid().indexOf("</KmsCertificate>") + 17)
                .replaceAll("<Valid(From|To)>.*</Valid(From|To)>", "");
        KmsCertificate b = KmsCertificate.read(write(bare));
        assertNull(b.validTo());
        assertEquals(c.kmsUri(), b.kmsUri());
    }

    @Test
    void aDefectiveCertificateIsRefusedNamingTheFileAndElement() throws Exception {
        String v = valid();
        String[][] cases = {
            {v.replace("<ParameterSet>1<", "<ParameterSet>2<"), "ParameterSet 2"},
            {v.replace("<Revoked>false<", "<Revoked>true<"), "is revoked"},
            {v.replace("<UserIdFormat>2<", "<UserIdFormat>1<"), "UserIdFormat 1"},
            {v.replace("<PubEncKey>04", "<PubEncKey>05"), "PubEncKey is not an uncompressed point"},
            {v.replace("<PubAuthKey>04", "<PubAuthKey>0g"), "PubAuthKey is not hexadecimal"},
            {v.replaceAll("<UserKeyPeriod>.*</UserKeyPeriod>", ""), "has no UserKeyPeriod"},
            {v.replace("<UserKeyPeriod>16777215<", "<UserKeyPeriod>-5<"), "UserKeyPeriod '-5' is not a whole number"},
            {v.replace("<UserKeyOffset>0<", "<UserKeyOffset>16777215<"), "UserKeyOffset 16777215 is not below"},
            {v.replace("2020-01-01T00:00:00", "first of January"), "ValidFrom 'first of January'"},
            {v.replace("</KmsInit>", "</KmsInit><KmsInit>" + v.substring(v.indexOf("<KmsCertificate"),
                    v.indexOf("</KmsCertificate>") + 17) + "</KmsInit>"), "found 2"},
            {"not xml at all", "not a KMS certificate"},
        };
        for (String[] c : cases) {
            Path f = write(c[0]);
            IOException e = assertThrows(IOException.class, () -> KmsCertificate.read(f), c[1]);
            assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void aDocumentTypeDeclarationIsRefusedSoNoEntityIsEverFetched() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "do-not-read");
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE KmsCertificate [<!ENTITY s SYSTEM \"" + secret.toUri() + "\">]>\n"
                + valid().substring(valid().indexOf("<KmsCertificate"), valid().indexOf("</KmsCertificate>") + 17)
                        .replace("<Issuer>www.example</Issuer>", "<Issuer>&s;</Issuer>");
        IOException e = assertThrows(IOException.class, () -> KmsCertificate.read(write(xxe)));
        assertTrue(e.getMessage().contains("DOCTYPE"), e.getMessage());
        assertTrue(!e.getMessage().contains("do-not-read"));
    }
}
