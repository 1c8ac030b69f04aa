package io.brook.metadata.quorum;

import java.util.List;

/**
 * A voter's view of the quorum, for DescribeQuorum and {@code bin/brook cluster}. Complete on the leader
 * (every voter's replicated log end and last contact); a follower knows itself and the leader only.
 *
 * @param leaderId     the leader this voter knows of, or -1
 * @param commitIndex  the highest Raft index known committed (the quorum's high watermark)
 * @param appliedIndex the highest index delivered to this voter's listener
 * @param observers    the nodes that receive the log without voting (Ratis listeners: removed voters kept as
 *                     observers), as {@code voters} describes voters
 */
public record QuorumStatus(int nodeId, int leaderId, long term, long commitIndex, long appliedIndex,
                           List<Voter> voters, List<Voter> observers) {
    public QuorumStatus {
        voters = List.copyOf(voters);
        observers = List.copyOf(observers);
    }

    public QuorumStatus(int nodeId, int leaderId, long term, long commitIndex, long appliedIndex, List<Voter> voters) {
        this(nodeId, leaderId, term, commitIndex, appliedIndex, voters, List.of());
    }

    /** What this node thinks a member is doing. */
    public enum Role { LEADER, FOLLOWER, CANDIDATE, OBSERVER, UNKNOWN }

    /**
     * @param logEndIndex   the last index known to be in that voter's log (the leader's match index for a
     *                      follower, the own log end for itself), or -1 when unknown
     * @param lastContactMs wall-clock time of the last exchange with that voter, or -1 when unknown
     */
    public record Voter(int id, Role role, long logEndIndex, long lastContactMs) {
    }
}
