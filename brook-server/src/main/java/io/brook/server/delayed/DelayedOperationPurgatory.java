package io.brook.server.delayed;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Parked operations of one kind, watched under keys (partitions): {@link #tryCompleteElseWatch}
 * parks an operation that cannot complete yet, {@link #checkAndComplete} re-checks the watchers
 * of a key after an event (an append, a high-watermark move), and the shared
 * {@link HierarchicalTimer} expires whatever is left at its timeout.
 *
 * <p>Deadlines may be aligned ({@code alignMs} above 1): a timeout of at least {@value #MIN_ALIGNED_TIMEOUTS}
 * times {@code alignMs} ends at the multiple of {@code alignMs} just before its deadline, up to {@code alignMs} early
 * and never late, so operations parked a few ms apart expire in one timer wake-up and their answers leave together
 * (what timer slack does for a kernel's timers).
 *
 * <p>Events are checked on the caller's thread: no executor hop, so nothing an event does can be
 * refused by a full executor. A completed operation leaves its watch lists at once.
 *
 * <p>Thread-safety: safe for concurrent use.
 *
 * @param <K> the watch key
 */
public final class DelayedOperationPurgatory<K> {
    private static final Logger log = LoggerFactory.getLogger(DelayedOperationPurgatory.class);

    /** A timeout shorter than this many times the alignment is not aligned (it would end too early). */
    static final int MIN_ALIGNED_TIMEOUTS = 10;

    private final String name;
    private final HierarchicalTimer timer;
    private final long alignMs;
    private final Map<K, Set<DelayedOperation>> watchers = new ConcurrentHashMap<>();

    public DelayedOperationPurgatory(String name, HierarchicalTimer timer) {
        this(name, timer, 1);
    }

    /** With deadlines aligned to multiples of {@code alignMs} (1: exact). */
    public DelayedOperationPurgatory(String name, HierarchicalTimer timer, long alignMs) {
        if (alignMs < 1) {
            throw new IllegalArgumentException("alignMs must be >= 1");
        }
        this.name = name;
        this.timer = timer;
        this.alignMs = alignMs;
    }

    /**
     * Completes the operation now if it can; otherwise watches it under {@code keys} and starts its
     * timeout. Returns true if it completed in this call.
     */
    public boolean tryCompleteElseWatch(DelayedOperation operation, Collection<K> keys) {
        return tryCompleteElseWatch(operation, keys, null);
    }

    /**
     * As {@link #tryCompleteElseWatch(DelayedOperation, Collection)}, but a parked operation expires on
     * {@code expireOn} (when not null), a thread that is there anyway (the event loop that read the request), not on
     * the shared timer's: its answer then leaves from that thread with no hand-off and no wake-up of another. Its
     * deadline is aligned as the timer's are, on the monotonic clock, so operations parked a few ms apart on one
     * thread expire in one wake-up of it.
     */
    public boolean tryCompleteElseWatch(DelayedOperation operation, Collection<K> keys,
                                        ScheduledExecutorService expireOn) {
        if (operation.tryComplete()) {
            return true;
        }
        operation.watchedUnder(keys, () -> unwatch(operation));
        for (K key : keys) {
            if (operation.isCompleted()) {
                break;
            }
            watchers.compute(key, (k, set) -> {
                Set<DelayedOperation> s = set == null ? ConcurrentHashMap.newKeySet() : set;
                s.add(operation);
                return s;
            });
        }
        // an event between the first check and the registration above found no watcher: check again
        if (operation.tryComplete()) {
            unwatch(operation); // it may have completed while being added
            return true;
        }
        if (expireOn == null) {
            timer.add(operation, expiryDelayMs(operation.timeoutMs()));
        } else {
            operation.expiresAs(expireOn.schedule(operation,
                    alignedDelay(System.nanoTime(), operation.timeoutMs(), TimeUnit.NANOSECONDS),
                    TimeUnit.NANOSECONDS));
        }
        if (operation.isCompleted()) {
            unwatch(operation); // completed (or expired) meanwhile by another thread
        }
        return false;
    }

    /** The delay until the operation expires: its timeout, or a little less to end on an aligned deadline. */
    long expiryDelayMs(long timeoutMs) {
        return alignedDelay(timer.nowMs(), timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** The same, on a clock that reads {@code now} in {@code unit}; the delay is in that unit. */
    long alignedDelay(long now, long timeoutMs, TimeUnit unit) {
        long timeout = unit.convert(timeoutMs, TimeUnit.MILLISECONDS);
        if (alignMs == 1 || timeoutMs < MIN_ALIGNED_TIMEOUTS * alignMs) {
            return timeout;
        }
        long deadline = now + timeout;
        return deadline - Math.floorMod(deadline, unit.convert(alignMs, TimeUnit.MILLISECONDS)) - now;
    }

    /** Re-checks the operations watching {@code key}; returns how many completed. */
    public int checkAndComplete(K key) {
        Set<DelayedOperation> set = watchers.get(key);
        if (set == null) {
            return 0;
        }
        int completed = 0;
        for (DelayedOperation operation : set) {
            try {
                if (!operation.isCompleted() && operation.tryComplete()) {
                    completed++; // completing unwatches it
                }
            } catch (RuntimeException e) {
                // the event's own work (an append) succeeded: one operation's failure must not undo it
                log.error("{} purgatory: checking a parked operation on {} failed", name, key, e);
            }
        }
        return completed;
    }

    private void unwatch(DelayedOperation operation) {
        for (Object key : operation.keys()) {
            watchers.computeIfPresent(cast(key), (k, set) -> {
                set.remove(operation);
                return set.isEmpty() ? null : set;
            });
        }
    }

    @SuppressWarnings("unchecked")
    private K cast(Object key) {
        return (K) key;
    }

    /** Operations watched under any key (one operation under two keys counts twice). */
    public int watched() {
        int n = 0;
        for (Set<DelayedOperation> set : watchers.values()) {
            n += set.size();
        }
        return n;
    }

    /** Keys with at least one watcher. */
    public int watchedKeys() {
        return watchers.size();
    }

    public String name() {
        return name;
    }
}
