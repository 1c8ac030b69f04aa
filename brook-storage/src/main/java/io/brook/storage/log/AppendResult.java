package io.brook.storage.log;

import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * What an append did: the offsets given to the records, the log-append time used (or -1 under
 * CreateTime), and the log start offset after it. {@code duplicate} marks a retried idempotent
 * batch answered with the offsets it got the first time.
 */
public record AppendResult(long firstOffset, long lastOffset, long logAppendTimeMs, long logStartOffset,
                           boolean duplicate) {
    /** Nothing was appended (a follower append of no complete batch): both offsets are -1. */
    public static AppendResult nothingAppended(long logStartOffset) {
        return new AppendResult(-1, -1, RecordBatch.NO_TIMESTAMP, logStartOffset, false);
    }

    public static AppendResult duplicateOf(long firstOffset, long lastOffset, long logStartOffset) {
        return new AppendResult(firstOffset, lastOffset, RecordBatch.NO_TIMESTAMP, logStartOffset, true);
    }
}
