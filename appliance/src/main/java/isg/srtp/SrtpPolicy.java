package isg.srtp;

import isg.srtp.crypto.CryptoBackend;
import isg.srtp.crypto.JdkBackend;

/**
 * What a context does besides its keys: suite, backend, replay window, limits. Immutable; built
 * with {@link #builder(SrtpSuite)}.
 */
public final class SrtpPolicy {

    /** RFC 3711 §9.2: at most 2^48 SRTP packets per master key. */
    public static final long MAX_SRTP_PACKETS = 1L << 48;
    /** RFC 3711 §9.2: at most 2^31 SRTCP packets per master key. */
    public static final long MAX_SRTCP_PACKETS = 1L << 31;
    public static final int DEFAULT_REPLAY_WINDOW = 1024;
    public static final int MAX_REPLAY_WINDOW = 1 << 15;
    public static final int DEFAULT_MAX_STREAMS = 64;

    private final SrtpSuite suite;
    private final CryptoBackend backend;
    private final int replayWindow;
    private final long maxSrtpPackets;
    private final long maxSrtcpPackets;
    private final int maxStreams;
    private final int mkiLength;
    private final boolean srtcpEncryption;
    private final int rocTransmissionRate;

    private SrtpPolicy(Builder b) {
        this.suite = b.suite;
        this.backend = b.backend;
        this.replayWindow = b.replayWindow;
        this.maxSrtpPackets = b.maxSrtpPackets;
        this.maxSrtcpPackets = b.maxSrtcpPackets;
        this.maxStreams = b.maxStreams;
        this.mkiLength = b.mkiLength;
        this.srtcpEncryption = b.srtcpEncryption;
        this.rocTransmissionRate = b.rocTransmissionRate;
    }

    public static Builder builder(SrtpSuite suite) {
        return new Builder(suite);
    }

    public SrtpSuite suite() {
        return suite;
    }

    public CryptoBackend backend() {
        return backend;
    }

    public int replayWindow() {
        return replayWindow;
    }

    public long maxSrtpPackets() {
        return maxSrtpPackets;
    }

    public long maxSrtcpPackets() {
        return maxSrtcpPackets;
    }

    public int maxStreams() {
        return maxStreams;
    }

    /** MKI length in bytes carried by every packet of this context, 0 for none. */
    public int mkiLength() {
        return mkiLength;
    }

    /** Whether outgoing SRTCP is encrypted (E = 1); incoming SRTCP is accepted either way. */
    public boolean srtcpEncryption() {
        return srtcpEncryption;
    }

    /**
     * RFC 4771 RCCm3 ROC transmission rate R, or 0 when the ROC is not carried. With R, every SRTP
     * packet whose sequence number is 0 mod R carries the sender's ROC as a 4-octet trailer after
     * the MKI (the RCC "tag"; the AEAD tag authenticates the packet, and the ROC through the IV):
     * the MC group media profile of TS 33.180 Table E.2-1 uses R = 1.
     */
    public int rocTransmissionRate() {
        return rocTransmissionRate;
    }

    /** Whether an SRTP packet with sequence number {@code seq} carries its ROC (RFC 4771 §3). */
    public boolean carriesRoc(int seq) {
        return rocTransmissionRate != 0 && seq % rocTransmissionRate == 0;
    }

    @Override
    public String toString() {
        return "SrtpPolicy[" + suite + ", backend=" + backend.name() + ", replayWindow=" + replayWindow
                + ", mkiLength=" + mkiLength + ", maxStreams=" + maxStreams
                + (rocTransmissionRate == 0 ? "" : ", RCCm3 R=" + rocTransmissionRate) + "]";
    }

    public static final class Builder {
        private final SrtpSuite suite;
        private CryptoBackend backend = JdkBackend.INSTANCE;
        private int replayWindow = DEFAULT_REPLAY_WINDOW;
        private long maxSrtpPackets = MAX_SRTP_PACKETS;
        private long maxSrtcpPackets = MAX_SRTCP_PACKETS;
        private int maxStreams = DEFAULT_MAX_STREAMS;
        private int mkiLength;
        private boolean srtcpEncryption = true;
        private int rocTransmissionRate;

        private Builder(SrtpSuite suite) {
            if (suite == null) {
                throw new IllegalArgumentException("suite is required");
            }
            this.suite = suite;
        }

        public Builder backend(CryptoBackend backend) {
            this.backend = backend;
            return this;
        }

        /** Replay window size in packets, 64 to 32768; default 1024. */
        public Builder replayWindow(int packets) {
            if (packets < 64 || packets > MAX_REPLAY_WINDOW) {
                throw new IllegalArgumentException("replay window must be 64.." + MAX_REPLAY_WINDOW
                        + " packets, got " + packets);
            }
            this.replayWindow = packets;
            return this;
        }

        /** A limit below RFC 3711's on packets per master key; {@code 0} keeps the RFC's. */
        public Builder keyLifetime(long srtpPackets, long srtcpPackets) {
            if (srtpPackets < 0 || srtcpPackets < 0) {
                throw new IllegalArgumentException("key lifetime cannot be negative");
            }
            this.maxSrtpPackets = srtpPackets == 0 ? MAX_SRTP_PACKETS : Math.min(srtpPackets, MAX_SRTP_PACKETS);
            this.maxSrtcpPackets = srtcpPackets == 0 ? MAX_SRTCP_PACKETS : Math.min(srtcpPackets, MAX_SRTCP_PACKETS);
            return this;
        }

        public Builder maxStreams(int streams) {
            if (streams < 1 || streams > 65536) {
                throw new IllegalArgumentException("max streams must be 1..65536, got " + streams);
            }
            this.maxStreams = streams;
            return this;
        }

        public Builder mkiLength(int bytes) {
            if (bytes < 0 || bytes > MasterKey.MAX_MKI_LENGTH) {
                throw new IllegalArgumentException("MKI length must be 0.." + MasterKey.MAX_MKI_LENGTH
                        + " bytes, got " + bytes);
            }
            this.mkiLength = bytes;
            return this;
        }

        public Builder srtcpEncryption(boolean encrypt) {
            this.srtcpEncryption = encrypt;
            return this;
        }

        /**
         * RFC 4771 RCCm3 with ROC transmission rate {@code r} (1 to 65535; 0 for none). RCCm3
         * carries the ROC unauthenticated, so it is taken only with an AEAD suite, whose tag
         * covers the packet and, through the IV, the index the ROC names (TS 33.180 Table E.2-1).
         */
        public Builder rocTransmissionRate(int r) {
            if (r < 0 || r > 0xFFFF) {
                throw new IllegalArgumentException("ROC transmission rate must be 1..65535 (0: not carried), got " + r);
            }
            if (r != 0 && !suite.aead()) {
                throw new IllegalArgumentException("RCCm3 carries the ROC without a MAC: only with an AEAD suite, not "
                        + suite);
            }
            this.rocTransmissionRate = r;
            return this;
        }

        public SrtpPolicy build() {
            if (backend == null) {
                throw new IllegalArgumentException("backend is required");
            }
            return new SrtpPolicy(this);
        }
    }
}
