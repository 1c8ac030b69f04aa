package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.batch;
import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.LogFixtures.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogDirTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    @Test
    void anIoErrorInOneLogTakesTheWholeDirectoryOfflineAndSkipsTheCleanShutdownMarker() throws IOException {
        LogDir manager = new LogDir(dir, time, null);
        LogConfig cfg = config(Map.of("segment.bytes", "300"));
        PartitionLog a = manager.getOrCreate(new TopicPartition("a", 0), LogFixtures.TOPIC_ID, cfg);
        PartitionLog b = manager.getOrCreate(new TopicPartition("b", 0), LogFixtures.TOPIC_ID, cfg);
        b.appendAsLeader(batch(time.milliseconds(), "b-kept"), 0);
        File aDir = a.dir();
        File away = new File(dir, "away");
        Files.move(aDir.toPath(), away.toPath());
        assertThrows(IOException.class, () -> {
            for (int i = 0; i < 20; i++) {
                a.appendAsLeader(batch(time.milliseconds(), "a-" + i), 0);
            }
        });
        assertTrue(manager.isOffline());
        assertThrows(KafkaStorageException.class, () -> b.appendAsLeader(batch(time.milliseconds(), "b-refused"), 0),
                "every log of the directory stops");
        assertThrows(KafkaStorageException.class,
                () -> manager.getOrCreate(new TopicPartition("c", 0), LogFixtures.TOPIC_ID, cfg));
        Files.move(away.toPath(), aDir.toPath());
        manager.close();
        assertFalse(new File(dir, LogDir.CLEAN_SHUTDOWN_FILE).exists(), "the next start recovers the logs");
    }

    @Test
    void idleSegmentsCloseTheirFilesAndDropTheirIndexesAndComeBackOnUse() throws IOException {
        LogDir manager = new LogDir(dir, time, null);
        LogConfig cfg = config(Map.of("segment.bytes", "1000", "index.interval.bytes", "100"));
        int partitions = 200;
        List<PartitionLog> logs = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            PartitionLog log = manager.getOrCreate(new TopicPartition("many", p), LogFixtures.TOPIC_ID, cfg);
            for (int i = 0; i < 40; i++) { // a few segments each
                log.appendAsLeader(batch(time.milliseconds() + i, "p" + p + "-" + i), 0);
            }
            logs.add(log);
        }
        int segments = logs.stream().mapToInt(PartitionLog::segmentCount).sum();
        assertTrue(segments > 2 * partitions, segments + " segments");
        assertEquals(segments, openLogFiles(), "one handle per segment until they idle");

        assertEquals(0, manager.releaseIdleSegments(60_000), "nothing idles that long yet");
        assertEquals(segments, manager.releaseIdleSegments(0));
        assertEquals(0, openLogFiles());
        for (LogSegment segment : logs.get(0).segments()) {
            assertFalse(segment.isFileOpen());
        }

        // reads, lookups by time and appends reopen what they touch, and only that
        PartitionLog first = logs.get(0);
        assertEquals(List.of("p0-17", "p0-18"), values(LogFixtures.readAll(first, 17, 19)));
        assertEquals(25, first.offsetForTimestamp(time.milliseconds() + 25).offset());
        PartitionLog last = logs.get(partitions - 1);
        last.appendAsLeader(batch(time.milliseconds(), "after-idle"), 0);
        assertEquals(List.of("p199-39", "after-idle"), values(LogFixtures.readAll(last, 39, 41)));
        assertTrue(openLogFiles() <= 4, openLogFiles() + " open after touching two partitions");

        // a clean restart finds every record where it was
        manager.releaseIdleSegments(0);
        manager.close();
        LogDir again = new LogDir(dir, time, null);
        again.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID);
        assertTrue(again.hadCleanShutdown());
        PartitionLog reloaded = again.get(new TopicPartition("many", partitions - 1));
        assertEquals(41, reloaded.logEndOffset());
        assertEquals(List.of("p199-0", "p199-1"), values(LogFixtures.readAll(reloaded, 0, 2)));
        again.close();
    }

    @Test
    void partitionsRecoverInParallelAfterAnUncleanStopEachToItsLastIntactBatch() throws IOException {
        LogConfig cfg = config(Map.of("segment.bytes", "400"));
        LogDir first = new LogDir(dir, time, null);
        int partitions = 24;
        Map<Integer, Long> activeSizes = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) {
            PartitionLog log = first.getOrCreate(new TopicPartition("r", p), LogFixtures.TOPIC_ID, cfg);
            for (int i = 0; i < p + 5; i++) {
                log.appendAsLeader(batch(time.milliseconds() + i, "r" + p + "-" + i), 0);
            }
            if (p % 3 == 0) {
                log.flush(); // some partitions recover from a later recovery point than others
            }
            activeSizes.put(p, activeLogFile(log).length());
        }
        first.checkpoint();
        // no close: an unclean stop; half the partitions end in a torn write past their last batch
        for (int p = 0; p < partitions; p += 2) {
            File active = activeLogFile(first.get(new TopicPartition("r", p)));
            Files.write(active.toPath(), new byte[] {0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 1, 0, 42, 42},
                    java.nio.file.StandardOpenOption.APPEND);
        }
        // and one partition whose files cannot be read at all
        File broken = new File(dir, "r-" + partitions);
        Files.createDirectories(new File(broken, "00000000000000000000.log").toPath());

        LogDir again = new LogDir(dir, time, null);
        assertFalse(again.hadCleanShutdown());
        again.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID, 4);
        for (int p = 0; p < partitions; p++) {
            PartitionLog log = again.get(new TopicPartition("r", p));
            assertEquals(p + 5, log.logEndOffset(), "partition " + p);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < p + 5; i++) {
                expected.add("r" + p + "-" + i);
            }
            assertEquals(expected, values(LogFixtures.readAll(log, 0, p + 5)), "partition " + p);
            assertEquals(activeSizes.get(p), activeLogFile(log).length(), "torn tail of partition " + p + " cut");
        }
        assertEquals(partitions, again.logCount());
        TopicPartition brokenTp = new TopicPartition("r", partitions);
        assertTrue(again.failure(brokenTp) != null, "the unreadable partition is offline, alone");
        assertThrows(KafkaStorageException.class, () -> again.getOrCreate(brokenTp, LogFixtures.TOPIC_ID, cfg));
        again.close();
    }

    @Test
    void backgroundPassesVisitOnlyTheLogsThatChangedOrAreDueAndStillDoTheirWorkOnTime() throws IOException {
        long retentionMs = 3_600_000;
        long flushMs = 60_000;
        LogConfig cfg = config(Map.of("retention.ms", Long.toString(retentionMs), "flush.ms", Long.toString(flushMs)));
        LogDir logDir = new LogDir(dir, time, null);
        int partitions = 1000;
        long t0 = time.milliseconds();
        List<PartitionLog> logs = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            PartitionLog log = logDir.getOrCreate(new TopicPartition("bg", p), LogFixtures.TOPIC_ID, cfg);
            log.appendAsLeader(batch(t0 + p * 1000L, "bg" + p), 0); // each log a second younger than the last
            logs.add(log);
        }
        // a first pass of each job looks at every log once: they are all new
        runPasses(logDir);
        LogDir.BackgroundVisits before = logDir.backgroundVisits();
        assertEquals(partitions, before.retention());
        assertEquals(partitions, before.flush());
        assertEquals(partitions, before.checkpoint());
        assertEquals(1, before.checkpointWrites());
        assertEquals(partitions, before.idle());

        // nothing changed, nothing due: passes cost nothing (not even a checkpoint write)
        time.advance(1000);
        runPasses(logDir);
        assertEquals(before, logDir.backgroundVisits());

        // ten logs get a record: each job looks at those ten only
        for (int p = 0; p < 10; p++) {
            logs.get(p).appendAsLeader(batch(time.milliseconds(), "more" + p), 0);
        }
        runPasses(logDir);
        LogDir.BackgroundVisits after = logDir.backgroundVisits();
        assertEquals(10, after.retention() - before.retention());
        assertEquals(10, after.flush() - before.flush());
        assertEquals(10, after.checkpoint() - before.checkpoint());
        assertEquals(10, after.idle() - before.idle());
        assertEquals(before.checkpointWrites(), after.checkpointWrites(), "no recovery point or log start moved");

        // flush.ms passes: every unflushed log is due and flushed, once
        time.advance(flushMs);
        logDir.flushByTime();
        assertEquals(partitions, logDir.backgroundVisits().flush() - after.flush());
        for (PartitionLog log : logs) {
            assertEquals(log.logEndOffset(), log.recoveryPoint(), log.topicPartition() + " flushed on time");
        }
        long flushVisits = logDir.backgroundVisits().flush();
        logDir.checkpoint();
        assertEquals(before.checkpointWrites() + 1, logDir.backgroundVisits().checkpointWrites(),
                "the recovery points moved");
        time.advance(flushMs);
        logDir.flushByTime();
        assertEquals(flushVisits, logDir.backgroundVisits().flush(), "flushed logs are not due again");

        // idempotent producers in three logs, long idle (their batches carry an old timestamp)
        long expiryVisits = logDir.backgroundVisits().producerExpiry();
        for (int p = 100; p < 103; p++) {
            logs.get(p).appendAsLeader(LogFixtures.idempotent(p, (short) 0, 0, "idem" + p), 0);
            assertEquals(1, logs.get(p).producerLastOffsets().size());
        }
        logDir.expireProducers(retentionMs);
        assertEquals(3 + 3, logDir.backgroundVisits().producerExpiry() - expiryVisits, "3 changed, 3 then due");
        for (int p = 100; p < 103; p++) {
            assertEquals(Map.of(), logs.get(p).producerLastOffsets(), "producer of " + p + " expired");
        }

        // retention: the logs whose first segment expired are due, and only they (the eleven oldest)
        long retentionVisits = logDir.backgroundVisits().retention();
        logDir.applyRetention(); // takes the due times of the three logs just written
        retentionVisits += 3;
        assertEquals(retentionVisits, logDir.backgroundVisits().retention());
        time.advance(t0 + retentionMs + 10 * 1000L + 1 - time.milliseconds());
        int deleted = logDir.applyRetention();
        assertEquals(11, deleted, "one expired segment in each of logs 0-10");
        for (int p = 0; p < partitions; p++) {
            long expectedStart = p < 10 ? 2 : p == 10 ? 1 : 0;
            assertEquals(expectedStart, logs.get(p).logStartOffset(), "partition " + p);
        }
        assertEquals(11, logDir.backgroundVisits().retention() - retentionVisits);
        time.advance(1000);
        assertEquals(1, logDir.applyRetention(), "the next second, the next log");
        assertEquals(1, logs.get(11).logStartOffset());
        logDir.close();
    }

    private static void runPasses(LogDir logDir) throws IOException {
        logDir.applyRetention();
        logDir.flushByTime();
        logDir.checkpoint();
        logDir.releaseIdleSegments(0);
        logDir.expireProducers(86_400_000L);
    }

    private static File activeLogFile(PartitionLog log) {
        List<LogSegment> segments = new ArrayList<>(log.segments());
        return new File(log.dir(), String.format("%020d.log", segments.get(segments.size() - 1).baseOffset()));
    }

    /** File handles of this process open on {@code .log} files under the test directory. */
    private long openLogFiles() throws IOException {
        try (var fds = Files.list(new File("/proc/self/fd").toPath())) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(target -> target.startsWith(dir.getAbsolutePath()) && target.endsWith(".log")).count();
        }
    }
}
