package io.brook.storage.log;

import org.apache.kafka.common.errors.KafkaStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The durable-mode ({@code brook.durable.append}) fsyncs of one log directory, on one thread of
 * its own: request threads never fsync. A caller asks for an offset of a log to be durable and
 * gets a future; the thread takes every request queued since its last pass and fsyncs each log
 * once for all of them (group commit: one fsync covers every batch appended before it started),
 * then completes the futures. The thread starts with the first request, so a directory that
 * never sees a durable append costs no thread.
 *
 * <p>Futures complete on the flusher thread: what callers chain onto them must be short and
 * must not block (advancing a high watermark, queueing a response).
 *
 * <p>Thread-safety: safe for concurrent use; the queue is guarded by this object's monitor.
 */
public final class LogFlusher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogFlusher.class);
    /** How long {@link #close} waits for the thread to finish the pass it is in. */
    private static final long CLOSE_WAIT_MS = 10_000;

    /** Called by the flusher thread just before each log's fsync; a seam for tests (pausing, counting). */
    public interface FsyncHook {
        FsyncHook NONE = partitionLog -> { };

        void beforeFsync(PartitionLog partitionLog) throws InterruptedException;
    }

    private record Waiter(long offset, CompletableFuture<Void> future) {
    }

    private final String name;
    private final FsyncHook hook;
    private Map<PartitionLog, List<Waiter>> pending = new LinkedHashMap<>();
    private Thread thread;
    private boolean closed;
    private final AtomicLong fsyncs = new AtomicLong();

    public LogFlusher(String name) {
        this(name, FsyncHook.NONE);
    }

    public LogFlusher(String name, FsyncHook hook) {
        this.name = name;
        this.hook = hook;
    }

    /** Completes once everything of {@code partitionLog} up to {@code offset} is fsynced. */
    public CompletableFuture<Void> request(PartitionLog partitionLog, long offset) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new KafkaStorageException("The flusher " + name
                        + " is closed: " + partitionLog.topicPartition() + " is shutting down"));
            }
            if (thread == null) {
                thread = new Thread(this::run, name);
                thread.setDaemon(true);
                thread.start();
            }
            pending.computeIfAbsent(partitionLog, l -> new ArrayList<>()).add(new Waiter(offset, future));
            notifyAll();
        }
        return future;
    }

    /** The number of log fsyncs done so far (for tests and metrics). */
    public long fsyncCount() {
        return fsyncs.get();
    }

    private void run() {
        while (true) {
            Map<PartitionLog, List<Waiter>> batch;
            synchronized (this) {
                while (pending.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (pending.isEmpty()) {
                    return; // closed and drained
                }
                batch = pending;
                pending = new LinkedHashMap<>();
            }
            for (Map.Entry<PartitionLog, List<Waiter>> entry : batch.entrySet()) {
                flush(entry.getKey(), entry.getValue());
            }
        }
    }

    private void flush(PartitionLog partitionLog, List<Waiter> waiters) {
        try {
            hook.beforeFsync(partitionLog);
            if (partitionLog.flushData()) {
                fsyncs.incrementAndGet();
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.warn("{}: fsync of {} failed", name, partitionLog.topicPartition(), e);
            KafkaStorageException failure = new KafkaStorageException("Could not fsync "
                    + partitionLog.topicPartition() + ": " + e.getMessage(), e);
            waiters.forEach(w -> w.future().completeExceptionally(failure));
            return;
        }
        long durable = partitionLog.durableEnd().offset();
        List<Waiter> later = new ArrayList<>();
        for (Waiter waiter : waiters) {
            if (durable > waiter.offset()) {
                waiter.future().complete(null);
            } else if (waiter.offset() >= partitionLog.logEndOffset()) {
                waiter.future().completeExceptionally(new KafkaStorageException("Offset " + waiter.offset() + " of "
                        + partitionLog.topicPartition() + " was truncated before it was fsynced"));
            } else {
                later.add(waiter); // appended after this pass read the end: the next pass covers it
            }
        }
        if (!later.isEmpty()) {
            synchronized (this) {
                if (closed) {
                    later.forEach(w -> w.future().completeExceptionally(new KafkaStorageException(
                            partitionLog.topicPartition() + " closed before offset " + w.offset() + " was fsynced")));
                } else {
                    pending.computeIfAbsent(partitionLog, l -> new ArrayList<>()).addAll(later);
                }
            }
        }
    }

    /** Finishes the requests queued so far, then stops the thread. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
            notifyAll();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.MILLISECONDS.toMillis(CLOSE_WAIT_MS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
