package isg.mc;

import isg.srtp.MasterKey;
import isg.srtp.PacketBuffer;
import isg.srtp.SrtpPolicy;
import isg.srtp.SrtpReceiver;
import isg.srtp.SrtpStatus;
import isg.srtp.SrtpUnprotector;
import isg.srtp.crypto.Bytes;
import java.security.InvalidKeyException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.Map;

/**
 * Receives SRTP from any member of a group call (or a private call) keyed by 33.180 MKIs, with
 * nothing provisioned per sender: a packet whose MKI is new names the key (GMK-ID, or PCK-ID) and,
 * for a group, the sender's GUK-ID; the master key and salt follow from the MIKEY KDF (TGK = the
 * GMK or PCK, CSB ID = GUK-ID or PCK-ID, the RAND of the key's I_MESSAGE), and the context keeps
 * them for the sender's later packets. A key is kept only if the packet that introduced it
 * authenticates, so forged MKIs cost a derivation each and leave nothing behind.
 *
 * <p>At most {@code maxSenders} senders are kept. A sender silent for {@code idle} is let go at
 * the next {@link #housekeeping} (its key wiped); when the table is full, a new sender takes the
 * place of the one silent longest, provided it sent nothing since the last housekeeping, and only
 * once the new sender's packet has authenticated. A sender let go comes back on its next packet
 * at the cost of one derivation; its replay state is per SSRC and stays. Only when every kept
 * sender has spoken since the last housekeeping is a new one refused.
 *
 * <p>MKI layout: 8 octets GMK-ID || GUK-ID for GMK-keyed media, 4 octets PCK-ID (or CSK-ID) otherwise.
 */
public final class MkiReceiveContext implements SrtpUnprotector {

    private final SrtpPolicy policy;
    private final McKeyRing ring;
    private final int csId;
    private final int maxSenders;
    private final long idleNanos;
    /** Read without the lock on the packet path; replaced only under it. */
    private volatile SrtpReceiver receiver;
    /** The kept senders by MKI (4 or 8 octets read as a number); guarded by this. */
    private final Map<Long, Talker> talkers = new HashMap<>();
    private long refusedMkis;
    private long profileMismatches;
    private long awaitingKey;
    private long lastKeyingWarning = System.nanoTime() - 120_000_000_000L;
    private static final System.Logger LOG = System.getLogger(MkiReceiveContext.class.getName());
    /** Runs vault-held keys' derivations off the packet thread; null: every derivation inline. */
    private final Executor keying;
    /** Talkers whose key is being derived in the vault; guarded by this. */
    private final Set<Long> pending = new HashSet<>();
    /** Keys derived for talkers, waiting for their next packet; guarded by this. */
    private final Map<Long, Derived> ready = new HashMap<>();

    private record Derived(MasterKey key, long atNanos) {
    }
    private long letGo;
    /** New-sender derivations allowed: a token bucket refilled at {@code newPerSecond}, one second deep. */
    private final double newPerNano;
    private final double burst;
    private double tokens;
    private long refilledNanos = System.nanoTime();
    private long throttled;
    private volatile boolean closed;

    /** A kept sender: packets counted under its key at the last housekeeping, and since when it has been silent. */
    private static final class Talker {
        final byte[] mki;
        long seen;
        long activeNanos;
        long now;

        Talker(byte[] mki, long seen, long activeNanos) {
            this.mki = mki;
            this.seen = seen;
            this.activeNanos = activeNanos;
        }
    }

    /** New senders keyed per second by default: a PTT group sees a few; a flood of made-up MKIs sees no more. */
    public static final int DEFAULT_NEW_SENDERS_PER_SECOND = 50;

    public MkiReceiveContext(SrtpPolicy policy, McKeyRing ring, int csId, int maxSenders, Duration idle) {
        this(policy, ring, csId, maxSenders, idle, DEFAULT_NEW_SENDERS_PER_SECOND);
    }

