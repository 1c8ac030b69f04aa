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
import java.util.ArrayList;
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
}
