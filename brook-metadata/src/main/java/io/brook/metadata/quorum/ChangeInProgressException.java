package io.brook.metadata.quorum;

/**
 * A change of the quorum's members was refused because another one has not completed yet: retriable once it has.
 */
public final class ChangeInProgressException extends QuorumException {
    public ChangeInProgressException(String message, Throwable cause) {
        super(message, true, cause);
    }
}
