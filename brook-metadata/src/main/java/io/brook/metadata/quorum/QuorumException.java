package io.brook.metadata.quorum;

/**
 * A request to the quorum failed. Retriable ({@link #retriable()}) when another attempt may succeed: the
 * leader moved, the quorum is not available right now, or the attempt timed out.
 */
public class QuorumException extends RuntimeException {
    private final boolean retriable;

    public QuorumException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    public QuorumException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    public boolean retriable() {
        return retriable;
    }
}
