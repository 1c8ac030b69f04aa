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
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A pass the active controller runs on a timer, and only it: the fence pass
 * ({@link LocalControllerChannel#fenceStaleBrokers}: brokers silent for longer than
 * {@code broker.session.timeout.ms} are fenced and their leaderships move) and the preferred-leader rebalance
 * ({@code auto.leader.rebalance.enable}: {@link LocalControllerChannel#rebalanceLeaders}).
 *
 * <p>When to pass is decided by {@link #tick()} on the given clock: a pass is due once an interval has gone by
 * since the last one started, or since this node became active (a controller that just took over waits one
 * interval, so brokers have time to heartbeat to it and rejoin the ISRs); one pass at a time (a tick while the
 * previous pass is in flight, a slow quorum, is skipped). A failing pass is logged at WARN once, and once more only
 * after a pass succeeded again; NOT_CONTROLLER (leadership lost between the check and the decision) is expected
 * and only DEBUG. The timer thread ticks every {@link #POLL_MS} or the interval, when shorter; tests drive
 * {@link #tick()} on a fake clock without it.
 *
 * <p>Threads: its own single scheduled thread; the decision runs on the controller's thread. Thread-safety:
 * {@link #tick} is called from one thread at a time; {@link #start} and {@link #close} from any thread.
 *
 * @param <T> what a pass reports it changed (fenced brokers, moved partitions)
 */
public final class ActiveControllerTimer<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ActiveControllerTimer.class);
    /** How often the timer thread looks whether a pass is due. */
    static final long POLL_MS = 1_000;
    /**
     * The fence pass's interval: a dead broker is fenced at most this long after its session ran out (Kafka's
     * controller schedules the check at the deadline itself). A pass that finds nothing writes nothing; it costs one
     * look at every broker's last contact on the controller's thread.
     */
    public static final long FENCE_PASS_MS = 250;
    /** Longest {@link #close} waits for the timer thread. */
    private static final long CLOSE_WAIT_MS = 10_000;

    private final String name;
    private final BooleanSupplier active;
    private final Supplier<CompletableFuture<List<T>>> pass;
    private final Consumer<List<T>> onChanges;
    private final long intervalMs;
    private final LongSupplier clock;
    private final ScheduledExecutorService thread;
    /** When the interval being waited out started; -1 while not active. Ticking thread only. */
    private long sinceMs = -1;
    /** The pass in flight, or a completed one. Ticking thread only. */
    private CompletableFuture<List<T>> inFlight = CompletableFuture.completedFuture(List.of());
    /** Whether the last pass failed and was reported (so the next failure is not); completion threads. */
    private boolean failing;
    private int warnings;

    /**
     * The fence pass every {@code intervalMs} ({@link #FENCE_PASS_MS} in a node): a broker is fenced between its
     * session timeout and the timeout plus one interval after its last heartbeat.
     */
    public static ActiveControllerTimer<Integer> brokerFencer(MetadataController controller,
                                                              LocalControllerChannel channel, long intervalMs) {
        return new ActiveControllerTimer<>("fence pass", controller::isActive, channel::fenceStaleBrokers,
                fenced -> log.info("Fenced brokers {}: no heartbeat within their session timeout", fenced),
                intervalMs, ActiveControllerTimer::monotonicMs);
    }

    /**
     * The preferred-leader rebalance every {@code intervalMs} ({@code leader.imbalance.check.interval.seconds}):
     * brokers whose share of not-led preferred partitions is above {@code imbalancePercentage}
     * ({@code leader.imbalance.per.broker.percentage}) get them back
     * ({@link io.brook.metadata.controller.LeaderElection#rebalance}).
     */
    public static ActiveControllerTimer<TopicPartition> leaderRebalancer(MetadataController controller,
                                                                         LocalControllerChannel channel,
                                                                         long intervalMs, int imbalancePercentage) {
        return new ActiveControllerTimer<>("leader rebalance", controller::isActive,
                () -> channel.rebalanceLeaders(imbalancePercentage),
                moved -> log.info("Moved the leadership of {} partition(s) back to their preferred replica: {}",
                        moved.size(), moved), intervalMs, ActiveControllerTimer::monotonicMs);
    }

    /**
     * The observer sweep every {@code intervalMs}: {@code pass} drops the observers of the metadata quorum the active
     * controller has not heard from for a while, and completes with their ids.
     */
    public static ActiveControllerTimer<Integer> observerSweeper(MetadataController controller,
                                                                 Supplier<CompletableFuture<List<Integer>>> pass,
                                                                 long intervalMs) {
        return new ActiveControllerTimer<>("observer sweep", controller::isActive, pass,
                dropped -> log.info("Nodes {} no longer observe the metadata quorum: not heard from for {} ms; each "
                        + "asks again once it is back", dropped, intervalMs), intervalMs,
                ActiveControllerTimer::monotonicMs);
    }

    /**
     * @param name      what the pass is, in log lines and the thread's name
     * @param onChanges called with what a successful pass changed, when it changed anything
     */
    ActiveControllerTimer(String name, BooleanSupplier active, Supplier<CompletableFuture<List<T>>> pass,
                          Consumer<List<T>> onChanges, long intervalMs, LongSupplier clock) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("the " + name + " interval must be positive, was " + intervalMs);
        }
        this.name = name;
        this.active = active;
        this.pass = pass;
        this.onChanges = onChanges;
        this.intervalMs = intervalMs;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-" + name.replace(' ', '-'));
            t.setDaemon(true);
            return t;
        });
    }

    private static long monotonicMs() {
        return System.nanoTime() / 1_000_000;
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
        CompletableFuture<List<T>> next;
        try {
            next = pass.get();
        } catch (RuntimeException e) {
            next = CompletableFuture.failedFuture(e);
        }
        inFlight = next;
        next.whenComplete(this::completed);
        return true;
    }

    private synchronized void completed(List<T> changes, Throwable error) {
        if (error == null) {
            if (failing) {
                failing = false;
                log.info("The {} works again", name);
            }
            if (!changes.isEmpty()) {
                onChanges.accept(changes);
            }
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof NotControllerException) {
            log.debug("The {} was skipped: {}", name, cause.getMessage());
        } else if (!failing) {
            failing = true;
            warnings++;
            log.warn("The {} failed (logged once until one succeeds; next try in {} ms): {}", name, intervalMs,
                    cause.toString());
        }
    }

    /** How many WARN lines failures have produced (for tests). */
    synchronized int warnings() {
        return warnings;
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
