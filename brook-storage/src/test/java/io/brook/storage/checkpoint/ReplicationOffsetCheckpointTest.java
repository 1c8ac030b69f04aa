package io.brook.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code replication-offset-checkpoint} file: Kafka's text format, strict reading, atomic replacement. */
class ReplicationOffsetCheckpointTest {
    @TempDir
    File dir;

    private final Map<TopicPartition, Long> highWatermarks = Map.of(
            new TopicPartition("orders", 0), 42L,
            new TopicPartition("orders", 11), 0L,
            new TopicPartition("__consumer_offsets", 7), 1_234_567_890_123L,
            new TopicPartition("a.b_c-d", 3), 5L);

    private File file() {
        return new File(dir, ReplicationOffsetCheckpoint.FILE_NAME);
    }

    @Test
    void writtenHighWatermarksReadBackInKafkasFormat() throws IOException {
        ReplicationOffsetCheckpoint.write(dir, highWatermarks);
        assertEquals(highWatermarks, ReplicationOffsetCheckpoint.read(dir));
        List<String> lines = Files.readAllLines(file().toPath(), StandardCharsets.UTF_8);
        assertEquals("0", lines.get(0), "version");
        assertEquals("4", lines.get(1), "entry count");
        assertEquals(Set.of("orders 0 42", "orders 11 0", "__consumer_offsets 7 1234567890123", "a.b_c-d 3 5"),
                new HashSet<>(lines.subList(2, lines.size())));
        ReplicationOffsetCheckpoint.write(dir, Map.of());
        assertEquals(Map.of(), ReplicationOffsetCheckpoint.read(dir));
        assertEquals(List.of("0", "0"), Files.readAllLines(file().toPath()));
    }

    @Test
    void aMissingFileHasNoHighWatermarks() throws IOException {
        assertEquals(Map.of(), ReplicationOffsetCheckpoint.read(dir));
        assertFalse(file().exists(), "reading creates nothing");
    }

    @Test
    void aMalformedFileIsRefusedNamingTheFileAndLine() throws IOException {
        assertMalformed("", "line 1");
        assertMalformed("1\n1\nt 0 5\n", "line 1");
        assertMalformed("0\n", "line 2");
        assertMalformed("0\nmany\nt 0 5\n", "line 2");
        assertMalformed("0\n-1\n", "line 2");
        assertMalformed("0\n1\nt 0\n", "line 3");
        assertMalformed("0\n2\nt 0 5\nt x 6\n", "line 4");
        assertMalformed("0\n1\nt 0 five\n", "line 3");
        assertMalformed("0\n1\nt -1 5\n", "line 3");
        assertMalformed("0\n2\nt 0 5\nt 0 6\n", "line 4");       // the same partition twice
        assertMalformed("0\n3\nt 0 5\nt 1 6\n", "line 5");       // fewer entries than counted
        assertMalformed("0\n1\nt 0 5\nt 1 6\n", "line 4");       // more entries than counted
        // what Kafka writes, a trailing blank line included, is read
        Files.writeString(file().toPath(), "0\n2\nt 0 5\nt 1 6\n\n");
        assertEquals(Map.of(new TopicPartition("t", 0), 5L, new TopicPartition("t", 1), 6L),
                ReplicationOffsetCheckpoint.read(dir));
    }

    private void assertMalformed(String content, String line) throws IOException {
        Files.writeString(file().toPath(), content);
        IOException e = assertThrows(IOException.class, () -> ReplicationOffsetCheckpoint.read(dir),
                () -> "'" + content + "' was read");
        assertTrue(e.getMessage().contains(file().getPath()), e.getMessage());
        assertTrue(e.getMessage().contains(line + ":"), "expected " + line + " in: " + e.getMessage());
    }

    /** A write that fails half way (here: the map fails while being written out) leaves the old file whole. */
    @Test
    void aWriteReplacesTheFileAtomically() throws IOException {
        ReplicationOffsetCheckpoint.write(dir, highWatermarks);
        byte[] before = Files.readAllBytes(file().toPath());
        Map<TopicPartition, Long> failing = failsAfterOneEntry(Map.of(new TopicPartition("new", 0), 1L,
                new TopicPartition("new", 1), 2L));
        assertThrows(IllegalStateException.class, () -> ReplicationOffsetCheckpoint.write(dir, failing));
        assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(file().toPath()),
                "the old checkpoint is intact");
        assertEquals(highWatermarks, ReplicationOffsetCheckpoint.read(dir));
        // the next write replaces it, the temporary file of the failed one notwithstanding
        ReplicationOffsetCheckpoint.write(dir, Map.of(new TopicPartition("new", 0), 1L));
        assertEquals(Map.of(new TopicPartition("new", 0), 1L), ReplicationOffsetCheckpoint.read(dir));
        File[] files = dir.listFiles();
        assertEquals(1, files == null ? -1 : files.length, "no temporary file is left: " + List.of(files));
    }

    private static Map<TopicPartition, Long> failsAfterOneEntry(Map<TopicPartition, Long> entries) {
        return new AbstractMap<>() {
            @Override
            public Set<Entry<TopicPartition, Long>> entrySet() {
                return new AbstractSet<>() {
                    @Override
                    public Iterator<Entry<TopicPartition, Long>> iterator() {
                        Iterator<Entry<TopicPartition, Long>> it = entries.entrySet().iterator();
                        return new Iterator<>() {
                            int given;

                            @Override
                            public boolean hasNext() {
                                return it.hasNext();
                            }

                            @Override
                            public Entry<TopicPartition, Long> next() {
                                if (given++ == 1) {
                                    throw new IllegalStateException("the disk filled up");
                                }
                                return it.next();
                            }
                        };
                    }

                    @Override
                    public int size() {
                        return entries.size();
                    }
                };
            }
        };
    }
}
