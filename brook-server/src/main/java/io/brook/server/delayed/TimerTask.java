package io.brook.server.delayed;

/**
 * Work the {@link HierarchicalTimer} runs once its delay has passed, unless cancelled first.
 * Cancelling takes the task out of its wheel bucket at once, so a cancelled task costs nothing
 * until its deadline (the defect of a {@code ScheduledThreadPoolExecutor}, which keeps cancelled
 * tasks queued).
 *
 * <p>A task may be added to a timer once. Thread-safety: {@link #cancel} may be called from any
 * thread, at any time, any number of times.
 */
public abstract class TimerTask implements Runnable {
    // volatile, not guarded: a bucket reads it under its own lock, which must not wait for this monitor
    private volatile boolean cancelled;
    private TimerBucket.Entry entry; // guarded by this

    /** Cancels the task: it will not run (unless it already started), and it leaves the wheel now. */
    public void cancel() {
        TimerBucket.Entry e;
        synchronized (this) {
            cancelled = true;
            e = entry;
            entry = null;
        }
        if (e != null) {
            e.remove();
        }
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Binds the task to its wheel entry; false if it was cancelled before. */
    synchronized boolean bind(TimerBucket.Entry e) {
        if (cancelled) {
            return false;
        }
        if (entry != null) {
            throw new IllegalStateException("A timer task may be scheduled once");
        }
        entry = e;
        return true;
    }

    /**
     * Whether the timer runs this task on its own thread instead of handing it to its executor: one thread
     * hand-off less, for work that is quick and never waits (no file read); every later expiry waits behind it.
     */
    protected boolean runsOnTimerThread() {
        return false;
    }

    /** Wraps a runnable. */
    public static TimerTask of(Runnable action) {
        return new TimerTask() {
            @Override
            public void run() {
                action.run();
            }
        };
    }
}
