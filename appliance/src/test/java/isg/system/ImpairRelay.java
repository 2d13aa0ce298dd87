package isg.system;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The interconnect between two gateways, as a user-space UDP relay (this kernel has no netem): it
 * loses, duplicates and reorders datagrams at given rates and counts what it did, so a test can
 * account for every packet. Runs as its own process in the interconnect namespace.
 *
 * <p>Ports are kept: a datagram from {@code leftPeer:q} to {@code left:p} leaves from {@code right:q}
 * to {@code rightPeer:p}, and the other way round, for every p, q in the port range. Each gateway
 * therefore sees the other at the relay's address with the other's own port.
 *
 * <pre>
 * ImpairRelay LEFT RIGHT LEFT_PEER RIGHT_PEER PORT_MIN PORT_MAX LOSS% DUP% REORDER% SEED
 * stdin: stats | replay | impair on|off | quit
 * </pre>
 */
public final class ImpairRelay {

    private static final class Direction {
        final String name;
        long received;
        long forwarded;
        long dropped;
        long duplicated;
        long reordered;
        /** Datagrams the outgoing socket had no room for (counted in dropped as well). */
        long unsent;
        final List<Object[]> recorded = new ArrayList<>();

        Direction(String name) {
            this.name = name;
        }

        String stats() {
            return name + " received=" + received + " forwarded=" + forwarded + " dropped=" + dropped + " duplicated="
                    + duplicated + " reordered=" + reordered + " unsent=" + unsent;
        }
    }

