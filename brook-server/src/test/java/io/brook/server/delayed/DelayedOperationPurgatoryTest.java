package io.brook.server.delayed;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Random;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The purgatory on a manual clock: 100,000 operations waiting for a key's offset to reach theirs,
 * completed by events or expired by the wheel, some cancelled by force.
 */
class DelayedOperationPurgatoryTest {
    private static final int OPERATIONS = 100_000;
    private static final int KEYS = 100;
    private static final long MAX_TIMEOUT_MS = 120_000;

    private final AtomicLong clock = new AtomicLong(5_000);
    /** The "high watermark" of each key: operations wait for it to reach their offset. */
    private final long[] offsets = new long[KEYS];

    /** Waits for {@code offsets[key] >= target}. */
    private final class Op extends DelayedOperation {
        final int key;
        final long target;
        final long deadline;
        int completions;
        int expiries;
        long answeredAt = -1;

        Op(int key, long target, long timeoutMs) {
            super(timeoutMs);
            this.key = key;
            this.target = target;
            this.deadline = clock.get() + timeoutMs;
        }

        @Override
        protected boolean canComplete() {
            return offsets[key] >= target;
        }

        @Override
        protected void onComplete() {
            completions++;
            answeredAt = clock.get();
        }

        @Override
        protected void onExpire() {
            expiries++;
            answeredAt = clock.get();
            if (canComplete()) {
                fail("an operation whose condition held expired instead of completing");
            }
        }
    }

    private static void drain(HierarchicalTimer timer) throws InterruptedException {
        while (timer.advanceClock(0)) {
            // all due buckets
        }
    }

