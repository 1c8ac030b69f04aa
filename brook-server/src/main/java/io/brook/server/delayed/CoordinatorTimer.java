package io.brook.server.delayed;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The coordinators' timer port on the timing wheel: join, sync, session and revocation deadlines
 * and marker retries are wheel tasks, so the cancel that every heartbeat does to its previous
 * session deadline takes that task out of the wheel at once instead of leaving it queued until
 * it would have fired.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class CoordinatorTimer implements GroupCoordinator.Timer, TransactionCoordinator.Timer {
    private final HierarchicalTimer timer;

    public CoordinatorTimer(HierarchicalTimer timer) {
        this.timer = timer;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        Scheduled scheduled = new Scheduled(task, timer.nowMs() + Math.max(0, delayMs));
        timer.add(scheduled, delayMs);
        return scheduled.future;
    }

    /** A wheel task seen by the coordinators as a {@link ScheduledFuture}. */
    private final class Scheduled extends TimerTask {
        private final Runnable action;
        private final long deadlineMs;
        private final CountDownLatch done = new CountDownLatch(1);
        final ScheduledFuture<Void> future = new Future();

        Scheduled(Runnable action, long deadlineMs) {
            this.action = action;
            this.deadlineMs = deadlineMs;
        }

        @Override
        public void run() {
            if (isCancelled()) {
                return;
            }
            try {
                action.run();
            } finally {
                done.countDown();
            }
        }

        private final class Future implements ScheduledFuture<Void> {
            @Override
            public long getDelay(TimeUnit unit) {
                return unit.convert(deadlineMs - timer.nowMs(), TimeUnit.MILLISECONDS);
            }

            @Override
            public int compareTo(Delayed other) {
                return Long.compare(getDelay(TimeUnit.MILLISECONDS), other.getDelay(TimeUnit.MILLISECONDS));
            }

            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                boolean wasPending = done.getCount() > 0 && !isCancelled();
                Scheduled.this.cancel();
                done.countDown();
                return wasPending;
            }

            @Override
            public boolean isCancelled() {
                return Scheduled.this.isCancelled();
            }

            @Override
            public boolean isDone() {
                return done.getCount() == 0;
            }

            @Override
            public Void get() throws InterruptedException {
                done.await();
                return null;
            }

            @Override
            public Void get(long timeout, TimeUnit unit) throws InterruptedException, TimeoutException {
                if (!done.await(timeout, unit)) {
                    throw new TimeoutException();
                }
                return null;
            }
        }
    }
}
