package io.brook.metadata.quorum;

/**
 * The quorum did not answer within the deadline (no majority reachable, or a leader change in progress).
 * For a proposal the outcome is unknown: the entry may still commit. Retriable.
 */
public class QuorumTimeoutException extends QuorumException {
    public QuorumTimeoutException(String message, Throwable cause) {
        super(message, true, cause);
    }
}
