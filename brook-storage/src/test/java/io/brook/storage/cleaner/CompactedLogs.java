package io.brook.storage.cleaner;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFixtures;
import io.brook.storage.log.ManualTime;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Random keyed logs for the cleaner tests, and a reader that checks what a log serves. */
final class CompactedLogs {
    /** One record as a reader sees it. */
    record Entry(long offset, String key, String value) {
    }

    private CompactedLogs() {
    }

    static LogConfig randomConfig(Random random) {
        return LogFixtures.config(Map.of(
                "cleanup.policy", random.nextBoolean() ? "compact" : "compact,delete",
                "retention.ms", "-1",
                "segment.bytes", String.valueOf(300 + random.nextInt(3000)),
                "index.interval.bytes", String.valueOf(random.nextInt(400)),
                "delete.retention.ms", String.valueOf(1 + random.nextInt(10_000)),
                "min.cleanable.dirty.ratio", "0"));
    }

    /**
     * Appends random batches of random keys (a few of them tombstones) with random compression.
     *
     * @return every record written, by offset
     */
    static TreeMap<Long, Entry> appendRandom(PartitionLog log, Random random, ManualTime time) throws IOException {
        TreeMap<Long, Entry> written = new TreeMap<>();
        int keys = 1 + random.nextInt(40);
        int batches = 1 + random.nextInt(80);
        Compression[] codecs = {Compression.NONE, Compression.gzip().build(), Compression.lz4().build()};
        for (int b = 0; b < batches; b++) {
            int n = 1 + random.nextInt(5);
            SimpleRecord[] records = new SimpleRecord[n];
            for (int r = 0; r < n; r++) {
                String key = "k" + random.nextInt(keys);
                String value = random.nextInt(7) == 0 ? null : "v" + b + "." + r + "-" + "x".repeat(random.nextInt(60));
                records[r] = LogFixtures.record(time.milliseconds(), key, value);
            }
            long first = log.logEndOffset();
            log.appendAsLeader(MemoryRecords.withRecords(codecs[random.nextInt(codecs.length)], records), 0);
            for (int r = 0; r < n; r++) {
                String value = records[r].value() == null ? null
                        : StandardCharsets.UTF_8.decode(records[r].value().duplicate()).toString();
                String key = StandardCharsets.UTF_8.decode(records[r].key().duplicate()).toString();
                written.put(first + r, new Entry(first + r, key, value));
            }
            time.advance(random.nextInt(50));
        }
        return written;
    }

    /** The latest record of every key below {@code end}, in offset order, plus every record at or after it. */
    static List<Entry> latestPerKey(TreeMap<Long, Entry> written, long end, boolean withTombstones) {
        return latestPerKey(written, end, e -> withTombstones);
    }

    /** As above, keeping the tombstones {@code keepTombstone} accepts. */
    static List<Entry> latestPerKey(TreeMap<Long, Entry> written, long end,
                                    java.util.function.Predicate<Entry> keepTombstone) {
        Map<String, Entry> latest = new LinkedHashMap<>();
        for (Entry e : written.headMap(end).values()) {
            latest.put(e.key(), e);
        }
        List<Entry> expected = new ArrayList<>();
        for (Entry e : latest.values()) {
            if (e.value() != null || keepTombstone.test(e)) {
                expected.add(e);
            }
        }
        expected.sort(Comparator.comparingLong(Entry::offset));
        expected.addAll(written.tailMap(end).values());
        return expected;
    }

    /** Reads the whole log from its start as a consumer would, checking every batch and that offsets only grow. */
    static List<Entry> readAll(PartitionLog log) throws IOException {
        List<Entry> entries = new ArrayList<>();
        long next = log.logStartOffset();
        long end = log.logEndOffset();
        while (next < end) {
            Records chunk = log.read(next, 1 + new Random(next).nextInt(2000), end, true);
            if (chunk.sizeInBytes() == 0) {
                break; // only compacted-away offsets remain below the end (callers compare with a model)
            }
            long before = next;
            for (RecordBatch batch : chunk.batches()) {
                batch.ensureValid();
                for (Record record : batch) {
                    if (record.offset() < next) {
                        continue; // the batch starts before the fetch offset
                    }
                    assertTrue(entries.isEmpty() || record.offset() > entries.get(entries.size() - 1).offset(),
                            "offsets must grow");
                    entries.add(new Entry(record.offset(), string(record.key()),
                            record.hasValue() ? string(record.value()) : null));
                }
                next = Math.max(next, batch.nextOffset());
            }
            if (next == before) {
                throw new AssertionError("a read at " + next + " returned " + chunk.sizeInBytes()
                        + " bytes without a whole batch at or after it: " + chunk + " " + describe(chunk));
            }
        }
        return entries;
    }

    static String describe(Records records) {
        StringBuilder sb = new StringBuilder();
        for (RecordBatch b : records.batches()) {
            sb.append('[').append(b.baseOffset()).append('-').append(b.lastOffset()).append(' ')
                    .append(b.sizeInBytes()).append("B count=").append(b.countOrNull()).append(']');
        }
        return sb.toString();
    }

    private static String string(java.nio.ByteBuffer buffer) {
        return buffer == null ? null : StandardCharsets.UTF_8.decode(buffer).toString();
    }

    /** Cleans until nothing is dirty; returns the cleaner checkpoint reached. */
    static long cleanFully(Cleaner cleaner, PartitionLog log, long checkpoint, long nowMs) throws IOException {
        for (int pass = 0; pass < 10_000; pass++) {
            CleaningPlanner.Plan plan = CleaningPlanner.plan(log, checkpoint, nowMs);
            if (plan.dirtyBytes() == 0) {
                return plan.firstUncleanableOffset();
            }
            Cleaner.Result result = cleaner.clean(log, plan);
            assertTrue(result.endOffset() > plan.firstDirtyOffset(), "a cleaning must make progress");
            checkpoint = result.endOffset();
        }
        throw new AssertionError("cleaning did not finish");
    }

    static File tempDir() throws IOException {
        return Files.createTempDirectory("brook-cleaner").toFile();
    }

    static void deleteRecursively(File dir) throws IOException {
        io.brook.storage.log.LogFixtures.deleteRecursively(dir);
    }
}
