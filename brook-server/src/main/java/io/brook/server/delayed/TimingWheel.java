package io.brook.server.delayed;

import java.util.concurrent.DelayQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * One level of a hierarchical timing wheel (Varghese and Lauck; the design of Kafka's timer):
 * {@code wheelSize} buckets of {@code tickMs} each cover {@code tickMs * wheelSize} ms from the
 * wheel's current time. A task due further out goes to an overflow wheel whose tick is this
 * wheel's whole span, created on first need; when an overflow bucket comes due its tasks are
 * inserted again and fall into finer wheels. Insert and remove are O(1); the timer's delay queue
 * holds buckets, never tasks.
 *
 * <p>Expirations given to {@link #add} are multiples of the finest tick, so a bucket of the
 * finest wheel expires exactly at its tasks' expiration.
 *
 * <p>Thread-safety: {@link #add} may run concurrently (under the timer's read lock);
 * {@link #advanceClock} runs alone (under its write lock).
 */
final class TimingWheel {
    private final long tickMs;
    private final int wheelSize;
    private final long intervalMs;
    private final TimerBucket[] buckets;
    private final AtomicInteger taskCount;
    private final DelayQueue<TimerBucket> queue;
    private final LongSupplier clockMs;
    /** The start of the current tick: a multiple of {@code tickMs}. */
    private volatile long currentTimeMs;
    private volatile TimingWheel overflow;

    TimingWheel(long tickMs, int wheelSize, long startMs, AtomicInteger taskCount, DelayQueue<TimerBucket> queue,
                LongSupplier clockMs) {
        this.tickMs = tickMs;
        this.wheelSize = wheelSize;
        this.intervalMs = tickMs * wheelSize;
        this.taskCount = taskCount;
        this.queue = queue;
        this.clockMs = clockMs;
        this.currentTimeMs = startMs - Math.floorMod(startMs, tickMs);
        this.buckets = new TimerBucket[wheelSize];
        for (int i = 0; i < wheelSize; i++) {
            buckets[i] = new TimerBucket(clockMs, taskCount);
        }
    }

    private TimingWheel overflow() {
        TimingWheel o = overflow;
        if (o == null) {
            synchronized (this) {
                o = overflow;
                if (o == null) {
                    o = new TimingWheel(intervalMs, wheelSize, currentTimeMs, taskCount, queue, clockMs);
                    overflow = o;
                }
            }
        }
        return o;
    }

    /**
     * Puts the entry in its bucket; false if it is already due (the caller runs it) or cancelled
     * (nothing to run).
     */
    boolean add(TimerBucket.Entry entry) {
        long expiration = entry.expirationMs;
        long now = currentTimeMs;
        if (entry.task.isCancelled()) {
            return false;
        }
        if (expiration < now + tickMs) {
            return false;
        }
        if (expiration < now + intervalMs) {
            long virtualId = expiration / tickMs;
            TimerBucket bucket = buckets[(int) (virtualId % wheelSize)];
            if (!bucket.add(entry)) {
                return false;
            }
            // the bucket goes (back) into the queue only when it starts a new round
            if (bucket.setExpiration(virtualId * tickMs)) {
                queue.offer(bucket);
            }
            return true;
        }
        return overflow().add(entry);
    }

    /** Moves the wheel (and its overflow wheels) to the tick holding {@code timeMs}. */
    void advanceClock(long timeMs) {
        if (timeMs >= currentTimeMs + tickMs) {
            currentTimeMs = timeMs - Math.floorMod(timeMs, tickMs);
            TimingWheel o = overflow;
            if (o != null) {
                o.advanceClock(currentTimeMs);
            }
        }
    }
}
