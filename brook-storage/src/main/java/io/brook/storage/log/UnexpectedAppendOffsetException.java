package io.brook.storage.log;

import org.apache.kafka.common.KafkaException;

/**
 * A follower append whose first batch does not start at the follower's log end (Kafka's exception
 * of the same name): the fetcher asked from another offset than the log ends at, or the log was
 * truncated meanwhile. Nothing was written; the fetcher re-truncates (OffsetForLeaderEpoch) and
 * fetches again from the log end.
 */
public final class UnexpectedAppendOffsetException extends KafkaException {
    private final long firstOffset;
    private final long expectedOffset;

    public UnexpectedAppendOffsetException(String message, long firstOffset, long expectedOffset) {
        super(message);
        this.firstOffset = firstOffset;
        this.expectedOffset = expectedOffset;
    }

    /** The base offset of the first batch offered. */
    public long firstOffset() {
        return firstOffset;
    }

    /** The log end offset it had to start at. */
    public long expectedOffset() {
        return expectedOffset;
    }
}
