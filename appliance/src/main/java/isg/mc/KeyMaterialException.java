package isg.mc;

/** Key material (a KPAK, SSK, PVT, RSK, KMS key or encapsulation) that fails its checks; the message never holds it. */
public final class KeyMaterialException extends Exception {

    private static final long serialVersionUID = 1L;

    public KeyMaterialException(String reason) {
        super(reason);
    }
}
