package isg.relay;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;

/**
 * {@link ArrivalClock} over {@code ioctl(fd, SIOCGSTAMPNS)} and {@code clock_gettime(CLOCK_REALTIME)}
 * through Java 17's incubating foreign-function API (jdk.incubator.foreign), so no native library of
 * ISG's own has to be built for each architecture. Both calls write into 32 bytes of native memory
 * the instance owns; nothing is allocated per call. Loaded only through {@link ArrivalClock#create}.
 *
 * <p>The kernel's stamp is CLOCK_REALTIME, so "now" is too; a step of the clock between arrival
 * and read would misjudge that one datagram, and a stamp in the future reads as no wait.
 */
final class ForeignArrivalClock implements ArrivalClock {

    /** SIOCGSTAMPNS from asm-generic/sockios.h: the same on x86_64 and aarch64. */
    private static final long SIOCGSTAMPNS = 0x8907;
    private static final int CLOCK_REALTIME = 0;
    private static final MethodHandle IOCTL;
    private static final MethodHandle CLOCK_GETTIME;

    static {
        CLinker linker = CLinker.getInstance();
        // ioctl is variadic; its third argument, a pointer, is passed as any other on both ABIs ISG runs on
        IOCTL = linker.downcallHandle(CLinker.systemLookup().lookup("ioctl").orElseThrow(),
                MethodType.methodType(int.class, int.class, long.class, MemoryAddress.class),
                FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_LONG, CLinker.C_POINTER));
        CLOCK_GETTIME = linker.downcallHandle(CLinker.systemLookup().lookup("clock_gettime").orElseThrow(),
                MethodType.methodType(int.class, int.class, MemoryAddress.class),
                FunctionDescriptor.of(CLinker.C_INT, CLinker.C_INT, CLinker.C_POINTER));
    }

    /** [0, 16): the stamp's struct timespec; [16, 32): now's. */
    private final MemorySegment scratch = MemorySegment.allocateNative(32, 8, ResourceScope.newImplicitScope());
    private final MemoryAddress stamp = scratch.address();
    private final MemoryAddress now = scratch.asSlice(16).address();

    @Override
    public void enable(int fd) {
        // the first ask turns stamping on for the socket (and answers ENOENT: nothing stamped yet)
        ioctl(fd);
    }

    /**
     * {@inheritDoc} Both calls are made whatever the descriptor, so that the first call (the
     * loader's probe, with no socket) links both: the first downcall through a call site spins
     * method-handle classes for tens of milliseconds, which must not happen on an event loop with
     * datagrams waiting. "Now" is read first; the stamp is of a datagram read before either.
     */
    @Override
    public long waitedNanos(int fd) {
        try {
            if ((int) CLOCK_GETTIME.invokeExact(CLOCK_REALTIME, now) != 0) {
                return -1;
            }
        } catch (Throwable t) {
            throw new IllegalStateException("clock_gettime failed: " + t, t);
        }
        if (ioctl(fd) != 0) {
            return -1;
        }
        long waited = (MemoryAccess.getLongAtOffset(scratch, 16) - MemoryAccess.getLongAtOffset(scratch, 0))
                * 1_000_000_000L + MemoryAccess.getLongAtOffset(scratch, 24) - MemoryAccess.getLongAtOffset(scratch, 8);
        return Math.max(0, waited);
    }

    private int ioctl(int fd) {
        try {
            return (int) IOCTL.invokeExact(fd, SIOCGSTAMPNS, stamp);
        } catch (Throwable t) {
            throw new IllegalStateException("ioctl(SIOCGSTAMPNS) failed: " + t, t);
        }
    }
}
