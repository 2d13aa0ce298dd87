package isg.relay;

import isg.srtp.SrtpSuite;
import isg.srtp.crypto.Bytes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The outside leg's keying of one session incarnation, wire contract "ISG interconnect v2"
 * ({@link InterconnectKeys}): this gateway's nonce, drawn when the session is created and never
 * changed, and the partner gateway's, given at create or later ({@link Relay#key}). The leg is
 * keyed once both are known.
 *
 * <p>A partner nonce is taken at most once per incarnation. Taking a new one (the partner's
 * session was re-created, e.g. after it restarted) re-keys both directions; taking back one used
 * before would repeat this gateway's send keys (GCM nonce reuse) and is refused. The lock of this
 * object is held by control threads across the vault derivation; no event loop ever takes it.
 */
final class OutsideKeying {

    /** Partner nonces one incarnation may take before it must be re-created. */
    static final int MAX_PARTNER_NONCES = 64;

    final String masterUri;
    final SrtpSuite suite;
    private final byte[] localNonce;
    /** Guarded by this. */
    private byte[] partnerNonce;
    /** Every partner nonce this incarnation was keyed with; guarded by this. */
    private final List<byte[]> taken = new ArrayList<>();

    OutsideKeying(String masterUri, SrtpSuite suite, byte[] localNonce) {
        this.masterUri = masterUri;
        this.suite = suite;
        this.localNonce = localNonce.clone();
    }

    byte[] localNonce() {
        return localNonce.clone();
    }

    synchronized byte[] partnerNonce() {
        return partnerNonce == null ? null : partnerNonce.clone();
    }

    /** Whether {@code nonce} is the one the leg is keyed with now (taking it again changes nothing). */
    synchronized boolean current(byte[] nonce) {
        return partnerNonce != null && Arrays.equals(partnerNonce, nonce);
    }

    /** Refuses a partner nonce that must not key this incarnation. */
    synchronized void check(byte[] nonce) throws RelayException {
        if (nonce.length != InterconnectKeys.NONCE_LENGTH) {
            throw new RelayException(400, "outside.partnerNonce must be " + InterconnectKeys.NONCE_LENGTH
                    + " octets (" + 2 * InterconnectKeys.NONCE_LENGTH + " hex digits), got " + nonce.length);
        }
        if (Arrays.equals(nonce, localNonce)) {
            throw new RelayException(400, "outside.partnerNonce is this gateway's own nonce for the session: give "
                    + "the partner gateway's (its create answer's outside.nonce)");
        }
        for (byte[] t : taken) {
            if (Arrays.equals(t, nonce)) {
                throw new RelayException(409, "outside.partnerNonce " + Bytes.toHex(nonce) + " keyed this session "
                        + "before; keys are never repeated: re-create the session on both gateways");
            }
        }
        if (taken.size() >= MAX_PARTNER_NONCES) {
            throw new RelayException(409, "this session was re-keyed " + MAX_PARTNER_NONCES
                    + " times; re-create it on both gateways");
        }
    }

    /** Records that the leg is now keyed with {@code nonce}. */
    synchronized void took(byte[] nonce) {
        partnerNonce = nonce.clone();
        taken.add(partnerNonce);
    }
}
