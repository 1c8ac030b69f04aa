package io.brook.server.replication;

import io.brook.storage.log.ThrottledReplicaList;

import java.util.Map;
import java.util.function.LongSupplier;

/**
 * This broker's two replication throttles (KIP-73): the leader's, on what it sends to followers
 * ({@code leader.replication.throttled.rate}), and the follower's, on what its fetchers copy
 * ({@code follower.replication.throttled.rate}). Which replicas they cover is a topic's
 * {@code leader.replication.throttled.replicas} / {@code follower.replication.throttled.replicas} naming
 * {@code partition:thisBroker} (or {@code *}). As Kafka, a replica in the ISR (leader side) or caught up with the
 * leader (follower side) is never held back, but its bytes count. A third quota limits the moves of replicas between
 * this broker's log directories ({@code replica.alter.log.dirs.io.max.bytes.per.second}, every move together).
 *
 * <p>Thread-safety: the quotas are thread-safe; the rates are changed by the metadata publisher.
 */
public final class ReplicationThrottles {
    private final int nodeId;
    private final ReplicationQuota leader;
    private final ReplicationQuota follower;
    private final ReplicationQuota alterLogDirs;
    private final LongSupplier clock;

    /**
     * @param samples  {@code replication.quota.window.num}
     * @param windowMs {@code replication.quota.window.size.seconds} in milliseconds
     * @param clock    milliseconds, only differences count
     */
    public ReplicationThrottles(int nodeId, int samples, long windowMs, LongSupplier clock) {
        this.nodeId = nodeId;
        this.leader = new ReplicationQuota(samples, windowMs, ReplicationQuota.UNLIMITED);
        this.follower = new ReplicationQuota(samples, windowMs, ReplicationQuota.UNLIMITED);
        this.alterLogDirs = new ReplicationQuota(samples, windowMs, ReplicationQuota.UNLIMITED);
        this.clock = clock;
    }

    /** No throttling at all (a node without replication, tests). */
    public static ReplicationThrottles none(int nodeId) {
        return new ReplicationThrottles(nodeId, 11, 1000, () -> System.nanoTime() / 1_000_000);
    }

    public void setRates(long leaderBytesPerSecond, long followerBytesPerSecond) {
        leader.setLimit(leaderBytesPerSecond);
        follower.setLimit(followerBytesPerSecond);
    }

    /** Sets the copy rate of moves between log directories ({@link ReplicationQuota#UNLIMITED}: none). */
    public void setAlterLogDirsRate(long bytesPerSecond) {
        alterLogDirs.setLimit(bytesPerSecond);
    }

    /** The quota of the moves between this broker's log directories (AlterReplicaLogDirs). */
    public ReplicationQuota alterLogDirs() {
        return alterLogDirs;
    }

    public ReplicationQuota leader() {
        return leader;
    }

    public ReplicationQuota follower() {
        return follower;
    }

    public long nowMs() {
        return clock.getAsLong();
    }

    /**
     * The leader's decision for one follower fetch of a partition (Kafka's shouldLeaderThrottle): hold its records
     * back when the topic throttles this broker's replica of {@code partition}, the fetching replica is not in the
     * ISR and the leader quota is used up.
     */
    public boolean leaderHoldsBack(Map<String, String> topicConfigs, int partition, boolean replicaInIsr) {
        return !replicaInIsr && leaderThrottled(topicConfigs, partition) && leader.isExceeded(nowMs());
    }

    /** Whether the leader throttles {@code partition} of the topic with {@code topicConfigs} on this broker. */
    public boolean leaderThrottled(Map<String, String> topicConfigs, int partition) {
        return ThrottledReplicaList.contains(topicConfigs.get(ThrottledReplicaList.LEADER_CONFIG), partition, nodeId);
    }

    /** Whether this broker's follower replica of {@code partition} is throttled. */
    public boolean followerThrottled(Map<String, String> topicConfigs, int partition) {
        return ThrottledReplicaList.contains(topicConfigs.get(ThrottledReplicaList.FOLLOWER_CONFIG), partition,
                nodeId);
    }
}
