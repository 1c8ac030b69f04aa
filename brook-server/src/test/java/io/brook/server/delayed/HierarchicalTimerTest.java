package io.brook.server.delayed;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The timing wheel on a manual clock: expiry order and precision, cancellation, refused executors. */
class HierarchicalTimerTest {
    private static final int TASKS = 100_000;
    /** Deadlines up to ten minutes: five levels of a 1 ms x 20 wheel. */
    private static final long MAX_DELAY_MS = 600_000;

    private final AtomicLong clock = new AtomicLong(1_000_000);

    /** A task that records when it ran. */
    private class Probe extends TimerTask {
        final long deadline;
        long firedAt = -1;
        int runs;

        Probe(long deadline) {
            this.deadline = deadline;
        }

        @Override
        public void run() {
            runs++;
            firedAt = clock.get();
        }
    }

    private static void drain(HierarchicalTimer timer) throws InterruptedException {
        while (timer.advanceClock(0)) {
            // every due bucket, including ones re-filled from overflow wheels
        }
    }

    @ParameterizedTest(name = "tick {0} ms, wheel size {1}")
    @CsvSource({"1, 20", "10, 8", "7, 3"})
    void tasksExpireInOrderNeverEarlyAndWithinOneTick(long tickMs, int wheelSize) throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(tickMs, wheelSize, clock::get, Runnable::run);
        Random random = new Random(42 + tickMs);
        List<Probe> probes = new ArrayList<>(TASKS);
        // half at the start, half added while time moves
        for (int i = 0; i < TASKS / 2; i++) {
            long delay = random.nextLong(MAX_DELAY_MS + 1);
            Probe p = new Probe(clock.get() + delay);
            probes.add(p);
            timer.add(p, delay);
        }
        assertEquals(TASKS / 2 - countFired(probes), timer.size());
        long end = clock.get() + MAX_DELAY_MS + 10 * tickMs;
        while (clock.get() < end) {
            clock.addAndGet(1 + random.nextInt(random.nextBoolean() ? 3 : 5_000));
            drain(timer);
            long now = clock.get();
            for (Probe p : probes) {
                if (p.runs > 0) {
                    if (p.firedAt < p.deadline) {
                        fail("a task due at " + p.deadline + " ran early, at " + p.firedAt);
                    }
                } else if (p.deadline <= now - tickMs) {
                    fail("a task due at " + p.deadline + " had not run at " + now + " (tick " + tickMs + ")");
                }
            }
            for (int i = 0; i < 400 && probes.size() < TASKS; i++) {
                long delay = random.nextLong(MAX_DELAY_MS / 2);
                Probe p = new Probe(now + delay);
                probes.add(p);
                timer.add(p, delay);
            }
        }
        while (probes.size() < TASKS) { // (not reached with these figures; keeps the count exact)
            Probe p = new Probe(clock.get());
            probes.add(p);
            timer.add(p, 0);
        }
        clock.addAndGet(MAX_DELAY_MS + tickMs);
        drain(timer);
        for (Probe p : probes) {
            assertEquals(1, p.runs, "every task runs exactly once");
            assertTrue(p.firedAt >= p.deadline);
        }
        assertEquals(0, timer.size());
    }

    private static int countFired(List<Probe> probes) {
        int n = 0;
        for (Probe p : probes) {
            n += p.runs > 0 ? 1 : 0;
        }
        return n;
    }

    @Test
    void aCancelledTaskLeavesTheWheelAtOnceAndNeverRuns() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
        Random random = new Random(7);
        List<Probe> probes = new ArrayList<>(TASKS);
        for (int i = 0; i < TASKS; i++) {
            long delay = 1 + random.nextLong(MAX_DELAY_MS);
            Probe p = new Probe(clock.get() + delay);
            probes.add(p);
            timer.add(p, delay);
        }
        assertEquals(TASKS, timer.size());
        List<Probe> cancelled = new ArrayList<>();
        int pending = TASKS;
        long end = clock.get() + MAX_DELAY_MS + 1;
        while (clock.get() < end) {
            // cancel a few not yet run: the size drops by exactly that many, before any time passes
            for (int i = 0; i < 50; i++) {
                Probe p = probes.get(random.nextInt(TASKS));
                if (p.runs == 0 && !p.isCancelled()) {
                    p.cancel();
                    p.cancel(); // twice is harmless
                    cancelled.add(p);
                    pending--;
                    assertEquals(pending, timer.size());
                }
            }
            clock.addAndGet(1 + random.nextInt(3_000));
            drain(timer);
            pending = TASKS - cancelled.size() - countFired(probes);
            assertEquals(pending, timer.size());
        }
        for (Probe p : cancelled) {
            assertEquals(0, p.runs, "a cancelled task never runs");
        }
        assertEquals(TASKS - cancelled.size(), countFired(probes));
        assertTrue(cancelled.size() > 5_000, "the test cancelled a good share: " + cancelled.size());
        assertEquals(0, timer.size());
    }

    @Test
    void aTaskCancelledBeforeItIsAddedIsNeverQueued() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
        Probe p = new Probe(clock.get() + 5);
        p.cancel();
        timer.add(p, 5);
        assertEquals(0, timer.size());
        clock.addAndGet(10);
        drain(timer);
        assertEquals(0, p.runs);
    }

    @Test
    void aDueTaskRunsOnTheCallerWhenTheExecutorRefusesIt() throws InterruptedException {
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, task -> {
            throw new RejectedExecutionException("full");
        });
        Probe later = new Probe(clock.get() + 100);
        timer.add(later, 100);
        Probe now = new Probe(clock.get());
        timer.add(now, 0);
        assertEquals(1, now.runs, "a task due at once runs even though the executor refuses it");
        clock.addAndGet(100);
        drain(timer);
        assertEquals(1, later.runs, "an expired task runs even though the executor refuses it");
    }

    @Test
    void aTaskThatAsksForTheTimersThreadSkipsTheExecutor() throws InterruptedException {
        List<Runnable> handedOver = new ArrayList<>();
        HierarchicalTimer timer = new HierarchicalTimer(1, 20, clock::get, handedOver::add);
        Probe quick = new Probe(clock.get() + 10) {
            @Override
            protected boolean runsOnTimerThread() {
                return true;
            }
        };
        Probe usual = new Probe(clock.get() + 10);
        timer.add(quick, 10);
        timer.add(usual, 10);
        clock.addAndGet(10);
        drain(timer);
        assertEquals(1, quick.runs, "run by the thread that advanced the clock");
        assertEquals(List.of(usual), handedOver, "the other task went to the executor");
        assertEquals(0, usual.runs);
        timer.execute(() -> { });
        assertEquals(2, handedOver.size(), "execute hands work to the executor");
    }

    @Test
    void concurrentAddsAndCancelsOnTheRealClockRunEachLiveTaskOnce() throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(2);
        HierarchicalTimer timer = HierarchicalTimer.system(executor);
        int perThread = 20_000;
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger cancelledRuns = new AtomicInteger();
        AtomicInteger kept = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try (ExpirationReaper reaper = new ExpirationReaper(timer, "test-reaper").start()) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                Random random = new Random(t);
                Thread thread = new Thread(() -> {
                    try {
                        start.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        boolean cancel = random.nextBoolean();
                        // cancelled tasks are due a second later: the cancel comes well before that
                        TimerTask task = cancel ? timer.schedule(cancelledRuns::incrementAndGet, 1_000 + random.nextInt(300))
                                : timer.schedule(ran::incrementAndGet, random.nextInt(300));
                        if (cancel) {
                            task.cancel();
                        } else {
                            kept.incrementAndGet();
                        }
                    }
                });
                thread.start();
                threads.add(thread);
            }
            start.countDown();
            for (Thread thread : threads) {
                thread.join(30_000);
                assertFalse(thread.isAlive());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ran.get() < kept.get() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } finally {
            executor.shutdown();
            assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(kept.get(), ran.get(), "every task not cancelled ran once");
        assertEquals(0, cancelledRuns.get());
        assertEquals(0, timer.size(), "cancelled tasks left the wheel before their deadline");
    }
}
