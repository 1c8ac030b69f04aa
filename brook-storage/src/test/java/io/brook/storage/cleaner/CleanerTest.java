package io.brook.storage.cleaner;

import io.brook.storage.checkpoint.OffsetCheckpointFile;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFixtures;
import io.brook.storage.log.LogManager;
import io.brook.storage.log.ManualTime;
import io.brook.storage.log.PartitionLog;
import io.brook.storage.producer.ProducerSnapshotFile;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CleanerTest {
    private static final long NOW = 1_700_000_000_000L;
    private File dir;
    private ManualTime time;

    @BeforeEach
    void setUp() throws IOException {
        dir = CompactedLogs.tempDir();
        time = new ManualTime(NOW);
    }

    @AfterEach
    void tearDown() throws IOException {
        CompactedLogs.deleteRecursively(dir);
    }

    private static ByteBuffer key(String k) {
        return ByteBuffer.wrap(k.getBytes(StandardCharsets.UTF_8));
    }

    private Cleaner cleaner() {
        return new Cleaner(new OffsetMap(1 << 16, 0.9), 4096, new Throttler(Double.MAX_VALUE, time), time);
    }

    private static LogConfig compacted(Map<String, String> more) {
        Map<String, String> settings = new java.util.HashMap<>(Map.of("cleanup.policy", "compact"));
        settings.putAll(more);
        return LogFixtures.config(settings);
    }

    @Test
    void offsetMapKeepsTheLatestOffsetAndRefusesNewKeysWhenFull() {
        OffsetMap map = new OffsetMap(OffsetMap.ENTRY_BYTES * 11, 0.9);
        assertEquals(11, map.maxEntries() + 2, "11 slots (prime), 9 usable at 0.9");
        for (int i = 0; i < map.maxEntries(); i++) {
            map.put(key("k" + i), i);
        }
        map.put(key("k0"), 100);
        assertEquals(100, map.get(key("k0")));
        assertEquals(5, map.get(key("k5")));
        assertEquals(-1, map.get(key("absent")));
        assertTrue(map.isFull());
        assertEquals(100, map.latestOffset());
        map.clear();
        assertEquals(-1, map.get(key("k0")));
        assertEquals(0, map.size());
    }

    @Test
    void throttlerHoldsTheCleanerToItsRate() {
        Throttler throttler = new Throttler(1000, time); // bytes per second; ManualTime.sleep advances the clock
        long start = time.milliseconds();
        for (int i = 0; i < 50; i++) {
            throttler.maybeThrottle(100);
            time.advance(10); // the throttler looks at the rate every 100 ms
        }
        // bytes are paid for at the next check, so the last ~100 ms worth may still be owed
        assertTrue(time.milliseconds() - start >= 4_000, "5000 bytes at 1000 B/s take about 5 s: "
                + (time.milliseconds() - start) + " ms");
        long unthrottled = time.milliseconds();
        new Throttler(Double.MAX_VALUE, time).maybeThrottle(1L << 40);
        assertEquals(unthrottled, time.milliseconds());
    }

    @Test
    void plannerHonoursCompactionLagsAndRatio() {
        List<CleaningPlanner.SegmentInfo> segments = List.of(
                new CleaningPlanner.SegmentInfo(0, 10, 1000, 1, NOW - 60_000, NOW - 50_000),
                new CleaningPlanner.SegmentInfo(10, 20, 1000, 1, NOW - 50_000, NOW - 5_000),
                new CleaningPlanner.SegmentInfo(20, 25, 300, 0, NOW - 4_000, NOW - 1_000)); // active
        CleaningPlanner.Plan all = CleaningPlanner.plan(segments, 0, -1, Long.MAX_VALUE, 0, Long.MAX_VALUE, NOW);
        assertEquals(new CleaningPlanner.Plan(0, 20, 0, 2000, false), all);
        assertEquals(1.0, all.dirtyRatio());

        CleaningPlanner.Plan lagged = CleaningPlanner.plan(segments, 0, -1, Long.MAX_VALUE, 10_000, Long.MAX_VALUE, NOW);
        assertEquals(10, lagged.firstUncleanableOffset(), "the second segment is younger than the min lag");

        CleaningPlanner.Plan half = CleaningPlanner.plan(segments, 0, 10, Long.MAX_VALUE, 0, Long.MAX_VALUE, NOW);
        assertEquals(0.5, half.dirtyRatio());
        assertFalse(CleaningPlanner.isDue(half, 0.5, Long.MAX_VALUE, NOW), "due only above the ratio");
        assertTrue(CleaningPlanner.isDue(half, 0.49, Long.MAX_VALUE, NOW));
        CleaningPlanner.Plan overdue = CleaningPlanner.plan(segments, 0, 10, Long.MAX_VALUE, 0, 40_000, NOW);
        assertTrue(overdue.maxLagExceeded(), "the first dirty record waited 50 s, over the 40 s max lag");
        assertTrue(CleaningPlanner.isDue(overdue, 0.99, Long.MAX_VALUE, NOW));

        CleaningPlanner.Plan clean = CleaningPlanner.plan(segments, 0, 20, Long.MAX_VALUE, 0, Long.MAX_VALUE, NOW);
        assertFalse(CleaningPlanner.isDue(clean, 0, Long.MAX_VALUE, NOW));
        assertTrue(CleaningPlanner.isDue(clean, 0, NOW, NOW), "a tombstone reached its delete horizon");

        assertEquals(List.of(List.of(0, 1), List.of(2)), CleaningPlanner.groupBySize(List.of(
                new CleaningPlanner.SegmentInfo(0, 10, 400, 0, 0, 0),
                new CleaningPlanner.SegmentInfo(10, 20, 500, 0, 0, 0),
                new CleaningPlanner.SegmentInfo(20, 30, 200, 0, 0, 0)), 1000, 100));
    }

    @Test
    void aProducersLastBatchSurvivesEmptySoARetryIsStillRecognised() throws IOException {
        LogConfig config = compacted(Map.of());
        long producerId = 7;
        AppendResult first;
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            first = log.appendAsLeader(MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0, 0,
                    new SimpleRecord(NOW, "a".getBytes(), "1".getBytes())), 0);
            log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(NOW, "a".getBytes(), "2".getBytes())), 0);
            log.roll(NOW);
            cleaner().clean(log, CleaningPlanner.plan(log, -1, NOW));
            assertEquals(List.of(new CompactedLogs.Entry(1, "a", "2")), CompactedLogs.readAll(log));
            RecordBatch emptied = log.read(0, 10_000, log.logEndOffset(), true).batches().iterator().next();
            assertEquals(producerId, emptied.producerId(), "the producer's batch is kept, empty");
            assertEquals(0, emptied.baseSequence());
        }
        for (File snapshot : ProducerSnapshotFile.list(new File(dir, "t-0")).values()) {
            Files.delete(snapshot.toPath()); // producer state must come from the log itself
        }
        try (PartitionLog log = LogFixtures.reopen(dir, config, time, 0, false)) {
            AppendResult retry = log.appendAsLeader(MemoryRecords.withIdempotentRecords(Compression.NONE, producerId,
                    (short) 0, 0, new SimpleRecord(NOW, "a".getBytes(), "1".getBytes())), 0);
            assertTrue(retry.duplicate(), "the retried batch is answered with its original offsets");
            assertEquals(first.firstOffset(), retry.firstOffset());
            AppendResult next = log.appendAsLeader(MemoryRecords.withIdempotentRecords(Compression.NONE, producerId,
                    (short) 0, 1, new SimpleRecord(NOW, "b".getBytes(), "3".getBytes())), 0);
            assertEquals(2, next.firstOffset());
        }
    }

    @Test
    void logCleanerPicksDueLogsAndCheckpointsInKafkasFormat() throws Exception {
        try (LogManager logs = new LogManager(dir, time, null)) {
            PartitionLog compactedLog = logs.getOrCreate(LogFixtures.TP, LogFixtures.TOPIC_ID,
                    compacted(Map.of("min.cleanable.dirty.ratio", "0.1")));
            PartitionLog plain = logs.getOrCreate(new org.apache.kafka.common.TopicPartition("plain", 0),
                    LogFixtures.TOPIC_ID, LogFixtures.config(Map.of()));
            for (int i = 0; i < 10; i++) {
                compactedLog.appendAsLeader(MemoryRecords.withRecords(Compression.NONE,
                        new SimpleRecord(NOW, ("k" + i % 2).getBytes(), ("v" + i).getBytes())), 0);
                plain.appendAsLeader(LogFixtures.batch(NOW, "x"), 0);
            }
            plain.roll(NOW);
            LogCleaner cleaner = new LogCleaner(new CleanerConfig(1, 1 << 20, 0.9, 1 << 16, Double.MAX_VALUE, 10),
                    logs, time);
            assertNull(cleaner.grabFilthiest(), "only the active segment holds data");
            compactedLog.roll(NOW);
            PartitionLog picked = cleaner.grabFilthiest();
            assertEquals(compactedLog, picked, "compacted topics only");
            Cleaner.Result result = cleaner.clean(cleaner.newCleaner(), picked);
            assertNotNull(result);
            assertEquals(2, result.recordsRetained());
            assertEquals(List.of(new CompactedLogs.Entry(8, "k0", "v8"), new CompactedLogs.Entry(9, "k1", "v9")),
                    CompactedLogs.readAll(compactedLog));
            assertEquals(Map.of(LogFixtures.TP, 10L),
                    new OffsetCheckpointFile(new File(dir, LogCleaner.CHECKPOINT_FILE)).read());
            assertNull(cleaner.grabFilthiest(), "nothing dirty is left");
            assertEquals(10, LogFixtures.values(plain.read(0, 100_000, 10, true)).size(),
                    "the delete-policy topic is untouched");
            cleaner.close();
        }
    }

    @Test
    void aSwapIsRefusedWhenTheLogChangedMeanwhile() throws IOException {
        LogConfig config = compacted(Map.of("retention.ms", "1000", "cleanup.policy", "compact,delete"));
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(NOW, "a".getBytes(), "1".getBytes())), 0);
            log.roll(NOW);
            List<io.brook.storage.log.LogSegment> olds = new ArrayList<>(log.segments().subList(0, 1));
            time.advance(5000);
            assertEquals(1, log.applyRetention(), "retention deletes the segment before the swap");
            assertFalse(log.replaceSegments(olds, null, PartitionLog.SwapSteps.NONE));
        }
    }
}
