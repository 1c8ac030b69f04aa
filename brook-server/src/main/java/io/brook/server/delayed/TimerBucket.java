package io.brook.server.delayed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One slot of a {@link TimingWheel}: the tasks whose expiration falls in one tick of that wheel,
 * as a doubly linked list (O(1) add and remove). The bucket, not the task, is what waits in the
 * timer's delay queue, keyed by the bucket's expiration; so the queue holds at most one element
 * per slot, however many tasks there are.
 *
 * <p>Thread-safety: list operations hold the bucket's monitor, then the entry's (always in that
 * order); the expiration is atomic.
 */
final class TimerBucket implements Delayed {
    /** A task in a bucket: a node of the bucket's list. */
    static final class Entry {
        final TimerTask task;
        final long expirationMs;
        private TimerBucket bucket; // guarded by this
        private Entry prev;
        private Entry next;

        Entry(TimerTask task, long expirationMs) {
            this.task = task;
            this.expirationMs = expirationMs;
        }

        /** Unlinks the entry from whichever bucket holds it (none: nothing to do). */
        void remove() {
            TimerBucket b = bucket();
            while (b != null) {
                b.remove(this);
                b = bucket();
            }
        }

        synchronized TimerBucket bucket() {
            return bucket;
        }
    }

    private final LongSupplier clockMs;
    private final AtomicInteger taskCount;
    private final Entry root = new Entry(null, -1);
    private final AtomicLong expirationMs = new AtomicLong(-1);

    TimerBucket(LongSupplier clockMs, AtomicInteger taskCount) {
        this.clockMs = clockMs;
        this.taskCount = taskCount;
        root.next = root;
        root.prev = root;
    }

    /** Links the entry at the tail; false (nothing linked) if its task has been cancelled. */
    boolean add(Entry entry) {
        entry.remove(); // an entry is in at most one bucket
        synchronized (this) {
            synchronized (entry) {
                if (entry.task.isCancelled() || entry.bucket != null) {
                    return false;
                }
                Entry tail = root.prev;
                entry.next = root;
                entry.prev = tail;
                tail.next = entry;
                root.prev = entry;
                entry.bucket = this;
                taskCount.incrementAndGet();
                return true;
            }
        }
    }

    synchronized void remove(Entry entry) {
        synchronized (entry) {
            if (entry.bucket == this) {
                entry.next.prev = entry.prev;
                entry.prev.next = entry.next;
                entry.next = null;
                entry.prev = null;
                entry.bucket = null;
                taskCount.decrementAndGet();
            }
        }
    }

    /** Empties the bucket and marks it unscheduled; returns what it held, for the caller to re-insert. */
    synchronized List<Entry> flush() {
        List<Entry> entries = new ArrayList<>();
        Entry e = root.next;
        while (e != root) {
            Entry next = e.next;
            remove(e);
            entries.add(e);
            e = next;
        }
        expirationMs.set(-1);
        return entries;
    }

    /** Sets the bucket's expiration; true if it changed (the bucket must then be queued again). */
    boolean setExpiration(long ms) {
        return expirationMs.getAndSet(ms) != ms;
    }

    long expirationMs() {
        return expirationMs.get();
    }

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(Math.max(0, expirationMs() - clockMs.getAsLong()), TimeUnit.MILLISECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
        return Long.compare(expirationMs(), ((TimerBucket) other).expirationMs());
    }
}