    /**
     * As above, deriving keys for at most {@code newPerSecond} new senders a second (in bursts of
     * as many): each derivation costs tens of microseconds on the packet thread, so packets with
     * unknown MKIs beyond that are refused ({@code UNKNOWN_KEY}, counted as throttled) without one.
     */
    public MkiReceiveContext(SrtpPolicy policy, McKeyRing ring, int csId, int maxSenders, Duration idle,
            int newPerSecond) {
        this(policy, ring, csId, maxSenders, idle, newPerSecond, null);
    }

    /**
     * As above; a talker whose MC key is in the vault has its key derived on {@code keying}, off
     * the packet thread (a vault call may block), and is received from its next packet on.
     */
    public MkiReceiveContext(SrtpPolicy policy, McKeyRing ring, int csId, int maxSenders, Duration idle,
            int newPerSecond, Executor keying) {
        this.keying = keying;
        if (policy.mkiLength() != 4 && policy.mkiLength() != 8) {
            throw new IllegalArgumentException("33.180 media uses 4- or 8-octet MKIs, not " + policy.mkiLength());
        }
        if (maxSenders < 1 || idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("at least one sender and a positive idle time");
        }
        this.policy = policy;
        this.ring = ring;
        this.csId = csId;
        this.maxSenders = maxSenders;
        this.idleNanos = idle.toNanos();
        if (newPerSecond < 1) {
            throw new IllegalArgumentException("at least one new sender a second");
        }
        this.newPerNano = newPerSecond / 1e9;
        this.burst = newPerSecond;
        this.tokens = burst;
    }

    /** Unprotects one SRTP packet; a new sender's key is derived on its first packet. */
    @Override
    public SrtpStatus unprotectRtp(PacketBuffer p) {
        return unprotect(p, false);
    }

    /** Unprotects one SRTCP packet; its MKI follows the E flag and index (RFC 3711 §3.4). */
    @Override
    public SrtpStatus unprotectRtcp(PacketBuffer p) {
        return unprotect(p, true);
    }

    /** Known talkers: straight to the engine, no lock, no allocation. */
    private SrtpStatus unprotect(PacketBuffer p, boolean rtcp) {
        if (closed) {
            return SrtpStatus.CLOSED;
        }
        SrtpReceiver r = receiver;
        if (r != null) {
            SrtpStatus s = rtcp ? r.unprotectRtcp(p) : r.unprotectRtp(p);
            if (s != SrtpStatus.UNKNOWN_KEY) {
                return s;
            }
        }
        return newTalker(p, rtcp);
    }

