package isg.srtp;

import java.util.Random;

/** Plain RTP and RTCP packets for tests, with room behind them for what protection adds. */
public final class TestPackets {

    public static final int ROOM = 64;

    private TestPackets() {
    }

    /** An RTP packet: V=2, PT 0, the given sequence number and SSRC, random payload. */
    public static byte[] rtp(int seq, int ssrc, int payloadLength, Random random) {
        byte[] p = new byte[12 + payloadLength];
        p[0] = (byte) 0x80;
        p[1] = 0;
        p[2] = (byte) (seq >>> 8);
        p[3] = (byte) seq;
        int ts = seq * 160;
        p[4] = (byte) (ts >>> 24);
        p[5] = (byte) (ts >>> 16);
        p[6] = (byte) (ts >>> 8);
        p[7] = (byte) ts;
        p[8] = (byte) (ssrc >>> 24);
        p[9] = (byte) (ssrc >>> 16);
        p[10] = (byte) (ssrc >>> 8);
        p[11] = (byte) ssrc;
        for (int i = 12; i < p.length; i++) {
            p[i] = (byte) random.nextInt();
        }
        return p;
    }

    /** An RTCP receiver report (PT 201) with {@code words} 32-bit words after the header. */
    public static byte[] rtcp(int ssrc, int words, Random random) {
        byte[] p = new byte[8 + 4 * words];
        p[0] = (byte) 0x80;
        p[1] = (byte) 201;
        int length = (p.length / 4) - 1;
        p[2] = (byte) (length >>> 8);
        p[3] = (byte) length;
        p[4] = (byte) (ssrc >>> 24);
        p[5] = (byte) (ssrc >>> 16);
        p[6] = (byte) (ssrc >>> 8);
        p[7] = (byte) ssrc;
        for (int i = 8; i < p.length; i++) {
            p[i] = (byte) random.nextInt();
        }
        return p;
    }

    /** The packet copied into a buffer with room for tag and MKI. */
    public static PacketBuffer withRoom(byte[] packet) {
        byte[] b = java.util.Arrays.copyOf(packet, packet.length + ROOM);
        return new PacketBuffer(b, 0, packet.length);
    }

    public static MasterKey randomKey(SrtpSuite suite, byte[] mki, Random random) {
        byte[] k = new byte[suite.masterKeyLength()];
        byte[] s = new byte[suite.masterSaltLength()];
        random.nextBytes(k);
        random.nextBytes(s);
        return new MasterKey(k, s, mki);
    }

    public static byte[] keyAndSalt(SrtpSuite suite, Random random) {
        byte[] ks = new byte[suite.masterKeyLength() + suite.masterSaltLength()];
        random.nextBytes(ks);
        return ks;
    }

    public static MasterKey split(SrtpSuite suite, byte[] keyAndSalt, byte[] mki) {
        int kl = suite.masterKeyLength();
        return new MasterKey(java.util.Arrays.copyOfRange(keyAndSalt, 0, kl),
                java.util.Arrays.copyOfRange(keyAndSalt, kl, keyAndSalt.length), mki);
    }
}
