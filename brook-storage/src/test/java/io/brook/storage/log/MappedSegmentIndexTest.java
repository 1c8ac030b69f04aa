package io.brook.storage.log;

import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory-mapped indexes inside a partition log: the active segment's files preallocated and
 * the others exact, crash leftovers rebuilt, idle segments and deleted ones unmapped, truncation.
 */
class MappedSegmentIndexTest {
    /** Small index intervals and segments: many entries, several rolls. */
    private static final LogConfig CONFIG = config(Map.of("segment.bytes", "8000", "index.interval.bytes", "150",
            "segment.index.bytes", "4096"));

    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    @AfterEach
    void finishPendingDeletes() throws Exception {
        LogFixtures.drainScheduler();
    }

    /** Appends {@code batches} batches of two records each, timestamps growing by one per batch. */
    private void fill(PartitionLog log, int batches) throws IOException {
        for (int i = 0; i < batches; i++) {
            long offset = log.logEndOffset();
            log.appendAsLeader(LogFixtures.batch(1_000_000 + offset, "value-" + offset + "-" + "x".repeat(40),
                    "second-" + offset), 0);
        }
    }

    /** Every offset of the log is found by a read starting at it, and each timestamp by a timestamp lookup. */
    private static void checkEveryOffset(PartitionLog log) throws IOException {
        for (long offset = log.logStartOffset(); offset < log.logEndOffset(); offset++) {
            Records records = log.read(offset, 1, log.logEndOffset(), true);
            RecordBatch first = records.batches().iterator().next();
            assertTrue(first.baseOffset() <= offset && offset <= first.lastOffset(),
                    "read of " + offset + " starts at the batch holding it, not " + first.baseOffset());
            if (offset % 2 == 0) { // a batch's first record: its timestamp is 1_000_000 + its offset
                PartitionLog.TimestampOffset found = log.offsetForTimestamp(1_000_000 + offset);
                assertNotNull(found);
                assertEquals(offset, found.offset(), "timestamp lookup of " + (1_000_000 + offset));
            }
        }
    }

    @Test
    void theActiveSegmentsIndexesArePreallocatedAndTheOthersTrimmedToTheirEntries() throws IOException {
        try (PartitionLog log = LogFixtures.open(dir, CONFIG, time)) {
            fill(log, 300);
            List<LogSegment> segments = log.segments();
            assertTrue(segments.size() > 3, "rolled: " + segments.size());
            for (LogSegment segment : segments.subList(0, segments.size() - 1)) {
                File index = indexFile(log, segment, LogSegment.INDEX_SUFFIX);
                File timeIndex = indexFile(log, segment, LogSegment.TIME_INDEX_SUFFIX);
                assertTrue(index.length() > 0 && index.length() % 8 == 0 && index.length() < 4096,
                        "trimmed at the roll: " + index.length());
                assertTrue(timeIndex.length() > 0 && timeIndex.length() % 12 == 0 && timeIndex.length() < 4092,
                        "trimmed at the roll: " + timeIndex.length());
                assertFalse(segment.indexesMapped(), "unmapped at the roll");
            }
            LogSegment active = segments.get(segments.size() - 1);
            assertEquals(4096, indexFile(log, active, LogSegment.INDEX_SUFFIX).length(), "preallocated");
            assertEquals(4092, indexFile(log, active, LogSegment.TIME_INDEX_SUFFIX).length(), "preallocated");
            checkEveryOffset(log);
        }
        try (var files = Files.list(new File(dir, "t-0").toPath())) {
            for (Path file : files.filter(f -> f.toString().endsWith("index")).toList()) {
                long size = Files.size(file);
                assertTrue(size < 4092, "every index trimmed by the clean close: " + file + " " + size);
            }
        }
        assertEquals(0, mappingsUnder(new File(dir, "t-0")), "nothing mapped after close");
        try (PartitionLog log = LogFixtures.reopen(dir, CONFIG, time, 0, true)) {
            checkEveryOffset(log);
            fill(log, 5); // the reopened active segment appends on
            checkEveryOffset(log);
        }
    }

