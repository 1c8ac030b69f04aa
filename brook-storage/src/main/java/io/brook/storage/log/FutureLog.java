package io.brook.storage.log;

import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;

/**
 * The future replica of a partition being moved to another log directory of this node
 * (AlterReplicaLogDirs, KIP-113): a copy in {@code <topic>-<partition>.<id>-future} of the target
 * directory that catches up with the current log in the background, batch for batch through the
 * follower append path (so offsets, epochs, producer state and transaction indexes come out as on
 * the current log), until {@link LogManager#promote} swaps it in.
 *
 * <p>Thread-safety: {@link #copy} runs on one thread (the mover) at a time; the lag and the target are
 * safe to read from any thread.
 */
public final class FutureLog {
    private final TopicPartition topicPartition;
    private final LogDir target;
    private final PartitionLog source;
    private final PartitionLog log;
    /** Bytes appended to the copy so far (what a throttle counts). */
    private final java.util.concurrent.atomic.AtomicLong copiedBytes = new java.util.concurrent.atomic.AtomicLong();

    FutureLog(TopicPartition topicPartition, LogDir target, PartitionLog source, PartitionLog log) {
        this.topicPartition = topicPartition;
        this.target = target;
        this.source = source;
        this.log = log;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    /** The directory the partition moves to. */
    public LogDir target() {
        return target;
    }

    /** The current log the copy follows. */
    public PartitionLog source() {
        return source;
    }

    /** The copy itself. */
    public PartitionLog log() {
        return log;
    }

    /** The bytes this move has copied since it started or resumed (the copy rate's throttle counts them). */
    public long copiedBytes() {
        return copiedBytes.get();
    }

    /** Kafka's offset lag of a future replica: how many offsets the copy is behind the current log. */
    public long offsetLag() {
        return Math.max(0, source.logEndOffset() - log.logEndOffset());
    }

    /**
     * Copies at most about {@code maxBytes} of the current log (at least one batch) to the copy. First
     * drops what the copy holds that the current log no longer has (a follower truncation, found by
     * leader epochs as a follower finds it) and restarts the copy at the log start when retention or
     * DeleteRecords moved it past the copy's end.
     *
     * @return true when the copy has reached the current log's end
     */
    boolean copy(int maxBytes) throws IOException {
        reconcile();
        long end = log.logEndOffset();
        long sourceEnd = source.logEndOffset();
        if (end >= sourceEnd) {
            return true;
        }
        Records chunk = source.read(end, maxBytes, sourceEnd, true);
        MemoryRecords records = toMemory(chunk);
        if (records.sizeInBytes() > 0) {
            log.appendAsFollower(records);
            copiedBytes.addAndGet(records.sizeInBytes());
        }
        return log.logEndOffset() >= source.logEndOffset();
    }

    /** Brings the copy in line with the current log's start and truncations before copying on. */
    private void reconcile() throws IOException {
        long end = log.logEndOffset();
        long sourceStart = source.logStartOffset();
        if (end < sourceStart) {
            // the copy has nothing the current log still holds: start it where the current log's first batch is
            long base = firstBatchBase(sourceStart);
            log.truncateFullyAndStartAt(base);
        } else {
            int epoch = log.latestEpoch();
            if (epoch >= 0) {
                EpochEntry there = source.epochCache().endOffsetFor(epoch, source.logEndOffset());
                // the entry's second field is where that epoch ends in the current log
                long keep = there.epoch() < 0 ? source.logEndOffset() : there.startOffset();
                if (keep < log.logEndOffset()) {
                    log.truncateTo(keep);
                }
            } else if (end > source.logEndOffset()) {
                log.truncateTo(source.logEndOffset());
            }
        }
        if (source.logStartOffset() > log.logStartOffset() && log.logEndOffset() >= source.logStartOffset()) {
            log.advanceLogStartOffset(source.logStartOffset());
        }
    }

    private long firstBatchBase(long from) throws IOException {
        if (from >= source.logEndOffset()) {
            return from;
        }
        Iterator<? extends RecordBatch> it = source.read(from, 1, source.logEndOffset(), true).batches().iterator();
        return it.hasNext() ? it.next().baseOffset() : from;
    }

    /** The bytes of a read as records in memory (a read from a segment is a slice of its file, read here batch by batch). */
    static MemoryRecords toMemory(Records records) throws IOException {
        if (records instanceof MemoryRecords memory) {
            return memory;
        }
        if (records.sizeInBytes() == 0) {
            return MemoryRecords.EMPTY;
        }
        ByteBuffer buffer = ByteBuffer.allocate(records.sizeInBytes());
        for (RecordBatch batch : records.batches()) {
            batch.writeTo(buffer);
        }
        buffer.flip();
        return MemoryRecords.readableRecords(buffer);
    }

    /** {@code <topic>-<partition>.<32 hex digits>-future}, as Kafka names a future replica's directory. */
    static String dirName(TopicPartition tp) {
        return PartitionLog.dirName(tp) + "." + java.util.UUID.randomUUID().toString().replace("-", "")
                + LogDir.FUTURE_DIR_SUFFIX;
    }

    /** The partition a future replica's directory holds, or null when {@code name} is not one. */
    static TopicPartition parseDirName(String name) {
        if (!name.endsWith(LogDir.FUTURE_DIR_SUFFIX)) {
            return null;
        }
        String rest = name.substring(0, name.length() - LogDir.FUTURE_DIR_SUFFIX.length());
        int dot = rest.lastIndexOf('.');
        return dot <= 0 ? null : LogDir.parseDirName(rest.substring(0, dot));
    }

    File dir() {
        return log.dir();
    }
}
