package isg.mc;

import isg.mc.MikeyException.Reason;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The 33.180 "3GPP key parameters" general extension (type 7, clause E.6): what the sender says
 * about the key it distributes — its type, status (revoked or not), activation and expiry time,
 * a text and, for group keys, the group IDs — carried as an MCData protected payload (clause
 * 8.5.4) encrypted under a key derived from the distributed key itself, so only a holder of the
 * key can read or forge it.
 *
 * <p>Protected payload: message type (1), date and time (5), payload ID (4), payload sequence
 * number (1), payload algorithm (1: AEAD_AES_128_GCM), IV (16), DPPK-ID (4, the CSB ID of the
 * carrying message), then the payload element: type (1), length (2), ciphertext and 16-octet tag.
 * The associated data is everything before the payload element; the key is the DPCK, the 16
 * least significant octets of KDF(distributed key, FC 0x53, DPPK-ID) (33.180 F.1.5).
 *
 * <p>Content: key type (1, the purpose numbering of the key identifier), status (4; bit 0 set:
 * not revoked; bit 1 set: may be shared with a gateway), activation time (5), expiry time (5),
 * text length (2) and text, and for GMK, MKFC and MuSiK a group-IDs length (2) and the group IDs;
 * anything after is reserved. Times are read as seconds on the NTP scale, 0 meaning not given.
 *
 * <p>This layout follows the messages Streamwide's libmikey-sakke publishes with its test
 * vectors (which decode with it); where 33.180's text could not be read here, that is the reference.
 */
public record KeyParameters(int keyType, int status, long activationNtp, long expiryNtp, String text, byte[] groupIds) {

    public static final int EXTENSION_TYPE = 7;
    public static final int STATUS_NOT_REVOKED = 0b1;
    public static final int STATUS_SHARED_WITH_GATEWAY = 0b10;
    static final int MESSAGE_TYPE_PROTECTED = 0x43;
    static final int ALGORITHM_AES_128_GCM = 1;
    static final int FC_DPCK = 0x53;
    private static final int HEADER = 12;
    private static final int IV = 16;
    private static final int AAD = HEADER + IV + 4;
    private static final int TAG = 16;

    public KeyParameters {
        groupIds = groupIds == null ? null : groupIds.clone();
        text = text == null ? "" : text;
    }

    /** Parameters for a key of this purpose, not revoked, with an expiry (NTP seconds, 0 for none). */
    public static KeyParameters of(McIdentity.Purpose purpose, long expiryNtp) {
        return new KeyParameters(purpose.ordinal(), STATUS_NOT_REVOKED, 0, expiryNtp, "", carriesGroups(purpose.ordinal())
                ? new byte[] {0} : null);
    }

    public boolean revoked() {
        return (status & STATUS_NOT_REVOKED) == 0;
    }

    /** The MCData payload protection key for a distributed key and its DPPK-ID (33.180 F.1.5). */
    static byte[] dpck(byte[] dppk, int dppkId) {
        byte[] out = McIdentity.kdf(dppk, FC_DPCK, int32(dppkId));
        byte[] k = Arrays.copyOfRange(out, out.length - 16, out.length);
        McCrypto.wipe(out);
        return k;
    }

    /**
     * Opens the extension's data with the distributed {@code key}; the DPPK-ID must be the
     * carrying message's CSB ID and the tag must verify, else {@code BAD_KEY_PARAMETERS}.
     */
    static KeyParameters open(byte[] data, byte[] key, int csbId) throws MikeyException {
        if (data.length < AAD + 3 + TAG) {
            throw bad("protected payload of " + data.length + " octets is shorter than its header and tag");
        }
        if ((data[11] & 0xFF) != ALGORITHM_AES_128_GCM) {
            throw new MikeyException(Reason.UNSUPPORTED, "key parameters protected with payload algorithm "
                    + (data[11] & 0xFF) + ", not 1 (AEAD_AES_128_GCM)");
        }
        int dppkId = McCrypto.integer(data, HEADER + IV, 4).intValue();
        if (dppkId != csbId) {
            throw bad(String.format("DPPK-ID %08x is not the message's CSB ID %08x", dppkId, csbId));
        }
        int length = (data[AAD + 1] & 0xFF) << 8 | (data[AAD + 2] & 0xFF);
        if (length != data.length - AAD - 3 || length < TAG) {
            throw bad("payload length " + length + " does not match the " + (data.length - AAD - 3) + " octets present");
        }
        byte[] dpck = dpck(key, dppkId);
        byte[] plain;
        try {
            plain = McCrypto.gcm(false, dpck, Arrays.copyOfRange(data, HEADER, HEADER + IV), Arrays.copyOf(data, AAD),
                    Arrays.copyOfRange(data, AAD + 3, data.length));
        } finally {
            McCrypto.wipe(dpck);
        }
        if (plain == null) {
            throw bad("does not authenticate under the key it came with");
        }
        return decode(plain);
    }

