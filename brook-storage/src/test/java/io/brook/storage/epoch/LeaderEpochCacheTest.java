package io.brook.storage.epoch;

import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LeaderEpochCache}: the checkpoint file is replaced only when its entries change. */
class LeaderEpochCacheTest {
    @TempDir
    File dir;

    private String fileText() throws IOException {
        return Files.readString(new File(dir, LeaderEpochCache.FILE_NAME).toPath());
    }

    /** The same entries in a spelling this class never writes: a rewrite shows as a change of text. */
    private String respell() throws IOException {
        String odd = fileText().replace(" ", "   ");
        Files.writeString(new File(dir, LeaderEpochCache.FILE_NAME).toPath(), odd);
        return odd;
    }

    @Test
    void aLoadOfAnEmptyLogThenTheSameLeaderEpochLeavesTheFileAlone() throws IOException {
        new LeaderEpochCache(dir).assign(0, 0);
        String written = respell();

        LeaderEpochCache loaded = new LeaderEpochCache(dir);
        assertTrue(loaded.truncateFromEndUnflushed(0), "the entry at the log end is dropped at load");
        assertEquals(List.of(), loaded.entries());
        loaded.assign(0, 0);
        loaded.flush();

        assertEquals(written, fileText(), "the file held these entries already: not rewritten");
        assertEquals(List.of(new EpochEntry(0, 0)), new LeaderEpochCache(dir).entries());
    }

    @Test
    void aLoadTruncationIsWrittenByFlushOrByTheNextChangeAndRepeatsAfterACrash() throws IOException {
        LeaderEpochCache first = new LeaderEpochCache(dir);
        first.assign(0, 0);
        first.assign(3, 10);

        LeaderEpochCache loaded = new LeaderEpochCache(dir);
        assertTrue(loaded.truncateFromEndUnflushed(10));
        // a crash now: the file still has epoch 3, and the next load drops it again
        LeaderEpochCache afterCrash = new LeaderEpochCache(dir);
        assertEquals(2, afterCrash.entries().size());
        assertTrue(afterCrash.truncateFromEndUnflushed(10));
        assertEquals(afterCrash.entries(), loaded.entries());

        String before = fileText();
        loaded.flush();
        assertNotEquals(before, fileText());
        assertEquals(List.of(new EpochEntry(0, 0)), new LeaderEpochCache(dir).entries());
        assertFalse(new LeaderEpochCache(dir).truncateFromEndUnflushed(10), "nothing left to drop");

        loaded.assign(4, 10); // a change writes every entry
        assertEquals(List.of(new EpochEntry(0, 0), new EpochEntry(4, 10)), new LeaderEpochCache(dir).entries());
    }

    @Test
    void aMissingFileIsWrittenEvenWhenEmpty() throws IOException {
        LeaderEpochCache cache = new LeaderEpochCache(dir);
        cache.clearAndFlush();
        assertTrue(new File(dir, LeaderEpochCache.FILE_NAME).exists());
    }
}
