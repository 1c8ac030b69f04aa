package io.brook.metadata.quorum;

import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Every Ratis knob Brook sets, in one place, with the reason for each value. Ratis's defaults suit a
 * data-heavy server (8 MiB direct write buffer, six cached 32 MiB segments, 150-300 ms elections); the
 * metadata quorum writes small entries on a shared machine, so the buffers shrink and elections follow
 * Kafka's controller timeouts.
 */
final class RatisProperties {
    /** A single voter has nobody to wait for: it elects itself after this instead of an election timeout. */
    static final Duration SINGLE_VOTER_FIRST_ELECTION = Duration.ofMillis(5);
    /** Closed log segments kept in memory for followers that lag a little. */
    static final int SEGMENT_CACHE_SEGMENTS = 2;
    /** Bytes preallocated for a new segment file. */
    static final long PREALLOCATED_BYTES = 1024 * 1024;
    /** Snapshot files go to a lagging voter in chunks of this size (each chunk is held in memory). */
    static final long SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
    /** Installed and taken snapshots kept in the quorum's storage (the newest is the one sent). */
    static final int SNAPSHOTS_RETAINED = 2;
    /** Ratis's log purge waits until this many entries are covered by a new snapshot. */
    static final int PURGE_GAP = 16;
    /** Ratis's log entry around a proposed entry (term, index, client id, call id): an entry of
     *  {@link QuorumConfig#maxEntryBytes()} plus this always fits Ratis's limits. */
    static final int ENTRY_HEADROOM_BYTES = 1024;
    /** How long a server remembers a request for duplicate detection; Brook never resends a proposal. */
    static final Duration RETRY_CACHE_EXPIRY = Duration.ofSeconds(10);
    /**
     * How long a pause of the whole process (SIGSTOP, a frozen VM, a very long GC) must be before Ratis shuts the
     * voter's server down on resuming (its close threshold, 60 s by default): never, in practice. A shut-down server
     * never comes back while the node runs on, serving metadata that no longer moves; a KRaft controller simply
     * resumes as a follower and catches up, and so does a Brook voter now. (A leader paused past the election
     * timeout still steps down on resuming: that stays.)
     */
    static final Duration JVM_PAUSE_CLOSE_THRESHOLD = Duration.ofDays(365);

    private RatisProperties() {
    }

    static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf(Integer.toString(nodeId));
    }

    /** The node id of a Ratis peer id, or -1 when it is not one of ours. */
    static int nodeId(RaftPeerId peerId) {
        if (peerId == null) {
            return -1;
        }
        try {
            return Integer.parseInt(peerId.toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static RaftPeer peer(int nodeId, InetSocketAddress address) {
        return RaftPeer.newBuilder()
                .setId(peerId(nodeId))
                .setAddress(address.getHostString() + ":" + address.getPort())
                .build();
    }

    static List<RaftPeer> peers(Map<Integer, InetSocketAddress> voters) {
        List<RaftPeer> peers = new ArrayList<>();
        voters.forEach((id, address) -> peers.add(peer(id, address)));
        return peers;
    }

    /** One Raft group per cluster: voters of different clusters refuse each other's messages. */
    static RaftGroupId groupId(String clusterId) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
                ("brook-metadata-quorum/" + clusterId).getBytes(StandardCharsets.UTF_8)));
    }

    static TimeDuration millis(Duration d) {
        return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The properties of a voter's Ratis server. */
    static RaftProperties server(QuorumConfig config) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        InetSocketAddress own = config.bindAddress();
        NettyConfigKeys.Server.setHost(p, own.getHostString());
        NettyConfigKeys.Server.setPort(p, own.getPort());

        RaftServerConfigKeys.setStorageDir(p, List.of(config.storageDir().toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, config.storageDir().resolve("removed-groups").toFile());

        // Kafka's election timeout T: a follower waits a random time in [T, 2T] without a leader.
        Duration election = config.electionTimeout();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(election));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(election.multipliedBy(2)));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, millis(config.requestTimeout()));
        // A leader that lost its majority's heartbeats steps down and then, by Ratis's default, does not campaign
        // for 10 s (its leader step-down wait time): with one voter cut off and another slow to answer (just back
        // from a pause), the quorum had no leader for 11-14 s. A KRaft controller that resigns campaigns again after
        // an election timeout, so does a Brook voter now (pre-vote, Ratis's default, keeps a cut-off voter from
        // disrupting the others). The same wait is the JVM pause after which a resuming leader steps down.
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, millis(election.multipliedBy(2)));
        if (config.voters().size() == 1) {
            // the single-node default must be ready at once, not after an election timeout
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, millis(SINGLE_VOTER_FIRST_ELECTION));
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, millis(SINGLE_VOTER_FIRST_ELECTION.multipliedBy(2)));
        }

        // log: small buffers, a torn tail after SIGKILL is truncated instead of refusing to start
        int maxLogEntry = config.maxEntryBytes() + ENTRY_HEADROOM_BYTES;
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(maxLogEntry));
        // Ratis's rule: room for one entry plus its 4-byte length and 4-byte checksum
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(maxLogEntry + 8));
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(config.logSegmentBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p,
                SizeInBytes.valueOf(Math.min(PREALLOCATED_BYTES, config.logSegmentBytes())));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, SEGMENT_CACHE_SEGMENTS);
        RaftServerConfigKeys.Log.setCorruptionPolicy(p, RaftServerConfigKeys.Log.CorruptionPolicy.WARN_AND_RETURN);

        // snapshots: taken by the owner every threshold entries; the log is purged up to them even if a
        // voter is down (it then catches up from the snapshot), so the log stays bounded
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, false);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, SNAPSHOTS_RETAINED);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgeGap(p, PURGE_GAP);
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf(SNAPSHOT_CHUNK_BYTES));

        RaftServerConfigKeys.RetryCache.setExpiryTime(p, millis(RETRY_CACHE_EXPIRY));
        RaftServerConfigKeys.setCloseThreshold(p, millis(JVM_PAUSE_CLOSE_THRESHOLD));
        return p;
    }

    /** The properties of a client that forwards requests to the leader. */
    static RaftProperties client(Duration attemptTimeout) {
        RaftProperties p = new RaftProperties();
        RaftConfigKeys.Rpc.setType(p, SupportedRpcType.NETTY);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, millis(attemptTimeout));
        return p;
    }
}
