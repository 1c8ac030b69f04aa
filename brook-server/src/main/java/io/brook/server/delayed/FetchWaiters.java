package io.brook.server.delayed;

import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Long-polling fetches parked until data arrives or their wait runs out. Nothing polls: an
 * append calls {@link #onAppend}, which re-tries the waiters of that partition on the request
 * executor; a timer completes the rest at their deadline.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class FetchWaiters {
    private final Map<TopicPartition, Set<Waiter>> waiters = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final Executor executor;

    public FetchWaiters(ScheduledExecutorService timer, Executor executor) {
        this.timer = timer;
        this.executor = executor;
    }

    /** One parked fetch. */
    private final class Waiter {
        final Collection<TopicPartition> partitions;
        final BooleanSupplier tryComplete;
        final Runnable onTimeout;
        final AtomicBoolean done = new AtomicBoolean();
        volatile ScheduledFuture<?> deadline;

        Waiter(Collection<TopicPartition> partitions, BooleanSupplier tryComplete, Runnable onTimeout) {
            this.partitions = partitions;
            this.tryComplete = tryComplete;
            this.onTimeout = onTimeout;
        }

        void attempt() {
            if (!done.get() && tryComplete.getAsBoolean() && done.compareAndSet(false, true)) {
                finish();
            }
        }

        void expire() {
            if (done.compareAndSet(false, true)) {
                unregister(this);
                onTimeout.run();
            }
        }

        void finish() {
            unregister(this);
            ScheduledFuture<?> d = deadline;
            if (d != null) {
                d.cancel(false);
            }
        }
    }

    /**
     * Parks a fetch. {@code tryComplete} is called after appends to any of the partitions; it must
     * answer the fetch and return true when enough data is there. {@code onTimeout} answers it
     * with whatever is there at the deadline. Exactly one of them answers.
     */
    public void park(Collection<TopicPartition> partitions, long waitMs, BooleanSupplier tryComplete,
                     Runnable onTimeout) {
        Waiter waiter = new Waiter(partitions, tryComplete, onTimeout);
        for (TopicPartition tp : partitions) {
            waiters.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(waiter);
        }
        waiter.deadline = timer.schedule(() -> executor.execute(waiter::expire), waitMs, TimeUnit.MILLISECONDS);
        // data may have arrived between the caller's read and the registration above; the caller
        // is a request thread already, so check here rather than hop to another thread
        waiter.attempt();
    }

    /** Called after an append to {@code tp}. */
    public void onAppend(TopicPartition tp) {
        Set<Waiter> set = waiters.get(tp);
        if (set == null || set.isEmpty()) {
            return;
        }
        for (Waiter waiter : set) {
            executor.execute(waiter::attempt);
        }
    }

    private void unregister(Waiter waiter) {
        for (TopicPartition tp : waiter.partitions) {
            Set<Waiter> set = waiters.get(tp);
            if (set != null) {
                set.remove(waiter); // empty sets stay: at most one per partition
            }
        }
    }

    public int parkedCount() {
        int n = 0;
        for (Set<Waiter> set : waiters.values()) {
            n += set.size();
        }
        return n;
    }
}
