package isg.loadgen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What rtpengine's SDP may show of itself in a message: never an SDES key. */
class RtpengineTargetTest {

    @Test
    void anSdpInAMessageCarriesNoKey() {
        String sdp = "m=audio 5000 RTP/SAVP 0\r\na=crypto:3 AEAD_AES_128_GCM inline:pawhwKFY7hFVr+3+2BxEjX1+PJRKo4TS7qLaaA\r\n"
                + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QawQEA1bO8X9C9uodz4NhWgzCQUTWGXuXKY1WN46|2^31|1:1\r\n";
        String r = RtpengineTarget.redacted(sdp);
        assertTrue(!r.contains("pawhw") && !r.contains("QawQ"), r);
        assertTrue(r.contains("a=crypto:3 AEAD_AES_128_GCM inline:<redacted>\r\n"), r);
        assertTrue(r.contains("inline:<redacted>|2^31|1:1"), r);
    }
}