    static KeyParameters decode(byte[] p) throws MikeyException {
        if (p.length < 17) {
            throw bad("content of " + p.length + " octets, at least 17 expected");
        }
        int type = p[0] & 0xFF;
        int status = McCrypto.integer(p, 1, 4).intValue();
        long activation = McCrypto.integer(p, 5, 5).longValue();
        long expiry = McCrypto.integer(p, 10, 5).longValue();
        int textLength = (p[15] & 0xFF) << 8 | (p[16] & 0xFF);
        int at = 17 + textLength;
        if (at > p.length) {
            throw bad("text of " + textLength + " octets overruns the content");
        }
        String text = new String(p, 17, textLength, StandardCharsets.UTF_8);
        byte[] groups = null;
        if (carriesGroups(type)) {
            if (at + 2 > p.length) {
                throw bad("group key without its group-IDs element");
            }
            int n = (p[at] & 0xFF) << 8 | (p[at + 1] & 0xFF);
            if (at + 2 + n > p.length) {
                throw bad("group IDs of " + n + " octets overrun the content");
            }
            groups = Arrays.copyOfRange(p, at + 2, at + 2 + n);
        }
        return new KeyParameters(type, status, activation, expiry, text, groups);
    }

    /** Encodes and seals for a message whose CSB ID is {@code csbId} carrying {@code key}. */
    byte[] seal(byte[] key, int csbId) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.write(keyType);
        c.writeBytes(int32(status));
        c.writeBytes(McCrypto.octets(java.math.BigInteger.valueOf(activationNtp), 5));
        c.writeBytes(McCrypto.octets(java.math.BigInteger.valueOf(expiryNtp), 5));
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        c.write(t.length >>> 8);
        c.write(t.length);
        c.writeBytes(t);
        if (carriesGroups(keyType)) {
            byte[] g = groupIds == null ? new byte[] {0} : groupIds;
            c.write(g.length >>> 8);
            c.write(g.length);
            c.writeBytes(g);
        }
        byte[] header = new byte[AAD];
        header[0] = (byte) MESSAGE_TYPE_PROTECTED;
        header[5] = 1;
        header[11] = (byte) ALGORITHM_AES_128_GCM;
        byte[] iv = new byte[IV];
        McCrypto.random().nextBytes(iv);
        System.arraycopy(iv, 0, header, HEADER, IV);
        System.arraycopy(int32(csbId), 0, header, HEADER + IV, 4);
        byte[] dpck = dpck(key, csbId);
        byte[] sealed = McCrypto.gcm(true, dpck, iv, header, c.toByteArray());
        McCrypto.wipe(dpck);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(header);
        o.write(0);
        o.write(sealed.length >>> 8);
        o.write(sealed.length);
        o.writeBytes(sealed);
        return o.toByteArray();
    }

    @Override
    public byte[] groupIds() {
        return groupIds == null ? null : groupIds.clone();
    }

    private static boolean carriesGroups(int type) {
        return type == McIdentity.Purpose.GMK.ordinal() || type == McIdentity.Purpose.MKFC.ordinal()
                || type == McIdentity.Purpose.MUSIK.ordinal();
    }

    private static MikeyException bad(String why) {
        return new MikeyException(Reason.BAD_KEY_PARAMETERS, "3GPP key parameters: " + why);
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
