package io.brook.server.partition;

import io.brook.metadata.image.PartitionImage;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.LogOffsetMetadata;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A partition hosted on this node: its log plus the replication state the metadata gives it
 * (leader, leader epoch, replicas, ISR) and the high watermark. On a single node the ISR is the
 * leader alone, so the high watermark follows the log end offset (in durable mode: the fsynced
 * end, see {@link PartitionLog#durableEnd()}).
 *
 * <p>The high watermark and last stable offset are offset-plus-position values that only move
 * forward: they are computed under this partition's watermark lock from the log's current
 * {@link PartitionLog.Tail} (published after producer state took the appended batches in), never
 * from a value read before the lock, so appends finishing out of order cannot move them back or
 * leave them below the log end. A listener hears of every advance, outside the lock.
 *
 * <p>Thread-safety: state fields are volatile and replaced whole by metadata updates; appends
 * are serialized by the log; the watermarks are one volatile snapshot written under the lock.
 */
public final class Partition {
    /** How long a coordinator write waits for its fsync in durable mode before it fails. */
    private static final long COORDINATOR_DURABLE_WAIT_MS = 30_000;
    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final PartitionLog log;
    private final int localNodeId;
    private volatile PartitionImage state;
    private final Object watermarkLock = new Object();
    /** Written under {@link #watermarkLock} only; both parts only move forward. */
    private volatile Watermarks watermarks;
    private volatile Consumer<TopicPartition> highWatermarkListener = tp -> { };
    /** Runs between reading the log's tail and publishing watermarks from it; tests widen race windows here. */
    private volatile Runnable watermarkProbe = () -> { };

    /** The high watermark and the last stable offset (at most the high watermark), read together. */
    public record Watermarks(LogOffsetMetadata highWatermark, LogOffsetMetadata lastStable) {
    }

    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, PartitionImage state,
                     int localNodeId) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
        this.state = state;
        this.localNodeId = localNodeId;
        LogOffsetMetadata start = log.config().durableAppend() ? log.durableEnd() : log.logEndOffsetMetadata();
        this.watermarks = new Watermarks(start, lastStable(start, log.tail(), null));
    }

    public void update(PartitionImage newState) {
        this.state = newState;
        maybeAdvanceHighWatermark();
    }

    /**
     * Sets what is called, outside any lock and on the thread that moved it (an appender's or, in
     * durable mode, the flusher's), after every advance of the high watermark; it must not block.
     */
    public void onHighWatermarkAdvanced(Consumer<TopicPartition> listener) {
        this.highWatermarkListener = listener;
    }

    public boolean isLeader() {
        return state.leader() == localNodeId;
    }

    /**
     * Appends client batches as leader.
     *
     * @param requiredAcks -1 (all), 0 or 1
     */
    public AppendResult appendAsLeader(MemoryRecords records, short requiredAcks) throws IOException {
        PartitionImage s = leaderState(requiredAcks);
        AppendResult result = log.appendAsLeader(records, s.leaderEpoch());
        afterAppend(result.lastOffset(), result.duplicate());
        return result;
    }

    /** Appends batches a coordinator wrote (offset commits, transactional or not), with acks=all. */
    public AppendResult appendAsCoordinator(MemoryRecords records) throws IOException {
        PartitionImage s = leaderState((short) -1);
        AppendResult result = log.appendAsCoordinator(records, s.leaderEpoch());
        afterAppend(result.lastOffset(), result.duplicate());
        awaitDurable(result.lastOffset());
        return result;
    }

    /** Appends a transaction marker (WriteTxnMarkers); returns its offset. */
    public long appendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit)
            throws IOException {
        PartitionImage s = leaderState((short) -1);
        long offset = log.appendMarker(producerId, producerEpoch, coordinatorEpoch, commit, s.leaderEpoch());
        afterAppend(offset, false);
        awaitDurable(offset);
        return offset;
    }

    private PartitionImage leaderState(short requiredAcks) {
        PartitionImage s = state;
        if (s.leader() != localNodeId) {
            throw new NotLeaderOrFollowerException("Node " + localNodeId + " is not the leader of " + topicPartition);
        }
        int minIsr = log.config().minInSyncReplicas();
        if (requiredAcks == -1 && s.isr().size() < minIsr) {
            throw new NotEnoughReplicasException("The in-sync replicas of " + topicPartition + " " + s.isr()
                    + " are fewer than min.insync.replicas=" + minIsr);
        }
        return s;
    }

    private void afterAppend(long lastOffset, boolean duplicate) {
        if (log.config().durableAppend()) {
            whenDurable(lastOffset); // the high watermark moves when the flusher has fsynced the batch
        } else {
            maybeAdvanceHighWatermark();
        }
    }

    /** Test seam: see {@link #watermarkProbe}. */
    void watermarkProbe(Runnable probe) {
        this.watermarkProbe = probe;
    }

    /**
     * Coordinator writes (offset commits, transaction state, markers) answer their callers only
     * once durable in durable mode; the fsync runs on the flusher, this thread waits for it.
     */
    private void awaitDurable(long lastOffset) throws IOException {
        if (!log.config().durableAppend()) {
            return;
        }
        try {
            whenDurable(lastOffset).get(COORDINATOR_DURABLE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the fsync of " + topicPartition);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new KafkaStorageException("fsync of " + topicPartition + " failed",
                    e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaStorageException("fsync of " + topicPartition
                    + " took longer than " + COORDINATOR_DURABLE_WAIT_MS + " ms");
        }
    }

    /**
     * Completes once {@code lastOffset} may be acknowledged: at once unless the log is in durable
     * mode, where it completes after the flusher fsynced it and the high watermark moved past it
     * (a retried duplicate waits for its original's fsync the same way).
     */
    public CompletableFuture<Void> whenDurable(long lastOffset) {
        if (!log.config().durableAppend()) {
            return CompletableFuture.completedFuture(null);
        }
        return log.whenDurable(lastOffset).thenRun(this::maybeAdvanceHighWatermark);
    }

    /**
     * With the leader as the only in-sync replica the high watermark is the log end (the fsynced
     * end in durable mode). Reads the log's tail under the lock, so the value it sets is never
     * older than one set before, and moves forward only.
     */
    private void maybeAdvanceHighWatermark() {
        boolean advanced = false;
        synchronized (watermarkLock) {
            PartitionImage s = state;
            if (s.isr().size() != 1 || s.isr().get(0) != localNodeId) {
                return;
            }
            PartitionLog.Tail tail = log.tail();
            watermarkProbe.run();
            LogOffsetMetadata target = tail.end();
            if (log.config().durableAppend()) {
                LogOffsetMetadata durable = log.durableEnd();
                if (durable.offset() < target.offset()) {
                    target = durable;
                }
            }
            Watermarks current = watermarks;
            LogOffsetMetadata highWatermark = target.offset() > current.highWatermark().offset()
                    ? target : current.highWatermark();
            LogOffsetMetadata lastStable = lastStable(highWatermark, tail, current.lastStable());
            if (highWatermark != current.highWatermark() || lastStable != current.lastStable()) {
                advanced = highWatermark != current.highWatermark();
                watermarks = new Watermarks(highWatermark, lastStable);
            }
        }
        if (advanced) {
            highWatermarkListener.accept(topicPartition);
        }
    }

    /**
     * The last stable offset for {@code highWatermark}: the first offset of the earliest open
     * transaction when that is below it, else the high watermark; never below {@code previous}.
     */
    private LogOffsetMetadata lastStable(LogOffsetMetadata highWatermark, PartitionLog.Tail tail,
                                         LogOffsetMetadata previous) {
        LogOffsetMetadata stable = highWatermark;
        LogOffsetMetadata unstable = tail.firstUnstable();
        if (unstable != null && unstable.offset() < highWatermark.offset()) {
            long logStart = log.logStartOffset();
            stable = unstable.offset() >= logStart ? unstable : new LogOffsetMetadata(logStart, -1, -1);
        }
        if (previous != null && previous.offset() >= stable.offset()) {
            return previous;
        }
        return stable;
    }

    /**
     * Checks a client's view of the leader epoch: FENCED_LEADER_EPOCH if it is older than ours,
     * UNKNOWN_LEADER_EPOCH if newer; -1 skips the check.
     */
    public void throwIfEpochMismatch(int clientEpoch) {
        int epoch = state.leaderEpoch();
        if (clientEpoch == -1 || clientEpoch == epoch) {
            return;
        }
        if (clientEpoch < epoch) {
            throw new FencedLeaderEpochException("Leader epoch " + clientEpoch + " of " + topicPartition
                    + " is older than the current " + epoch);
        }
        throw new UnknownLeaderEpochException("Leader epoch " + clientEpoch + " of " + topicPartition
                + " is newer than the current " + epoch);
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public PartitionLog log() {
        return log;
    }

    public PartitionImage state() {
        return state;
    }

    public int leaderEpoch() {
        return state.leaderEpoch();
    }

    public long highWatermark() {
        return watermarks.highWatermark().offset();
    }

    /** The last stable offset: the high watermark, or the first offset of an open transaction below it. */
    public long lastStableOffset() {
        return watermarks.lastStable().offset();
    }

    /** Both watermarks, with their positions, from one snapshot. */
    public Watermarks watermarks() {
        return watermarks;
    }

    public List<Integer> replicas() {
        return state.replicas();
    }
}
