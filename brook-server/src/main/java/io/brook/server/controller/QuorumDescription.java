package io.brook.server.controller;

import io.brook.metadata.quorum.QuorumStatus;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeQuorumResponseData.PartitionData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.ReplicaState;

import java.util.ArrayList;
import java.util.List;

/**
 * The state of the metadata quorum as DescribeQuorum reports it: who leads, in which epoch, how far the
 * log is committed, and how far each voter and observer has it.
 *
 * @param highWatermark the offset after the last committed metadata record
 */
public record QuorumDescription(int leaderId, int leaderEpoch, long highWatermark, List<Replica> voters,
                                List<Replica> observers) {
    public QuorumDescription {
        voters = List.copyOf(voters);
        observers = List.copyOf(observers);
    }

    /**
     * A quorum of one: this node is the only voter and leads, with every committed record.
     *
     * @param epoch the epoch of the single node's metadata log
     */
    public static QuorumDescription singleNode(int nodeId, int epoch, long highWatermark, long nowMs) {
        return new QuorumDescription(nodeId, epoch, highWatermark,
                List.of(new Replica(nodeId, highWatermark, nowMs, nowMs)), List.of());
    }

    /**
     * A Raft voter's view ({@link QuorumStatus}; complete on the leader). Offsets are positions in the Raft
     * log, which holds the metadata batches plus the quorum's own entries: the epoch is the Raft term, the
     * high watermark the index after the last committed entry. A voter counts as caught up when its log
     * reaches the commit index.
     */
    public static QuorumDescription fromStatus(QuorumStatus status) {
        long highWatermark = status.commitIndex() + 1;
        List<Replica> voters = new ArrayList<>();
        for (QuorumStatus.Voter voter : status.voters()) {
            long logEnd = voter.logEndIndex() < 0 ? -1 : voter.logEndIndex() + 1;
            long caughtUp = logEnd >= highWatermark ? voter.lastContactMs() : -1;
            voters.add(new Replica(voter.id(), logEnd, voter.lastContactMs(), caughtUp));
        }
        return new QuorumDescription(status.leaderId(), (int) Math.max(-1, status.term()), highWatermark, voters,
                List.of());
    }

    /** This description with {@code observers} (the broker-only nodes following the log) instead of its own. */
    public QuorumDescription withObservers(List<Replica> observers) {
        return new QuorumDescription(leaderId, leaderEpoch, highWatermark, voters, observers);
    }

    /** This description as DescribeQuorum's partition 0 of {@code __cluster_metadata}. */
    public PartitionData toPartitionData() {
        return new PartitionData().setPartitionIndex(0).setLeaderId(leaderId).setLeaderEpoch(leaderEpoch)
                .setHighWatermark(highWatermark).setCurrentVoters(states(voters)).setObservers(states(observers));
    }

    /** The description in DescribeQuorum's partition data (the answer of another node). */
    public static QuorumDescription fromPartitionData(PartitionData data) {
        return new QuorumDescription(data.leaderId(), data.leaderEpoch(), data.highWatermark(),
                replicas(data.currentVoters()), replicas(data.observers()));
    }

    private static List<ReplicaState> states(List<Replica> replicas) {
        List<ReplicaState> states = new ArrayList<>();
        for (Replica replica : replicas) {
            states.add(new ReplicaState().setReplicaId(replica.id()).setReplicaDirectoryId(Uuid.ZERO_UUID)
                    .setLogEndOffset(replica.logEndOffset()).setLastFetchTimestamp(replica.lastFetchTimestamp())
                    .setLastCaughtUpTimestamp(replica.lastCaughtUpTimestamp()));
        }
        return states;
    }

    private static List<Replica> replicas(List<ReplicaState> states) {
        List<Replica> replicas = new ArrayList<>();
        for (ReplicaState state : states) {
            replicas.add(new Replica(state.replicaId(), state.logEndOffset(), state.lastFetchTimestamp(),
                    state.lastCaughtUpTimestamp()));
        }
        return replicas;
    }

    /**
     * One replica of the metadata log.
     *
     * @param logEndOffset          the offset after the last record it holds
     * @param lastFetchTimestamp    when the leader last heard from it (ms), or -1 if unknown
     * @param lastCaughtUpTimestamp when it last had everything the leader had (ms), or -1 if unknown
     */
    public record Replica(int id, long logEndOffset, long lastFetchTimestamp, long lastCaughtUpTimestamp) {
    }
}
