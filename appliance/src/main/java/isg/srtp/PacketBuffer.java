package isg.srtp;

/**
 * A packet in a byte array: {@code array[offset, offset+length)}, with room up to the end of the
 * array for what protection appends. Owned and reused by the caller; the engine changes
 * {@code length} in place.
 */
public final class PacketBuffer {
    private byte[] array;
    private int offset;
    private int length;

    public PacketBuffer() {
        this(new byte[0], 0, 0);
    }

    public PacketBuffer(byte[] array, int offset, int length) {
        set(array, offset, length);
    }

    public static PacketBuffer wrap(byte[] packet) {
        return new PacketBuffer(packet, 0, packet.length);
    }

    /** Points this buffer at a new packet. */
    public PacketBuffer set(byte[] array, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > array.length) {
            throw new IllegalArgumentException("packet [" + offset + ", +" + length
                    + ") does not fit an array of " + array.length);
        }
        this.array = array;
        this.offset = offset;
        this.length = length;
        return this;
    }

    public byte[] array() {
        return array;
    }

    public int offset() {
        return offset;
    }

    public int length() {
        return length;
    }

    /** Bytes available from offset to the end of the array. */
    public int capacity() {
        return array.length - offset;
    }

    void length(int length) {
        this.length = length;
    }

    /** A copy of the packet bytes; for tests and tools, not for the packet path. */
    public byte[] toByteArray() {
        return java.util.Arrays.copyOfRange(array, offset, offset + length);
    }
}
