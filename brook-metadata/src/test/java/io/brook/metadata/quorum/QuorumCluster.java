package io.brook.metadata.quorum;

import io.brook.metadata.testing.ListenPorts;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** Voters in this JVM on loopback with ephemeral ports; each has a Ratis storage and an owner directory. */
final class QuorumCluster implements AutoCloseable {
    /** Short enough for quick failovers, long enough for a loaded 2-core machine
     *  ({@code -Dbrook.quorum.test.election.ms=1000} measures with Kafka's default). */
    static final Duration ELECTION_TIMEOUT = Duration.ofMillis(Long.getLong("brook.quorum.test.election.ms", 500));
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(3);

    private final Path root;
    private final Map<Integer, InetSocketAddress> voters = new LinkedHashMap<>();
    private final Map<Integer, RaftQuorum> running = new LinkedHashMap<>();
    private final Map<Integer, RecordingListener> listeners = new LinkedHashMap<>();
    private final UnaryOperator<QuorumConfig.Builder> tuning;
    private final ForwardedRequestHandlerFactory handlers;
    /** Voters 1..initialVoters start with a configuration of only those; later ones know all voters. */
    private int initialVoters;

    interface ForwardedRequestHandlerFactory {
        ForwardedRequestHandler forNode(int nodeId);
    }

    QuorumCluster(Path root, int size, UnaryOperator<QuorumConfig.Builder> tuning,
                  ForwardedRequestHandlerFactory handlers) {
        this.root = root;
        this.tuning = tuning;
        this.handlers = handlers;
        for (int id = 1; id <= size; id++) {
            voters.put(id, new InetSocketAddress("127.0.0.1", freePort()));
        }
        this.initialVoters = size;
    }

    /** Only voters 1..n form the initial configuration; the others join with {@link RaftQuorum#addVoter}. */
    QuorumCluster initialVoters(int n) {
        this.initialVoters = n;
        return this;
    }

    QuorumCluster(Path root, int size) {
        this(root, size, b -> b, id -> null);
    }

    static int freePort() {
        return ListenPorts.next();
    }

    Map<Integer, InetSocketAddress> voters() {
        return voters;
    }

    QuorumConfig config(int id) {
        Map<Integer, InetSocketAddress> known = new LinkedHashMap<>();
        voters.forEach((voter, address) -> {
            if (voter <= initialVoters || id > initialVoters) {
                known.put(voter, address);
            }
        });
        return tuning.apply(QuorumConfig.builder(id, root.resolve("node-" + id).resolve("quorum"))
                .voters(known)
                .electionTimeout(ELECTION_TIMEOUT)
                .requestTimeout(REQUEST_TIMEOUT)).build();
    }

    /** Starts voter {@code id} with a fresh owner on its owner directory (which loads its own snapshot). */
    RaftQuorum start(int id) throws IOException {
        RecordingListener listener = new RecordingListener(root.resolve("node-" + id).resolve("owner"));
        RaftQuorum quorum = new RaftQuorum(config(id), listener, handlers.forNode(id));
        quorum.start();
        running.put(id, quorum);
        listeners.put(id, listener);
        return quorum;
    }

    void startAll() throws IOException {
        for (int id : voters.keySet()) {
            if (id <= initialVoters) {
                start(id);
            }
        }
    }

    void stop(int id) {
        RaftQuorum q = running.remove(id);
        if (q != null) {
            q.close();
        }
    }

    RaftQuorum node(int id) {
        return running.get(id);
    }

    RecordingListener listener(int id) {
        return listeners.get(id);
    }

    Map<Integer, RaftQuorum> running() {
        return running;
    }

    /** The running voter that is the ready leader, waiting for one up to {@code timeout}. */
    RaftQuorum awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (RaftQuorum q : running.values()) {
                if (q.isLeader()) {
                    return q;
                }
            }
            sleep(20);
        }
        throw new AssertionError("no leader among " + running.keySet() + " within " + timeout.toMillis() + " ms");
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            sleep(20);
        }
    }

    static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    static String string(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        for (int id : running.keySet().toArray(new Integer[0])) {
            stop(id);
        }
    }
}
