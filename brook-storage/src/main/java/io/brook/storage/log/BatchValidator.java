package io.brook.storage.log;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * Checks the batches a client sent before they are appended. Pure: no state, no I/O; throws the
 * Kafka exception whose error code the client must get.
 */
public final class BatchValidator {
    private BatchValidator() {
    }

    /** Validates every batch of a client append; returns how many batches there are. */
    public static int validate(MemoryRecords records, LogConfig config, long nowMs) {
        int count = 0;
        int bytes = 0;
        for (MutableRecordBatch batch : records.batches()) {
            validateBatch(batch, config, nowMs);
            bytes += batch.sizeInBytes();
            count++;
        }
        if (bytes != records.sizeInBytes()) {
            throw new CorruptRecordException("The record set holds " + records.sizeInBytes()
                    + " bytes but its batches declare " + bytes + ": the last batch is truncated or malformed");
        }
        if (count == 0) {
            throw new CorruptRecordException("The record set holds no complete record batch");
        }
        return count;
    }

    static void validateBatch(MutableRecordBatch batch, LogConfig config, long nowMs) {
        if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
            throw new InvalidRecordException("Record batch magic " + batch.magic()
                    + " is not supported: only magic 2 (Kafka 0.11+) batches are accepted");
        }
        if (batch.sizeInBytes() > config.maxMessageBytes()) {
            throw new RecordTooLargeException("The record batch is " + batch.sizeInBytes()
                    + " bytes, larger than max.message.bytes=" + config.maxMessageBytes());
        }
        if (!batch.isValid()) {
            throw new CorruptRecordException("Record batch failed its CRC32C check (stored " + batch.checksum()
                    + ")");
        }
        if (batch.isControlBatch()) {
            throw new InvalidRecordException("Clients may not write control batches");
        }
        Integer count = batch.countOrNull();
        long span = batch.lastOffset() - batch.baseOffset() + 1;
        if (count == null || count <= 0 || count != span) {
            throw new InvalidRecordException("Record batch declares " + count + " records but an offset span of "
                    + span);
        }
        if (config.timestampType() == TimestampType.CREATE_TIME) {
            checkTimestamp(batch.maxTimestamp(), config, nowMs);
        }
        if (config.compact()) {
            requireKeys(batch);
        }
    }

    static void checkTimestamp(long timestamp, LogConfig config, long nowMs) {
        if (timestamp == RecordBatch.NO_TIMESTAMP) {
            return;
        }
        if (timestamp < nowMs && nowMs - timestamp > config.timestampBeforeMaxMs()) {
            throw new InvalidTimestampException("Timestamp " + timestamp + " is more than "
                    + "message.timestamp.before.max.ms=" + config.timestampBeforeMaxMs() + " before now (" + nowMs + ")");
        }
        if (timestamp > nowMs && timestamp - nowMs > config.timestampAfterMaxMs()) {
            throw new InvalidTimestampException("Timestamp " + timestamp + " is more than "
                    + "message.timestamp.after.max.ms=" + config.timestampAfterMaxMs() + " after now (" + nowMs + ")");
        }
    }

    private static void requireKeys(RecordBatch batch) {
        try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                if (!it.next().hasKey()) {
                    throw new InvalidRecordException("Compacted topics accept only records with a key");
                }
            }
        }
    }
}