    @Test
    void operationsCompleteByEventOrExpireOnTimeExactlyOnce() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
        DelayedOperationPurgatory<Integer> purgatory = new DelayedOperationPurgatory<>("test", timer);
        Random random = new Random(17);
        List<Op> ops = new ArrayList<>(OPERATIONS);
        List<Op> forced = new ArrayList<>();
        int completedAtOnce = 0;
        while (ops.size() < OPERATIONS) {
            // park a batch: some are already satisfied, most wait for a few more events
            for (int i = 0; i < 1_000; i++) {
                int key = random.nextInt(KEYS);
                Op op = new Op(key, offsets[key] + random.nextInt(40) - 2, 1 + random.nextLong(MAX_TIMEOUT_MS));
                ops.add(op);
                if (purgatory.tryCompleteElseWatch(op, List.of(key))) {
                    completedAtOnce++;
                    assertEquals(1, op.completions);
                }
            }
            // events: some keys move forward
            for (int i = 0; i < 300; i++) {
                int key = random.nextInt(KEYS);
                offsets[key] += random.nextInt(3);
                purgatory.checkAndComplete(key);
            }
            // a few are completed by force (a partition deleted, say): they leave the wheel at once
            for (int i = 0; i < 20; i++) {
                Op op = ops.get(random.nextInt(ops.size()));
                int before = timer.size();
                if (op.forceComplete()) {
                    forced.add(op);
                    assertEquals(before - 1, timer.size(), "a completed operation leaves the wheel at once");
                }
            }
            assertEquals(pending(ops), timer.size(), "the wheel holds exactly the operations still waiting");
            clock.addAndGet(random.nextInt(2_000));
            drain(timer);
            checkAnswers(ops);
        }
        clock.addAndGet(MAX_TIMEOUT_MS + 1);
        drain(timer);
        checkAnswers(ops);
        int completed = 0;
        int expired = 0;
        for (Op op : ops) {
            assertEquals(1, op.completions + op.expiries, "exactly one of complete and expire runs");
            completed += op.completions;
            expired += op.expiries;
            if (op.expiries == 1) {
                assertTrue(op.answeredAt >= op.deadline, "expired before its timeout");
            }
        }
        assertTrue(completedAtOnce > 1_000 && completed - completedAtOnce - forced.size() > 10_000 && expired > 5_000,
                "each path is exercised: at once " + completedAtOnce + ", completed " + completed + ", expired "
                        + expired);
        assertEquals(0, timer.size());
        assertEquals(0, purgatory.watched(), "answered operations leave their watch lists");
        assertEquals(0, purgatory.watchedKeys());
    }

    private static int pending(List<Op> ops) {
        int n = 0;
        for (Op op : ops) {
            n += op.isCompleted() ? 0 : 1;
        }
        return n;
    }

    /** Nothing expires early, nothing waits more than a tick past its timeout. */
    private void checkAnswers(List<Op> ops) {
        long now = clock.get();
        for (Op op : ops) {
            if (op.expiries > 0 && op.answeredAt < op.deadline) {
                fail("an operation expired at " + op.answeredAt + " before its deadline " + op.deadline);
            }
            if (!op.isCompleted() && op.deadline <= now - 1) {
                fail("an operation due at " + op.deadline + " still waits at " + now);
            }
        }
    }

    @Test
    void alignedDeadlinesEndTogetherNeverLateAndLongTimeoutsOnly() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
        DelayedOperationPurgatory<Integer> purgatory = new DelayedOperationPurgatory<>("test", timer, 10);
        clock.set(10_003);
        Op first = new Op(0, 1, 500); // due at 10,503: aligned to 10,500
        purgatory.tryCompleteElseWatch(first, List.of(0));
        clock.set(10_008);
        Op second = new Op(0, 1, 500); // due at 10,508: also 10,500
        purgatory.tryCompleteElseWatch(second, List.of(0));
        Op shortOne = new Op(0, 1, 95); // under 10 alignments: kept exact, due at 10,103
        purgatory.tryCompleteElseWatch(shortOne, List.of(0));
        clock.set(10_102);
        drain(timer);
        assertEquals(0, shortOne.expiries);
        clock.set(10_103);
        drain(timer);
        assertEquals(1, shortOne.expiries);
        clock.set(10_499);
        drain(timer);
        assertEquals(0, first.expiries + second.expiries);
        clock.set(10_500);
        drain(timer);
        assertEquals(1, first.expiries);
        assertEquals(1, second.expiries, "parked 5 ms apart, expired together");
        clock.set(20_000);
        assertEquals(500, purgatory.expiryDelayMs(500), "a deadline already aligned is kept");
        assertEquals(490, new DelayedOperationPurgatory<Integer>("exact", timer).expiryDelayMs(490));
        // the same on a thread of its own, whose clock reads nanoseconds: 10,003.25 ms + 500 ms ends at 10,500 ms
        long ms = 1_000_000;
        assertEquals(496_750_000, purgatory.alignedDelay(10_003 * ms + 250_000, 500, TimeUnit.NANOSECONDS));
        assertEquals(95 * ms, purgatory.alignedDelay(12_003 * ms + 250_000, 95, TimeUnit.NANOSECONDS),
                "under 10 alignments: kept exact");
    }

    @Test
    void anOperationWatchedUnderSeveralKeysCompletesOnceAndLeavesAllOfThem() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
        DelayedOperationPurgatory<Integer> purgatory = new DelayedOperationPurgatory<>("test", timer);
        Op op = new Op(3, 1, 1_000);
        assertFalse(purgatory.tryCompleteElseWatch(op, List.of(1, 2, 3)));
        assertEquals(3, purgatory.watched());
        assertEquals(1, timer.size());
        assertEquals(0, purgatory.checkAndComplete(1));
        offsets[3] = 1;
        assertEquals(1, purgatory.checkAndComplete(3));
        assertEquals(0, purgatory.checkAndComplete(2));
        assertEquals(1, op.completions);
        assertEquals(0, purgatory.watched());
        assertEquals(0, timer.size());
        clock.addAndGet(2_000);
        drain(timer);
        assertEquals(0, op.expiries);
    }

    @Test
    void anExpiredOperationLeavesItsWatchListsWithoutAnEvent() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
        DelayedOperationPurgatory<Integer> purgatory = new DelayedOperationPurgatory<>("test", timer);
        Op op = new Op(0, 10, 50);
        purgatory.tryCompleteElseWatch(op, List.of(0, 1));
        clock.addAndGet(50);
        drain(timer);
        assertEquals(1, op.expiries);
        assertEquals(0, purgatory.watched());
        assertEquals(0, purgatory.watchedKeys());
    }

    @Test
    void eventsCompleteOperationsOnTheCallerEvenWhenTheExecutorRefusesWork() throws InterruptedException {
        // the node's request executor full or shut down: completion by event needs no executor, and
        // expiry falls back to the reaper's thread
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, task -> {
            throw new RejectedExecutionException("full");
        });
        DelayedOperationPurgatory<Integer> purgatory = new DelayedOperationPurgatory<>("test", timer);
        Op byEvent = new Op(0, 1, 1_000);
        Op byTimeout = new Op(1, 1, 1_000);
        purgatory.tryCompleteElseWatch(byEvent, List.of(0));
        purgatory.tryCompleteElseWatch(byTimeout, List.of(1));
        offsets[0] = 1;
        assertEquals(1, purgatory.checkAndComplete(0));
        assertEquals(1, byEvent.completions);
        clock.addAndGet(1_000);
        drain(timer);
        assertEquals(1, byTimeout.expiries);
    }
}
