package isg.srtp;

import java.security.InvalidKeyException;
import java.util.Arrays;

/**
 * What a sending and a receiving context share: the policy, the master keys (each with its
 * derived transform and packet counters) and the per-SSRC streams.
 *
 * <p>Packets of one context are processed by one thread at a time (the relay's event loop for
 * that session). Keys may be added or removed from another thread; {@link #close()} may be called
 * from any thread (tamper) and makes every later call return {@link SrtpStatus#CLOSED}.
 * Master keys are not retained: their session keys are derived when added and the master key
 * bytes are never copied into the context.
 */
public abstract class SrtpContext implements AutoCloseable {

    /** One master key in use: its MKI, transform and the packets processed under it. */
    static final class KeySlot {
        final byte[] mki;
        /** The MKI's 0-8 octets as one number, so finding a packet's key is one compare per key. */
        final long mkiNumber;
        final SrtpTransform transform;
        long srtpPackets;
        long srtcpPackets;

        KeySlot(byte[] mki, SrtpTransform transform) {
            this.mki = mki;
            this.mkiNumber = isg.srtp.crypto.Bytes.getUnsigned(mki, 0, mki.length);
            this.transform = transform;
        }
    }

    final SrtpPolicy policy;
    final SrtpSuite suite;
    final int mkiLength;
    final StreamTable streams;
    /** Replaced whole (copy on write) so a key added from a control thread is seen safely. */
    volatile KeySlot[] slots = new KeySlot[0];
    volatile boolean closed;
    /**
     * Packets being processed right now. Entering counts up before looking at {@code closed} and
     * {@code slots}; {@link #close()} and {@link #removeKey} wait for it to reach zero before they
     * wipe a transform, so a packet never runs on half-wiped keys (which, with a zeroed key,
     * could put something close to plaintext on the wire).
     */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    SrtpContext(SrtpPolicy policy, MasterKey... keys) throws InvalidKeyException {
        this(policy);
        if (keys.length == 0) {
            throw new InvalidKeyException("a context needs at least one master key");
        }
        for (MasterKey k : keys) {
            addKey(k);
        }
    }

    SrtpContext(SrtpPolicy policy, SessionKeys keys) throws InvalidKeyException {
        this(policy);
        addSessionKeys(keys);
    }

    private SrtpContext(SrtpPolicy policy) {
        this.policy = policy;
        this.suite = policy.suite();
        this.mkiLength = policy.mkiLength();
        this.streams = new StreamTable(policy.maxStreams());
    }

    public SrtpPolicy policy() {
        return policy;
    }

    /**
     * Adds a master key: derives its session keys now (setup cost, not per packet).
     *
     * @throws InvalidKeyException if its lengths do not fit the suite, its MKI length is not the
     *     policy's, or its MKI is already in use
     */
    public synchronized void addKey(MasterKey key) throws InvalidKeyException {
        checkOpen();
        checkMki(key.mki());
        add(key.mki(), SrtpTransform.derive(policy.backend(), suite, key));
    }

    /** Adds keys derived elsewhere (an HSM); the same rules as {@link #addKey}. */
    public synchronized void addSessionKeys(SessionKeys keys) throws InvalidKeyException {
        checkOpen();
        checkMki(keys.mki);
        keys.check(suite);
        add(keys.mki.clone(), SrtpTransform.from(policy.backend(), suite, keys));
    }

    private void add(byte[] mki, SrtpTransform t) {
        KeySlot[] next = Arrays.copyOf(slots, slots.length + 1);
        next[slots.length] = new KeySlot(mki, t);
        slots = next;
    }

