package isg.mc;

import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.CryptoBackend;

/**
 * How a crypto session's media is protected: the SRTP suite, RFC 4771 RCCm3's ROC transmission
 * rate (0: the ROC is not carried) and whether SRTCP is encrypted. It comes from the MIKEY SP
 * payload of the I_MESSAGE that distributed the key ({@link SrtpSecurityPolicy}), or from TS
 * 33.180's defaults when the message carries none.
 */
public record MediaProfile(SrtpSuite suite, int rocTransmissionRate, boolean srtcpEncryption) {

    /**
     * TS 33.180 Table E.2-1, the MC group media profile: AES-GCM with a 16-octet key and a
     * 12-octet salt, key derivation rate 0, RCCm3 with ROC transmission rate 1 (the ROC after the
     * MKI in every SRTP packet), AEAD tag 16 octets, SRTP and SRTCP encrypted.
     */
    public static final MediaProfile MC_DEFAULT = new MediaProfile(SrtpSuite.AEAD_AES_128_GCM, 1, true);

    public MediaProfile {
        if (rocTransmissionRate != 0 && !suite.aead()) {
            throw new IllegalArgumentException("RCCm3 only with an AEAD suite");
        }
    }

    /** The SRTP policy of a context for this profile. */
    public SrtpPolicy.Builder policy(CryptoBackend backend, int mkiLength) {
        return SrtpPolicy.builder(suite).backend(backend).mkiLength(mkiLength).rocTransmissionRate(rocTransmissionRate)
                .srtcpEncryption(srtcpEncryption);
    }

    /** Whether a context built with {@code p} protects media as this profile says. */
    public boolean matches(SrtpPolicy p) {
        return p.suite() == suite && p.rocTransmissionRate() == rocTransmissionRate;
    }

    /** "SUITE R SRTCP-ENCRYPTION", e.g. "AEAD_AES_128_GCM 1 1": how the vault keeps it beside a key. */
    public String encode() {
        return suite.name() + " " + rocTransmissionRate + " " + (srtcpEncryption ? 1 : 0);
    }

    /** The profile {@link #encode()} wrote. */
    public static MediaProfile decode(String s) {
        String[] f = s.trim().split(" ");
        if (f.length != 3) {
            throw new IllegalArgumentException("a media profile is 'SUITE R SRTCP', got '" + s + "'");
        }
        return new MediaProfile(SrtpSuite.fromName(f[0]), Integer.parseInt(f[1]), f[2].equals("1"));
    }

    @Override
    public String toString() {
        return suite + (rocTransmissionRate == 0 ? "" : " RCCm3 R=" + rocTransmissionRate)
                + (srtcpEncryption ? "" : " SRTCP unencrypted");
    }
}
