package io.brook.server.controller;

import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.errors.NotControllerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The active controller's fence pass on a timer: every {@code intervalMs}, while this node is the
 * active controller, it submits {@link LocalControllerChannel#fenceStaleBrokers} (brokers silent for
 * longer than {@code broker.session.timeout.ms} are fenced and their leaderships move). A broker is
 * so fenced between the session timeout and the timeout plus one interval after its last heartbeat.
 *
 * <p>One pass at a time: a tick while the previous pass is still in flight (a slow quorum) is skipped.
 * A failing pass is logged at WARN once, not per tick, and once more only after a pass succeeded again;
 * NOT_CONTROLLER (leadership lost between the check and the decision) is expected and only DEBUG.
 *
 * <p>Threads: its own single scheduled thread ({@code brook-broker-fencer}); the decision itself runs
 * on the controller's thread. Thread-safety: {@link #start} and {@link #close} may be called from any thread.
 */
public final class BrokerFencer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerFencer.class);
    /** Longest {@link #close} waits for the timer thread. */
    private static final long CLOSE_WAIT_MS = 10_000;

    private final BooleanSupplier active;
    private final Supplier<CompletableFuture<List<Integer>>> pass;
    private final long intervalMs;
    private final ScheduledExecutorService thread;
    /** Whether the last pass failed and was reported (so the next failure is not). */
    private final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicInteger warnings = new AtomicInteger();
    /** The pass in flight, or a completed one; timer thread only. */
    private CompletableFuture<List<Integer>> inFlight = CompletableFuture.completedFuture(List.of());

    /**
     * @param intervalMs how often to look for stale brokers ({@code broker.heartbeat.interval.ms} suits)
     */
    public BrokerFencer(MetadataController controller, LocalControllerChannel channel, long intervalMs) {
        this(controller::isActive, channel::fenceStaleBrokers, intervalMs);
    }

    BrokerFencer(BooleanSupplier active, Supplier<CompletableFuture<List<Integer>>> pass, long intervalMs) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("the fence interval must be positive, was " + intervalMs);
        }
        this.active = active;
        this.pass = pass;
        this.intervalMs = intervalMs;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-broker-fencer");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the timer; the first pass runs one interval from now. */
    public void start() {
        thread.scheduleWithFixedDelay(this::tick, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void tick() {
        if (!active.getAsBoolean() || !inFlight.isDone()) {
            return;
        }
        CompletableFuture<List<Integer>> next;
        try {
            next = pass.get();
        } catch (RuntimeException e) {
            next = CompletableFuture.failedFuture(e);
        }
        inFlight = next;
        next.whenComplete((fenced, error) -> {
            if (error == null) {
                if (failing.compareAndSet(true, false)) {
                    log.info("The fence pass works again");
                }
                if (!fenced.isEmpty()) {
                    log.info("Fenced brokers {}: no heartbeat within their session timeout", fenced);
                }
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof NotControllerException) {
                log.debug("Fence pass skipped: {}", cause.getMessage());
            } else if (failing.compareAndSet(false, true)) {
                warnings.incrementAndGet();
                log.warn("The fence pass failed (logged once until one succeeds): {}", cause.toString());
            }
        });
    }

    /** How many WARN lines failures have produced (for tests). */
    int warnings() {
        return warnings.get();
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