    private void checkMki(byte[] mki) throws InvalidKeyException {
        if (mki.length != mkiLength) {
            throw new InvalidKeyException("master key has a " + mki.length + "-byte MKI; this context uses "
                    + mkiLength + "-byte MKIs");
        }
        if (mkiLength == 0 && slots.length > 0) {
            throw new InvalidKeyException("without MKI a context holds one master key; configure an MKI length to rekey");
        }
        for (KeySlot s : slots) {
            if (Arrays.equals(s.mki, mki)) {
                throw new InvalidKeyException("MKI " + isg.srtp.crypto.Bytes.toHex(mki) + " is already in use");
            }
        }
    }

    /** Removes and wipes the master key with this MKI; returns whether there was one. */
    public synchronized boolean removeKey(byte[] mki) {
        KeySlot[] current = slots;
        for (int i = 0; i < current.length; i++) {
            if (Arrays.equals(current[i].mki, mki)) {
                KeySlot gone = current[i];
                KeySlot[] next = new KeySlot[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                slots = next;
                keyRemoved(gone);
                quiesce();
                gone.transform.close();
                return true;
            }
        }
        return false;
    }

    /** Marks a packet as in progress; false (and nothing marked) when the context is closed. */
    final boolean enter() {
        inFlight.incrementAndGet();
        if (closed) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    final void exit() {
        inFlight.decrementAndGet();
    }

    /** Waits for packets already in progress (each takes microseconds) to finish. */
    private void quiesce() {
        while (inFlight.get() != 0) {
            Thread.onSpinWait();
        }
    }

    void keyRemoved(KeySlot slot) {
    }

    /** The slot whose MKI is at {@code b[off..]}, or the only slot when there is no MKI. */
    final KeySlot slotAt(byte[] b, int off) {
        KeySlot[] s = slots;
        if (mkiLength == 0) {
            return s.length > 0 ? s[0] : null;
        }
        long mki = isg.srtp.crypto.Bytes.getUnsigned(b, off, mkiLength);
        for (KeySlot slot : s) {
            if (slot.mkiNumber == mki) {
                return slot;
            }
        }
        return null;
    }

    /**
     * Each master key's MKI (a copy) with the SRTP and SRTCP packets processed under it so far:
     * for housekeeping and status, not for the packet path (it allocates).
     */
    public void forEachKey(java.util.function.ObjLongConsumer<byte[]> action) {
        for (KeySlot s : slots) {
            action.accept(s.mki.clone(), s.srtpPackets + s.srtcpPackets);
        }
    }

    /** Packets processed under the key with this MKI: {SRTP, SRTCP}; for status and tests. */
    public long[] packetCounts(byte[] mki) {
        for (KeySlot s : slots) {
            if (Arrays.equals(s.mki, mki)) {
                return new long[] {s.srtpPackets, s.srtcpPackets};
            }
        }
        throw new IllegalArgumentException("no key with that MKI");
    }

    /**
     * How many more SRTP packets the most used master key may protect or accept before
     * {@link SrtpStatus#KEY_EXPIRED}: the key-expiry horizon operators watch.
     */
    public long srtpPacketsLeft() {
        long left = policy.maxSrtpPackets();
        for (KeySlot s : slots) {
            left = Math.min(left, policy.maxSrtpPackets() - s.srtpPackets);
        }
        return left;
    }

    /** The ROC of a stream, or -1 if the SSRC is unknown here. */
    public long roc(int ssrc) {
        SrtpStream s = streams.get(ssrc);
        return s == null ? -1 : s.roc();
    }

    /**
     * Sets the ROC of a stream that has not carried an SRTP packet yet: its first packet's index
     * is then ROC || SEQ exactly (RFC 3711 §3.3.1), e.g. for a receiver joining a call late whose
     * ROC it learnt elsewhere (signalling, RFC 4771's ROC in the packet), or a sender resuming one.
     * Call it before packets flow or from the thread that processes the context's packets: it may
     * create the stream.
     *
     * @throws IllegalStateException once the stream has carried an SRTP packet: its ROC is then
     *     its own, and moving it would replay or skip indices
     * @throws IllegalArgumentException for a ROC outside 0..2^32-1
     */
    public synchronized void setRoc(int ssrc, long roc) {
        checkOpen();
        if (roc < 0 || roc > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("a ROC is 32 bits, got " + roc);
        }
        SrtpStream s = streams.get(ssrc);
        if (s != null && s.rtp.top() >= 0) {
            throw new IllegalStateException("SSRC " + Integer.toHexString(ssrc) + " has carried SRTP packets: its ROC "
                    + "is known from them");
        }
        if (s == null) {
            if (streams.full()) {
                throw new IllegalStateException("the context holds its maximum of " + policy.maxStreams() + " streams");
            }
            s = newStream(ssrc);
        }
        s.initialRoc = roc;
    }

    /** {@link #rtpIndex} results below zero. */
    static final long INDEX_TOO_OLD = -1;
    static final long INDEX_REPLAY = -2;
    static final long INDEX_STREAM_LIMIT = -3;

    /**
     * The packet index of RTP sequence number {@code seq} on {@code stream} (null: a stream not
     * seen yet, which starts at ROC 0), replay-checked but not recorded; or one of the
     * {@code INDEX_} codes. Senders check too: sending an index twice would reuse keystream.
     */
    final long rtpIndex(SrtpStream stream, int seq) {
        if (stream == null) {
            return streams.full() ? INDEX_STREAM_LIMIT : SrtpStream.estimateIndex(-1, seq, 0);
        }
        long index = SrtpStream.estimateIndex(stream.rtp.top(), seq, stream.initialRoc);
        if (index < 0) {
            return INDEX_TOO_OLD;
        }
        int r = stream.rtp.check(index);
        return r == ReplayWindow.OK ? index : r == ReplayWindow.REPLAY ? INDEX_REPLAY : INDEX_TOO_OLD;
    }

    /** Octets of a ROC carried in a packet (RFC 4771). */
    static final int ROC_LENGTH = 4;

    /** A packet index known outright (a carried ROC), replay-checked as {@link #rtpIndex} does. */
    final long checkedIndex(SrtpStream stream, long index) {
        if (stream == null) {
            return streams.full() ? INDEX_STREAM_LIMIT : index;
        }
        int r = stream.rtp.check(index);
        return r == ReplayWindow.OK ? index : r == ReplayWindow.REPLAY ? INDEX_REPLAY : INDEX_TOO_OLD;
    }

    static SrtpStatus refusal(long indexCode) {
        return indexCode == INDEX_REPLAY ? SrtpStatus.REPLAY
                : indexCode == INDEX_STREAM_LIMIT ? SrtpStatus.STREAM_LIMIT : SrtpStatus.TOO_OLD;
    }

    /**
     * Whether the packet committed last was newer than anything its stream had seen: what lets a
     * latching leg move its peer (a packet from the window's past never does). Written and read
     * by the thread that processes the context's packets.
     */
    boolean lastAdvanced;

    /** Records a processed RTP packet: its stream (created if new), its index, its key's count. */
    final void commitRtp(SrtpStream stream, int ssrc, long index, KeySlot slot) {
        SrtpStream s = stream == null ? newStream(ssrc) : stream;
        lastAdvanced = index > s.rtp.top();
        s.rtp.commit(index);
        slot.srtpPackets++;
    }

    final SrtpStream newStream(int ssrc) {
        SrtpStream s = new SrtpStream(ssrc, policy.replayWindow());
        streams.put(s);
        return s;
    }

    final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("SRTP context is closed");
        }
    }

    public boolean closed() {
        return closed;
    }

    /** Wipes every session key and forgets every stream; later packets get {@code CLOSED}. */
    @Override
    public synchronized void close() {
        closed = true;
        quiesce();
        KeySlot[] s = slots;
        slots = new KeySlot[0];
        for (KeySlot slot : s) {
            slot.transform.close();
        }
        streams.clear();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + suite + ", keys=" + slots.length + ", streams=" + streams.size()
                + (closed ? ", closed" : "") + "]";
    }
}
