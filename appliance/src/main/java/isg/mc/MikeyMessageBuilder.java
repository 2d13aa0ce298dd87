package isg.mc;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Builds an I_MESSAGE the way 33.180 lays them out; the lab KMS, the tests and the benchmark use it. */
public final class MikeyMessageBuilder {

    private int csbId;
    private int mapType = MikeyMessage.MAP_EMPTY;
    private final List<MikeyMessage.CryptoSession> sessions = new ArrayList<>();
    private long timestamp;
    private byte[] rand;
    private final List<MikeyMessage.Identity> identities = new ArrayList<>();
    private final List<MikeyMessage.Policy> policies = new ArrayList<>();
    private final List<MikeyMessage.Extension> extensions = new ArrayList<>();

    public MikeyMessageBuilder csbId(int id) {
        this.csbId = id;
        return this;
    }

    /** One crypto session in a GENERIC-ID map: SRTP, policy 0, the MKI as SPI. */
    public MikeyMessageBuilder genericSession(int csId, byte[] spi) {
        mapType = MikeyMessage.MAP_GENERIC_ID;
        sessions.add(new MikeyMessage.CryptoSession(csId, 0, new byte[] {0}, new byte[0], spi.clone()));
        return this;
    }

    /** The NTP-UTC timestamp, seconds since 1900 (fraction zero). */
    public MikeyMessageBuilder ntpSeconds(long seconds) {
        this.timestamp = seconds << 32;
        return this;
    }

    public MikeyMessageBuilder rand(byte[] r) {
        this.rand = r.clone();
        return this;
    }

    public MikeyMessageBuilder identity(int role, byte[] value) {
        identities.add(new MikeyMessage.Identity(role, MikeyMessage.ID_URI, value.clone()));
        return this;
    }

    public MikeyMessageBuilder policy(int number, byte[] params) {
        policies.add(new MikeyMessage.Policy(number, 0, params.clone()));
        return this;
    }

    public MikeyMessageBuilder extension(int type, byte[] data) {
        extensions.add(new MikeyMessage.Extension(type, data.clone()));
        return this;
    }

    /** Adds the 3GPP key parameters (33.180 E.6), sealed under {@code key}, the key the message carries; after {@link #csbId}. */
    public MikeyMessageBuilder keyParameters(KeyParameters parameters, byte[] key) {
        extensions.add(new MikeyMessage.Extension(KeyParameters.EXTENSION_TYPE, parameters.seal(key, csbId)));
        return this;
    }

    /** Lays the message out, with {@code sakkeData} (R || H) and an ECCSI signature by {@code signer}. */
    public byte[] build(byte[] sakkeData, Eccsi.SigningKey signer) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        List<Integer> types = new ArrayList<>();
        types.add(MikeyMessage.T);
        types.add(MikeyMessage.RAND);
        identities.forEach(i -> types.add(MikeyMessage.IDR));
        policies.forEach(p -> types.add(MikeyMessage.SP));
        types.add(MikeyMessage.SAKKE);
        extensions.forEach(e -> types.add(MikeyMessage.GENERAL_EXT));
        types.add(MikeyMessage.SIGN);
        o.write(MikeyMessage.VERSION);
        o.write(MikeyMessage.DATA_TYPE_SAKKE);
        o.write(types.get(0));
        o.write(MikeyMessage.PRF_HMAC_SHA256);
        int32(o, csbId);
        o.write(sessions.size());
        o.write(mapType);
        for (MikeyMessage.CryptoSession s : sessions) {
            o.write(s.csId());
            o.write(s.protocol());
            o.write(s.policies().length);
            o.writeBytes(s.policies());
            int16(o, s.sessionData().length);
            o.writeBytes(s.sessionData());
            o.write(s.spi().length);
            o.writeBytes(s.spi());
        }
        int t = 1;
        o.write(types.get(t++));
        o.write(MikeyMessage.TS_NTP_UTC);
        int32(o, (int) (timestamp >>> 32));
        int32(o, (int) timestamp);
        o.write(types.get(t++));
        o.write(rand.length);
        o.writeBytes(rand);
        for (MikeyMessage.Identity i : identities) {
            o.write(types.get(t++));
            o.write(i.role());
            o.write(i.type());
            int16(o, i.value().length);
            o.writeBytes(i.value());
        }
        for (MikeyMessage.Policy p : policies) {
            o.write(types.get(t++));
            o.write(p.number());
            o.write(p.protocol());
            int16(o, p.parameters().length);
            o.writeBytes(p.parameters());
        }
        o.write(types.get(t++));
        o.write(MikeyMessage.SAKKE_PARAMS_1);
        o.write(MikeyMessage.SAKKE_ID_SCHEME_UID);
        int16(o, sakkeData.length);
        o.writeBytes(sakkeData);
        for (MikeyMessage.Extension e : extensions) {
            o.write(types.get(t++));
            o.write(e.type());
            int16(o, e.data().length);
            o.writeBytes(e.data());
        }
        int16(o, MikeyMessage.SIGN_ECCSI << 12 | Eccsi.SIGNATURE_LENGTH);
        byte[] unsigned = o.toByteArray();
        o.writeBytes(Eccsi.sign(signer, unsigned));
        return o.toByteArray();
    }

    private static void int16(ByteArrayOutputStream o, int v) {
        o.write(v >>> 8);
        o.write(v);
    }

    private static void int32(ByteArrayOutputStream o, int v) {
        o.write(v >>> 24);
        o.write(v >>> 16);
        o.write(v >>> 8);
        o.write(v);
    }
}
