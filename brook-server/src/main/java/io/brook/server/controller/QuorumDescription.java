package io.brook.server.controller;

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
     * One replica of the metadata log.
     *
     * @param logEndOffset          the offset after the last record it holds
     * @param lastFetchTimestamp    when the leader last heard from it (ms), or -1 if unknown
     * @param lastCaughtUpTimestamp when it last had everything the leader had (ms), or -1 if unknown
     */
    public record Replica(int id, long logEndOffset, long lastFetchTimestamp, long lastCaughtUpTimestamp) {
    }
}
