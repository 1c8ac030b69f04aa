package io.brook.server.partition;

import io.brook.storage.log.FutureLog;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.function.Function;

/**
 * Runs the moves of partitions between this node's log directories (AlterReplicaLogDirs, Kafka's
 * ReplicaAlterLogDirsThread): one background thread copies each running move a step at a time while
 * producers keep writing to the current log, and once a copy has caught up swaps it in under the
 * partition's role lock ({@link Partition#replaceLog}), so no acknowledged record is missed.
 *
 * <p>Thread-safety: {@link #move} may be called from any thread; the copying runs on this mover's
 * thread only, started on the first move.
 */
public final class LogDirMover implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogDirMover.class);
    /** How much one step copies of a move before the mover turns to the next one. */
    static final int STEP_BYTES = 1 << 20;
    /** How long the thread sleeps when no move runs (a new move wakes it at once). */
    private static final long IDLE_WAIT_MS = 1_000;
    /** How long close waits for a step in progress. */
    private static final long CLOSE_WAIT_MS = 30_000;

    private final LogManager logManager;
    private final Function<TopicPartition, Partition> partitions;
    private final Object wakeup = new Object();
    private Thread thread; // guarded by wakeup
    private boolean closed; // guarded by wakeup

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
            if (thread == null) {
                thread = new Thread(this::run, "brook-alter-log-dirs");
                thread.setDaemon(true);
                thread.start();
            }
            wakeup.notifyAll();
        }
    }

    private void run() {
        while (true) {
            boolean copying = false;
            for (FutureLog move : logManager.futures()) {
                if (isClosed()) {
                    return;
                }
                copying |= step(move);
            }
            synchronized (wakeup) {
                if (closed) {
                    return;
                }
                if (!copying && logManager.futures().isEmpty()) {
                    try {
                        wakeup.wait(IDLE_WAIT_MS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /** One step of a move; returns whether it still runs. */
    private boolean step(FutureLog move) {
        TopicPartition tp = move.topicPartition();
        try {
            if (!logManager.copyStep(move, STEP_BYTES)) {
                return logManager.future(tp) == move;
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
        return false;
    }

    private boolean isClosed() {
        synchronized (wakeup) {
            return closed;
        }
    }

    /** Stops the thread (a move in progress stays unfinished: the next start drops its copy). */
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