    public static void main(String[] a) throws Exception {
        InetAddress left = InetAddress.getByName(a[0]);
        InetAddress right = InetAddress.getByName(a[1]);
        InetAddress leftPeer = InetAddress.getByName(a[2]);
        InetAddress rightPeer = InetAddress.getByName(a[3]);
        int min = Integer.parseInt(a[4]);
        int max = Integer.parseInt(a[5]);
        double loss = Double.parseDouble(a[6]) / 100;
        double dup = Double.parseDouble(a[7]) / 100;
        double reorder = Double.parseDouble(a[8]) / 100;
        Random random = new Random(Long.parseLong(a[9]));
        boolean[] impair = {true};

        Selector selector = Selector.open();
        Map<Integer, DatagramChannel> leftSockets = new HashMap<>();
        Map<Integer, DatagramChannel> rightSockets = new HashMap<>();
        for (int p = min; p <= max; p++) {
            for (boolean isLeft : new boolean[] {true, false}) {
                DatagramChannel c = DatagramChannel.open();
                c.bind(new InetSocketAddress(isLeft ? left : right, p));
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, new Object[] {isLeft, p});
                (isLeft ? leftSockets : rightSockets).put(p, c);
            }
        }
        Direction l2r = new Direction("left->right");
        Direction r2l = new Direction("right->left");
        ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
        Thread stdin = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    commands.add(l.trim());
                    selector.wakeup();
                }
            } catch (java.io.IOException e) {
                // the test went away
            }
            commands.add("quit");
            selector.wakeup();
        });
        stdin.setDaemon(true);
        stdin.start();
        System.out.println("ready " + (max - min + 1) + " ports each side");
        System.out.flush();

        ByteBuffer buf = ByteBuffer.allocate(65536);
        // a datagram held back to be sent after the next one on the same socket: reordering
        Map<DatagramChannel, Object[]> held = new HashMap<>();
        while (true) {
            selector.select(20);
            for (String cmd; (cmd = commands.poll()) != null; ) {
                switch (cmd) {
                    case "stats" -> System.out.println("stats " + l2r.stats() + " | " + r2l.stats());
                    case "replay" -> {
                        // every recorded datagram again, as it was first forwarded; says how many went
                        // to which port in each direction ("l2r 42000x50")
                        int n = 0;
                        StringBuilder ports = new StringBuilder();
                        for (Direction d : List.of(l2r, r2l)) {
                            Map<Integer, Integer> perPort = new java.util.TreeMap<>();
                            for (Object[] r : d.recorded) {
                                InetSocketAddress to = (InetSocketAddress) r[2];
                                ((DatagramChannel) r[0]).send(ByteBuffer.wrap((byte[]) r[1]), to);
                                perPort.merge(to.getPort(), 1, Integer::sum);
                                n++;
                            }
                            String dir = d == l2r ? "l2r" : "r2l";
                            perPort.forEach((port, count) -> ports.append(' ').append(dir).append(' ').append(port)
                                    .append('x').append(count));
                        }
                        System.out.println("replayed " + n + ports);
                    }
                    case "impair on" -> {
                        impair[0] = true;
                        System.out.println("impair on");
                    }
                    case "impair off" -> {
                        impair[0] = false;
                        System.out.println("impair off");
                    }
                    case "quit" -> {
                        System.out.println("stats " + l2r.stats() + " | " + r2l.stats());
                        System.out.flush();
                        System.exit(0);
                    }
                    default -> System.out.println("unknown command " + cmd);
                }
                System.out.flush();
            }
            // a held datagram goes out after 20 ms at the latest
            for (var it = held.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (System.nanoTime() - (long) e.getValue()[2] > 20_000_000L) {
                    send((Direction) e.getValue()[3], e.getKey(), (byte[]) e.getValue()[0], (InetSocketAddress) e.getValue()[1]);
                    it.remove();
                }
            }
            for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey k = it.next();
                it.remove();
                Object[] att = (Object[]) k.attachment();
                boolean fromLeft = (boolean) att[0];
                int port = (int) att[1];
                DatagramChannel in = (DatagramChannel) k.channel();
                for (InetSocketAddress src; (src = receive(in, buf)) != null; ) {
                    Direction d = fromLeft ? l2r : r2l;
                    d.received++;
                    InetAddress expected = fromLeft ? leftPeer : rightPeer;
                    DatagramChannel out = (fromLeft ? rightSockets : leftSockets).get(src.getPort());
                    if (!src.getAddress().equals(expected) || out == null) {
                        d.dropped++;
                        continue;
                    }
                    InetSocketAddress to = new InetSocketAddress(fromLeft ? rightPeer : leftPeer, port);
                    byte[] packet = new byte[buf.remaining()];
                    buf.get(packet);
                    if (d.recorded.size() < 200) {
                        d.recorded.add(new Object[] {out, packet, to});
                    }
                    if (impair[0] && random.nextDouble() < loss) {
                        d.dropped++;
                        continue;
                    }
                    int copies = impair[0] && random.nextDouble() < dup ? 2 : 1;
                    d.duplicated += copies - 1;
                    if (impair[0] && random.nextDouble() < reorder && !held.containsKey(out)) {
                        held.put(out, new Object[] {packet, to, System.nanoTime(), d});
                        d.reordered++;
                        if (copies == 2) {
                            send(d, out, packet, to);
                        }
                        continue;
                    }
                    for (int i = 0; i < copies; i++) {
                        send(d, out, packet, to);
                    }
                    Object[] h = held.remove(out);
                    if (h != null) {
                        send(d, out, (byte[]) h[0], (InetSocketAddress) h[1]);
                    }
                }
            }
        }
    }

    /** Sends one datagram; one the socket has no room for is dropped and counted so. */
    private static void send(Direction d, DatagramChannel out, byte[] packet, InetSocketAddress to) throws java.io.IOException {
        if (out.send(ByteBuffer.wrap(packet), to) > 0) {
            d.forwarded++;
        } else {
            d.dropped++;
            d.unsent++;
        }
    }

    private static InetSocketAddress receive(DatagramChannel c, ByteBuffer buf) throws java.io.IOException {
        buf.clear();
        InetSocketAddress src = (InetSocketAddress) c.receive(buf);
        buf.flip();
        return src;
    }
}
