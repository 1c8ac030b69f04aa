package io.brook.server.partition;

import io.brook.metadata.image.PartitionImage;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.io.IOException;
import java.util.List;

/**
 * A partition hosted on this node: its log plus the replication state the metadata gives it
 * (leader, leader epoch, replicas, ISR) and the high watermark. On a single node the ISR is the
 * leader alone, so the high watermark follows the log end offset.
 *
 * <p>Thread-safety: state fields are volatile and replaced whole by metadata updates; appends
 * are serialized by the log.
 */
public final class Partition {
    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final PartitionLog log;
    private final int localNodeId;
    private volatile PartitionImage state;
    private volatile long highWatermark;

    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, PartitionImage state,
                     int localNodeId) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
        this.state = state;
        this.localNodeId = localNodeId;
        this.highWatermark = log.logEndOffset();
    }

    public void update(PartitionImage newState) {
        this.state = newState;
    }

    public boolean isLeader() {
        return state.leader() == localNodeId;
    }

    /**
     * Appends client batches as leader.
     *
     * @param requiredAcks -1 (all), 0 or 1
     */
    public AppendResult appendAsLeader(MemoryRecords records, short requiredAcks) throws IOException {
        PartitionImage s = leaderState(requiredAcks);
        AppendResult result = log.appendAsLeader(records, s.leaderEpoch());
        afterAppend(result.lastOffset(), result.duplicate());
        return result;
    }

    /** Appends batches a coordinator wrote (offset commits, transactional or not), with acks=all. */
    public AppendResult appendAsCoordinator(MemoryRecords records) throws IOException {
        PartitionImage s = leaderState((short) -1);
        AppendResult result = log.appendAsCoordinator(records, s.leaderEpoch());
        afterAppend(result.lastOffset(), result.duplicate());
        return result;
    }

    /** Appends a transaction marker (WriteTxnMarkers); returns its offset. */
    public long appendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit)
            throws IOException {
        PartitionImage s = leaderState((short) -1);
        long offset = log.appendMarker(producerId, producerEpoch, coordinatorEpoch, commit, s.leaderEpoch());
        afterAppend(offset, false);
        return offset;
    }

    private PartitionImage leaderState(short requiredAcks) {
        PartitionImage s = state;
        if (s.leader() != localNodeId) {
            throw new NotLeaderOrFollowerException("Node " + localNodeId + " is not the leader of " + topicPartition);
        }
        int minIsr = log.config().minInSyncReplicas();
        if (requiredAcks == -1 && s.isr().size() < minIsr) {
            throw new NotEnoughReplicasException("The in-sync replicas of " + topicPartition + " " + s.isr()
                    + " are fewer than min.insync.replicas=" + minIsr);
        }
        return s;
    }

    private void afterAppend(long lastOffset, boolean duplicate) throws IOException {
        maybeAdvanceHighWatermark();
        if (log.config().durableAppend() && !duplicate) {
            log.flushUpTo(lastOffset);
        }
    }

    /** With the leader as the only in-sync replica the high watermark is the log end offset. */
    private void maybeAdvanceHighWatermark() {
        PartitionImage s = state;
        if (s.isr().size() == 1 && s.isr().get(0) == localNodeId) {
            highWatermark = log.logEndOffset();
        }
    }

    /**
     * Checks a client's view of the leader epoch: FENCED_LEADER_EPOCH if it is older than ours,
     * UNKNOWN_LEADER_EPOCH if newer; -1 skips the check.
     */
    public void throwIfEpochMismatch(int clientEpoch) {
        int epoch = state.leaderEpoch();
        if (clientEpoch == -1 || clientEpoch == epoch) {
            return;
        }
        if (clientEpoch < epoch) {
            throw new FencedLeaderEpochException("Leader epoch " + clientEpoch + " of " + topicPartition
                    + " is older than the current " + epoch);
        }
        throw new UnknownLeaderEpochException("Leader epoch " + clientEpoch + " of " + topicPartition
                + " is newer than the current " + epoch);
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public PartitionLog log() {
        return log;
    }

    public PartitionImage state() {
        return state;
    }

    public int leaderEpoch() {
        return state.leaderEpoch();
    }

    public long highWatermark() {
        return highWatermark;
    }

    /** The last stable offset: the high watermark, or the first offset of an open transaction below it. */
    public long lastStableOffset() {
        return log.lastStableOffset(highWatermark);
    }

    public List<Integer> replicas() {
        return state.replicas();
    }
}
