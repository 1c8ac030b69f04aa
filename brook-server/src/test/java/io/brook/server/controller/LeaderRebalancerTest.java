package io.brook.server.controller;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotControllerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When {@link LeaderRebalancer} passes, on a fake clock (its timer thread is never started): one interval
 * after becoming active, then every interval, never while not active, one pass at a time.
 */
@Timeout(30)
class LeaderRebalancerTest {
    private static final long INTERVAL_MS = 300_000;

    private final AtomicLong clock = new AtomicLong(5_000);
    private final AtomicBoolean active = new AtomicBoolean(true);
    private final AtomicInteger passes = new AtomicInteger();
    private CompletableFuture<List<TopicPartition>> next = CompletableFuture.completedFuture(List.of());

    private LeaderRebalancer rebalancer() {
        return new LeaderRebalancer(active::get, () -> {
            passes.incrementAndGet();
            return next;
        }, INTERVAL_MS, clock::get);
    }

    @Test
    void aPassIsDueOneIntervalAfterBecomingActiveThenEveryInterval() {
        try (LeaderRebalancer r = rebalancer()) {
            assertFalse(r.tick(), "just became active: wait one interval");
            clock.addAndGet(INTERVAL_MS - 1);
            assertFalse(r.tick());
            clock.addAndGet(1);
            assertTrue(r.tick());
            assertEquals(1, passes.get());
            clock.addAndGet(INTERVAL_MS / 2);
            assertFalse(r.tick());
            clock.addAndGet(INTERVAL_MS / 2);
            assertTrue(r.tick());
            assertEquals(2, passes.get());
        }
    }

    @Test
    void aStandbyNeverPassesAndStartsItsIntervalAgainOnceActive() {
        try (LeaderRebalancer r = rebalancer()) {
            r.tick();
            active.set(false);
            clock.addAndGet(3 * INTERVAL_MS);
            assertFalse(r.tick());
            active.set(true);
            assertFalse(r.tick(), "active again: a full interval first");
            clock.addAndGet(INTERVAL_MS);
            assertTrue(r.tick());
            assertEquals(1, passes.get());
        }
    }

    @Test
    void onePassAtATimeAndAFailedPassIsTriedAgainNextInterval() {
        try (LeaderRebalancer r = rebalancer()) {
            r.tick();
            CompletableFuture<List<TopicPartition>> slow = new CompletableFuture<>();
            next = slow;
            clock.addAndGet(INTERVAL_MS);
            assertTrue(r.tick());
            clock.addAndGet(INTERVAL_MS);
            assertFalse(r.tick(), "the previous pass has not completed");
            slow.completeExceptionally(new NotControllerException("lost it"));
            next = CompletableFuture.failedFuture(new IllegalStateException("boom"));
            assertTrue(r.tick());
            next = CompletableFuture.completedFuture(List.of(new TopicPartition("t", 0)));
            clock.addAndGet(INTERVAL_MS);
            assertTrue(r.tick());
            assertEquals(3, passes.get());
        }
    }
}