    /** A packet whose MKI no kept key has: derive the talker's key from the ring, keep it if the packet authenticates. */
    private synchronized SrtpStatus newTalker(PacketBuffer p, boolean rtcp) {
        if (closed) {
            return SrtpStatus.CLOSED;
        }
        if (receiver != null) {
            // another thread may have kept this talker's key meanwhile; UNKNOWN_KEY leaves the packet as it was
            SrtpStatus again = rtcp ? receiver.unprotectRtcp(p) : receiver.unprotectRtp(p);
            if (again != SrtpStatus.UNKNOWN_KEY) {
                return again;
            }
        }
        int mkiLength = policy.mkiLength();
        int end = p.offset() + p.length();
        if (!rtcp && p.length() >= 4 && policy.carriesRoc(Bytes.getShort(p.array(), p.offset() + 2))) {
            end -= 4; // RFC 4771 RCCm3: the ROC follows the MKI
        }
        int at = rtcp ? policy.suite().srtcpIndexOffset(end, mkiLength) + 4 : policy.suite().srtpMkiOffset(end, mkiLength);
        int overhead = rtcp ? policy.suite().srtcpOverhead(mkiLength) : policy.suite().srtpOverhead(mkiLength);
        if (p.length() < (rtcp ? 8 : 12) + overhead || at < p.offset() || at + mkiLength > end) {
            return SrtpStatus.MALFORMED;
        }
        byte[] mki = Arrays.copyOfRange(p.array(), at, at + mkiLength);
        int keyId = Bytes.getInt(mki, 0);
        int csbId = mkiLength == 8 ? Bytes.getInt(mki, 4) : keyId;
        McIdentity.Purpose purpose = McIdentity.Purpose.of(keyId);
        boolean group = purpose == McIdentity.Purpose.GMK;
        McKeyRing.Entry entry = ring.get(keyId);
        if (entry == null || group != (mkiLength == 8)) {
            refusedMkis++;
            return SrtpStatus.UNKNOWN_KEY;
        }
        if (!entry.profile(csId).matches(policy)) {
            // the key's I_MESSAGE gives this crypto session another protection than this context's
            refusedMkis++;
            profileMismatches++;
            return SrtpStatus.UNKNOWN_KEY;
        }
        long now = System.nanoTime();
        long number = number(mki);
        Derived waiting = ready.remove(number);
        MasterKey key = waiting == null ? null : waiting.key;
        if (key == null) {
            if (pending.contains(number)) {
                awaitingKey++;
                return SrtpStatus.UNKNOWN_KEY;
            }
            tokens = Math.min(burst, tokens + (now - refilledNanos) * newPerNano);
            refilledNanos = now;
            if (tokens < 1) {
                throttled++;
                refusedMkis++;
                return SrtpStatus.UNKNOWN_KEY;
            }
            if (talkers.size() >= maxSenders && longestSilent() == null) {
                refusedMkis++;
                return SrtpStatus.UNKNOWN_KEY;
            }
            tokens -= 1;
            if (entry.key().remote() && keying != null) {
                // the key is in the vault: derive off the packet thread; this talker's packets are
                // refused until its key is ready (its first, at the vault's speed)
                pending.add(number);
                keying.execute(() -> deriveLater(entry, mki, csbId, number));
                awaitingKey++;
                return SrtpStatus.UNKNOWN_KEY;
            }
            try {
                key = derive(entry, mki, csbId);
            } catch (KeyMaterialException e) {
                refusedMkis++;
                return SrtpStatus.UNKNOWN_KEY;
            }
        }
        Talker displaced = null;
        if (talkers.size() >= maxSenders) {
            displaced = longestSilent();
            if (displaced == null) {
                key.close();
                refusedMkis++;
                return SrtpStatus.UNKNOWN_KEY;
            }
        }
        try {
            if (receiver == null) {
                receiver = new SrtpReceiver(policy, key);
            } else {
                receiver.addKey(key);
            }
        } catch (InvalidKeyException e) {
            refusedMkis++;
            return SrtpStatus.UNKNOWN_KEY;
        } finally {
            key.close();
        }
        SrtpStatus s = rtcp ? receiver.unprotectRtcp(p) : receiver.unprotectRtp(p);
        if (s == SrtpStatus.OK) {
            if (displaced != null) {
                letGo(displaced);
            }
            talkers.put(number(mki), new Talker(mki, 0, now));
        } else {
            receiver.removeKey(mki);
            refusedMkis++;
        }
        return s;
    }

    /** The talker's SRTP master key and salt by the MIKEY KDF, keyed wherever its MC key is. */
    private MasterKey derive(McKeyRing.Entry entry, byte[] mki, int csbId) throws KeyMaterialException {
        byte[] k = MikeyKdf.masterKey(entry.key(), csId, csbId, entry.rand(), policy.suite().masterKeyLength());
        byte[] salt = null;
        try {
            salt = MikeyKdf.masterSalt(entry.key(), csId, csbId, entry.rand(), policy.suite().masterSaltLength());
            return new MasterKey(k, salt, mki);
        } finally {
            McCrypto.wipe(k, salt);
        }
    }

