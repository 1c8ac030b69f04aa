package io.brook.coordinator;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A timer the test advances by hand; tasks run in deadline order on the test thread. */
public final class ManualTimer implements GroupCoordinator.Timer, TransactionCoordinator.Timer {
    private long nowMs;
    private final List<Task> tasks = new ArrayList<>();

    final class Task implements ScheduledFuture<Object> {
        final long deadline;
        final Runnable runnable;
        boolean cancelled;

        Task(long deadline, Runnable runnable) {
            this.deadline = deadline;
            this.runnable = runnable;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(deadline - nowMs, TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.MILLISECONDS), o.getDelay(TimeUnit.MILLISECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public Object get() {
            return null;
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            return null;
        }
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        Task t = new Task(nowMs + delayMs, task);
        tasks.add(t);
        return t;
    }

    public long now() {
        return nowMs;
    }

    public void advance(long ms) {
        long target = nowMs + ms;
        while (true) {
            Task next = tasks.stream().filter(t -> !t.cancelled && t.deadline <= target)
                    .min(Comparator.comparingLong(t -> t.deadline)).orElse(null);
            if (next == null) {
                break;
            }
            tasks.remove(next);
            nowMs = next.deadline;
            next.runnable.run();
        }
        nowMs = target;
    }
}
