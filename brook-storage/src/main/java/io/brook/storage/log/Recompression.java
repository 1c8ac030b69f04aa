package io.brook.storage.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Kafka's rule for a topic whose {@code compression.type} names a codec: a batch that arrives in
 * another codec is re-encoded in that one, keeping its records (offsets, timestamps, keys, values,
 * headers), producer id, epoch, base sequence and transactional flag; a batch already in that
 * codec is kept byte for byte. With {@code compression.type=producer} nothing is re-encoded.
 * Pure: no I/O, no state.
 */
final class Recompression {
    private Recompression() {
    }

    /**
     * Returns {@code records} itself when no batch needs re-encoding, else new records.
     *
     * @param target the topic's codec, or null to keep the producer's
     * @throws RecordTooLargeException if a re-encoded batch exceeds {@code maxMessageBytes}
     */
    static MemoryRecords apply(MemoryRecords records, Compression target, int maxMessageBytes) {
        if (target == null || !needed(records, target)) {
            return records;
        }
        List<ByteBuffer> batches = new ArrayList<>();
        int total = 0;
        for (MutableRecordBatch batch : records.batches()) {
            ByteBuffer bytes = batch.compressionType() == target.type() ? copy(batch) : reencode(batch, target);
            if (bytes.remaining() > maxMessageBytes) {
                throw new RecordTooLargeException("The record batch is " + bytes.remaining() + " bytes once "
                        + "compressed with " + target.type().name + " (the topic's compression.type), larger than "
                        + "max.message.bytes=" + maxMessageBytes);
            }
            batches.add(bytes);
            total += bytes.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        batches.forEach(all::put);
        return MemoryRecords.readableRecords(all.flip());
    }

    private static boolean needed(MemoryRecords records, Compression target) {
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.compressionType() != target.type()) {
                return true;
            }
        }
        return false;
    }

    private static ByteBuffer copy(MutableRecordBatch batch) {
        ByteBuffer bytes = ByteBuffer.allocate(batch.sizeInBytes());
        batch.writeTo(bytes);
        return bytes.flip();
    }

    private static ByteBuffer reencode(MutableRecordBatch batch, Compression target) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(Math.max(64, batch.sizeInBytes())),
                RecordBatch.MAGIC_VALUE_V2, target, batch.timestampType(), batch.baseOffset(), RecordBatch.NO_TIMESTAMP,
                batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.isTransactional(),
                batch.partitionLeaderEpoch());
        try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                Record record = it.next();
                builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(),
                        record.headers());
            }
        }
        return builder.build().buffer();
    }
}
