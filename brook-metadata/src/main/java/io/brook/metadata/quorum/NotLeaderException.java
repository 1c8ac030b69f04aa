package io.brook.metadata.quorum;

/** This voter is not the ready leader; {@link #leaderId()} is the leader it knows of, or -1. Retriable. */
public class NotLeaderException extends QuorumException {
    private final int leaderId;

    public NotLeaderException(int nodeId, int leaderId) {
        super(leaderId >= 0
                ? "node " + nodeId + " is not the metadata quorum leader; the leader is node " + leaderId
                : "node " + nodeId + " is not the metadata quorum leader and no leader is known right now", true);
        this.leaderId = leaderId;
    }

    public int leaderId() {
        return leaderId;
    }
}
