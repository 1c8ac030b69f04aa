package io.brook.server.controller;

import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotControllerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code auto.leader.rebalance.enable}: while this node is the active controller, every
 * {@code leader.imbalance.check.interval.seconds} it submits the preferred-leader rebalance
 * ({@link LocalControllerChannel#rebalanceLeaders}, decided by
 * {@link io.brook.metadata.controller.LeaderElection#rebalance}: brokers whose share of not-led preferred
 * partitions is above {@code leader.imbalance.per.broker.percentage} get them back).
 *
 * <p>When to pass is decided by {@link #tick()} on the given clock: a pass is due once an interval has gone
 * by since the last one started (or since this node became active: a controller that just took over
 * waits one interval, so brokers that are coming back have time to rejoin the ISRs); one pass at a time.
 * The timer thread calls it every {@link #POLL_MS} (or the interval, when shorter), so the tests can drive
 * it on a fake clock without the thread.
 *
 * <p>Threads: its own single scheduled thread ({@code brook-leader-rebalancer}); the decision runs on the
 * controller's thread. Thread-safety: {@link #tick} is called from one thread at a time; {@link #start}
 * and {@link #close} from any thread.
 */
public final class LeaderRebalancer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaderRebalancer.class);
    /** How often the timer thread looks whether a pass is due. */
    static final long POLL_MS = 1_000;
    /** Longest {@link #close} waits for the timer thread. */
    private static final long CLOSE_WAIT_MS = 10_000;

    private final BooleanSupplier active;
    private final Supplier<CompletableFuture<List<TopicPartition>>> pass;
    private final long intervalMs;
    private final LongSupplier clock;
    private final ScheduledExecutorService thread;
    /** When the interval being waited out started; -1 while not active. Ticking thread only. */
    private long sinceMs = -1;
    /** The pass in flight, or a completed one. Ticking thread only. */
    private CompletableFuture<List<TopicPartition>> inFlight = CompletableFuture.completedFuture(List.of());

    /**
     * @param intervalMs        {@code leader.imbalance.check.interval.seconds} in milliseconds
     * @param imbalancePercentage {@code leader.imbalance.per.broker.percentage}
     */
    public LeaderRebalancer(MetadataController controller, LocalControllerChannel channel, long intervalMs,
                            int imbalancePercentage) {
        this(controller::isActive, () -> channel.rebalanceLeaders(imbalancePercentage), intervalMs,
                () -> System.nanoTime() / 1_000_000);
    }

    LeaderRebalancer(BooleanSupplier active, Supplier<CompletableFuture<List<TopicPartition>>> pass,
                     long intervalMs, LongSupplier clock) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("the imbalance check interval must be positive, was " + intervalMs);
        }
        this.active = active;
        this.pass = pass;
        this.intervalMs = intervalMs;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-leader-rebalancer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the timer thread. */
    public void start() {
        long poll = Math.min(POLL_MS, intervalMs);
        thread.scheduleWithFixedDelay(this::tick, poll, poll, TimeUnit.MILLISECONDS);
    }

    /** Runs a pass if one is due (see the class comment); returns whether it started one. */
    boolean tick() {
        long now = clock.getAsLong();
        if (!active.getAsBoolean()) {
            sinceMs = -1;
            return false;
        }
        if (sinceMs < 0) {
            sinceMs = now;
            return false;
        }
        if (now - sinceMs < intervalMs || !inFlight.isDone()) {
            return false;
        }
        sinceMs = now;
        CompletableFuture<List<TopicPartition>> next;
        try {
            next = pass.get();
        } catch (RuntimeException e) {
            next = CompletableFuture.failedFuture(e);
        }
        inFlight = next;
        next.whenComplete((moved, error) -> {
            if (error == null) {
                if (!moved.isEmpty()) {
                    log.info("Moved the leadership of {} partition(s) back to their preferred replica: {}",
                            moved.size(), moved);
                }
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof NotControllerException) {
                log.debug("Leader rebalance skipped: {}", cause.getMessage());
            } else {
                log.warn("The leader rebalance failed; next try in {} ms: {}", intervalMs, cause.toString());
            }
        });
        return true;
    }

    /** Stops the timer; a pass in flight completes on its own. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
