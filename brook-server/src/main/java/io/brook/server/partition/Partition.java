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
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * A partition hosted on this node: its log plus the replication state the metadata gives it
 * (leader, leader epoch, replicas, ISR) and the high watermark.
 *
 * <p>As leader it tracks its followers ({@link ReplicaTracker}): the high watermark is the smallest log end of
 * the in-sync replicas (the leader's own is its fsynced end in durable mode, see
 * {@link PartitionLog#durableEnd()}); with the leader as the only replica it follows the log end. It proposes ISR
 * changes through {@link ReplicationContext#proposeIsr}: a follower that fell behind for
 * {@code replica.lag.time.max.ms} leaves, one that caught up joins. As follower it appends the leader's batches
 * as they are and takes the leader's high watermark, capped at its own log end.
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
    /** Replaced only by {@link #replaceLog} (a move to another log directory), under the role write lock. */
    private volatile PartitionLog log;
    private final int localNodeId;
    private volatile PartitionImage state;
    private final Object watermarkLock = new Object();
    /** Written under {@link #watermarkLock} only; both parts only move forward. */
    private volatile Watermarks watermarks;
    private volatile Consumer<TopicPartition> highWatermarkListener = tp -> { };
    /** Runs between reading the log's tail and publishing watermarks from it; tests widen race windows here. */
    private volatile Runnable watermarkProbe = () -> { };
    private final ReplicationContext replication;
    /**
     * Kafka's leaderIsrUpdateLock: {@link #update} changes the role under the write lock; appends (as leader or
     * follower) and truncations run under the read lock after checking the role and epoch they were meant for, so
     * a fetcher or appender that acted on an older state can never write into the new one.
     */
    private final ReentrantReadWriteLock roleLock = new ReentrantReadWriteLock();
    /** The leader's view of its followers while this node leads; null as follower. Guarded by {@link #watermarkLock}. */
    private ReplicaTracker tracker;
    /** The log end when this node became leader in its current epoch (an ISR joiner must reach it). */
    private volatile long leaderEpochStartOffset;

    /**
     * What a partition needs from its node to replicate: the clock, the lag limit, which brokers may be in an ISR
     * now, and where ISR changes go (the controller). Calls come outside this partition's locks.
     */
    public interface ReplicationContext {
        ReplicationContext SINGLE_NODE = new ReplicationContext() {
        };

        default long nowMs() {
            return System.currentTimeMillis();
        }

        /** Kafka's {@code replica.lag.time.max.ms}. */
        default long replicaLagTimeMaxMs() {
            return 30_000;
        }

        /** Whether {@code brokerId} is registered, unfenced and not shutting down. */
        default boolean mayJoinIsr(int brokerId) {
            return false;
        }

        /**
         * Sends an ISR change for {@code state} (this leader's view) to the controller; when it is refused the context
         * calls {@link Partition#isrChangeFailed}, when no answer comes {@link Partition#isrChangeUnanswered}, when it
         * is applied the metadata brings the new state.
         */
        default void proposeIsr(Partition partition, PartitionImage state, List<Integer> newIsr) {
            partition.isrChangeFailed(state.leaderEpoch(), newIsr);
        }
    }

    /** The high watermark and the last stable offset (at most the high watermark), read together. */
    public record Watermarks(LogOffsetMetadata highWatermark, LogOffsetMetadata lastStable) {
    }

    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, PartitionImage state,
                     int localNodeId) {
        this(topicPartition, topicId, log, state, localNodeId, ReplicationContext.SINGLE_NODE, -1);
    }

    /**
     * @param checkpointedHighWatermark the high watermark the node last wrote for this partition, -1 if none; a
     *     replicated partition starts from it (never above its log end), a single-replica one from its log end
     */
    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, PartitionImage state,
                     int localNodeId, ReplicationContext replication, long checkpointedHighWatermark) {
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
        this.state = state;
        this.localNodeId = localNodeId;
        this.replication = replication;
        LogOffsetMetadata start = log.config().durableAppend() ? log.durableEnd() : log.logEndOffsetMetadata();
        if (state.replicas().size() > 1) {
            long hw = Math.min(Math.max(checkpointedHighWatermark, log.logStartOffset()), start.offset());
            start = hw == start.offset() ? start : new LogOffsetMetadata(hw, -1, -1);
        }
        this.watermarks = new Watermarks(start, lastStable(start, log.tail(), null));
        update(state);
    }

    /**
     * Takes the metadata's state of this partition. Becoming leader (or a new leader epoch) starts a fresh view of
     * the followers, every one of them unknown until it fetches, and records the epoch's start in the log's epoch
     * cache; staying leader takes the new ISR; becoming follower drops the view.
     */
    public void update(PartitionImage newState) {
        boolean roleChanged;
        roleLock.writeLock().lock();
        try {
            PartitionImage old = state;
            roleChanged = old.leader() != newState.leader() || old.leaderEpoch() != newState.leaderEpoch();
            boolean becomesLeader = newState.leader() == localNodeId
                    && (tracker == null || old.leader() != localNodeId || old.leaderEpoch() != newState.leaderEpoch());
            if (becomesLeader) {
                // the epoch's start is recorded before any follower fetch can see the new leadership
                leaderEpochStartOffset = log.logEndOffset();
                if (newState.leaderEpoch() > log.latestEpoch()) {
                    try {
                        log.epochCache().assign(newState.leaderEpoch(), leaderEpochStartOffset);
                    } catch (IOException e) {
                        throw new KafkaStorageException("Cannot record leader epoch " + newState.leaderEpoch()
                                + " of " + topicPartition, e);
                    }
                }
            }
            synchronized (watermarkLock) {
                state = newState;
                if (newState.leader() != localNodeId) {
                    tracker = null;
                } else if (becomesLeader) {
                    tracker = new ReplicaTracker(localNodeId, newState.replicas(), newState.isr(),
                            replication.nowMs());
                } else {
                    if (!newState.replicas().equals(tracker.replicas())) {
                        tracker.replicasChanged(newState.replicas()); // a reassignment adds followers in this epoch
                    }
                    if (newState.partitionEpoch() != old.partitionEpoch()) {
                        tracker.committed(newState.isr()); // the same state again settles no change in flight
                    }
                }
            }
        } finally {
            roleLock.writeLock().unlock();
        }
        maybeAdvanceHighWatermark();
        if (roleChanged) {
            highWatermarkListener.accept(topicPartition); // parked produces and fetches of the old role answer now
        }
    }

    /**
     * Sets what is called, outside any lock and on the thread that moved it (an appender's, a fetching follower's
     * or, in durable mode, the flusher's), after every advance of the high watermark, and after every leader
     * append of a replicated partition (followers wait for data in the fetch purgatory); it must not block.
     */
    public void onHighWatermarkAdvanced(Consumer<TopicPartition> listener) {
        this.highWatermarkListener = listener;
    }

    public boolean isLeader() {
        return state.leader() == localNodeId;
    }

    /**
     * Whether this node leads and its high watermark is still below the log end it had when its leader epoch began:
     * just elected, it has not yet seen its ISR reach that point, so it knows less than the old leader may have told
     * clients (Kafka answers their latest-offset queries OFFSET_NOT_AVAILABLE then).
     */
    public boolean highWatermarkBelowEpochStart() {
        return isLeader() && highWatermark() < leaderEpochStartOffset;
    }

    /**
     * Appends client batches as leader.
     *
     * @param requiredAcks -1 (all), 0 or 1
     */
    public AppendResult appendAsLeader(MemoryRecords records, short requiredAcks) throws IOException {
        AppendResult result;
        roleLock.readLock().lock();
        try {
            PartitionImage s = leaderState(requiredAcks);
            result = log.appendAsLeader(records, s.leaderEpoch());
        } finally {
            roleLock.readLock().unlock();
        }
        afterAppend(result.lastOffset(), result.duplicate());
        return result;
    }

    /** Appends batches a coordinator wrote (offset commits, transactional or not), with acks=all. */
    public AppendResult appendAsCoordinator(MemoryRecords records) throws IOException {
        AppendResult result;
        roleLock.readLock().lock();
        try {
            PartitionImage s = leaderState((short) -1);
            result = log.appendAsCoordinator(records, s.leaderEpoch());
        } finally {
            roleLock.readLock().unlock();
        }
        afterAppend(result.lastOffset(), result.duplicate());
        awaitDurable(result.lastOffset());
        return result;
    }

    /** Appends a transaction marker (WriteTxnMarkers); returns its offset. */
    public long appendMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit)
            throws IOException {
        long offset;
        roleLock.readLock().lock();
        try {
            PartitionImage s = leaderState((short) -1);
            offset = log.appendMarker(producerId, producerEpoch, coordinatorEpoch, commit, s.leaderEpoch());
        } finally {
            roleLock.readLock().unlock();
        }
        afterAppend(offset, false);
        awaitDurable(offset);
        return offset;
    }

    private PartitionImage leaderState(short requiredAcks) {
        PartitionImage s = state;
        if (s.leader() != localNodeId) {
            throw new NotLeaderOrFollowerException("Node " + localNodeId + " is not the leader of " + topicPartition);
        }
        int minIsr = effectiveMinIsr(s);
        if (requiredAcks == -1 && s.isr().size() < minIsr) {
            throw new NotEnoughReplicasException("The in-sync replicas of " + topicPartition + " " + s.isr()
                    + " are fewer than min.insync.replicas=" + minIsr);
        }
        return s;
    }

    /**
     * {@code min.insync.replicas} capped at the replica count, as Kafka 4 counts it: a one-replica topic takes
     * acks=all whatever its minimum says.
     */
    private int effectiveMinIsr(PartitionImage s) {
        return Math.min(log.config().minInSyncReplicas(), s.replicas().size());
    }

    /**
     * Whether this node leads with fewer in-sync replicas (as committed) than {@link #effectiveMinIsr}: its high
     * watermark then stays where it is (Kafka 4's rule, KIP-966), so a record only a minority holds is never
     * shown to consumers, and acks=all batches replicated before the ISR shrank answer NOT_ENOUGH_REPLICAS_AFTER_APPEND.
     */
    public boolean isUnderMinIsr() {
        PartitionImage s = state;
        return s.leader() == localNodeId && s.isr().size() < effectiveMinIsr(s);
    }

    private void afterAppend(long lastOffset, boolean duplicate) {
        if (log.config().durableAppend()) {
            whenDurable(lastOffset); // the high watermark moves when the flusher has fsynced the batch
        } else {
            maybeAdvanceHighWatermark();
        }
        if (state.replicas().size() > 1) {
            highWatermarkListener.accept(topicPartition); // followers parked in the fetch purgatory have data now
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
     * As leader, moves the high watermark to the smallest log end of the replicas that count for it (see
     * {@link ReplicaTracker#highWatermarkBound}; the leader's own is the fsynced end in durable mode), unless the
     * ISR is below its minimum ({@link #isUnderMinIsr}). Reads the
     * log's tail under the lock, so the value it sets is never older than one set before, and moves forward
     * only. A follower's high watermark comes from its leader ({@link #appendAsFollower}).
     */
    private void maybeAdvanceHighWatermark() {
        boolean advanced = false;
        synchronized (watermarkLock) {
            ReplicaTracker t = tracker;
            if (t == null || isUnderMinIsr()) {
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
            long bound = t.highWatermarkBound(target.offset(), replication.nowMs(),
                    replication.replicaLagTimeMaxMs(), replication::mayJoinIsr);
            if (bound < target.offset()) {
                target = new LogOffsetMetadata(bound, -1, -1); // a follower's offset: its file position is not known
            }
            advanced = publish(target, tail);
        }
        if (advanced) {
            highWatermarkListener.accept(topicPartition);
        }
    }

    /** Sets the high watermark to {@code target} if that is ahead, and the last stable offset with it; under the lock. */
    private boolean publish(LogOffsetMetadata target, PartitionLog.Tail tail) {
        Watermarks current = watermarks;
        LogOffsetMetadata highWatermark = target.offset() > current.highWatermark().offset()
                ? target : current.highWatermark();
        LogOffsetMetadata lastStable = lastStable(highWatermark, tail, current.lastStable());
        if (highWatermark != current.highWatermark() || lastStable != current.lastStable()) {
            watermarks = new Watermarks(highWatermark, lastStable);
            return highWatermark != current.highWatermark();
        }
        return false;
    }

    // ------------------------------------------------------------------ leader: followers and the ISR

    /**
     * A follower fetched from {@code fetchOffset}: records its progress, moves the high watermark if it can, and
     * proposes adding the follower to the ISR once it caught up. False when this node does not lead the partition,
     * {@code replicaId} is not one of its replicas, or the fetch carries a broker epoch older than the replica's last.
     */
    public boolean onFollowerFetch(int replicaId, long fetchOffset, long brokerEpoch, int currentLeaderEpoch) {
        List<Integer> expanded;
        PartitionImage proposedFor;
        synchronized (watermarkLock) {
            throwIfEpochMismatch(currentLeaderEpoch); // against the state this fetch is recorded in
            ReplicaTracker t = tracker;
            if (t == null || !t.isReplica(replicaId) || replicaId == localNodeId) {
                return false;
            }
            if (fetchOffset > log.logEndOffset()) {
                return true; // a divergent follower ahead of this log: the read answers OFFSET_OUT_OF_RANGE
            }
            if (!t.onFollowerFetch(replicaId, fetchOffset, log.logEndOffset(), replication.nowMs(), brokerEpoch)) {
                return false;
            }
            proposedFor = state;
            expanded = t.resendDue(replication.nowMs());
            if (expanded == null) {
                expanded = t.expandProposal(replicaId, watermarks.highWatermark().offset(), leaderEpochStartOffset,
                        replication::mayJoinIsr, replication.nowMs());
                if (expanded != null) {
                    t.proposed(expanded);
                }
            }
        }
        maybeAdvanceHighWatermark();
        if (expanded != null) {
            replication.proposeIsr(this, proposedFor, expanded);
        }
        return true;
    }

    /**
     * As leader, proposes removing the in-sync followers that have not caught up within the lag limit, or sends again
     * a change whose answer never came.
     */
    public void maybeShrinkIsr() {
        List<Integer> shrunk;
        PartitionImage proposedFor;
        synchronized (watermarkLock) {
            ReplicaTracker t = tracker;
            if (t == null) {
                return;
            }
            proposedFor = state;
            shrunk = t.resendDue(replication.nowMs());
            if (shrunk == null) {
                shrunk = t.shrinkProposal(log.logEndOffset(), replication.nowMs(), replication.replicaLagTimeMaxMs());
                if (shrunk == null) {
                    return;
                }
                t.proposed(shrunk);
            }
        }
        replication.proposeIsr(this, proposedFor, shrunk);
        maybeAdvanceHighWatermark(); // a removed member stops counting once the controller agrees, not before
    }

    /**
     * The controller refused the ISR change {@code proposedIsr}, proposed in {@code leaderEpoch} (or it was never
     * sent); a later check proposes again. A failure of an older proposal than the one in flight changes nothing.
     */
    public void isrChangeFailed(int leaderEpoch, List<Integer> proposedIsr) {
        synchronized (watermarkLock) {
            if (tracker != null && state.leaderEpoch() == leaderEpoch && tracker.isPending(proposedIsr)) {
                tracker.proposalFailed(replication.nowMs());
            }
        }
    }

    /**
     * No answer came for the ISR change {@code proposedIsr} (the controller may have applied it): it stays in flight
     * and is sent again at the next fetch or check after a pause, until answered or settled by the metadata.
     */
    public void isrChangeUnanswered(int leaderEpoch, List<Integer> proposedIsr) {
        synchronized (watermarkLock) {
            if (tracker != null && state.leaderEpoch() == leaderEpoch && tracker.isPending(proposedIsr)) {
                tracker.proposalUnanswered(replication.nowMs());
            }
        }
    }

    /** An in-sync follower as its leader last saw it: the offset it fetched from last and when it was caught up. */
    public record FollowerState(int brokerId, long logEndOffset, long lastCaughtUpMs) {
    }

    /**
     * As leader, the followers of the committed ISR that fetched in this leader epoch (see
     * {@link ReplicaTracker#inSyncFollowers}); empty as follower. For choosing a consumer's read replica.
     */
    public List<FollowerState> inSyncFollowers() {
        synchronized (watermarkLock) {
            return tracker == null ? List.of() : tracker.inSyncFollowers();
        }
    }

    /** Whether this node is in the partition's ISR as the metadata last told it. */
    public boolean isInSyncReplica() {
        return state.isr().contains(localNodeId);
    }

    /** The broker epoch {@code replicaId} last fetched with, as leader; -1 if unknown. */
    public long followerBrokerEpoch(int replicaId) {
        synchronized (watermarkLock) {
            return tracker == null ? -1 : tracker.brokerEpoch(replicaId);
        }
    }

    // ------------------------------------------------------------------ follower

    /**
     * Appends batches fetched from {@code leaderId} in {@code leaderEpoch} as they are, then takes the leader's high
     * watermark (never above this log's end) and log start offset.
     *
     * @throws NotLeaderOrFollowerException when the metadata moved this partition meanwhile (nothing is written)
     */
    public void appendAsFollower(MemoryRecords records, long leaderHighWatermark, long leaderLogStartOffset,
                                 int leaderId, int leaderEpoch) throws IOException {
        roleLock.readLock().lock();
        try {
            throwUnlessFollowing(leaderId, leaderEpoch);
            if (records.sizeInBytes() > 0) {
                log.appendAsFollower(records);
            }
            if (leaderLogStartOffset > log.logStartOffset() && leaderLogStartOffset <= log.logEndOffset()) {
                log.advanceLogStartOffset(leaderLogStartOffset);
            }
        } finally {
            roleLock.readLock().unlock();
        }
        boolean advanced;
        synchronized (watermarkLock) {
            PartitionLog.Tail tail = log.tail();
            LogOffsetMetadata end = tail.end();
            LogOffsetMetadata target = leaderHighWatermark >= end.offset() ? end
                    : new LogOffsetMetadata(leaderHighWatermark, -1, -1);
            advanced = publish(target, tail);
        }
        if (advanced) {
            highWatermarkListener.accept(topicPartition);
        }
    }

    /**
     * Drops this follower's records at or after {@code offset} (its divergent tail, as OffsetForLeaderEpoch
     * decided against {@code leaderId} in {@code leaderEpoch}); the watermarks come down with the log end if they
     * were above it.
     *
     * @throws NotLeaderOrFollowerException when the metadata moved this partition meanwhile (nothing is cut)
     */
    public void truncateTo(long offset, int leaderId, int leaderEpoch) throws IOException {
        roleLock.readLock().lock();
        try {
            throwUnlessFollowing(leaderId, leaderEpoch);
            log.truncateTo(offset);
            lowerWatermarksToLogEnd();
        } finally {
            roleLock.readLock().unlock();
        }
    }

    /** Empties this follower's log and restarts it at {@code offset} (the leader's log start moved past it). */
    public void truncateFullyAndStartAt(long offset, int leaderId, int leaderEpoch) throws IOException {
        roleLock.readLock().lock();
        try {
            throwUnlessFollowing(leaderId, leaderEpoch);
            log.truncateFullyAndStartAt(offset);
            lowerWatermarksToLogEnd();
        } finally {
            roleLock.readLock().unlock();
        }
    }

    private void throwUnlessFollowing(int leaderId, int leaderEpoch) {
        PartitionImage s = state;
        if (leaderId == localNodeId || s.leader() != leaderId || s.leaderEpoch() != leaderEpoch) {
            throw new NotLeaderOrFollowerException("Node " + localNodeId + " no longer follows " + topicPartition
                    + " from broker " + leaderId + " in leader epoch " + leaderEpoch + " (now leader " + s.leader()
                    + ", epoch " + s.leaderEpoch() + ")");
        }
    }

    private void lowerWatermarksToLogEnd() {
        synchronized (watermarkLock) {
            PartitionLog.Tail tail = log.tail();
            Watermarks current = watermarks;
            if (current.highWatermark().offset() > tail.end().offset()
                    || current.highWatermark().offset() < log.logStartOffset()) {
                LogOffsetMetadata hw = tail.end();
                watermarks = new Watermarks(hw, lastStable(hw, tail, null));
            }
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

    /** Finishes a move of the log to another directory: given the current log, returns its replacement or null. */
    public interface LogSwap {
        PartitionLog swap(PartitionLog current) throws IOException;
    }

    /**
     * Serves the log {@code swap} returns instead of the current one (AlterReplicaLogDirs finishing a move). The
     * swap runs under the role write lock, so no append, marker or truncation runs meanwhile and the new log holds
     * exactly what the old one did. The watermarks keep their offsets; their positions are forgotten (they pointed
     * into the old log's segments) and found again as they advance.
     *
     * @return whether the log was replaced
     */
    public boolean replaceLog(LogSwap swap) throws IOException {
        roleLock.writeLock().lock();
        try {
            PartitionLog next = swap.swap(log);
            if (next == null) {
                return false;
            }
            synchronized (watermarkLock) {
                log = next;
                Watermarks w = watermarks;
                watermarks = new Watermarks(new LogOffsetMetadata(w.highWatermark().offset(), -1, -1),
                        new LogOffsetMetadata(w.lastStable().offset(), -1, -1));
            }
            return true;
        } finally {
            roleLock.writeLock().unlock();
        }
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
