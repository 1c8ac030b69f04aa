package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.batch;
import static io.brook.storage.log.LogFixtures.config;
import static io.brook.storage.log.LogFixtures.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several log directories: placement, a directory going offline alone, reloading from all of them. */
class LogManagerTest {
    @TempDir
    File root;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final LogConfig cfg = config(Map.of("segment.bytes", "300"));

    private List<File> dirs() {
        return List.of(new File(root, "d1"), new File(root, "d2"), new File(root, "d3"));
    }

    private static TopicPartition tp(int p) {
        return new TopicPartition("t", p);
    }

    @Test
    void newPartitionsGoToTheDirectoryWithTheFewestAndReloadFromWhereTheyAre() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        for (int p = 0; p < 9; p++) {
            manager.getOrCreate(tp(p), LogFixtures.TOPIC_ID, cfg).appendAsLeader(batch(time.milliseconds(), "v" + p), 0);
        }
        for (LogDir dir : manager.dirs()) {
            assertEquals(3, dir.logCount(), dir.logDir() + " holds a third");
        }
        assertNotEquals(manager.dirOf(tp(0)).logDir(), manager.dirOf(tp(1)).logDir());
        manager.close();
        for (File dir : dirs()) {
            assertTrue(new File(dir, LogDir.CLEAN_SHUTDOWN_FILE).exists());
        }

