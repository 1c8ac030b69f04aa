package io.brook.storage.cleaner;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFixtures;
import io.brook.storage.log.ManualTime;
import io.brook.storage.log.PartitionLog;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A crash at a random step of cleaning (after a cleaned segment is written, after its swap is
 * committed, after the old segments leave the log, after they are renamed for deletion) leaves,
 * after an unclean restart, a log where every swap happened wholly or not at all: nothing that
 * survives the full cleaning is missing, nothing not in the log before is present, and a crash
 * before the first commit leaves the log exactly as before.
 */
@Timeout(120)
class CleanerCrashTest {

    /** Stands for the process dying: an Error, so no cleanup code in the cleaner runs. */
    private static final class Crash extends Error {
    }

    @Property(tries = 80)
    void aCrashDuringCleaningLeavesEachSwapWholeOrUndone(@ForAll long seed) throws IOException {
        File before = CompactedLogs.tempDir();
        File crashed = CompactedLogs.tempDir();
        try {
            // jqwik ignores JUnit's @Timeout: each try gets its own deadline
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run(new Random(seed), before, crashed));
        } finally {
            CompactedLogs.deleteRecursively(before);
            CompactedLogs.deleteRecursively(crashed);
        }
    }

    private void run(Random random, File dir, File crashDir) throws IOException {
        LogConfig config = CompactedLogs.randomConfig(random);
        ManualTime time = new ManualTime(1_700_000_000_000L);
        int mapBytes = OffsetMap.ENTRY_BYTES * (3 + random.nextInt(200));
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            CompactedLogs.appendRandom(log, random, time);
            log.roll(time.milliseconds());
        }
        copy(new File(dir, "t-0"), new File(crashDir, "t-0"));

        // the reference: the same log cleaned without a crash, counting the steps
        List<CompactedLogs.Entry> original;
        List<CompactedLogs.Entry> cleaned;
        AtomicInteger steps = new AtomicInteger();
        long endOffset;
        try (PartitionLog log = LogFixtures.reopen(dir, config, time, 0, true)) {
            original = CompactedLogs.readAll(log);
            endOffset = log.logEndOffset();
            assertEquals(original.get(original.size() - 1).offset() + 1, endOffset, "the log ends with its last record");
            Cleaner cleaner = new Cleaner(new OffsetMap(mapBytes, 0.9), 4096, new Throttler(Double.MAX_VALUE, time),
                    time, step -> steps.incrementAndGet());
            cleaner.clean(log, CleaningPlanner.plan(log, -1, time.milliseconds()));
            cleaned = CompactedLogs.readAll(log);
        }

        int crashAt = 1 + random.nextInt(steps.get() + 1);
        AtomicInteger reached = new AtomicInteger();
        List<String> stepNames = new java.util.ArrayList<>();
        PartitionLog doomed = LogFixtures.reopen(crashDir, config, time, 0, true);
        Cleaner crashing = new Cleaner(new OffsetMap(mapBytes, 0.9), 4096, new Throttler(Double.MAX_VALUE, time),
                time, step -> {
                    stepNames.add(step);
                    if (reached.incrementAndGet() == crashAt) {
                        throw new Crash();
                    }
                });
        boolean crashedMidway;
        try {
            crashing.clean(doomed, CleaningPlanner.plan(doomed, -1, time.milliseconds()));
            crashedMidway = false;
        } catch (Crash e) {
            crashedMidway = true; // the log is abandoned as it is, open files and all
        }

        try (PartitionLog recovered = LogFixtures.reopen(crashDir, config, time, 0, false)) {
            List<CompactedLogs.Entry> entries = CompactedLogs.readAll(recovered);
            String where = "crash at step " + crashAt + " of " + steps.get() + " " + stepNames;
            assertTrue(new HashSet<>(original).containsAll(entries), "only records from before: " + where);
            assertTrue(new HashSet<>(entries).containsAll(cleaned), "every record kept by cleaning: " + where);
            if (!crashedMidway) {
                assertEquals(cleaned, entries, where);
            } else if (!stepNames.contains("committed") && !stepNames.contains("old-deleted")) {
                assertEquals(original, entries, "no swap committed: " + where);
            }
            assertEquals(endOffset, recovered.logEndOffset(), "cleaning never moves the log end: " + where);
        }
    }

    private static void copy(File from, File to) throws IOException {
        Files.createDirectories(to.toPath());
        File[] files = from.listFiles();
        for (File f : files == null ? new File[0] : files) {
            Files.copy(f.toPath(), new File(to, f.getName()).toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
