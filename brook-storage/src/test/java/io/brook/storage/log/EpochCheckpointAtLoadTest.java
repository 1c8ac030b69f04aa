package io.brook.storage.log;

import io.brook.storage.epoch.LeaderEpochCache;
import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.brook.storage.log.LogFixtures.config;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Loading an empty partition drops its epoch-0 entry (it starts at the log end) and the leadership
 * assigns it again: the checkpoint file is not rewritten for that (two renames per partition per start).
 */
class EpochCheckpointAtLoadTest {
    @TempDir
    File dir;

    @Test
    void reopeningAnEmptyLedLogLeavesItsEpochCheckpointAlone() throws IOException {
        ManualTime time = new ManualTime(1_000_000L);
        try (PartitionLog log = LogFixtures.open(dir, config(Map.of()), time)) {
            log.epochCache().assign(0, 0);
        }
        Path file = new File(new File(dir, PartitionLog.dirName(LogFixtures.TP)), LeaderEpochCache.FILE_NAME).toPath();
        // the same entries spelt in a way the cache never writes: a rewrite shows as a change of text
        String odd = Files.readString(file).replace(" ", "   ");
        Files.writeString(file, odd);

        try (PartitionLog log = LogFixtures.reopen(dir, config(Map.of()), time, 0L, true)) {
            assertEquals(List.of(), log.epochCache().entries(), "an entry at the log end is dropped at load");
            log.epochCache().assign(0, 0); // led again in the same epoch
            assertEquals(odd, Files.readString(file), "the file held this entry already");
            assertEquals(List.of(new EpochEntry(0, 0)), log.epochCache().entries());
        }
    }
}
