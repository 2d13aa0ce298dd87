package isg.srtp.crypto;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;

/**
 * GHASH through the JDK's own {@code com.sun.crypto.provider.GHASH.processBlocks}, which HotSpot
 * replaces with a carry-less-multiply stub (PCLMULQDQ/AVX on x86-64, PMULL on ARMv8 with crypto
 * extensions). The JDK exposes it only inside its GCM cipher, whose per-{@code init} set-up
 * allocates ~1 KB per packet; calling the block function directly keeps GHASH at a few
 * nanoseconds a block and allocation at zero.
 *
 * <p>Needs {@code --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED} (the appliance jar
 * manifest and the test and benchmark JVMs carry it). Used only when that access works and the
 * JVM reports {@code UseGHASHIntrinsics}; otherwise {@link TableGhash} serves, and the box says
 * so at start. The key table comes from the JDK's own constructor, so its size always matches
 * what the running JVM's stub expects; every vector self-test runs through whichever is chosen.
 */
final class IntrinsicGhash extends Ghash {

    static final boolean AVAILABLE;
    /** Why the intrinsic is not used, or null. */
    static final String UNAVAILABLE_REASON;
    private static final MethodHandle PROCESS_BLOCKS;
    private static final MethodHandle NEW_GHASH;
    private static final MethodHandle SUBKEY_TABLE;

    static {
        MethodHandle process = null;
        MethodHandle ctor = null;
        MethodHandle table = null;
        String reason = null;
        try {
            Class<?> c = Class.forName("com.sun.crypto.provider.GHASH");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
            process = l.findStatic(c, "processBlocks", MethodType.methodType(void.class, byte[].class, int.class,
                    int.class, long[].class, long[].class));
            ctor = l.findConstructor(c, MethodType.methodType(void.class, byte[].class))
                    .asType(MethodType.methodType(Object.class, byte[].class));
            table = l.findGetter(c, "subkeyHtbl", long[].class).asType(MethodType.methodType(long[].class, Object.class));
            if (!intrinsicEnabled()) {
                reason = "this CPU has no carry-less multiply, so the JVM has no GHASH intrinsic";
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            reason = "the JDK's GHASH is not accessible (" + e.getClass().getSimpleName()
                    + "); start the JVM with --add-opens java.base/com.sun.crypto.provider=ALL-UNNAMED";
        }
        AVAILABLE = reason == null;
        UNAVAILABLE_REASON = reason;
        PROCESS_BLOCKS = process;
        NEW_GHASH = ctor;
        SUBKEY_TABLE = table;
    }

    /**
     * Whether HotSpot will replace {@code processBlocks} with its stub. {@code UseGHASHIntrinsics}
     * is a diagnostic flag, visible through the MXBean only when diagnostic options are unlocked;
     * otherwise decide as HotSpot does: carry-less multiply on the CPU (x86 {@code pclmulqdq},
     * ARMv8 {@code pmull}).
     */
    private static boolean intrinsicEnabled() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hs =
                    ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return Boolean.parseBoolean(hs.getVMOption("UseGHASHIntrinsics").getValue());
        } catch (RuntimeException notVisible) {
            return cpuHasCarrylessMultiply();
        }
    }

    private static boolean cpuHasCarrylessMultiply() {
        String arch = System.getProperty("os.arch", "");
        String flag = arch.equals("aarch64") ? "pmull" : arch.equals("amd64") || arch.equals("x86_64") ? "pclmulqdq" : null;
        if (flag == null) {
            return false;
        }
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if ((line.startsWith("flags") || line.startsWith("Features"))
                        && java.util.Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
                                .contains(flag)) {
                    return true;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    private final long[] subkeys;
    private final long[] y = new long[2];

    IntrinsicGhash(byte[] h) {
        try {
            Object ghash = NEW_GHASH.invokeExact(h.clone());
            subkeys = (long[]) SUBKEY_TABLE.invokeExact(ghash);
        } catch (Throwable t) {
            throw new IllegalStateException("cannot key the JDK GHASH", t);
        }
    }

    @Override
    void clearState() {
        y[0] = 0;
        y[1] = 0;
    }

    @Override
    void blocks(byte[] data, int off, int count) {
        if (off < 0 || count < 0 || off + ((long) count << 4) > data.length) {
            throw new ArrayIndexOutOfBoundsException("GHASH range " + off + "+" + count + " blocks");
        }
        try {
            PROCESS_BLOCKS.invokeExact(data, off, count, y, subkeys);
        } catch (Throwable t) {
            throw new IllegalStateException("JDK GHASH failed", t);
        }
    }

    @Override
    void state(byte[] out, int off) {
        Bytes.putLong(out, off, y[0]);
        Bytes.putLong(out, off + 8, y[1]);
    }

    @Override
    void wipe() {
        super.wipe();
        Bytes.wipe(subkeys);
    }
}
