package isg.srtp.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Big-endian loads and stores, XOR and comparison on byte arrays, without allocation. */
public final class Bytes {

    private static final VarHandle LONG_BE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    /** Native order for XOR, where byte order does not matter: no byte swaps. */
    private static final VarHandle LONG_NATIVE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    private static final VarHandle INT_BE =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private Bytes() {
    }

    public static long getLong(byte[] b, int off) {
        return (long) LONG_BE.get(b, off);
    }

    public static void putLong(byte[] b, int off, long v) {
        LONG_BE.set(b, off, v);
    }

    public static int getInt(byte[] b, int off) {
        return (int) INT_BE.get(b, off);
    }

    public static void putInt(byte[] b, int off, int v) {
        INT_BE.set(b, off, v);
    }

    /** {@code length} (0-8) octets, big-endian, as a number: an MKI, for instance. */
    public static long getUnsigned(byte[] b, int off, int length) {
        long n = 0;
        for (int i = 0; i < length; i++) {
            n = n << 8 | (b[off + i] & 0xFF);
        }
        return n;
    }

    public static int getShort(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    /** {@code data[off, off+len) ^= src[srcOff, srcOff+len)}. */
    public static void xor(byte[] src, int srcOff, byte[] data, int off, int len) {
        VarHandle v = LONG_NATIVE;
        int i = 0;
        for (; i + 32 <= len; i += 32) {
            int d = off + i;
            int s = srcOff + i;
            long a = (long) v.get(data, d) ^ (long) v.get(src, s);
            long b = (long) v.get(data, d + 8) ^ (long) v.get(src, s + 8);
            long c = (long) v.get(data, d + 16) ^ (long) v.get(src, s + 16);
            long e = (long) v.get(data, d + 24) ^ (long) v.get(src, s + 24);
            v.set(data, d, a);
            v.set(data, d + 8, b);
            v.set(data, d + 16, c);
            v.set(data, d + 24, e);
        }
        for (; i + 8 <= len; i += 8) {
            v.set(data, off + i, (long) v.get(data, off + i) ^ (long) v.get(src, srcOff + i));
        }
        for (; i < len; i++) {
            data[off + i] ^= src[srcOff + i];
        }
    }

    /** Compares two ranges in time that depends only on {@code len}. */
    public static boolean constantTimeEquals(byte[] a, int aOff, byte[] b, int bOff, int len) {
        int diff = 0;
        for (int i = 0; i < len; i++) {
            diff |= a[aOff + i] ^ b[bOff + i];
        }
        return diff == 0;
    }

    /** Overwrites secret material; null-safe. */
    public static void wipe(byte[] b) {
        if (b != null) {
            Arrays.fill(b, (byte) 0);
        }
    }

    public static void wipe(long[] b) {
        if (b != null) {
            Arrays.fill(b, 0L);
        }
    }

    public static byte[] fromHex(String hex) {
        String s = hex.replaceAll("\\s", "");
        if ((s.length() & 1) != 0) {
            throw new IllegalArgumentException("hex string has an odd number of digits");
        }
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(s.charAt(2 * i), 16);
            int lo = Character.digit(s.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a hex digit at position " + (2 * i));
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    public static String toHex(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder(len * 2);
        for (int i = 0; i < len; i++) {
            sb.append(Character.forDigit((b[off + i] >> 4) & 0xf, 16));
            sb.append(Character.forDigit(b[off + i] & 0xf, 16));
        }
        return sb.toString();
    }

    public static String toHex(byte[] b) {
        return toHex(b, 0, b.length);
    }
}
