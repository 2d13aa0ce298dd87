package isg.srtp;

import isg.srtp.crypto.Bytes;

/**
 * One SRTP master key and master salt, with the MKI that names it on the wire (0 to 8 bytes;
 * TS 33.180 uses 4 bytes = PCK-ID and 8 bytes = GMK-ID‖GUK-ID). Holds private copies of the
 * secrets; {@link #destroy()} overwrites them. {@link #toString()} shows only the MKI.
 */
public final class MasterKey implements AutoCloseable {

    public static final int MAX_MKI_LENGTH = 8;

    private final byte[] key;
    private final byte[] salt;
    private final byte[] mki;
    private volatile boolean destroyed;

    public MasterKey(byte[] key, byte[] salt, byte[] mki) {
        if (key == null || salt == null) {
            throw new IllegalArgumentException("master key and salt are required");
        }
        byte[] id = mki == null ? new byte[0] : mki;
        if (id.length > MAX_MKI_LENGTH) {
            throw new IllegalArgumentException("MKI is " + id.length + " bytes; at most "
                    + MAX_MKI_LENGTH + " are supported");
        }
        this.key = key.clone();
        this.salt = salt.clone();
        this.mki = id.clone();
    }

    public MasterKey(byte[] key, byte[] salt) {
        this(key, salt, null);
    }

    byte[] key() {
        checkLive();
        return key;
    }

    byte[] salt() {
        checkLive();
        return salt;
    }

    public int keyLength() {
        return key.length;
    }

    public int saltLength() {
        return salt.length;
    }

    /** The MKI; not secret (it travels in clear). */
    public byte[] mki() {
        return mki.clone();
    }

    public boolean destroyed() {
        return destroyed;
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("master key was destroyed");
        }
    }

    /** Overwrites key and salt. */
    public void destroy() {
        destroyed = true;
        Bytes.wipe(key);
        Bytes.wipe(salt);
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public String toString() {
        return "MasterKey[mki=" + (mki.length == 0 ? "none" : Bytes.toHex(mki))
                + (destroyed ? ", destroyed" : "") + "]";
    }
}
