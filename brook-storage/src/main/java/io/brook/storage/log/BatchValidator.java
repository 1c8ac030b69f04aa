package io.brook.storage.log;

import io.brook.storage.log.RecordValidationException.RecordError;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.util.ArrayList;
import java.util.List;

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

    /**
     * Checks batches a follower fetched from its leader, which it appends exactly as they are: each
     * must be magic 2, pass its CRC32C check ({@code ensureValid}) and have offsets above the previous
     * batch's ({@code contiguous}: starting right after it, for a log that cannot have compaction gaps).
     * No client rule applies (the leader accepted the batches; {@code max.message.bytes} neither, as in
     * Kafka). A fetch response may end with a partial batch (the leader's read stops at its byte limit):
     * it is left out, the next fetch brings it whole.
     *
     * @return the complete batches ({@code records} itself, or the slice of it before a partial last
     *         batch); empty when there is none
     * @throws CorruptRecordException  for a batch failing its CRC or with an impossible offset range
     * @throws InvalidRecordException  for another magic or offsets that do not increase
     */
    public static MemoryRecords validateReplicated(MemoryRecords records, boolean contiguous) {
        int validBytes = 0;
        long previousLast = -1;
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                throw new InvalidRecordException("Replicated batch at offset " + batch.baseOffset() + " has magic "
                        + batch.magic() + ": only magic 2 batches are stored");
            }
            batch.ensureValid();
            if (batch.lastOffset() < batch.baseOffset()) {
                throw new CorruptRecordException("Replicated batch has last offset " + batch.lastOffset()
                        + " below its base offset " + batch.baseOffset());
            }
            if (validBytes > 0 && (batch.baseOffset() <= previousLast
                    || (contiguous && batch.baseOffset() != previousLast + 1))) {
                throw new InvalidRecordException("Replicated batch at offset " + batch.baseOffset()
                        + " does not follow the previous batch, which ends at offset " + previousLast);
            }
            validBytes += batch.sizeInBytes();
            previousLast = batch.lastOffset();
        }
        if (validBytes == records.sizeInBytes()) {
            return records;
        }
        java.nio.ByteBuffer complete = records.buffer();
        complete.limit(complete.position() + validBytes);
        return MemoryRecords.readableRecords(complete.slice());
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
        boolean checkTimestamps = config.timestampType() == TimestampType.CREATE_TIME
                && (batch instanceof DefaultRecordBatch v2 && timestampError(v2.baseTimestamp(), config, nowMs) != null
                || timestampError(batch.maxTimestamp(), config, nowMs) != null);
        if (checkTimestamps || config.compact()) {
            checkRecords(batch, config, nowMs, checkTimestamps);
        }
    }

    /**
     * Checks each record of the batch, as Kafka does, and refuses the batch naming every bad record
     * (KIP-467): a record without a key on a compacted topic, and, when {@code checkTimestamps}, a
     * create time outside the topic's window. Only a batch whose header range falls outside the window
     * has its records' timestamps checked: the header check keeps compressed batches of valid records
     * from being decompressed here.
     */
    private static void checkRecords(RecordBatch batch, LogConfig config, long nowMs, boolean checkTimestamps) {
        List<RecordError> errors = new ArrayList<>();
        boolean badTimestamp = false;
        int index = 0;
        try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                Record record = it.next();
                String timestampError = checkTimestamps ? timestampError(record.timestamp(), config, nowMs) : null;
                if (timestampError != null) {
                    errors.add(new RecordError(index, timestampError));
                    badTimestamp = true;
                } else if (config.compact() && !record.hasKey()) {
                    errors.add(new RecordError(index, "Compacted topics accept only records with a key"));
                }
                index++;
            }
        }
        if (!errors.isEmpty()) {
            throw new RecordValidationException(badTimestamp
                    ? new InvalidTimestampException("One or more records have been rejected due to invalid timestamp")
                    : new InvalidRecordException(RecordValidationException.summary(errors)), errors);
        }
    }

    /** Why a create time is outside the topic's window, or null when it is inside. */
    static String timestampError(long timestamp, LogConfig config, long nowMs) {
        if (timestamp == RecordBatch.NO_TIMESTAMP) {
            return null;
        }
        if (timestamp < nowMs && nowMs - timestamp > config.timestampBeforeMaxMs()) {
            return "Timestamp " + timestamp + " is more than message.timestamp.before.max.ms="
                    + config.timestampBeforeMaxMs() + " before now (" + nowMs + ")";
        }
        if (timestamp > nowMs && timestamp - nowMs > config.timestampAfterMaxMs()) {
            return "Timestamp " + timestamp + " is more than message.timestamp.after.max.ms="
                    + config.timestampAfterMaxMs() + " after now (" + nowMs + ")";
        }
        return null;
    }
}
