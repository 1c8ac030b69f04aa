package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.batch;
import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogManagerTest {
    @TempDir
    File dir;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    @Test
    void anIoErrorInOneLogTakesTheWholeDirectoryOfflineAndSkipsTheCleanShutdownMarker() throws IOException {
        LogManager manager = new LogManager(dir, time, null);
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
        assertFalse(new File(dir, LogManager.CLEAN_SHUTDOWN_FILE).exists(), "the next start recovers the logs");
    }
}
