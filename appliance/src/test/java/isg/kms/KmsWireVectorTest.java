package isg.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * ISG channel v1's KMS proxy messages (CONTROL frames, README "Wire contract"), pinned by hand:
 * the expected texts below are written out here, field by field, not produced by the code under
 * test. Base64 of "&lt;K&gt;" (3C 4B 3E) is "PEs+"; of "ok" (6F 6B) is "b2s="; of "AAA" is "QUFB", of "AA"
 * "QUE=", of "A" "QQ==".
 */
class KmsWireVectorTest {

    @Test
    void kmsRequestV1() {
        assertEquals("{\"type\":\"kms-request\",\"v\":1,\"id\":7,\"method\":\"POST\","
                + "\"path\":\"/keymanagement/identity/v1/keyprov\",\"contentType\":\"application/xml\","
                + "\"authorization\":\"Bearer t\",\"body\":\"PEs+\"}",
                KmsProxy.requestMessage(7, "/keymanagement/identity/v1/keyprov", "Bearer t", "application/xml",
                        "<K>".getBytes(StandardCharsets.US_ASCII)));
        // without a token or a content type the members are absent, not null
        assertEquals("{\"type\":\"kms-request\",\"v\":1,\"id\":8,\"method\":\"POST\","
                + "\"path\":\"/keymanagement/identity/v1/init\",\"body\":\"\"}",
                KmsProxy.requestMessage(8, "/keymanagement/identity/v1/init", null, null, new byte[0]));
    }

    @Test
    void kmsResponseV1() {
        assertEquals(java.util.List.of("{\"type\":\"kms-response\",\"v\":1,\"id\":7,\"status\":200,"
                + "\"contentType\":\"application/xml\",\"part\":0,\"parts\":1,\"body\":\"b2s=\"}"),
                KmsProxy.responseMessages(7, new KmsProxy.Answer(200, "application/xml",
                        "ok".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void aLargeAnswerTravelsInPartsOf11KiB() {
        // 11,265 octets of 'A': a first part of 11,264 = 3 x 3,754 + 2 ("QUFB" x 3,754, then "QUE="),
        // and a second part of the last octet ("QQ==")
        byte[] body = new byte[11 * 1024 + 1];
        java.util.Arrays.fill(body, (byte) 'A');
        java.util.List<String> parts = KmsProxy.responseMessages(9, new KmsProxy.Answer(200, null, body));
        assertEquals(2, parts.size());
        assertEquals("{\"type\":\"kms-response\",\"v\":1,\"id\":9,\"status\":200,\"part\":0,\"parts\":2,\"body\":\""
                + "QUFB".repeat(3754) + "QUE=\"}", parts.get(0));
        assertEquals("{\"type\":\"kms-response\",\"v\":1,\"id\":9,\"status\":200,\"part\":1,\"parts\":2,\"body\":\"QQ==\"}",
                parts.get(1));
        assertEquals(true, parts.get(0).getBytes(StandardCharsets.UTF_8).length <= 16384, "each part fits one CONTROL frame");
    }
}
