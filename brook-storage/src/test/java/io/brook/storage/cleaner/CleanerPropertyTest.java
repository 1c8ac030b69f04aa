package io.brook.storage.cleaner;

import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogFixtures;
import io.brook.storage.log.ManualTime;
import io.brook.storage.log.PartitionLog;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random keys, values and tombstones under a random config and a random (often tiny) offset map;
 * after cleaning, reading the partition from the start yields, in offset order, exactly the latest
 * record of every key; once {@code delete.retention.ms} has passed since tombstones were first
 * cleaned, the next cleaning removes them. The result survives a restart, clean or not.
 */
class CleanerPropertyTest {

    @Property(tries = 80) // about 0.35 s each; more on demand by raising it
    void cleaningKeepsExactlyTheLatestRecordOfEachKey(@ForAll long seed) throws IOException {
        File dir = CompactedLogs.tempDir();
        try {
            run(new Random(seed), dir);
        } finally {
            CompactedLogs.deleteRecursively(dir);
        }
    }

    private void run(Random random, File dir) throws IOException {
        LogConfig config = CompactedLogs.randomConfig(random);
        ManualTime time = new ManualTime(1_700_000_000_000L);
        // from 1 to 200 entries: small maps force cleaning in parts
        OffsetMap map = new OffsetMap(OffsetMap.ENTRY_BYTES * (3 + random.nextInt(200)), 0.9);
        Cleaner cleaner = new Cleaner(map, 64 + random.nextInt(4096), new Throttler(Double.MAX_VALUE, time), time);
        TreeMap<Long, CompactedLogs.Entry> written;
        long checkpoint;
        try (PartitionLog log = LogFixtures.open(dir, config, time)) {
            written = CompactedLogs.appendRandom(log, random, time);
            // clean what is cleanable now (the active segment is not), then append more and clean again
            long firstUncleanable = CleaningPlanner.plan(log, -1, time.milliseconds()).firstUncleanableOffset();
            long firstCleanedAt = time.milliseconds();
            long firstCheckpoint = CompactedLogs.cleanFully(cleaner, log, -1, firstCleanedAt);
            assertEquals(firstUncleanable, firstCheckpoint);
            assertEquals(CompactedLogs.latestPerKey(written, firstCheckpoint, true), CompactedLogs.readAll(log));

            written.putAll(CompactedLogs.appendRandom(log, random, time));
            log.roll(time.milliseconds());
            long secondCleanedAt = time.milliseconds();
            checkpoint = CompactedLogs.cleanFully(cleaner, log, firstCheckpoint, secondCleanedAt);
            assertEquals(log.logEndOffset(), checkpoint);
            // a tombstone stays until delete.retention.ms after the cleaning that first saw it
            long dr = config.deleteRetentionMs();
            java.util.function.LongFunction<java.util.function.Predicate<CompactedLogs.Entry>> keptAt =
                    now -> e -> now < (e.offset() < firstCheckpoint ? firstCleanedAt : secondCleanedAt) + dr;
            assertEquals(CompactedLogs.latestPerKey(written, checkpoint, keptAt.apply(secondCleanedAt)),
                    CompactedLogs.readAll(log), "latest record of each key, unexpired tombstones kept");

            time.advance(secondCleanedAt + dr - 1 - time.milliseconds());
            assertEquals(CompactedLogs.latestPerKey(written, checkpoint, keptAt.apply(time.milliseconds())),
                    cleanOnce(cleaner, log, checkpoint, time));
            time.advance(2);
            List<CompactedLogs.Entry> expected = CompactedLogs.latestPerKey(written, checkpoint, false);
            assertEquals(expected, cleanOnce(cleaner, log, checkpoint, time), "expired tombstones removed");
            CleaningPlanner.Plan plan = CleaningPlanner.plan(log, checkpoint, time.milliseconds());
            assertTrue(plan.dirtyBytes() == 0 && !CleaningPlanner.isDue(plan, 0, Long.MAX_VALUE, time.milliseconds()));
        }
        boolean clean = random.nextBoolean();
        try (PartitionLog reopened = LogFixtures.reopen(dir, config, time, 0, clean)) {
            assertEquals(CompactedLogs.latestPerKey(written, checkpoint, false), CompactedLogs.readAll(reopened),
                    "the same after a " + (clean ? "clean" : "unclean") + " restart");
            assertEquals(checkpoint, reopened.logEndOffset());
            reopened.appendAsLeader(LogFixtures.batch(time.milliseconds(), "after"), 0);
            assertTrue(reopened.logEndOffset() == checkpoint + 1);
        }
    }

    private static List<CompactedLogs.Entry> cleanOnce(Cleaner cleaner, PartitionLog log, long checkpoint,
                                                       ManualTime time) throws IOException {
        cleaner.clean(log, CleaningPlanner.plan(log, checkpoint, time.milliseconds()));
        return CompactedLogs.readAll(log);
    }
}
