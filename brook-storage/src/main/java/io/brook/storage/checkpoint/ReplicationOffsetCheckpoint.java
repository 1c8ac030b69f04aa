package io.brook.storage.checkpoint;

import org.apache.kafka.common.TopicPartition;

import java.io.File;
import java.io.IOException;
import java.util.Map;

/**
 * Kafka's {@code replication-offset-checkpoint}: the high watermark of each partition of one log
 * directory, in the {@link OffsetCheckpointFile} format (version 0, entry count, then
 * {@code topic partition offset} lines), so a restarted broker starts its partitions from the high
 * watermarks it had instead of from 0. Written atomically (temporary file, fsync, rename, directory
 * fsync); read strictly: a malformed file is an {@link IOException} naming the file and the line.
 *
 * <p>Thread-safety: the static methods do not serialize writers of one directory; the
 * {@code LogManager} writes each directory's file under that directory's lock.
 */
public final class ReplicationOffsetCheckpoint {
    public static final String FILE_NAME = "replication-offset-checkpoint";

    private ReplicationOffsetCheckpoint() {
    }

    /** The checkpoint file of {@code logDir}. */
    public static OffsetCheckpointFile in(File logDir) {
        return new OffsetCheckpointFile(new File(logDir, FILE_NAME));
    }

    /** The high watermarks checkpointed in {@code logDir}; empty when there is no file. */
    public static Map<TopicPartition, Long> read(File logDir) throws IOException {
        return in(logDir).readStrict();
    }

    /** Replaces {@code logDir}'s checkpoint with {@code highWatermarks}. */
    public static void write(File logDir, Map<TopicPartition, Long> highWatermarks) throws IOException {
        in(logDir).write(highWatermarks);
    }
}
