package io.brook.storage.log;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.batch;
import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.LogFixtures.idempotent;
import static io.brook.storage.log.LogFixtures.offsets;
import static io.brook.storage.log.LogFixtures.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionLogTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    @AfterEach
    void finishPendingDeletes() throws Exception {
        LogFixtures.drainScheduler();
    }

    @Test
    void aSegmentHoldsOneFileHandleItsLog() throws IOException {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of("segment.bytes", "200")), time)) {
            for (int i = 0; i < 60; i++) {
                log.appendAsLeader(LogFixtures.batch(time.milliseconds(), "value-" + i), 0);
            }
            log.flush();
            int segments = log.segmentCount();
            assertTrue(segments > 20, "rolled often: " + segments);
            assertEquals(segments, openFilesUnder(log.dir()), "one handle per segment, none for indexes");
        }
        assertEquals(0, openFilesUnder(new File(dir, "t-0")), "all closed");
    }

    /** File descriptors of this process that point into {@code dir} (Linux /proc). */
    private static long openFilesUnder(File dir) throws IOException {
        String prefix = dir.getCanonicalPath() + File.separator;
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(fd).toString().startsWith(prefix);
                } catch (IOException e) {
                    return false; // closed while listing
                }
            }).count();
        }
    }

    @Test
    void anIoErrorTakesTheLogOfflineAndWhatWasWrittenSurvives() throws IOException {
        LogConfig cfg = config(Map.of("segment.bytes", "300"));
        File partitionDir = new File(dir, "t-0");
        File away = new File(dir, "elsewhere");
        List<IOException> failures = new java.util.ArrayList<>();
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            log.onIoFailure(e -> {
                failures.add(e);
                log.markDirOffline(); // what the log manager does for every log of the directory
            });
            for (int i = 0; i < 3; i++) {
                log.appendAsLeader(batch(time.milliseconds(), "kept-" + i), 0);
            }
            log.flush();
            long end = log.logEndOffset();
            java.nio.file.Files.move(partitionDir.toPath(), away.toPath()); // the directory is gone: the next roll fails
            assertThrows(IOException.class, () -> {
                for (int i = 0; i < 20; i++) {
                    log.appendAsLeader(batch(time.milliseconds(), "lost-" + i), 0);
                }
            });
            assertEquals(1, failures.size());
            assertTrue(log.isDirOffline());
            assertThrows(org.apache.kafka.common.errors.KafkaStorageException.class,
                    () -> log.appendAsLeader(batch(time.milliseconds(), "refused"), 0));
            assertThrows(org.apache.kafka.common.errors.KafkaStorageException.class,
                    () -> log.read(0, 1000, end, true));
            java.nio.file.Files.move(away.toPath(), partitionDir.toPath());
        }
        try (PartitionLog reopened = LogFixtures.reopen(dir, cfg, time, 0, false)) {
            List<String> values = values(LogFixtures.readAll(reopened, 0, reopened.logEndOffset()));
            assertTrue(values.containsAll(List.of("kept-0", "kept-1", "kept-2")), values.toString());
        }
    }

    @Test
    void aSegmentCutShortAtABatchBoundaryEndsTheRecoveredLogThereWithoutAHoleInTheOffsets() throws IOException {
        LogConfig cfg = config(Map.of("segment.bytes", "250"));
        List<LogSegment> segments;
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            for (int i = 0; i < 12; i++) {
                log.appendAsLeader(batch(time.milliseconds(), "v" + i), 0);
            }
            segments = log.segments();
        }
        assertTrue(segments.size() >= 4, segments.size() + " segments");
        LogSegment middle = segments.get(1);
        File middleFile = middle.logFile();
        int firstBatchBytes;
        try (FileRecords records = FileRecords.open(middleFile)) {
            firstBatchBytes = records.batches().iterator().next().sizeInBytes();
        }
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(middleFile.toPath(),
                java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(firstBatchBytes); // a clean cut: every batch left is whole
        }
        try (PartitionLog reopened = LogFixtures.reopen(dir, cfg, time, 0, false)) {
            long end = middle.baseOffset() + 1;
            assertEquals(end, reopened.logEndOffset());
            List<String> expected = new java.util.ArrayList<>();
            for (int i = 0; i < end; i++) {
                expected.add("v" + i);
            }
            assertEquals(expected, values(LogFixtures.readAll(reopened, 0, end)));
            assertEquals(2, reopened.segmentCount(), "the segments after the cut are deleted");
            reopened.appendAsLeader(batch(time.milliseconds(), "next"), 0);
            assertEquals(List.of("next"), values(LogFixtures.readAll(reopened, end, end + 1)));
        }
    }

    @Test
    void aCleanRestartRestoresTimestampsAndEndFromTheIndexesWithoutReadingEveryBatch() throws IOException {
        // a large index interval: no index entry is due, only the one written when a segment closes
        LogConfig cfg = config(Map.of("index.interval.bytes", "1000000", "segment.bytes", "500"));
        long t = time.milliseconds();
        try (PartitionLog log = LogFixtures.open(dir, cfg, time)) {
            for (int i = 0; i < 40; i++) {
                log.appendAsLeader(LogFixtures.batch(t + (i == 7 ? 100_000 : i), "v" + i), 0);
            }
            assertTrue(log.segmentCount() > 2);
        }
        try (PartitionLog log = LogFixtures.reopen(dir, cfg, time, 40, true)) {
            assertEquals(40, log.logEndOffset());
            PartitionLog.TimestampOffset max = log.maxTimestampOffset();
            assertEquals(t + 100_000, max.timestamp());
            assertEquals(7, max.offset());
            List<LogSegment> segments = log.segments();
            LogSegment active = segments.get(segments.size() - 1);
            assertEquals(t + 39, active.maxTimestamp(), "the active segment's max, recorded at close");
            LogSegment first = segments.get(0);
            assertEquals(t + first.nextOffset() - 1, first.largestTimestampForRetention());
            assertTrue(segments.stream().anyMatch(seg -> seg.largestTimestampForRetention() == t + 100_000));
            assertEquals(40, log.appendAsLeader(LogFixtures.batch(t + 40, "next"), 0).firstOffset());
        }
    }

    @Test
    void assignsOffsetsAndReadsBackFromAnyOffsetAsAFileSlice() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            AppendResult first = log.appendAsLeader(batch(1000, "a", "b", "c"), 0);
            AppendResult second = log.appendAsLeader(batch(2000, "d", "e"), 0);
            assertEquals(0, first.firstOffset());
            assertEquals(2, first.lastOffset());
            assertEquals(3, second.firstOffset());
            assertEquals(5, log.logEndOffset());

            Records all = log.read(0, Integer.MAX_VALUE, log.logEndOffset(), true);
            assertInstanceOf(SegmentRecords.class, all);
            assertEquals(List.of("a", "b", "c", "d", "e"), values(all));
            // a read from inside a batch starts at that batch (the client skips the rest)
            assertEquals(List.of(3L, 4L), offsets(log.read(4, Integer.MAX_VALUE, 5, true)));
            // the upper bound (high watermark) cuts whole batches
            assertEquals(List.of(0L, 1L, 2L), offsets(log.read(0, Integer.MAX_VALUE, 3, true)));
            assertEquals(0, log.read(5, 100, 5, true).sizeInBytes());
            assertEquals(0, log.epochCache().entries().get(0).epoch());
        }
    }

    @Test
    void returnsAtLeastOneWholeBatchOnlyWhenAskedTo() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(batch(1000, "x".repeat(500)), 0);
            log.appendAsLeader(batch(1000, "y"), 0);
            Records oneBatch = log.read(0, 10, 2, true);
            assertEquals(List.of("x".repeat(500)), values(oneBatch));
            assertEquals(0, values(log.read(0, 10, 2, false)).size());
        }
    }

    @Test
    void refusesOffsetsOutsideTheLog() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(batch(1000, "a"), 0);
            assertThrows(OffsetOutOfRangeException.class, () -> log.read(2, 100, 1, true));
            assertThrows(OffsetOutOfRangeException.class, () -> log.read(-1, 100, 1, true));
        }
    }

    @Test
    void rollsSegmentsAndKeepsEverythingAcrossAReopen() throws Exception {
        LogConfig config = config(Map.of("segment.bytes", "1024", "index.interval.bytes", "100"));
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            for (int i = 0; i < 100; i++) {
                log.appendAsLeader(batch(1000 + i, "value-" + i), 0);
            }
            assertTrue(log.segmentCount() > 5, "rolled by segment.bytes");
        }
        try (PartitionLog log = LogFixtures.reopen(dir, config, time, 100, true)) {
            assertEquals(100, log.logEndOffset());
            for (int offset : new int[]{0, 17, 55, 99}) {
                assertEquals("value-" + offset, values(log.read(offset, 1, 100, true)).get(0));
            }
            assertEquals(42, log.offsetForTimestamp(1042).offset());
            assertNull(log.offsetForTimestamp(5000));
            assertEquals(99, log.maxTimestampOffset().offset());
        }
    }

    @Test
    void rollsBySegmentMs() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of("segment.ms", "1000")), time)) {
            log.appendAsLeader(batch(time.milliseconds(), "a"), 0);
            time.advance(1500);
            log.appendAsLeader(batch(time.milliseconds(), "b"), 0);
            assertEquals(2, log.segmentCount());
        }
    }

    @Test
    void retentionBySizeAndTimeDeletesWholeOldSegments() throws Exception {
        LogConfig config = config(Map.of("segment.bytes", "1024", "retention.bytes", "3000"));
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            for (int i = 0; i < 100; i++) {
                log.appendAsLeader(batch(time.milliseconds(), "value-" + i), 0);
            }
            int before = log.segmentCount();
            assertTrue(log.applyRetention() > 0);
            assertTrue(log.segmentCount() < before);
            assertTrue(log.size() <= 3000 + 1024);
            assertTrue(log.logStartOffset() > 0);
            assertThrows(OffsetOutOfRangeException.class, () -> log.read(0, 100, 100, true));
            assertEquals("value-" + log.logStartOffset(), values(log.read(log.logStartOffset(), 1, 100, true)).get(0));
        }
        LogConfig byTime = config(Map.of("segment.bytes", "1024", "retention.ms", "60000"));
        try (PartitionLog log = LogFixtures.reopen(dir, byTime, time, 100, true)) {
            time.advance(120_000);
            log.roll(time.milliseconds());
            log.applyRetention();
            assertEquals(100, log.logStartOffset(), "everything older than retention.ms is gone");
            log.appendAsLeader(batch(time.milliseconds(), "fresh"), 0);
            assertEquals(List.of("fresh"), values(log.read(100, 1000, 101, true)));
        }
    }

    @Test
    void deleteRecordsAdvancesTheLogStart() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            for (int i = 0; i < 10; i++) {
                log.appendAsLeader(batch(1000, "v" + i), 0);
            }
            assertEquals(4, log.advanceLogStartOffset(4));
            assertThrows(OffsetOutOfRangeException.class, () -> log.read(3, 100, 10, true));
            assertEquals("v4", values(log.read(4, 1, 10, true)).get(0));
        }
    }

    @Test
    void answersARetriedBatchWithItsOriginalOffsets() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(idempotent(7, (short) 0, 0, "a", "b"), 0);
            log.appendAsLeader(idempotent(7, (short) 0, 2, "c"), 0);
            AppendResult retry = log.appendAsLeader(idempotent(7, (short) 0, 0, "a", "b"), 0);
            assertTrue(retry.duplicate());
            assertEquals(0, retry.firstOffset());
            assertEquals(1, retry.lastOffset());
            assertEquals(3, log.logEndOffset(), "not written twice");
            assertThrows(OutOfOrderSequenceException.class,
                    () -> log.appendAsLeader(idempotent(7, (short) 0, 5, "gap"), 0));
            log.appendAsLeader(idempotent(7, (short) 1, 0, "new epoch"), 0);
            assertThrows(InvalidProducerEpochException.class,
                    () -> log.appendAsLeader(idempotent(7, (short) 0, 3, "fenced"), 0));
            assertEquals(4, log.logEndOffset());
        }
    }

    /**
     * KAFKA-15591: a producer's first batch to a partition that has never held a record must start at sequence 0
     * (its earlier batches were refused and are still to come); once the partition has held a record, an unknown
     * producer may start anywhere (its state may have expired), DeleteRecords emptying the log included.
     */
    @Test
    void aNeverWrittenPartitionTakesAnUnknownProducersFirstBatchOnlyAtSequenceZero() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            assertThrows(OutOfOrderSequenceException.class,
                    () -> log.appendAsLeader(idempotent(7, (short) 0, 17, "after a refused first batch"), 0));
            assertEquals(0, log.logEndOffset(), "nothing written");
            log.appendAsLeader(idempotent(7, (short) 0, 0, "a", "b"), 0);
            log.appendAsLeader(idempotent(7, (short) 0, 2, "c"), 0);
            assertEquals(3, log.appendAsLeader(idempotent(8, (short) 0, 40, "expired elsewhere"), 0).firstOffset(),
                    "a partition that has held records takes an unknown producer at any sequence");
            log.advanceLogStartOffset(4);
            assertEquals(4, log.appendAsLeader(idempotent(9, (short) 0, 5, "after DeleteRecords"), 0).firstOffset());
        }
    }

    @Test
    void producerStateIsRebuiltWhenTheLogIsReopened() throws Exception {
        LogConfig config = config(Map.of("segment.bytes", "1024"));
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            for (int seq = 0; seq < 20; seq++) {
                log.appendAsLeader(idempotent(9, (short) 2, seq, "v" + seq), 0);
            }
        }
        try (PartitionLog log = LogFixtures.reopen(dir, config, time, 20, true)) {
            AppendResult retry = log.appendAsLeader(idempotent(9, (short) 2, 19, "v19"), 0);
            assertTrue(retry.duplicate(), "a retry of the last batch is recognised after a restart");
            assertEquals(19, retry.firstOffset());
            assertThrows(OutOfOrderSequenceException.class,
                    () -> log.appendAsLeader(idempotent(9, (short) 2, 25, "gap"), 0));
            assertThrows(InvalidProducerEpochException.class,
                    () -> log.appendAsLeader(idempotent(9, (short) 1, 20, "old"), 0));
            assertEquals(20, log.appendAsLeader(idempotent(9, (short) 2, 20, "next"), 0).firstOffset());
        }
        File partitionDir = new File(dir, "t-0");
        assertTrue(new File(partitionDir, "00000000000000000021.snapshot").isFile(), "snapshot at clean close");
        // a damaged snapshot is ignored: the state is rebuilt from the log
        java.nio.file.Files.write(new File(partitionDir, "00000000000000000021.snapshot").toPath(), new byte[]{1, 2});
        try (PartitionLog log = LogFixtures.reopen(dir, config, time, 21, true)) {
            assertTrue(log.appendAsLeader(idempotent(9, (short) 2, 20, "next"), 0).duplicate());
        }
    }

    @Test
    void validatesBatches() throws Exception {
        LogConfig config = config(Map.of("max.message.bytes", "200", "message.timestamp.after.max.ms", "1000"));
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            assertThrows(RecordTooLargeException.class, () -> log.appendAsLeader(batch(1000, "z".repeat(300)), 0));
            RecordValidationException future = assertThrows(RecordValidationException.class,
                    () -> log.appendAsLeader(batch(time.milliseconds() + 60_000, "future"), 0));
            assertInstanceOf(InvalidTimestampException.class, future.getCause());
            assertEquals(List.of(0), future.recordErrors().stream().map(e -> e.batchIndex()).toList());
            MemoryRecords corrupt = batch(1000, "payload");
            ByteBuffer buffer = corrupt.buffer();
            buffer.put(buffer.limit() - 2, (byte) (buffer.get(buffer.limit() - 2) ^ 0x55));
            assertThrows(CorruptRecordException.class, () -> log.appendAsLeader(corrupt, 0));
            assertEquals(0, log.logEndOffset(), "nothing written");
        }
    }

    /** KIP-467: the batch is refused and exactly the bad records are named, so a client fails only those. */
    @Test
    void namesEachInvalidRecordOfARefusedBatch() throws Exception {
        long now = time.milliseconds();
        SimpleRecord keyed = new SimpleRecord(now, "k".getBytes(), "v".getBytes());
        SimpleRecord keyless = new SimpleRecord(now, null, "v".getBytes());
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of("cleanup.policy", "compact")), time)) {
            for (Compression compression : List.of(Compression.NONE, Compression.lz4().build())) {
                RecordValidationException refused = assertThrows(RecordValidationException.class, () ->
                        log.appendAsLeader(MemoryRecords.withRecords(compression, keyed, keyless, keyed, keyless), 0));
                assertInstanceOf(InvalidRecordException.class, refused.getCause());
                assertEquals(List.of(1, 3), refused.recordErrors().stream().map(e -> e.batchIndex()).toList());
                assertTrue(refused.getMessage().contains("2 record errors"), refused.getMessage());
            }
            assertEquals(0, log.logEndOffset(), "nothing written");
        }
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of("message.timestamp.before.max.ms", "1000")),
                time)) {
            // the batch header's range is out of the window: each record's own time decides
            MemoryRecords mixed = MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(now - 60_000, "a".getBytes(), "old".getBytes()),
                    new SimpleRecord(now, "b".getBytes(), "new".getBytes()));
            RecordValidationException refused = assertThrows(RecordValidationException.class,
                    () -> log.appendAsLeader(mixed, 0));
            assertInstanceOf(InvalidTimestampException.class, refused.getCause());
            assertEquals(List.of(0), refused.recordErrors().stream().map(e -> e.batchIndex()).toList());
        }
    }

    @Test
    void stampsLogAppendTimeWhenTheTopicAsksForIt() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of("message.timestamp.type", "LogAppendTime")),
                time)) {
            AppendResult result = log.appendAsLeader(batch(5, "a", "b"), 0);
            assertEquals(time.milliseconds(), result.logAppendTimeMs());
            RecordBatch stored = log.read(0, 1000, 2, true).batches().iterator().next();
            stored.ensureValid();
            assertEquals(time.milliseconds(), stored.maxTimestamp());
            stored.forEach(r -> assertEquals(time.milliseconds(), r.timestamp()));
        }
    }

    @Test
    void writesKafkasFileLayout() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.appendAsLeader(batch(1000, "a"), 3);
            log.flush(); // index files appear with their first write or flush, as in Kafka
        }
        File partitionDir = new File(dir, "t-0");
        assertTrue(new File(partitionDir, "00000000000000000000.log").isFile());
        assertTrue(new File(partitionDir, "00000000000000000000.index").isFile());
        assertTrue(new File(partitionDir, "00000000000000000000.timeindex").isFile());
        assertTrue(new File(partitionDir, "partition.metadata").isFile());
        assertEquals(List.of("0", "1", "3 0"),
                java.nio.file.Files.readAllLines(new File(partitionDir, "leader-epoch-checkpoint").toPath()));
        assertFalse(new File(partitionDir, "00000000000000000001.log").exists());
    }
}
