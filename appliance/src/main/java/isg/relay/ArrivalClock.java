package isg.relay;

/**
 * How long the newest datagram read from a socket waited in the kernel before the relay read it:
 * the kernel stamps each datagram as it arrives (once the socket asked for it), and the socket
 * keeps the stamp of the last datagram read (Linux {@code SIOCGSTAMPNS}): read one at a time, as
 * the relay then does, each datagram's own arrival. (Of a batch read with recvmmsg it would be
 * the newest's, a lower bound for the rest.) What the relay drops as {@link DropReason#LATE} has
 * waited at least the bound.
 *
 * <p>Netty reads its sockets itself and does not pass the stamps on, so the stamp is asked for with
 * one system call, and only when a packet could be late at all ({@link LegHandler}). The call needs
 * the JDK's foreign-function API, an incubator module in Java 17: the start script gives
 * {@value #FLAGS}; without them the relay forwards as before and says that LATE is off, and why.
 * One instance per thread (an event loop; the load generator's sink): it keeps the stamp in native
 * scratch memory of its own.
 */
public interface ArrivalClock {

    /** The JVM flags the clock needs (Java 17). */
    String FLAGS = "--add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED";

    /** Makes the kernel stamp each datagram that arrives at the socket from now on. */
    void enable(int fd);

    /**
     * Nanoseconds from the arrival of the newest datagram read from {@code fd} to now (0 if the clock
     * stepped back), or -1 where the socket has no stamp.
     */
    long waitedNanos(int fd);

    /** A clock for one event loop, or null; {@link #unavailable()} then says why. */
    static ArrivalClock create() {
        return Loader.UNAVAILABLE == null ? Loader.newClock() : null;
    }

    /** Why there are no arrival stamps in this JVM, or null when there are. */
    static String unavailable() {
        return Loader.UNAVAILABLE;
    }

    /** Loads the foreign-API implementation only where its module is present (else it would not link). */
    final class Loader {

        private Loader() {
        }

        static final String UNAVAILABLE = probe();

        private static String probe() {
            if (!System.getProperty("os.name", "").equals("Linux")) {
                return "kernel arrival stamps are read on Linux only";
            }
            if (ModuleLayer.boot().findModule("jdk.incubator.foreign").isEmpty()) {
                return "the JVM was started without " + FLAGS + " (the start script gives them)";
            }
            try {
                // with no socket: links (and warms) both calls off the event loops
                newClock().waitedNanos(-1);
                return null;
            } catch (RuntimeException | LinkageError e) {
                Throwable why = e.getCause() != null ? e.getCause() : e;
                return "the foreign-function API refused: " + why + " (start with " + FLAGS + ")";
            }
        }

        static ArrivalClock newClock() {
            try {
                return (ArrivalClock) Class.forName("isg.relay.ForeignArrivalClock").getDeclaredConstructor()
                        .newInstance();
            } catch (java.lang.reflect.InvocationTargetException e) {
                Throwable c = e.getCause();
                throw c instanceof RuntimeException ? (RuntimeException) c
                        : new IllegalStateException(c.toString(), c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e.toString(), e);
            }
        }
    }
}
