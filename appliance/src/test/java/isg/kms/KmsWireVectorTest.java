package isg.kms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * ISG channel v1's KMS proxy messages (CONTROL frames, README "Wire contract"), pinned by hand:
 * the expected texts below are written out here, field by field, not produced by the code under
 * test. Base64 of "&lt;K&gt;" (3C 4B 3E) is "PEs+"; of "ok" (6F 6B) is "b2s=".
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
        assertEquals("{\"type\":\"kms-response\",\"v\":1,\"id\":7,\"status\":200,\"contentType\":\"application/xml\","
                + "\"body\":\"b2s=\"}",
                KmsProxy.responseMessage(7, new KmsProxy.Answer(200, "application/xml", "ok".getBytes(StandardCharsets.US_ASCII))));
    }
}
