package io.brook.tests;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Network partitions between the nodes of a {@link BrookCluster} on one machine, without privileges: every node
 * reaches every other one through a proxy of its own, which a test can cut.
 *
 * <p>How: node {@code i} binds its inter-node listeners (the brokers' {@code INTERNAL} one and the controllers') on
 * {@code 127.0.100.i} and advertises them as {@code node<i>.brook}. Each node resolves names from a hosts file of its
 * own ({@code -Djdk.net.hosts.file}), in which {@code node<j>.brook} is {@code 127.0.i.j}: the address of a proxy that
 * forwards only node {@code i}'s connections to node {@code j}, on the same port. Loopback takes any {@code 127/8}
 * address, so every ordered pair of nodes has its own link; clients keep using {@code localhost} and are never cut.
 *
 * <p>A cut link is a black hole, as a real partition: connections open across it stay open and carry nothing (bytes
 * sent are read and dropped, so the sender waits for answers that never come), new ones are accepted and never
 * forwarded. Healing closes every connection that lived through the cut (as TCP gives up on them), after which the
 * nodes reconnect.
 *
 * <p>A slow link ({@link #slow}) delivers every byte a fixed time after it was sent, in order, without losing any (a
 * long-distance or congested link under TCP): latency, not a bandwidth limit. Healing makes it fast again; what is
 * already on its way keeps its delay.
 */
final class NetworkFaults implements Closeable {
    /** The address a node's inter-node listeners bind: {@code 127.0.100.<id>}. */
    static String listenAddress(int node) {
        return "127.0.100." + node;
    }

    /** The name under which the nodes know node {@code id}. */
    static String hostName(int node) {
        return "node" + node + ".brook";
    }

    /** The address node {@code from} reaches node {@code to} by: its own proxy to it. */
    private static String linkAddress(int from, int to) {
        return "127.0." + from + "." + to;
    }

    private final Map<String, Link> links = new TreeMap<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "network-faults");
        t.setDaemon(true);
        return t;
    });

    /**
     * Proxies between every ordered pair of {@code nodes} for the inter-node ports {@code ports} (by node id: the
     * ports other nodes connect to on it).
     */
    NetworkFaults(Map<Integer, List<Integer>> ports) throws IOException {
        try {
            for (int from : ports.keySet()) {
                for (Map.Entry<Integer, List<Integer>> to : ports.entrySet()) {
                    if (to.getKey() == from) {
                        continue;
                    }
                    for (int port : to.getValue()) {
                        Link link = new Link(from, to.getKey(), port);
                        links.put(from + "->" + to.getKey() + ":" + port, link);
                        threads.execute(link::acceptLoop);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Writes node {@code id}'s hosts file (for {@code -Djdk.net.hosts.file}) among {@code nodes}. */
    static void writeHostsFile(Path file, int id, Set<Integer> nodes) throws IOException {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        for (int other : nodes) {
            hosts.append(other == id ? listenAddress(id) : linkAddress(id, other)).append(' ')
                    .append(hostName(other)).append('\n');
        }
        Files.writeString(file, hosts.toString(), StandardCharsets.UTF_8);
    }

    /** Cuts node {@code id} off from every other node, both ways. */
    void isolate(int id) {
        for (Link link : links.values()) {
            if (link.from == id || link.to == id) {
                link.cut();
            }
        }
    }

    /** Cuts the links between nodes {@code a} and {@code b}, both ways; every other link stays up. */
    void cut(int a, int b) {
        for (Link link : links.values()) {
            if (link.from == a && link.to == b || link.from == b && link.to == a) {
                link.cut();
            }
        }
    }

    /**
     * Cuts one direction only: connections node {@code from} opens to node {@code to} carry nothing, while those
     * {@code to} opens to {@code from} work, answers included (a firewall that drops one side's new connections).
     */
    void cutOneWay(int from, int to) {
        for (Link link : links.values()) {
            if (link.from == from && link.to == to) {
                link.cut();
            }
        }
    }

    /** Slows every link from and to node {@code id}: each byte arrives {@code latencyMs} after it was sent. */
    void slow(int id, long latencyMs) {
        for (Link link : links.values()) {
            if (link.from == id || link.to == id) {
                link.latencyMs = latencyMs;
            }
        }
    }

    /** Heals every cut or slow link. */
    void healAll() {
        links.values().forEach(Link::heal);
    }

    @Override
    public void close() {
        links.values().forEach(Link::close);
        threads.shutdownNow();
    }

    /** Bytes read from one side, due on the other at {@code dueNs}; {@link #END} marks the end of the stream. */
    private record Chunk(long dueNs, byte[] bytes) {
        static final Chunk END = new Chunk(0, new byte[0]);
    }

    /** One direction of one node pair on one port. */
    private final class Link {
        final int from;
        final int to;
        final InetSocketAddress target;
        final ServerSocket server;
        /** Connections as pairs (client side, node side; the node side null while held unforwarded). */
        final Set<Socket[]> connections = ConcurrentHashMap.newKeySet();
        volatile boolean cut;
        /** How long each byte takes to cross the link (0: at once). */
        volatile long latencyMs;
        /** Connections that lived through the current cut: closed when it heals. */
        final Set<Socket[]> blackholed = ConcurrentHashMap.newKeySet();

        Link(int from, int to, int port) throws IOException {
            this.from = from;
            this.to = to;
            this.target = new InetSocketAddress(listenAddress(to), port);
            this.server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(linkAddress(from, to), port), 50);
        }

        void acceptLoop() {
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException closed) {
                    return;
                }
                threads.execute(() -> connect(client));
            }
        }

        private void connect(Socket client) {
            Socket[] pair = {client, null};
            connections.add(pair);
            synchronized (this) {
                if (cut) {
                    blackholed.add(pair); // accepted, never forwarded: the connecting node waits
                    threads.execute(() -> pump(client, null, pair));
                    return;
                }
            }
            try {
                Socket node = new Socket();
                node.connect(target, 5_000);
                pair[1] = node;
            } catch (IOException refused) {
                closePair(pair); // the node is down: as a refused connection
                return;
            }
            threads.execute(() -> pump(client, pair[1], pair));
            threads.execute(() -> pump(pair[1], client, pair));
        }

        /**
         * Copies {@code in} to {@code out} while the link is up, each chunk once its latency has passed (a writer
         * thread delivers them in order, so reading never waits for it); drops what it reads while it is cut. The end
         * of {@code in} closes the pair once what was read before it is delivered.
         */
        private void pump(Socket in, Socket out, Socket[] pair) {
            BlockingQueue<Chunk> inFlight = new LinkedBlockingQueue<>();
            if (out != null) {
                threads.execute(() -> deliver(inFlight, out, pair));
            }
            byte[] buffer = new byte[64 * 1024];
            try {
                InputStream input = in.getInputStream();
                int n;
                while ((n = input.read(buffer)) >= 0) {
                    if (out != null && !blackholed.contains(pair)) {
                        inFlight.add(new Chunk(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(latencyMs),
                                Arrays.copyOf(buffer, n)));
                    }
                }
                inFlight.add(Chunk.END);
                return; // the writer closes the pair after the last chunk
            } catch (SocketException closed) {
                // closed by the other pump, a heal or the end
            } catch (IOException e) {
                // as closed
            }
            closePair(pair);
        }

        /** Writes each chunk to {@code out} when it is due, in order; the end (or a failed write) closes the pair. */
        private void deliver(BlockingQueue<Chunk> inFlight, Socket out, Socket[] pair) {
            try {
                OutputStream output = out.getOutputStream();
                while (true) {
                    Chunk chunk = inFlight.poll(1, TimeUnit.SECONDS);
                    if (chunk == null) {
                        if (out.isClosed()) {
                            return;
                        }
                        continue;
                    }
                    if (chunk == Chunk.END) {
                        break;
                    }
                    long waitNs = chunk.dueNs - System.nanoTime();
                    if (waitNs > 0) {
                        TimeUnit.NANOSECONDS.sleep(waitNs);
                    }
                    if (!blackholed.contains(pair)) {
                        output.write(chunk.bytes);
                    }
                }
            } catch (IOException | InterruptedException closed) {
                // closed by the other side, a heal or the end
            }
            closePair(pair);
        }

        synchronized void cut() {
            cut = true;
            blackholed.addAll(connections);
        }

        void heal() {
            List<Socket[]> toClose;
            latencyMs = 0;
            synchronized (this) {
                cut = false;
                toClose = new ArrayList<>(blackholed);
                blackholed.clear();
            }
            toClose.forEach(this::closePair);
        }

        private void closePair(Socket[] pair) {
            connections.remove(pair);
            for (Socket s : pair) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
            connections.forEach(this::closePair);
        }
    }
}
