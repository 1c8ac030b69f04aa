package io.brook.storage.index;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory-mapped offset and time indexes on their own: append and lookup against a plain model,
 * preallocation and trimming, truncation, reopening, crash leftovers (a preallocated tail of zeros,
 * a torn entry), explicit unmapping, and lookups racing with unmaps.
 */
class MappedIndexTest {
    private static final long BASE = 1_000;
    /** 4 KiB of offset entries: a warm section of 1,024 entries and a cold part before it once full. */
    private static final int MAX_ENTRIES = 5_000;

    @TempDir
    File dir;

    private File indexFile() {
        return new File(dir, "00000000000000001000.index");
    }

    private File timeFile() {
        return new File(dir, "00000000000000001000.timeindex");
    }

    /** Entry i of the model offset index: offset BASE + 3i + 1 at position 100i + 7. */
    private static long offsetOf(int i) {
        return BASE + 3L * i + 1;
    }

    private static int positionOf(int i) {
        return 100 * i + 7;
    }

    /** What a lookup must answer: the position of the last entry with offset at most the target, else 0. */
    private static int expectedPosition(long target, int entries) {
        int found = 0;
        for (int i = 0; i < entries && offsetOf(i) <= target; i++) {
            found = positionOf(i);
        }
        return found;
    }

    private static void checkLookups(OffsetIndex index, int entries) throws IOException {
        for (long target = BASE - 2; target <= offsetOf(entries) + 2; target++) {
            assertEquals(expectedPosition(target, entries), index.lookupPosition(target), "lookup of " + target);
        }
    }

