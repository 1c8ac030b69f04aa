package io.brook.server.delayed;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * A timer on a hierarchical timing wheel: {@link #add} and {@link TimerTask#cancel} are O(1), a
 * cancelled task leaves the wheel at once, and nothing runs per tick while no bucket is due. The
 * clock is injected so tests drive time by hand; whoever owns the timer calls
 * {@link #advanceClock} in a loop (see {@link ExpirationReaper}).
 *
 * <p>Precision: a task runs no earlier than its delay and, once the clock has passed its deadline
 * and {@link #advanceClock} has run, no later than one tick after it (deadlines are rounded up to
 * the tick).
 *
 * <p>Due tasks are handed to {@code executor} (unless they ask to run on the timer's own thread,
 * {@link TimerTask#runsOnTimerThread}); if it refuses one (full or shut down) the task runs on the
 * calling thread instead, so a deadline is never lost.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class HierarchicalTimer {
    private static final Logger log = LoggerFactory.getLogger(HierarchicalTimer.class);

    /** Kafka's default tick and wheel size: 1 ms x 20 per level. */
    public static final long DEFAULT_TICK_MS = 1;
    public static final int DEFAULT_WHEEL_SIZE = 20;

    private final long tickMs;
    private final LongSupplier clockMs;
    private final Executor executor;
    private final DelayQueue<TimerBucket> queue = new DelayQueue<>();
    private final AtomicInteger taskCount = new AtomicInteger();
    private final TimingWheel wheel;
    // adds share the read lock; advancing (which moves entries between buckets) takes the write lock
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    public HierarchicalTimer(long tickMs, int wheelSize, LongSupplier clockMs, Executor executor) {
        if (tickMs < 1 || wheelSize < 2) {
            throw new IllegalArgumentException("tickMs must be >= 1 and wheelSize >= 2");
        }
        this.tickMs = tickMs;
        this.clockMs = clockMs;
        this.executor = executor;
        this.wheel = new TimingWheel(tickMs, wheelSize, clockMs.getAsLong(), taskCount, queue, clockMs);
    }

    /** A timer on the monotonic clock with Kafka's default wheel. */
    public static HierarchicalTimer system(Executor executor) {
        return new HierarchicalTimer(DEFAULT_TICK_MS, DEFAULT_WHEEL_SIZE,
                () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime()), executor);
    }

    /** Schedules {@code task} to run after {@code delayMs}; a delay of 0 or less runs it now. */
    public void add(TimerTask task, long delayMs) {
        long deadline = clockMs.getAsLong() + Math.max(0, delayMs);
        // rounded up to the tick, so no bucket expires before the deadlines it holds
        long expiration = Math.floorDiv(deadline + tickMs - 1, tickMs) * tickMs;
        TimerBucket.Entry entry = new TimerBucket.Entry(task, expiration);
        if (!task.bind(entry)) {
            return; // cancelled before it was scheduled
        }
        boolean due;
        lock.readLock().lock();
        try {
            due = !wheel.add(entry);
        } finally {
            lock.readLock().unlock();
        }
        if (due && !task.isCancelled()) {
            run(task);
        }
    }

    /** Schedules a runnable; the returned task cancels it. */
    public TimerTask schedule(Runnable action, long delayMs) {
        TimerTask task = TimerTask.of(action);
        add(task, delayMs);
        return task;
    }

    private void run(TimerTask task) {
        if (task.isCancelled()) {
            return; // cancelled after it came due
        }
        if (task.runsOnTimerThread()) {
            runHere(task);
        } else {
            execute(task);
        }
    }

    /**
     * Runs {@code work} on the timer's executor, or on this thread if the executor refuses it (an expiry that
     * turned out to need more than the timer's thread should do hands its work on with this).
     */
    public void execute(Runnable work) {
        try {
            executor.execute(work);
        } catch (RejectedExecutionException e) {
            // a refused expiry must still happen, or whoever waits for it waits forever
            log.debug("Executor refused an expired timer task; running it on the timer's thread");
            runHere(work);
        }
    }

    private static void runHere(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            log.error("A timer task failed", e);
        }
    }

    /**
     * Runs what is due: waits up to {@code timeoutMs} for a bucket to come due, then advances the
     * wheel and expires or re-inserts every due bucket's tasks. Returns whether a bucket was due.
     * With {@code timeoutMs} 0 it does not wait (tests on a manual clock call it so).
     */
    public boolean advanceClock(long timeoutMs) throws InterruptedException {
        TimerBucket bucket = timeoutMs <= 0 ? queue.poll() : queue.poll(timeoutMs, TimeUnit.MILLISECONDS);
        if (bucket == null) {
            return false;
        }
        List<TimerTask> due = new ArrayList<>();
        lock.writeLock().lock();
        try {
            while (bucket != null) {
                wheel.advanceClock(bucket.expirationMs());
                for (TimerBucket.Entry entry : bucket.flush()) {
                    if (!wheel.add(entry) && !entry.task.isCancelled()) {
                        due.add(entry.task);
                    }
                }
                bucket = queue.poll();
            }
        } finally {
            lock.writeLock().unlock();
        }
        // handed over (or run here, if refused) without the lock: adds are not held up meanwhile
        for (TimerTask task : due) {
            run(task);
        }
        return true;
    }

    /** Tasks waiting in the wheel (cancelled ones leave it at once). */
    public int size() {
        return taskCount.get();
    }

    /** The timer's clock, in ms. */
    public long nowMs() {
        return clockMs.getAsLong();
    }
}
