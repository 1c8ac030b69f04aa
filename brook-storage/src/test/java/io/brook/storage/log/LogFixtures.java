package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;


import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.brook.storage.index.TransactionIndex.AbortedTxn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Helpers shared by the storage tests: opening logs and building batches. */
public final class LogFixtures {
    public static final TopicPartition TP = new TopicPartition("t", 0);
    public static final Uuid TOPIC_ID = Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ");
    public static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-scheduler");
        t.setDaemon(true);
        return t;
    });

    private LogFixtures() {
    }

    /**
     * Waits until the scheduler has run what is due now (segment deletions with file.delete.delay.ms=0),
     * so a test's temporary directory is not deleted while the scheduler still deletes files in it.
     */
    public static void drainScheduler() throws Exception {
        SCHEDULER.submit(() -> { }).get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Deletes a test's directory, once the scheduler's due deletions in it are done (see {@link #drainScheduler}). */
    public static void deleteRecursively(File dir) throws IOException {
        try {
            drainScheduler();
        } catch (Exception e) {
            throw new IOException("the test scheduler did not finish its deletions", e);
        }
        try (var paths = java.nio.file.Files.walk(dir.toPath())) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    public static LogConfig config(Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>();
        settings.put("file.delete.delay.ms", "0");
        settings.putAll(overrides);
        return LogConfig.fromMap(settings);
    }

    public static PartitionLog open(File dir, LogConfig config, ManualTime time) throws IOException {
        return PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP, TOPIC_ID, config, 0L, 0L, true, time,
                SCHEDULER);
    }

    public static PartitionLog reopen(File dir, LogConfig config, ManualTime time, long recoveryPoint, boolean clean)
            throws IOException {
        return PartitionLog.open(new File(dir, PartitionLog.dirName(TP)), TP, TOPIC_ID, config, recoveryPoint, 0L,
                clean, time, SCHEDULER);
    }

    public static SimpleRecord record(long timestamp, String key, String value) {
        return new SimpleRecord(timestamp, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    public static MemoryRecords batch(long timestamp, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = record(timestamp, "k" + i, values[i]);
        }
        return MemoryRecords.withRecords(Compression.NONE, records);
    }

    public static MemoryRecords idempotent(long producerId, short epoch, int baseSequence, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) {
            records[i] = record(1000L, null, values[i]);
        }
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, baseSequence, records);
    }

    /** Every record value read from {@code records}, validating each batch. */
    public static List<String> values(Records records) {
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            batch.ensureValid();
            batch.forEach(r -> values.add(r.hasValue() ? StandardCharsets.UTF_8.decode(r.value()).toString() : null));
        }
        return values;
    }

    public static List<Long> offsets(Records records) {
        List<Long> offsets = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            batch.forEach(r -> offsets.add(r.offset()));
        }
        return offsets;
    }

    /** A transactional batch of key/value pairs; {@code sequences} tracks each producer's next sequence. */
    public static MemoryRecords transactional(Map<Long, Integer> sequences, long producerId, long timestamp,
                                              String... keysAndValues) {
        SimpleRecord[] records = new SimpleRecord[keysAndValues.length / 2];
        for (int i = 0; i < records.length; i++) {
            records[i] = record(timestamp, keysAndValues[2 * i], keysAndValues[2 * i + 1]);
        }
        int seq = sequences.merge(producerId, records.length, Integer::sum) - records.length;
        return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, (short) 0, seq, records);
    }

    /** What a read_committed consumer sees: latest value per key, aborted transactions dropped. */
    public static Map<String, String> readCommitted(PartitionLog log) throws IOException {
        long end = log.lastStableOffset(log.logEndOffset());
        Records records = readAll(log, log.logStartOffset(), end);
        List<AbortedTxn> aborted = log.abortedTransactions(log.logStartOffset(), end);
        Map<String, String> visible = new HashMap<>();
        Set<Long> abortedProducers = new HashSet<>();
        List<AbortedTxn> pending = new ArrayList<>(aborted);
        for (RecordBatch batch : records.batches()) {
            pending.removeIf(t -> {
                if (t.firstOffset() <= batch.lastOffset()) {
                    abortedProducers.add(t.producerId());
                    return true;
                }
                return false;
            });
            if (batch.isControlBatch()) {
                abortedProducers.remove(batch.producerId());
                continue;
            }
            if (batch.isTransactional() && abortedProducers.contains(batch.producerId())) {
                continue;
            }
            batch.forEach(r -> visible.put(
                    StandardCharsets.UTF_8.decode(r.key()).toString(),
                    r.hasValue() ? StandardCharsets.UTF_8.decode(r.value()).toString() : null));
        }
        return visible;
    }

    /** Everything from {@code from} up to {@code upTo}, across segments, as one set of records. */
    public static MemoryRecords readAll(PartitionLog log, long from, long upTo) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long offset = from;
        while (offset < upTo) {
            Records chunk = log.read(offset, Integer.MAX_VALUE, upTo, true);
            if (chunk.sizeInBytes() == 0) {
                break;
            }
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(chunk.sizeInBytes());
            for (RecordBatch batch : chunk.batches()) {
                batch.writeTo(buffer);
                offset = batch.nextOffset();
            }
            out.write(buffer.array(), 0, buffer.position());
        }
        return MemoryRecords.readableRecords(java.nio.ByteBuffer.wrap(out.toByteArray()));
    }
}
