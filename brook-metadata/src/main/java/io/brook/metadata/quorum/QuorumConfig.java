package io.brook.metadata.quorum;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one voter of the metadata quorum needs to know: its own id, every voter's Raft address (Kafka's
 * {@code controller.quorum.voters}), where Ratis keeps its log (a directory under {@code metadata.log.dir})
 * and the few timing and size knobs. Immutable; build with {@link #builder}.
 *
 * <p>The voter's Ratis transport listens on its own entry of {@link #voters()}: that address is the
 * controller listener, so a controller needs one port only.
 */
public final class QuorumConfig {
    /** Kafka's {@code controller.quorum.election.timeout.ms} default: a follower that hears nothing from
     *  the leader for a random time in [timeout, 2 x timeout] starts an election. */
    public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofMillis(1000);
    /** Kafka's {@code controller.quorum.request.timeout.ms} default: how long a proposal or a forwarded
     *  request may wait for the quorum before it fails with {@link QuorumTimeoutException}. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMillis(2000);
    /** Committed Raft entries after which a voter asks its owner for a snapshot and purges its log. */
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
    /** Largest entry {@link RaftQuorum#propose} accepts (Ratis's own default append limit). */
    public static final int DEFAULT_MAX_ENTRY_BYTES = 4 * 1024 * 1024;
    /** Size of one Ratis log segment; whole closed segments are what a snapshot lets Ratis purge. */
    public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L * 1024 * 1024;
    /** Name mixed into the Raft group id when no cluster id is given. */
    public static final String DEFAULT_CLUSTER_ID = "brook";

    private final int nodeId;
    private final Map<Integer, InetSocketAddress> voters;
    private final Path storageDir;
    private final String clusterId;
    private final Duration electionTimeout;
    private final Duration requestTimeout;
    private final long snapshotThreshold;
    private final int maxEntryBytes;
    private final long logSegmentBytes;
    /** Where Ratis's transport binds, when not at {@link #ownAddress()} (null: there). */
    private final InetSocketAddress bindAddress;
    /** True for a node started without a voter set of its own (KIP-853's {@code controller.quorum.bootstrap.servers}). */
    private final boolean joining;

    private QuorumConfig(Builder b) {
        this.nodeId = b.nodeId;
        this.voters = Collections.unmodifiableMap(new LinkedHashMap<>(b.voters));
        this.storageDir = Objects.requireNonNull(b.storageDir, "storageDir");
        this.clusterId = Objects.requireNonNull(b.clusterId, "clusterId");
        this.electionTimeout = b.electionTimeout;
        this.requestTimeout = b.requestTimeout;
        this.snapshotThreshold = b.snapshotThreshold;
        this.maxEntryBytes = b.maxEntryBytes;
        this.logSegmentBytes = b.logSegmentBytes;
        this.bindAddress = b.bindAddress;
        this.joining = b.joining;
        if (joining) {
            if (bindAddress == null) {
                throw new IllegalArgumentException("a joining voter needs the address to bind");
            }
        } else if (voters.isEmpty()) {
            throw new IllegalArgumentException("controller.quorum.voters is empty: at least one voter is needed");
        } else if (!voters.containsKey(nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is not one of the voters " + voters.keySet()
                    + " in controller.quorum.voters");
        }
        requirePositive(electionTimeout, "election timeout");
        requirePositive(requestTimeout, "request timeout");
        if (snapshotThreshold < 1) {
            throw new IllegalArgumentException("snapshot threshold must be at least 1, was " + snapshotThreshold);
        }
        if (maxEntryBytes < 1024) {
            throw new IllegalArgumentException("max entry bytes must be at least 1024, was " + maxEntryBytes);
        }
        if (logSegmentBytes < 2L * maxEntryBytes) {
            throw new IllegalArgumentException("log segment bytes (" + logSegmentBytes
                    + ") must hold at least two entries of max entry bytes (" + maxEntryBytes + ")");
        }
    }

    private static void requirePositive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + d);
        }
    }

    /**
     * Parses Kafka's {@code controller.quorum.voters} syntax, {@code 1@host:port,2@host:port}.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static Map<Integer, InetSocketAddress> parseVoters(String value) {
        Map<Integer, InetSocketAddress> voters = new LinkedHashMap<>();
        if (value == null || value.isBlank()) {
            return voters;
        }
        for (String raw : value.split(",")) {
            String entry = raw.trim();
            int at = entry.indexOf('@');
            int colon = entry.lastIndexOf(':');
            if (at <= 0 || colon <= at + 1 || colon == entry.length() - 1) {
                throw new IllegalArgumentException("controller.quorum.voters entry '" + entry
                        + "' is not of the form id@host:port");
            }
            int id;
            int port;
            try {
                id = Integer.parseInt(entry.substring(0, at));
                port = Integer.parseInt(entry.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("controller.quorum.voters entry '" + entry
                        + "' has a non-numeric id or port");
            }
            String host = entry.substring(at + 1, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (id < 0 || port < 1 || port > 65535) {
                throw new IllegalArgumentException("controller.quorum.voters entry '" + entry
                        + "' needs an id >= 0 and a port in 1..65535");
            }
            if (voters.put(id, InetSocketAddress.createUnresolved(host, port)) != null) {
                throw new IllegalArgumentException("controller.quorum.voters names voter " + id + " twice");
            }
        }
        return voters;
    }

    public static Builder builder(int nodeId, Path storageDir) {
        return new Builder(nodeId, storageDir);
    }

    public int nodeId() {
        return nodeId;
    }

    /** Voter id to its Raft address, in the order given. */
    public Map<Integer, InetSocketAddress> voters() {
        return voters;
    }

    /** Ratis's own directory (raft log, snapshots handed to Ratis); the owner's files live elsewhere. */
    public Path storageDir() {
        return storageDir;
    }

    /** Mixed into the Raft group id, so voters of two clusters never form one group. */
    public String clusterId() {
        return clusterId;
    }

    public Duration electionTimeout() {
        return electionTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public long snapshotThreshold() {
        return snapshotThreshold;
    }

    public int maxEntryBytes() {
        return maxEntryBytes;
    }

    public long logSegmentBytes() {
        return logSegmentBytes;
    }

    /** This voter's own address: the one the other voters send to. */
    public InetSocketAddress ownAddress() {
        return voters.get(nodeId);
    }

    /**
     * Where this voter's Ratis transport binds: its {@link #ownAddress()}, unless the node relays that address to
     * another one (the controller listener serves Kafka's protocol and relays Ratis's connections to a loopback port).
     */
    public InetSocketAddress bindAddress() {
        return bindAddress != null ? bindAddress : ownAddress();
    }

    /**
     * Whether this node starts without a voter set of its own (KIP-853: only {@code controller.quorum.bootstrap.servers}
     * is configured): its Raft server starts in no configuration and waits, as an observer that votes for nobody,
     * until the leader adds it ({@link RaftQuorum#addVoter}) and sends it the log; after that, a restart takes the
     * voter set from its own log. {@link #voters()} are then the voters it learned at start, for forwarding only.
     */
    public boolean joining() {
        return joining;
    }

    @Override
    public String toString() {
        return "QuorumConfig{node=" + nodeId + ", voters=" + voters + ", storage=" + storageDir
                + ", election=" + electionTimeout.toMillis() + "ms, request=" + requestTimeout.toMillis() + "ms}";
    }

    /** Builder with the named defaults above. */
    public static final class Builder {
        private final int nodeId;
        private final Path storageDir;
        private final Map<Integer, InetSocketAddress> voters = new LinkedHashMap<>();
        private String clusterId = DEFAULT_CLUSTER_ID;
        private Duration electionTimeout = DEFAULT_ELECTION_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private long snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
        private int maxEntryBytes = DEFAULT_MAX_ENTRY_BYTES;
        private long logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
        private InetSocketAddress bindAddress;
        private boolean joining;

        private Builder(int nodeId, Path storageDir) {
            this.nodeId = nodeId;
            this.storageDir = storageDir;
        }

        public Builder voters(Map<Integer, InetSocketAddress> voters) {
            this.voters.clear();
            this.voters.putAll(voters);
            return this;
        }

        /** Kafka's {@code controller.quorum.voters} string. */
        public Builder voters(String controllerQuorumVoters) {
            return voters(parseVoters(controllerQuorumVoters));
        }

        public Builder clusterId(String clusterId) {
            this.clusterId = clusterId;
            return this;
        }

        public Builder electionTimeout(Duration electionTimeout) {
            this.electionTimeout = electionTimeout;
            return this;
        }

        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public Builder snapshotThreshold(long snapshotThreshold) {
            this.snapshotThreshold = snapshotThreshold;
            return this;
        }

        public Builder maxEntryBytes(int maxEntryBytes) {
            this.maxEntryBytes = maxEntryBytes;
            return this;
        }

        public Builder logSegmentBytes(long logSegmentBytes) {
            this.logSegmentBytes = logSegmentBytes;
            return this;
        }

        /** Binds Ratis's transport here instead of at the voter's own address (which relays to it). */
        public Builder bindAddress(InetSocketAddress bindAddress) {
            this.bindAddress = bindAddress;
            return this;
        }

        /** Starts without a voter set of its own ({@link QuorumConfig#joining()}). */
        public Builder joining(boolean joining) {
            this.joining = joining;
            return this;
        }

        public QuorumConfig build() {
            return new QuorumConfig(this);
        }
    }
}
