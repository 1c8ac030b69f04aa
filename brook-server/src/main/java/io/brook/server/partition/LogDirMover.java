package io.brook.server.partition;

import io.brook.server.replication.ReplicationQuota;
import io.brook.storage.log.FutureLog;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Runs the moves of partitions between this node's log directories (AlterReplicaLogDirs, Kafka's
 * ReplicaAlterLogDirsThread): one background thread copies each running move a step at a time while
 * producers keep writing to the current log, and once a copy has caught up swaps it in under the
 * partition's role lock ({@link Partition#replaceLog}), so no acknowledged record is missed.
 *
 * <p>A move a stop interrupted resumes at the next start from what its copy holds ({@link #resume}), as in Kafka.
 * The copying keeps to the quota {@code replica.alter.log.dirs.io.max.bytes.per.second} (all moves together, see
 * {@link #throttle}): while the measured rate is above it no move copies, and a step copies at most one window's
 * worth of the limit. Only the last catch-up under the partition's lock is not held back (it is what producers
 * wrote since the last step, and they wait for it).
 *
 * <p>Thread-safety: {@link #move}, {@link #resume} and {@link #throttle} may be called from any thread; the
 * copying runs on this mover's thread only, started on the first move.
 */
public final class LogDirMover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogDirMover.class);
    /** How much one step copies of a move before the mover turns to the next one. */
    static final int STEP_BYTES = 1 << 20;
    /** How long the thread sleeps when no move runs (a new move wakes it at once). */
    private static final long IDLE_WAIT_MS = 1_000;
    /** How long the thread waits before looking again while the quota holds every move back. */
    static final long THROTTLED_WAIT_MS = 50;
    /** How long close waits for a step in progress. */
    private static final long CLOSE_WAIT_MS = 30_000;

    private final LogManager logManager;
    private final Function<TopicPartition, Partition> partitions;
    private final Object wakeup = new Object();
    private Thread thread; // guarded by wakeup
    private boolean closed; // guarded by wakeup
    private volatile ReplicationQuota quota = new ReplicationQuota(1, 1_000, ReplicationQuota.UNLIMITED);
    private volatile LongSupplier clockMs = () -> System.nanoTime() / 1_000_000;

    /** What one step of a move did. */
    private enum Step { COPIED, THROTTLED, ENDED }

    public LogDirMover(LogManager logManager, Function<TopicPartition, Partition> partitions) {
        this.logManager = logManager;
        this.partitions = partitions;
    }

    /**
     * Starts moving {@code tp} to the log directory {@code path} (see {@link LogManager#startMove} for what
     * it refuses); a partition already there is left as it is.
     */
    public void move(TopicPartition tp, String path) throws IOException {
        synchronized (wakeup) {
            if (closed) {
                throw new IllegalStateException("the node is shutting down");
            }
            if (logManager.startMove(tp, path) == null) {
                return;
            }
            startLocked();
        }
    }

    /**
     * Resumes the moves a stop interrupted (their copies were found when the logs loaded): called once the
     * partitions are hosted, so a move whose partition is no longer this node's has already been dropped.
     */
    public void resume() {
        synchronized (wakeup) {
            if (!closed && !logManager.futures().isEmpty()) {
                startLocked();
            }
        }
    }

    /**
     * Makes the moves keep to {@code quota} ({@code replica.alter.log.dirs.io.max.bytes.per.second}, whose limit
     * the dynamic broker configs set), measured on {@code clockMs}.
     */
    public void throttle(ReplicationQuota quota, LongSupplier clockMs) {
        this.clockMs = clockMs;
        this.quota = quota;
    }

    private void startLocked() {
        if (thread == null) {
            thread = new Thread(this::run, "brook-alter-log-dirs");
            thread.setDaemon(true);
            thread.start();
        }
        wakeup.notifyAll();
    }

    private void run() {
        while (true) {
            boolean copied = false;
            boolean throttled = false;
            for (FutureLog move : logManager.futures()) {
                if (isClosed()) {
                    return;
                }
                Step step = step(move);
                copied |= step == Step.COPIED;
                throttled |= step == Step.THROTTLED;
            }
            synchronized (wakeup) {
                if (closed) {
                    return;
                }
                long waitMs = logManager.futures().isEmpty() ? IDLE_WAIT_MS : throttled && !copied ? THROTTLED_WAIT_MS
                        : 0;
                if (waitMs > 0) {
                    try {
                        wakeup.wait(waitMs);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /** One step of a move: copied (or caught up and swapped in), held back by the quota, or ended. */
    private Step step(FutureLog move) {
        TopicPartition tp = move.topicPartition();
        ReplicationQuota limit = quota;
        LongSupplier clock = clockMs;
        if (limit.isExceeded(clock.getAsLong())) {
            return Step.THROTTLED;
        }
        try {
            long before = move.copiedBytes();
            boolean caughtUp = logManager.copyStep(move, stepBytes(limit));
            limit.record(move.copiedBytes() - before, clock.getAsLong());
            if (!caughtUp) {
                return logManager.future(tp) == move ? Step.COPIED : Step.ENDED;
            }
            Partition partition = partitions.apply(tp);
            boolean swapped = partition != null
                    && partition.replaceLog(current -> current == move.source() ? logManager.promote(move) : null);
            if (!swapped) {
                log.warn("The move of {} to {} ended: the partition's log changed meanwhile", tp,
                        move.target().logDir());
                logManager.abortMove(tp);
            }
        } catch (IOException | RuntimeException e) {
            log.error("The move of {} to {} failed; the partition stays where it was", tp, move.target().logDir(), e);
            logManager.abortMove(tp);
        }
        return Step.ENDED;
    }

    /** At most one window's worth of the limit per step, so a low limit is kept to smoothly (at least one batch). */
    static int stepBytes(ReplicationQuota limit) {
        return (int) Math.max(1, Math.min(STEP_BYTES, limit.bytesPerWindow()));
    }

    private boolean isClosed() {
        synchronized (wakeup) {
            return closed;
        }
    }

    /** Stops the thread (a move in progress stays unfinished: the next start resumes it from its copy). */
    @Override
    public void close() {
        Thread running;
        synchronized (wakeup) {
            closed = true;
            running = thread;
            wakeup.notifyAll();
        }
        if (running != null) {
            try {
                running.join(CLOSE_WAIT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