        LogManager again = new LogManager(dirs(), time, null);
        assertTrue(again.hadCleanShutdown());
        again.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID);
        assertEquals(9, again.all().size());
        for (int p = 0; p < 9; p++) {
            assertEquals(List.of("v" + p), values(LogFixtures.readAll(again.get(tp(p)), 0, 1)));
        }
        again.close();
    }

    /** KIP-966: the clean-shutdown markers name the broker epoch; any doubt (a missing or different one) is -1. */
    @Test
    void aCleanShutdownNamesTheBrokerEpochInEveryDirectory() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        manager.brokerEpoch(42);
        manager.close();
        assertEquals("{\"version\":0,\"brokerEpoch\":42}", Files.readString(
                new File(dirs().get(0), LogDir.CLEAN_SHUTDOWN_FILE).toPath()), "Kafka's marker");
        LogManager again = new LogManager(dirs(), time, null);
        assertEquals(42, again.cleanShutdownBrokerEpoch());
        again.close(); // closed without an epoch (never registered): the markers name -1
        LogManager third = new LogManager(dirs(), time, null);
        assertEquals(-1, third.cleanShutdownBrokerEpoch());
        third.brokerEpoch(7);
        third.close();
        Files.writeString(new File(dirs().get(1), LogDir.CLEAN_SHUTDOWN_FILE).toPath(),
                "{\"version\":0,\"brokerEpoch\":8}");
        LogManager mixed = new LogManager(dirs(), time, null);
        assertEquals(-1, mixed.cleanShutdownBrokerEpoch(), "directories that disagree");
        mixed.brokerEpoch(9);
        mixed.close();
        Files.delete(new File(dirs().get(2), LogDir.CLEAN_SHUTDOWN_FILE).toPath());
        LogManager crashed = new LogManager(dirs(), time, null);
        assertEquals(-1, crashed.cleanShutdownBrokerEpoch(), "one directory without a marker: not clean");
        crashed.close();
    }

    @Test
    void anIoErrorTakesOnlyItsOwnDirectoryOfflineAndNewPartitionsAvoidIt() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        for (int p = 0; p < 3; p++) {
            manager.getOrCreate(tp(p), LogFixtures.TOPIC_ID, cfg);
        }
        PartitionLog broken = manager.get(tp(0));
        LogDir brokenDir = manager.dirOf(tp(0));
        File away = new File(root, "away");
        File partitionDir = broken.dir();
        Files.move(partitionDir.toPath(), away.toPath());
        assertThrows(IOException.class, () -> {
            for (int i = 0; i < 20; i++) {
                broken.appendAsLeader(batch(time.milliseconds(), "lost-" + i), 0);
            }
        });
        assertTrue(brokenDir.isOffline());
        for (int p = 1; p < 3; p++) {
            assertFalse(manager.dirOf(tp(p)).isOffline());
            manager.get(tp(p)).appendAsLeader(batch(time.milliseconds(), "kept-" + p), 0);
        }
        assertThrows(KafkaStorageException.class, () -> broken.appendAsLeader(batch(time.milliseconds(), "x"), 0));
        for (int p = 3; p < 7; p++) {
            manager.getOrCreate(tp(p), LogFixtures.TOPIC_ID, cfg);
            assertNotEquals(brokenDir, manager.dirOf(tp(p)), "no new partition in the offline directory");
        }
        Files.move(away.toPath(), partitionDir.toPath());
        manager.close();
        assertFalse(new File(brokenDir.logDir(), LogDir.CLEAN_SHUTDOWN_FILE).exists(), "the broken one recovers");

        LogManager again = new LogManager(dirs(), time, null);
        assertFalse(again.hadCleanShutdown());
        again.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID);
        assertEquals(List.of("kept-1"), values(LogFixtures.readAll(again.get(tp(1)), 0, 1)));
        again.close();
    }

    @Test
    void theNodeIsToldOnceWhenItsLastOnlineDirectoryGoesOffline() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
        manager.onEveryDirOffline(told::incrementAndGet);
        manager.dirs().get(0).markOffline(new IOException("disk 1 failed"));
        manager.dirs().get(1).markOffline(new IOException("disk 2 failed"));
        assertEquals(0, told.get(), "another directory still serves");
        manager.dirs().get(2).markOffline(new IOException("disk 3 failed"));
        manager.dirs().get(2).markOffline(new IOException("disk 3 failed again"));
        assertEquals(1, told.get());
    }

    @Test
    void aPartitionInTwoDirectoriesStopsTheStart() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        PartitionLog log = manager.getOrCreate(tp(0), LogFixtures.TOPIC_ID, cfg);
        File copy = new File(dirs().get(2), log.dir().getName());
        manager.close();
        copyDir(log.dir(), copy);
        LogManager again = new LogManager(dirs(), time, null);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> again.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID));
        assertTrue(e.getMessage().contains("remove the stale copy"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new LogManager(List.of(dirs().get(0), dirs().get(0)), time, null));
    }

    private static void copyDir(File from, File to) throws IOException {
        Files.createDirectories(to.toPath());
        for (File f : from.listFiles()) {
            Files.copy(f.toPath(), new File(to, f.getName()).toPath());
        }
    }

    @Test
    void highWatermarksAreCheckpointedInTheDirectoryOfTheirPartition() throws IOException {
        LogManager manager = new LogManager(dirs(), time, null);
        for (int p = 0; p < 3; p++) {
            manager.getOrCreate(tp(p), LogFixtures.TOPIC_ID, cfg);
        }
        Map<TopicPartition, Long> highWatermarks = Map.of(tp(0), 10L, tp(1), 11L, tp(2), 12L,
                new TopicPartition("gone", 0), 99L);
        manager.checkpointHighWatermarks(highWatermarks);
        for (int p = 0; p < 3; p++) {
            File logDir = manager.dirOf(tp(p)).logDir();
            assertEquals(Map.of(tp(p), 10L + p),
                    io.brook.storage.checkpoint.ReplicationOffsetCheckpoint.read(logDir), "only its own partitions");
        }
        manager.close();

        LogManager again = new LogManager(dirs(), time, null);
        again.loadLogs(topic -> cfg, topic -> LogFixtures.TOPIC_ID);
        assertEquals(Map.of(tp(0), 10L, tp(1), 11L, tp(2), 12L), again.highWatermarkCheckpoints());
        File damaged = new File(again.dirOf(tp(1)).logDir(), "replication-offset-checkpoint");
        Files.writeString(damaged.toPath(), "0\n1\nt 1\n");
        IOException e = assertThrows(IOException.class, again::highWatermarkCheckpoints);
        assertTrue(e.getMessage().contains(damaged.getPath()) && e.getMessage().contains("line 3"), e.getMessage());
        again.close();
    }
}
