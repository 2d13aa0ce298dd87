package isg.mc;

import isg.mc.MikeyException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A MIKEY-SAKKE I_MESSAGE (RFC 3830 §6, RFC 6043, RFC 6509, TS 33.180 Annex E) as MC uses it:
 * common header with a GENERIC-ID or empty CS ID map, timestamp, RAND, identity payloads (UIDs and
 * KMS URIs of initiator and responder), security policy, SAKKE payload, general extensions and the
 * ECCSI signature. {@link MikeyMessageBuilder} lays them out; {@link #parse} checks every length against the buffer and refuses anything else
 * with a {@link MikeyException}; it throws nothing else.
 */
public final class MikeyMessage {

    public static final int VERSION = 1;
    /** HDR data type of a MIKEY-SAKKE I_MESSAGE (RFC 6509 §4.1). */
    public static final int DATA_TYPE_SAKKE = 26;
    /** PRF-HMAC-SHA-256 (RFC 6043 §6.1), the one 33.180 uses. */
    public static final int PRF_HMAC_SHA256 = 1;
    public static final int MAP_SRTP_ID = 0;
    public static final int MAP_EMPTY = 1;
    public static final int MAP_GENERIC_ID = 2;

    static final int LAST = 0;
    static final int SIGN = 4;
    static final int T = 5;
    static final int SP = 10;
    static final int RAND = 11;
    static final int IDR = 14;
    static final int GENERAL_EXT = 21;
    static final int SAKKE = 26;

    /** ID roles (RFC 6043 §6.6; 8 and 9 are TS 33.180's UIDs of initiator and responder). */
    public static final int ROLE_KMS_I = 6;
    public static final int ROLE_KMS_R = 7;
    public static final int ROLE_UID_I = 8;
    public static final int ROLE_UID_R = 9;
    /** ID type: URI (RFC 6043 §6.6). */
    public static final int ID_URI = 1;

    /** Timestamp types (RFC 3830 §6.6). */
    public static final int TS_NTP_UTC = 0;
    public static final int TS_NTP = 1;
    /** Signature type ECCSI (RFC 6509 §4.3). */
    public static final int SIGN_ECCSI = 2;
    /** SAKKE parameter set 1 (RFC 6509 §4.2). */
    public static final int SAKKE_PARAMS_1 = 1;
    /** SAKKE identifier scheme used by 33.180: the UID of Annex F.2. */
    public static final int SAKKE_ID_SCHEME_UID = 2;

    /** A crypto session of the GENERIC-ID map (RFC 6043 §6.1.1). */
    public record CryptoSession(int csId, int protocol, byte[] policies, byte[] sessionData, byte[] spi) {
    }

    public record Identity(int role, int type, byte[] value) {
    }

    /** A security policy payload; its parameters as the raw type-length-value octets (RFC 3830 §6.10). */
    public record Policy(int number, int protocol, byte[] parameters) {
    }

    public record Extension(int type, byte[] data) {
    }

    private final byte[] raw;
    private final int prf;
    private final int csbId;
    private final int mapType;
    private final List<CryptoSession> sessions;
    private final int timestampType;
    private final long timestamp;
    private final byte[] rand;
    private final List<Identity> identities;
    private final List<Policy> policies;
    private final int sakkeParams;
    private final int sakkeIdScheme;
    private final byte[] sakkeData;
    private final List<Extension> extensions;
    private final int signatureType;
    private final byte[] signature;
    private final int signedLength;

    private MikeyMessage(Parser p) {
        raw = p.b;
        prf = p.prf;
        csbId = p.csbId;
        mapType = p.mapType;
        sessions = Collections.unmodifiableList(p.sessions);
        timestampType = p.timestampType;
        timestamp = p.timestamp;
        rand = p.rand;
        identities = Collections.unmodifiableList(p.identities);
        policies = Collections.unmodifiableList(p.policies);
        sakkeParams = p.sakkeParams;
        sakkeIdScheme = p.sakkeIdScheme;
        sakkeData = p.sakkeData;
        extensions = Collections.unmodifiableList(p.extensions);
        signatureType = p.signatureType;
        signature = p.signature;
        signedLength = p.signedLength;
    }

    /** Parses an I_MESSAGE; every defect is a {@link MikeyException} naming the field. */
    public static MikeyMessage parse(byte[] message) throws MikeyException {
        if (message == null) {
            throw new MikeyException(Reason.MALFORMED, "no message");
        }
        Parser p = new Parser(message.clone());
        p.run();
        return new MikeyMessage(p);
    }

    public int prf() {
        return prf;
    }

    /** The CSB ID: the key identifier of a PCK, CSK or SPK, the GUK-ID of a GMK. */
    public int csbId() {
        return csbId;
    }

    public int mapType() {
        return mapType;
    }

    public List<CryptoSession> sessions() {
        return sessions;
    }

    public int timestampType() {
        return timestampType;
    }

    /** The 64-bit NTP timestamp: seconds since 1900 in the upper 32 bits. */
    public long timestamp() {
        return timestamp;
    }

    public long timestampSeconds() {
        return timestamp >>> 32;
    }

    public byte[] rand() {
        return rand.clone();
    }

    public List<Identity> identities() {
        return identities;
    }

    /** The value of the first identity with {@code role}, or null. */
    public byte[] identity(int role) {
        for (Identity i : identities) {
            if (i.role() == role) {
                return i.value().clone();
            }
        }
        return null;
    }

    public List<Policy> policies() {
        return policies;
    }

    public int sakkeParams() {
        return sakkeParams;
    }

    public int sakkeIdScheme() {
        return sakkeIdScheme;
    }

    public byte[] sakkeData() {
        return sakkeData.clone();
    }

    public List<Extension> extensions() {
        return extensions;
    }

    public int signatureType() {
        return signatureType;
    }

    public byte[] signature() {
        return signature.clone();
    }

    /** The octets the signature covers: the whole message but the signature itself. */
    public byte[] signedPart() {
        return Arrays.copyOf(raw, signedLength);
    }

    public byte[] encoded() {
        return raw.clone();
    }

    /** Reads the payload chain with a cursor that refuses to run past the end. */
    private static final class Parser {
        final byte[] b;
        int pos;
        int prf;
        int csbId;
        int mapType;
        final List<CryptoSession> sessions = new ArrayList<>();
        int timestampType = -1;
        long timestamp;
        byte[] rand;
        final List<Identity> identities = new ArrayList<>();
        final List<Policy> policies = new ArrayList<>();
        int sakkeParams;
        int sakkeIdScheme;
        byte[] sakkeData;
        final List<Extension> extensions = new ArrayList<>();
        int signatureType;
        byte[] signature;
        int signedLength;

        Parser(byte[] b) {
            this.b = b;
        }

        void run() throws MikeyException {
            int version = u8("HDR version");
            if (version != VERSION) {
                throw new MikeyException(Reason.UNSUPPORTED, "HDR version " + version + ", expected " + VERSION);
            }
            int dataType = u8("HDR data type");
            if (dataType != DATA_TYPE_SAKKE) {
                throw new MikeyException(Reason.UNSUPPORTED, "HDR data type " + dataType + ", expected "
                        + DATA_TYPE_SAKKE + " (SAKKE I_MESSAGE)");
            }
            int next = u8("HDR next payload");
            prf = u8("HDR V/PRF") & 0x7F;
            if (prf != PRF_HMAC_SHA256) {
                throw new MikeyException(Reason.UNSUPPORTED, "HDR PRF " + prf + ", expected "
                        + PRF_HMAC_SHA256 + " (PRF-HMAC-SHA-256)");
            }
            csbId = (int) u32("HDR CSB ID");
            int count = u8("HDR #CS");
            mapType = u8("HDR CS ID map type");
            switch (mapType) {
                case MAP_GENERIC_ID -> {
                    for (int i = 0; i < count; i++) {
                        int csId = u8("GENERIC-ID CS ID");
                        int protocol = u8("GENERIC-ID protocol");
                        int np = u8("GENERIC-ID #P") & 0x7F;
                        byte[] ps = bytes(np, "GENERIC-ID policies");
                        byte[] sd = bytes(u16("GENERIC-ID session data length"), "GENERIC-ID session data");
                        byte[] spi = bytes(u8("GENERIC-ID SPI length"), "GENERIC-ID SPI");
                        sessions.add(new CryptoSession(csId, protocol, ps, sd, spi));
                    }
                }
                case MAP_SRTP_ID -> {
                    for (int i = 0; i < count; i++) {
                        int policy = u8("SRTP-ID policy");
                        byte[] ssrcRoc = bytes(8, "SRTP-ID SSRC and ROC");
                        sessions.add(new CryptoSession(i, 0, new byte[] {(byte) policy}, ssrcRoc, new byte[0]));
                    }
                }
                case MAP_EMPTY -> {
                    if (count != 0) {
                        throw new MikeyException(Reason.MALFORMED, "HDR empty CS ID map with #CS " + count);
                    }
                }
                default -> throw new MikeyException(Reason.UNSUPPORTED, "HDR CS ID map type " + mapType);
            }
            boolean seenSakke = false;
            while (true) {
                int type = next;
                if (type == LAST) {
                    throw new MikeyException(Reason.MALFORMED, "the message ends without a SIGN payload");
                }
                if (type == SIGN) {
                    int start = pos;
                    int st = u16("SIGN type/length");
                    signatureType = st >>> 12;
                    int len = st & 0x0FFF;
                    if (signatureType != SIGN_ECCSI) {
                        throw new MikeyException(Reason.UNSUPPORTED, "SIGN type " + signatureType + ", expected "
                                + SIGN_ECCSI + " (ECCSI)");
                    }
                    signedLength = pos;
                    signature = bytes(len, "SIGN signature");
                    if (pos != b.length) {
                        throw new MikeyException(Reason.MALFORMED, (b.length - pos) + " octets after the SIGN payload at "
                                + start);
                    }
                    break;
                }
                next = u8("payload " + type + " next payload");
                switch (type) {
                    case T -> {
                        if (timestampType >= 0) {
                            throw new MikeyException(Reason.MALFORMED, "a second T payload");
                        }
                        timestampType = u8("T type");
                        if (timestampType != TS_NTP_UTC && timestampType != TS_NTP) {
                            throw new MikeyException(Reason.UNSUPPORTED, "T type " + timestampType + " (only NTP-UTC and NTP)");
                        }
                        timestamp = u32("T value") << 32 | u32("T value");
                    }
                    case RAND -> {
                        if (rand != null) {
                            throw new MikeyException(Reason.MALFORMED, "a second RAND payload");
                        }
                        int len = u8("RAND length");
                        if (len < 16) {
                            throw new MikeyException(Reason.MALFORMED, "RAND of " + len + " octets (at least 16)");
                        }
                        rand = bytes(len, "RAND");
                    }
                    case IDR -> {
                        int role = u8("IDR role");
                        int idType = u8("IDR type");
                        byte[] value = bytes(u16("IDR length"), "IDR value");
                        identities.add(new Identity(role, idType, value));
                    }
                    case SP -> {
                        int number = u8("SP policy number");
                        int protocol = u8("SP protocol");
                        byte[] params = bytes(u16("SP length"), "SP parameters");
                        policies.add(new Policy(number, protocol, params));
                    }
                    case SAKKE -> {
                        if (seenSakke) {
                            throw new MikeyException(Reason.MALFORMED, "a second SAKKE payload");
                        }
                        seenSakke = true;
                        sakkeParams = u8("SAKKE params");
                        sakkeIdScheme = u8("SAKKE ID scheme");
                        sakkeData = bytes(u16("SAKKE data length"), "SAKKE data");
                    }
                    case GENERAL_EXT -> {
                        int extType = u8("EXT type");
                        extensions.add(new Extension(extType, bytes(u16("EXT length"), "EXT data")));
                    }
                    default -> throw new MikeyException(Reason.UNSUPPORTED, "payload type " + type + " at offset " + pos);
                }
            }
            if (timestampType < 0) {
                throw new MikeyException(Reason.MALFORMED, "no T payload");
            }
            if (rand == null) {
                throw new MikeyException(Reason.MALFORMED, "no RAND payload");
            }
            if (!seenSakke) {
                throw new MikeyException(Reason.MALFORMED, "no SAKKE payload");
            }
        }

        private void need(int n, String field) throws MikeyException {
            if (n < 0 || pos + n > b.length) {
                throw new MikeyException(Reason.MALFORMED, field + " at offset " + pos + " runs past the end ("
                        + b.length + " octets)");
            }
        }

        int u8(String field) throws MikeyException {
            need(1, field);
            return b[pos++] & 0xFF;
        }

        int u16(String field) throws MikeyException {
            need(2, field);
            int v = (b[pos] & 0xFF) << 8 | (b[pos + 1] & 0xFF);
            pos += 2;
            return v;
        }

        long u32(String field) throws MikeyException {
            need(4, field);
            long v = (b[pos] & 0xFFL) << 24 | (b[pos + 1] & 0xFFL) << 16 | (b[pos + 2] & 0xFFL) << 8 | (b[pos + 3] & 0xFFL);
            pos += 4;
            return v;
        }

        byte[] bytes(int n, String field) throws MikeyException {
            need(n, field);
            byte[] out = Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }
    }
}
