package isg.bench;

import isg.mc.McIdentity;
import isg.mc.McKeyRing;
import isg.mc.MediaProfile;
import isg.mc.MikeyKdf;
import isg.mc.MkiReceiveContext;
import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpSender;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpSuite;
import isg.srtp.crypto.JdkBackend;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A group call received by a gateway that holds only the GMK: SRTP packets (AEAD_AES_128_GCM,
 * 160-octet payload, 8-octet MKI = GMK-ID || GUK-ID) from 1 and from many talkers, interleaved
 * packet by packet (the worst case for finding each talker's key), unprotected by one
 * {@link MkiReceiveContext}. Packets are protected before the clock runs; every talker's key is
 * derived in a first pass, so the figures are the steady state. Printed as
 * {@code BENCH group_receive_<talkers>_talkers <packets_per_s>}.
 */
final class GroupReceiveBench {

    private static final int CS_ID_MCPTT_GROUP = 4;

    private GroupReceiveBench() {
    }

    static List<String> run(boolean quick) throws InvalidKeyException {
        List<String> out = new ArrayList<>();
        int packets = quick ? 60_000 : 600_000;
        for (int talkers : new int[] {1, 16, 256}) {
            out.add(String.format("BENCH group_receive_%d_talkers %d", talkers, Math.round(packetsPerSecond(talkers,
                    packets))));
        }
        return out;
    }

    static double packetsPerSecond(int talkers, int packets) throws InvalidKeyException {
        SecureRandom random = new SecureRandom();
        byte[] gmk = new byte[16];
        byte[] rand = new byte[16];
        random.nextBytes(gmk);
        random.nextBytes(rand);
        int gmkId = random.nextInt() & 0x0FFFFFFF; // purpose tag 0: GMK
        // TS 33.180 Table E.2-1: AES-128-GCM with RCCm3, the ROC trailer in every packet
        SrtpPolicy policy = MediaProfile.MC_DEFAULT.policy(JdkBackend.INSTANCE, 8).maxStreams(Math.max(64, talkers))
                .build();
        int perTalker = packets / talkers;
        byte[][] wire = new byte[perTalker * talkers][];
        for (int t = 0; t < talkers; t++) {
            int guk = McIdentity.gukId(gmkId, gmk, "sip:talker" + t + "@mc.example");
            byte[] mki = new byte[8];
            isg.srtp.crypto.Bytes.putInt(mki, 0, gmkId);
            isg.srtp.crypto.Bytes.putInt(mki, 4, guk);
            byte[] k = MikeyKdf.masterKey(gmk, CS_ID_MCPTT_GROUP, guk, rand, 16);
            byte[] salt = MikeyKdf.masterSalt(gmk, CS_ID_MCPTT_GROUP, guk, rand, 12);
            try (MasterKey key = new MasterKey(k, salt, mki); SrtpSender tx = new SrtpSender(policy, key)) {
                for (int i = 0; i < perTalker; i++) {
                    byte[] b = new byte[12 + 160 + 32];
                    b[0] = (byte) 0x80;
                    isg.srtp.crypto.Bytes.putInt(b, 8, 0x1000 + t);
                    b[2] = (byte) (i >>> 8);
                    b[3] = (byte) i;
                    PacketBuffer p = new PacketBuffer(b, 0, 12 + 160);
                    if (tx.protectRtp(p) != SrtpStatus.OK) {
                        throw new IllegalStateException("protect failed");
                    }
                    wire[i * talkers + t] = p.toByteArray();
                }
            }
        }
        try (McKeyRing ring = new McKeyRing(Clock.systemUTC());
                MkiReceiveContext rx = new MkiReceiveContext(policy, ring, CS_ID_MCPTT_GROUP, Math.max(talkers, 1),
                        Duration.ofMinutes(5), 1_000_000)) {
            ring.put(gmkId, gmk, rand, null);
            byte[] scratch = new byte[256];
            PacketBuffer pb = new PacketBuffer();
            int warm = Math.min(wire.length, Math.max(talkers, wire.length / 5));
            for (int i = 0; i < warm; i++) {
                receive(rx, wire[i], scratch, pb);
            }
            long start = System.nanoTime();
            for (int i = warm; i < wire.length; i++) {
                receive(rx, wire[i], scratch, pb);
            }
            long elapsed = System.nanoTime() - start;
            return (wire.length - warm) * 1e9 / elapsed;
        }
    }

    private static void receive(MkiReceiveContext rx, byte[] packet, byte[] scratch, PacketBuffer pb) {
        System.arraycopy(packet, 0, scratch, 0, packet.length);
        pb.set(scratch, 0, packet.length);
        SrtpStatus s = rx.unprotectRtp(pb);
        if (s != SrtpStatus.OK) {
            throw new IllegalStateException("group packet refused: " + s);
        }
    }
}