    /** On the keying thread: derives a talker's key in the vault and leaves it for its next packet. */
    private void deriveLater(McKeyRing.Entry entry, byte[] mki, int csbId, long number) {
        MasterKey key = null;
        try {
            key = derive(entry, mki, csbId);
        } catch (KeyMaterialException | RuntimeException e) {
            synchronized (this) {
                refusedMkis++;
                long now = System.nanoTime();
                if (now - lastKeyingWarning > 60_000_000_000L) {
                    lastKeyingWarning = now;
                    LOG.log(System.Logger.Level.WARNING, "a talker's key could not be derived in the vault (its packets "
                            + "are refused): " + e.getMessage());
                }
            }
        }
        synchronized (this) {
            pending.remove(number);
            if (key != null) {
                if (closed) {
                    key.close();
                } else {
                    Derived old = ready.put(number, new Derived(key, System.nanoTime()));
                    if (old != null) {
                        old.key.close();
                    }
                }
            }
        }
    }

    /**
     * The kept sender silent longest among those that sent nothing since the last housekeeping,
     * or none: one that spoke since then is never displaced, so a flood of new MKIs cannot push
     * out the senders of a call in progress.
     */
    private Talker longestSilent() {
        receiver.forEachKey((mki, count) -> {
            Talker t = talkers.get(number(mki));
            if (t != null) {
                t.now = count;
            }
        });
        Talker oldest = null;
        for (Talker t : talkers.values()) {
            if (t.now == t.seen && (oldest == null || t.activeNanos - oldest.activeNanos < 0)) {
                oldest = t;
            }
        }
        return oldest;
    }

    private void letGo(Talker t) {
        talkers.remove(number(t.mki));
        receiver.removeKey(t.mki);
        letGo++;
    }

    /** Notes which senders spoke since the last call; lets go of those silent for the idle time. */
    @Override
    public synchronized void housekeeping(long nowNanos) {
        if (closed) {
            return;
        }
        // keys derived for talkers that never sent again are not kept
        ready.values().removeIf(d -> {
            boolean stale = nowNanos - d.atNanos >= idleNanos;
            if (stale) {
                d.key.close();
            }
            return stale;
        });
        if (receiver == null) {
            return;
        }
        receiver.forEachKey((mki, count) -> {
            Talker t = talkers.get(number(mki));
            if (t != null && t.seen != count) {
                t.seen = count;
                t.activeNanos = nowNanos;
            }
        });
        for (Talker t : talkers.values().toArray(new Talker[0])) {
            if (nowNanos - t.activeNanos >= idleNanos) {
                letGo(t);
            }
        }
    }

    @Override
    public synchronized long srtpPacketsLeft() {
        return receiver == null ? policy.maxSrtpPackets() : receiver.srtpPacketsLeft();
    }

    @Override
    public synchronized boolean closed() {
        return closed;
    }

    /** Senders whose keys are held. */
    public synchronized int senders() {
        return talkers.size();
    }

    /** Packets with a new MKI refused without a derivation because new senders came faster than allowed. */
    public synchronized long throttled() {
        return throttled;
    }

    /** Senders let go: silent for the idle time, or displaced from a full table by a new one. */
    public synchronized long sendersLetGo() {
        return letGo;
    }

    /**
     * Packets under a key whose I_MESSAGE gives this crypto session another media profile (suite
     * or RCC) than the session's context: refused, since they cannot be read as the context reads.
     */
    public synchronized long profileMismatches() {
        return profileMismatches;
    }

    /**
     * Packets of talkers whose key was still being derived in the vault (refused as UNKNOWN_KEY:
     * a talker's first packet, when its MC key is kept in the vault).
     */
    public synchronized long awaitingKey() {
        return awaitingKey;
    }

    /** Packets whose MKI named no usable key or whose derived key did not authenticate them. */
    public synchronized long refusedMkis() {
        return refusedMkis;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (receiver != null) {
            receiver.close();
        }
        ready.values().forEach(d -> d.key.close());
        ready.clear();
    }

    private static long number(byte[] mki) {
        return Bytes.getUnsigned(mki, 0, mki.length);
    }
}