    @Test
    void afterAKillThePreallocatedIndexOfTheActiveSegmentIsRebuiltFromTheLog() throws IOException {
        File crashed = new File(dir, "crashed");
        try (PartitionLog log = LogFixtures.open(dir, CONFIG, time)) {
            fill(log, 230);
            log.flush();
            fill(log, 20); // the active segment holds entries, preallocated file, in the page cache only
            LogSegment active = log.segments().get(log.segmentCount() - 1);
            assertEquals(4096, indexFile(log, active, LogSegment.INDEX_SUFFIX).length());
            copyDir(log.dir(), new File(crashed, "t-0")); // what a SIGKILL leaves: no trim, no clean close
        }
        File partition = new File(crashed, "t-0");
        File activeIndex = lastFile(partition, LogSegment.INDEX_SUFFIX);
        assertEquals(4096, activeIndex.length(), "the crashed active index is preallocated, zeros after its entries");

        // recovery from the recovery point (the active segment) rebuilds its indexes and trims them
        Path recovered = copyDir(partition, new File(dir, "recovered/t-0")).toPath();
        try (PartitionLog log = LogFixtures.reopen(recovered.getParent().toFile(), CONFIG, time, 0, false)) {
            checkEveryOffset(log);
            assertTrue(lastFile(recovered.toFile(), LogSegment.INDEX_SUFFIX).length() < 4096, "rebuilt and trimmed");
            fill(log, 3);
            checkEveryOffset(log);
        }

        // the same files trusted (as after a clean shutdown): the zero tail fails the checks, rebuilt
        Path trusted = copyDir(partition, new File(dir, "trusted/t-0")).toPath();
        try (PartitionLog log = LogFixtures.reopen(trusted.getParent().toFile(), CONFIG, time, 0, true)) {
            checkEveryOffset(log);
            assertTrue(lastFile(trusted.toFile(), LogSegment.INDEX_SUFFIX).length() < 4096, "rebuilt and trimmed");
        }

        // a torn entry at the end of a trusted index: rebuilt too
        Path torn = copyDir(partition, new File(dir, "torn/t-0")).toPath();
        File tornIndex = lastFile(torn.toFile(), LogSegment.TIME_INDEX_SUFFIX);
        try (RandomAccessFile raf = new RandomAccessFile(tornIndex, "rw")) {
            raf.setLength(12 * 3 + 5);
        }
        try (PartitionLog log = LogFixtures.reopen(torn.getParent().toFile(), CONFIG, time, 0, true)) {
            checkEveryOffset(log);
            assertEquals(0, tornIndex.length() % 12, "rebuilt whole entries");
        }
    }

    @Test
    void idleSegmentsDeletedSegmentsAndClosedLogsHoldNoMapping() throws Exception {
        try (PartitionLog log = LogFixtures.open(dir, CONFIG, time)) {
            fill(log, 300);
            checkEveryOffset(log); // maps the inactive segments' indexes, read-only
            assertTrue(mappingsUnder(log.dir()) > 4, "mapped by the lookups: " + mappingsUnder(log.dir()));
            LogFixtures.drainScheduler(); // the background flush of the last rolled segment counts as a use
            long muchLater = System.nanoTime() + TimeUnit.HOURS.toNanos(1);
            assertTrue(log.releaseIdleSegments(muchLater, 0) > 0);
            assertEquals(0, mappingsUnder(log.dir()), "an idle release unmaps every index at once");
            checkEveryOffset(log); // and the next lookups map them again
            assertTrue(mappingsUnder(log.dir()) > 4);

            int before = log.segmentCount();
            log.advanceLogStartOffset(log.segments().get(2).baseOffset()); // deletes the first two segments
            LogFixtures.drainScheduler();
            assertEquals(before - 2, log.segmentCount());
            assertEquals(0, mappingsOf(log.dir(), "deleted"), "a deleted segment's indexes are unmapped");
            checkEveryOffset(log);
        }
        assertEquals(0, mappingsUnder(new File(dir, "t-0")), "a closed log maps nothing");
    }

    @Test
    void truncationCutsTheIndexesAndAppendsAfterItAreFound() throws IOException {
        try (PartitionLog log = LogFixtures.open(dir, CONFIG, time)) {
            fill(log, 300);
            LogSegment last = log.segments().get(log.segmentCount() - 1);
            long cut = last.baseOffset() + (last.nextOffset() - last.baseOffset()) / 2 / 2 * 2; // a batch start
            log.truncateTo(cut);
            assertEquals(cut, log.logEndOffset());
            checkEveryOffset(log);
            fill(log, 100); // the same offsets again, other positions
            checkEveryOffset(log);

            long deeper = log.segments().get(1).baseOffset() + 10; // into an earlier, trimmed segment
            log.truncateTo(deeper);
            assertEquals(deeper, log.logEndOffset());
            assertEquals(2, log.segmentCount());
            checkEveryOffset(log);
            fill(log, 150);
            checkEveryOffset(log);
        }
    }

    private static File indexFile(PartitionLog log, LogSegment segment, String suffix) {
        return new File(log.dir(), LogSegment.fileName(segment.baseOffset(), suffix));
    }

    private static File lastFile(File partition, String suffix) {
        File[] files = partition.listFiles((d, n) -> n.endsWith(suffix));
        assertNotNull(files);
        java.util.Arrays.sort(files);
        return files[files.length - 1];
    }

    private static File copyDir(File from, File to) throws IOException {
        Files.createDirectories(to.toPath());
        File[] files = from.listFiles();
        assertNotNull(files);
        for (File f : files) {
            Files.copy(f.toPath(), new File(to, f.getName()).toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        return to;
    }

    /** Mappings of index files under {@code dir} in this process (Linux /proc/self/maps). */
    private static long mappingsUnder(File dir) throws IOException {
        return mappingsOf(dir, "index");
    }

    private static long mappingsOf(File dir, String containing) throws IOException {
        String prefix = dir.getCanonicalPath() + File.separator;
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(" " + prefix) && l.substring(l.indexOf(prefix)).contains(containing))
                    .count();
        }
    }
}
