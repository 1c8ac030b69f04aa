package io.brook.server.delayed;

import org.apache.kafka.common.TopicPartition;

import java.util.concurrent.Executor;

/**
 * The node's delayed operations: one timing-wheel timer with its reaper thread, the purgatory of
 * parked fetches and that of produce requests waiting for the high watermark (both keyed by
 * partition). The group and transaction coordinators schedule their timers on the same wheel.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class DelayedOperations implements AutoCloseable {
    /**
     * Parked fetches end on multiples of this (up to this much before their {@code max.wait.ms}): long polls that
     * arrive a few ms apart expire together, in one wake-up of the timer and of each event loop, instead of one
     * wake-up each (see {@link DelayedOperationPurgatory}).
     */
    public static final long FETCH_EXPIRY_ALIGN_MS = 10;

    private final HierarchicalTimer timer;
    private final ExpirationReaper reaper;
    private final DelayedOperationPurgatory<TopicPartition> fetches;
    private final DelayedOperationPurgatory<TopicPartition> produces;

    /** Expiry work runs on {@code executor} (the request handlers), or on the reaper if it refuses. */
    public DelayedOperations(Executor executor) {
        this(HierarchicalTimer.system(executor), true);
    }

    /** Over a given timer; with {@code reap} false the caller advances it (tests on a manual clock). */
    public DelayedOperations(HierarchicalTimer timer, boolean reap) {
        this.timer = timer;
        this.reaper = reap ? new ExpirationReaper(timer, "brook-expiration-reaper").start() : null;
        this.fetches = new DelayedOperationPurgatory<>("Fetch", timer, FETCH_EXPIRY_ALIGN_MS);
        this.produces = new DelayedOperationPurgatory<>("Produce", timer);
    }

    public HierarchicalTimer timer() {
        return timer;
    }

    public DelayedOperationPurgatory<TopicPartition> fetches() {
        return fetches;
    }

    public DelayedOperationPurgatory<TopicPartition> produces() {
        return produces;
    }

    /**
     * After an append to {@code tp} (which moves its high watermark on one node, and may move the
     * last stable offset): completes the parked produces and fetches it satisfies, on this thread.
     */
    public void checkAndComplete(TopicPartition tp) {
        produces.checkAndComplete(tp);
        fetches.checkAndComplete(tp);
    }

    @Override
    public void close() {
        if (reaper != null) {
            reaper.close();
        }
    }
}