    @Test
    void appendsAreFoundByBinarySearchInTheWarmSectionAndBeforeIt() throws IOException {
        try (OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, MAX_ENTRIES)) {
            assertEquals(0, index.lookupPosition(BASE + 10), "empty: scan from the start");
            assertFalse(indexFile().exists(), "no file before the first entry");
            int n = 3_000; // more than the 1,024 entries of the warm section
            for (int i = 0; i < n; i++) {
                index.append(offsetOf(i), positionOf(i));
                if (i < 40) {
                    checkLookups(index, i + 1); // readers see every published entry at once
                }
            }
            assertEquals(n, index.entries());
            checkLookups(index, n);
            assertEquals(positionOf(n - 1), index.lastPosition());
        }
    }

    @Test
    void theActiveFileIsPreallocatedAndTrimmedToItsEntriesWhenTheSegmentStopsBeingActive() throws IOException {
        OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, MAX_ENTRIES);
        TimeIndex timeIndex = TimeIndex.createEmpty(timeFile(), BASE, 400);
        for (int i = 0; i < 10; i++) {
            index.append(offsetOf(i), positionOf(i));
            timeIndex.maybeAppend(5_000 + i, offsetOf(i));
        }
        assertEquals((long) MAX_ENTRIES * OffsetIndex.ENTRY_BYTES, indexFile().length(), "preallocated");
        assertEquals(400L * TimeIndex.ENTRY_BYTES, timeFile().length(), "preallocated");
        assertTrue(index.isMapped() && timeIndex.isMapped());

        index.trimToValidSize();
        timeIndex.trimToValidSize();
        assertEquals(10L * OffsetIndex.ENTRY_BYTES, indexFile().length(), "trimmed to the entries");
        assertEquals(10L * TimeIndex.ENTRY_BYTES, timeFile().length(), "trimmed to the entries");
        assertFalse(index.isMapped() || timeIndex.isMapped(), "a trim unmaps");
        assertEquals(List.of(0L, 0L), List.of(mappingsOf(indexFile()), mappingsOf(timeFile())), "nothing mapped");

        checkLookups(index, 10); // maps the trimmed file again, read-only
        assertTrue(index.isMapped());
        assertEquals(10L * OffsetIndex.ENTRY_BYTES, indexFile().length(), "a lookup does not grow the file");
        index.append(offsetOf(10), positionOf(10)); // an append to a trimmed index grows it again
        assertEquals((long) MAX_ENTRIES * OffsetIndex.ENTRY_BYTES, indexFile().length());
        checkLookups(index, 11);

        index.close();
        timeIndex.close();
        assertEquals(11L * OffsetIndex.ENTRY_BYTES, indexFile().length(), "closing trims");
        assertEquals(0, index.lookupPosition(offsetOf(5)), "a closed index answers: scan from the start");
        assertEquals(List.of(0L, 0L), List.of(mappingsOf(indexFile()), mappingsOf(timeFile())), "unmapped");
    }

    @Test
    void timeIndexLookupsAppendOnlyGrowingTimestampsAndTruncateByOffset() throws IOException {
        try (TimeIndex index = TimeIndex.createEmpty(timeFile(), BASE, 4_000)) {
            index.maybeAppend(-1, BASE); // no timestamp: never an entry (as Kafka)
            assertEquals(0, index.entries());
            List<long[]> model = new ArrayList<>();
            long ts = 10_000;
            for (int i = 0; i < 2_500; i++) {
                ts += 1 + (i % 7);
                long offset = BASE + 2L * i;
                index.maybeAppend(ts, offset);
                index.maybeAppend(ts - 1, offset + 1); // not larger: ignored
                model.add(new long[] {ts, offset});
            }
            assertEquals(model.size(), index.entries());
            checkTimeLookups(index, model);
            assertEquals(ts, index.lastTimestamp());

            long cut = model.get(1_800)[1]; // drops entries 1800.. (their offsets are >= cut)
            index.truncateToOffset(cut);
            List<long[]> kept = model.subList(0, 1_800);
            assertEquals(1_800, index.entries());
            assertEquals(1_800L * TimeIndex.ENTRY_BYTES, timeFile().length(), "a truncation cuts the file");
            assertEquals(kept.get(1_799)[0], index.lastTimestamp());
            assertEquals(kept.get(1_799)[1], index.lastOffset());
            checkTimeLookups(index, kept);
            index.maybeAppend(kept.get(1_799)[0] + 5, cut + 3); // appends go on after it
            assertEquals(1_801, index.entries());
            assertEquals(cut + 3, index.lookupOffsetBefore(Long.MAX_VALUE));
        }
    }

    private static void checkTimeLookups(TimeIndex index, List<long[]> model) throws IOException {
        for (long target = model.get(0)[0] - 2; target <= model.get(model.size() - 1)[0] + 2; target += 3) {
            long expected = BASE;
            for (long[] entry : model) {
                if (entry[0] < target) {
                    expected = entry[1];
                }
            }
            assertEquals(expected, index.lookupOffsetBefore(target), "lookup of timestamp " + target);
        }
    }

    @Test
    void theLastTimeEntryOfAnInactiveSegmentIsWrittenWithoutPreallocatingOrMapping() throws IOException {
        try (TimeIndex index = TimeIndex.createEmpty(timeFile(), BASE, 400)) {
            index.maybeAppendLast(7_000, BASE + 3); // an idle segment closing: no entry before
            assertEquals(12L, timeFile().length(), "one entry, no preallocation");
            assertFalse(index.isMapped());
            assertEquals(BASE + 3, index.lookupOffsetBefore(7_001));
            index.unload();
            index.maybeAppendLast(7_005, BASE + 9); // unmapped, exact: appended in place
            assertEquals(24L, timeFile().length());
            assertEquals(List.of(7_005L, BASE + 9), List.of(index.lastTimestamp(), index.lastOffset()));
            assertEquals(BASE + 9, index.lookupOffsetBefore(8_000));
            assertEquals(BASE + 3, index.lookupOffsetBefore(7_005));
            index.maybeAppend(7_010, BASE + 12); // an active segment again: preallocated and mapped
            assertEquals(400L * TimeIndex.ENTRY_BYTES, timeFile().length());
            index.maybeAppendLast(7_020, BASE + 15); // through the mapping, then trimmed by the caller
            index.trimToValidSize();
            assertEquals(48L, timeFile().length());
        }
        TimeIndex reopened = TimeIndex.openIfValid(timeFile(), BASE, 400, Long.MAX_VALUE);
        assertNotNull(reopened);
        try (reopened) {
            assertEquals(4, reopened.entries());
            assertEquals(BASE + 12, reopened.lookupOffsetBefore(7_020));
        }
    }

    @Test
    void truncationDropsTheEntriesAtOrAfterAnOffsetOrAPositionAndAppendsGoOn() throws IOException {
        try (OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, MAX_ENTRIES)) {
            for (int i = 0; i < 2_000; i++) {
                index.append(offsetOf(i), positionOf(i));
            }
            index.truncateTo(offsetOf(1_500)); // Kafka's truncateTo: entries for offsets >= the target go
            assertEquals(1_500, index.entries());
            assertEquals(1_500L * OffsetIndex.ENTRY_BYTES, indexFile().length());
            checkLookups(index, 1_500);
            index.truncateTo(offsetOf(1_400) + 1); // between two entries: the entry for offsetOf(1400) stays
            assertEquals(1_401, index.entries());
            index.truncateToPosition(positionOf(700)); // entries at or after a position (a torn log tail)
            assertEquals(700, index.entries());
            assertEquals(positionOf(699), index.lastPosition());
            checkLookups(index, 700);
            for (int i = 700; i < 900; i++) { // the same offsets again after the truncation
                index.append(offsetOf(i), positionOf(i));
            }
            checkLookups(index, 900);
            index.truncateToPosition(0);
            assertEquals(0, index.entries());
            assertEquals(0, index.lookupPosition(offsetOf(10)));
            index.append(offsetOf(0), positionOf(0));
            checkLookups(index, 1);
        }
    }

    @Test
    void aClosedIndexReopensWithItsEntriesWithoutMappingThemUntilALookup() throws IOException {
        try (OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, MAX_ENTRIES);
             TimeIndex timeIndex = TimeIndex.createEmpty(timeFile(), BASE, 4_000)) {
            for (int i = 0; i < 1_500; i++) {
                index.append(offsetOf(i), positionOf(i));
                timeIndex.maybeAppend(50_000 + 10L * i, offsetOf(i));
            }
        }
        OffsetIndex reopened = OffsetIndex.openIfValid(indexFile(), BASE, MAX_ENTRIES, Integer.MAX_VALUE);
        TimeIndex reopenedTime = TimeIndex.openIfValid(timeFile(), BASE, 4_000, Long.MAX_VALUE);
        assertNotNull(reopened);
        assertNotNull(reopenedTime);
        try (reopened; reopenedTime) {
            assertFalse(reopened.isMapped() || reopenedTime.isMapped(), "opening maps nothing");
            assertEquals(1_500, reopened.entries());
            assertEquals(positionOf(1_499), reopened.lastPosition(), "known without a mapping");
            assertEquals(50_000 + 10L * 1_499, reopenedTime.lastTimestamp());
            assertEquals(offsetOf(1_499), reopenedTime.lastOffset());
            assertFalse(reopened.isMapped() || reopenedTime.isMapped());
            checkLookups(reopened, 1_500);
            assertEquals(offsetOf(700), reopenedTime.lookupOffsetBefore(50_000 + 10L * 700 + 1));
            reopened.append(offsetOf(1_500), positionOf(1_500)); // the reopened active segment appends on
            checkLookups(reopened, 1_501);
        }
        assertEquals(1_501L * OffsetIndex.ENTRY_BYTES, indexFile().length());
        assertNull(OffsetIndex.openIfValid(indexFile(), BASE, MAX_ENTRIES, positionOf(1_500)),
                "an entry at or past the end of the log: rebuild");
        assertNull(OffsetIndex.openIfValid(indexFile(), BASE, 1_000, Integer.MAX_VALUE), "more entries than allowed");
    }

    @Test
    void aCrashLeavesAPreallocatedFileWhoseZerosOrTornEntryAreNotTrusted() throws IOException {
        OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, MAX_ENTRIES);
        TimeIndex timeIndex = TimeIndex.createEmpty(timeFile(), BASE, 4_000);
        for (int i = 0; i < 20; i++) {
            index.append(offsetOf(i), positionOf(i));
            timeIndex.maybeAppend(50_000 + i, offsetOf(i));
        }
        // a SIGKILL now: no trim; the entries are in the page cache, followed by zeros to the preallocated size
        Path crashedIndex = Files.copy(indexFile().toPath(), dir.toPath().resolve("crashed.index"));
        Path crashedTime = Files.copy(timeFile().toPath(), dir.toPath().resolve("crashed.timeindex"));
        index.deleteFile();
        timeIndex.deleteFile();
        assertEquals((long) MAX_ENTRIES * OffsetIndex.ENTRY_BYTES, Files.size(crashedIndex));
        assertEquals(offsetOf(19) - BASE, ByteBuffer.wrap(Files.readAllBytes(crashedIndex)).getInt(19 * 8),
                "the entries written through the mapping are in the file");

        assertNull(OffsetIndex.openIfValid(crashedIndex.toFile(), BASE, MAX_ENTRIES, Integer.MAX_VALUE),
                "a zero tail after entries: rebuild");
        assertNull(TimeIndex.openIfValid(crashedTime.toFile(), BASE, 4_000, Long.MAX_VALUE),
                "a zero tail after entries: rebuild");
        try (RandomAccessFile raf = new RandomAccessFile(crashedIndex.toFile(), "rw")) {
            raf.setLength(20L * OffsetIndex.ENTRY_BYTES); // the entries alone are a valid index ...
        }
        assertNotNull(OffsetIndex.openIfValid(crashedIndex.toFile(), BASE, MAX_ENTRIES, Integer.MAX_VALUE));
        try (RandomAccessFile raf = new RandomAccessFile(crashedIndex.toFile(), "rw")) {
            raf.setLength(20L * OffsetIndex.ENTRY_BYTES + 5); // ... but not with a torn entry after them
        }
        assertNull(OffsetIndex.openIfValid(crashedIndex.toFile(), BASE, MAX_ENTRIES, Integer.MAX_VALUE));
        try (RandomAccessFile raf = new RandomAccessFile(crashedTime.toFile(), "rw")) {
            raf.setLength(3L * TimeIndex.ENTRY_BYTES + 7);
        }
        assertNull(TimeIndex.openIfValid(crashedTime.toFile(), BASE, 4_000, Long.MAX_VALUE));
        Files.write(crashedTime, new byte[12 * 30]); // a preallocated file that never got an entry
        assertNull(TimeIndex.openIfValid(crashedTime.toFile(), BASE, 4_000, Long.MAX_VALUE));
    }

    @Test
    void unloadAndDeleteUnmapAtOnce() throws IOException {
        OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, MAX_ENTRIES);
        for (int i = 0; i < 100; i++) {
            index.append(offsetOf(i), positionOf(i));
        }
        assertEquals(1, mappingsOf(indexFile()));
        index.unload(); // an idle segment
        assertEquals(0, mappingsOf(indexFile()), "unmapped explicitly, not when a GC finds the buffer");
        assertEquals((long) MAX_ENTRIES * OffsetIndex.ENTRY_BYTES, indexFile().length(), "an unload keeps the file");
        checkLookups(index, 100);
        assertEquals(1, mappingsOf(indexFile()), "mapped again by the lookup");
        File deleted = new File(dir, indexFile().getName() + ".deleted");
        index.renameTo(deleted);
        checkLookups(index, 100); // a renamed file stays mapped
        index.deleteFile();
        assertEquals(0, mappingsOf(deleted));
        assertFalse(deleted.exists());
        assertEquals(0, index.lookupPosition(offsetOf(50)));
        assertTrue(BufferUnmapper.available());
    }

    /**
     * Lookups from several threads while the index is appended to, unmapped (idle), trimmed and
     * grown again, then deleted: no lookup may see a wrong answer, and none may touch a buffer after
     * its unmap (that would crash this JVM).
     */
    @Test
    void lookupsRacingWithUnmapsTrimsAndDeletionStaySafeAndCorrect() throws Exception {
        OffsetIndex index = OffsetIndex.createEmpty(indexFile(), BASE, 200_000);
        for (int i = 0; i < 5_000; i++) {
            index.append(offsetOf(i), positionOf(i));
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(3);
        List<Future<Long>> results = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            long seed = r;
            results.add(readers.submit(() -> {
                Random random = new Random(seed);
                long lookups = 0;
                while (!stop.get()) {
                    int published = index.entries(); // entries only grow here until the deletion
                    long target = offsetOf(random.nextInt(5_000));
                    int found = index.lookupPosition(target);
                    if (found != 0 || published > 0) {
                        int expected = expectedPositionFast(target);
                        if (found != expected && found != 0) {
                            throw new AssertionError("lookup of " + target + ": " + found + " instead of " + expected);
                        }
                        if (found == 0 && !stop.get()) {
                            throw new AssertionError("lookup of " + target + " found nothing while the index is open");
                        }
                    }
                    lookups++;
                }
                return lookups;
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        int next = 5_000;
        while (System.nanoTime() < deadline) {
            index.unload();
            index.append(offsetOf(next), positionOf(next));
            next++;
            index.trimToValidSize();
            Thread.yield();
        }
        stop.set(true);
        index.deleteFile();
        long total = 0;
        for (Future<Long> result : results) {
            total += result.get(60, TimeUnit.SECONDS);
        }
        readers.shutdown();
        assertTrue(readers.awaitTermination(30, TimeUnit.SECONDS));
        assertTrue(total > 1_000, "the readers ran: " + total);
        assertEquals(0, mappingsOf(indexFile()));
    }

    private static int expectedPositionFast(long target) {
        // entries are at offsetOf(i) = BASE + 3i + 1: the last one at or below the target
        long i = (target - BASE - 1) / 3;
        return i < 0 || target < BASE + 1 ? 0 : positionOf((int) i);
    }

    /** Mappings of {@code file} in this process (Linux /proc/self/maps). */
    static long mappingsOf(File file) throws IOException {
        String path = file.getCanonicalPath();
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.endsWith(" " + path) || l.endsWith(" " + path + " (deleted)")).count();
        }
    }
}
