package io.brook.metadata.log;

import io.brook.metadata.record.MetadataRecordCodec;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Metadata records as Kafka record batches, the unit of the metadata log and of the Raft quorum's
 * entries: one controller decision is one batch (v2, magic 2, no compression, producer id -1), whose
 * base offset is the metadata offset of its first record and whose partition leader epoch is the Raft
 * epoch that wrote it. Each record has a null key and, as value, the record in Kafka's metadata frame
 * ({@link MetadataRecordCodec}), as Kafka's KRaft writes {@code __cluster_metadata}.
 *
 * <p>Thread-safety: stateless.
 */
public final class MetadataBatches {
    /** Largest batch accepted, so a corrupt length cannot make recovery allocate gigabytes. */
    public static final int MAX_BATCH_BYTES = 64 * 1024 * 1024;
    /** Bytes of a batch before its records (Kafka's v2 header), also the smallest possible batch. */
    public static final int HEADER_BYTES = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;
    /** Bytes before the batch length field ends: base offset (8) and length (4). */
    public static final int LOG_OVERHEAD = 12;
    private static final int MAGIC_OFFSET = 16;

    private MetadataBatches() {
    }

    /**
     * A decoded batch: offsets {@code baseOffset..lastOffset}; a control batch (Raft's leader change,
     * a snapshot's header or footer) has no metadata records and names its control record type.
     */
    public record Batch(long baseOffset, long lastOffset, int epoch, long maxTimestamp, boolean control,
                        ControlRecordType controlType, List<ApiMessageAndVersion> records, int sizeInBytes) {
    }

    /** The records as one batch at {@code baseOffset} written in epoch {@code epoch} at {@code timestampMs}. */
    public static ByteBuffer encode(List<ApiMessageAndVersion> records, long baseOffset, int epoch, long timestampMs) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("a metadata batch needs at least one record");
        }
        SimpleRecord[] simple = new SimpleRecord[records.size()];
        long bytes = HEADER_BYTES;
        for (int i = 0; i < simple.length; i++) {
            byte[] value = MetadataRecordCodec.encode(records.get(i));
            bytes += value.length + 16L; // a record's own header is at most about 16 bytes here
            if (bytes > MAX_BATCH_BYTES) {
                throw new IllegalArgumentException("metadata batch of " + records.size() + " records exceeds "
                        + MAX_BATCH_BYTES + " bytes");
            }
            simple[i] = new SimpleRecord(timestampMs, null, value);
        }
        ByteBuffer batch = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V2, baseOffset, Compression.NONE,
                TimestampType.CREATE_TIME, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH,
                RecordBatch.NO_SEQUENCE, epoch, false, simple).buffer();
        if (batch.remaining() > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("metadata batch of " + batch.remaining() + " bytes exceeds "
                    + MAX_BATCH_BYTES);
        }
        return batch;
    }

    /**
     * Whether the bytes of {@code buffer} from its position on start with a whole batch of a plausible
     * length whose checksum verifies (its records need not decode). Cheap checks first.
     */
    static boolean isIntactBatch(ByteBuffer buffer) {
        int length = batchLength(buffer);
        if (length < 0 || buffer.get(buffer.position() + MAGIC_OFFSET) != RecordBatch.MAGIC_VALUE_V2) {
            return false;
        }
        ByteBuffer slice = buffer.slice(buffer.position(), length);
        try {
            return MemoryRecords.readableRecords(slice).batchIterator().next().isValid();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The whole size (log overhead included) of the batch starting at {@code buffer}'s position if its
     * length field is plausible and the batch lies within the buffer, else -1.
     */
    static int batchLength(ByteBuffer buffer) {
        if (buffer.remaining() < HEADER_BYTES) {
            return -1;
        }
        int length = buffer.getInt(buffer.position() + 8);
        if (length < HEADER_BYTES - LOG_OVERHEAD || length > MAX_BATCH_BYTES - LOG_OVERHEAD
                || length + LOG_OVERHEAD > buffer.remaining()) {
            return -1;
        }
        return length + LOG_OVERHEAD;
    }

    /**
     * Decodes the one batch that fills {@code buffer} (from its position to its limit) exactly.
     *
     * @throws IOException if it is not such a batch (cut short, trailing bytes, not magic 2, a failed
     *                     checksum, compressed, record offsets not contiguous, or a record that is not a
     *                     metadata record); no other exception for any input
     */
    public static Batch decode(ByteBuffer buffer) throws IOException {
        ByteBuffer bytes = buffer.slice();
        int length = batchLength(bytes);
        if (length < 0) {
            throw new IOException("not a metadata batch: " + bytes.remaining() + " bytes with an impossible length");
        }
        if (length != bytes.remaining()) {
            throw new IOException(bytes.remaining() - length + " trailing bytes after a metadata batch");
        }
        if (bytes.get(MAGIC_OFFSET) != RecordBatch.MAGIC_VALUE_V2) {
            throw new IOException("metadata batch of magic " + bytes.get(MAGIC_OFFSET) + ", not 2");
        }
        try {
            MutableRecordBatch batch = MemoryRecords.readableRecords(bytes).batchIterator().next();
            if (!batch.isValid()) {
                throw new IOException("metadata batch at offset " + batch.baseOffset() + " fails its checksum");
            }
            if (batch.compressionType().id != 0) {
                throw new IOException("compressed metadata batch at offset " + batch.baseOffset());
            }
            List<ApiMessageAndVersion> records = new ArrayList<>();
            ControlRecordType controlType = null;
            long expected = batch.baseOffset();
            Iterator<Record> iterator = batch.iterator();
            while (iterator.hasNext()) {
                Record record = iterator.next();
                if (record.offset() != expected++) {
                    throw new IOException("record offset " + record.offset() + " in a batch at " + batch.baseOffset()
                            + " where " + (expected - 1) + " was due");
                }
                if (batch.isControlBatch()) {
                    if (!record.hasKey()) {
                        throw new IOException("control record without a key at offset " + record.offset());
                    }
                    ControlRecordType type = ControlRecordType.parse(record.key());
                    controlType = controlType == null ? type : controlType;
                } else {
                    if (!record.hasValue()) {
                        throw new IOException("metadata record without a value at offset " + record.offset());
                    }
                    records.add(MetadataRecordCodec.decode(record.value()));
                }
            }
            if (expected - 1 != batch.lastOffset() || expected == batch.baseOffset()) {
                throw new IOException("metadata batch at offset " + batch.baseOffset() + " declares last offset "
                        + batch.lastOffset() + " but holds records up to " + (expected - 1));
            }
            return new Batch(batch.baseOffset(), batch.lastOffset(), batch.partitionLeaderEpoch(),
                    batch.maxTimestamp(), batch.isControlBatch(), controlType, List.copyOf(records), length);
        } catch (RuntimeException e) {
            throw new IOException("not a metadata batch: " + e, e);
        }
    }
}
