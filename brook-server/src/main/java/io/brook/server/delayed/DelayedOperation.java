package io.brook.server.delayed;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.Future;

/**
 * A request parked until an event lets it complete or its timeout runs out (a long-polling fetch,
 * a produce waiting for the high watermark). Exactly one of {@link #onComplete} and
 * {@link #onExpire} runs, once.
 *
 * <p>{@link #tryComplete} decides from in-memory state (offsets, positions), never by reading
 * files: it runs on the thread of whatever event woke it, often a request thread that has just
 * appended. It is never called concurrently with itself for one operation.
 *
 * <p>Thread-safety: safe for concurrent use; subclasses see {@code tryComplete} under the
 * operation's monitor.
 */
public abstract class DelayedOperation extends TimerTask {
    private final long timeoutMs;
    private volatile boolean completed;
    private volatile List<?> keys = List.of();
    private volatile Runnable unwatch = () -> { };
    /** The expiry when it runs on a thread of its own rather than the shared timer (null until then). */
    private volatile Future<?> ownExpiry;

    protected DelayedOperation(long timeoutMs) {
        this.timeoutMs = timeoutMs;
    }

    /** Whether the operation can complete now (it then calls {@link #forceComplete}). */
    protected abstract boolean canComplete();

    /** Answers the operation: the condition held (or it was completed by force). */
    protected abstract void onComplete();

    /** Answers the operation at its timeout. */
    protected abstract void onExpire();

    public long timeoutMs() {
        return timeoutMs;
    }

    public boolean isCompleted() {
        return completed;
    }

    /**
     * Completes the operation if it can; true if it is (now or already) complete. Checks and
     * completion hold the operation's monitor, so two events never answer it twice.
     */
    final boolean tryComplete() {
        synchronized (this) {
            if (completed) {
                return true;
            }
            if (!canComplete()) {
                return false;
            }
        }
        forceComplete(); // false only if another thread completed it meanwhile: complete either way
        return true;
    }

    /** Completes now whatever the condition: true if this call did (and ran {@link #onComplete}). */
    public final boolean forceComplete() {
        if (!claim()) {
            return false;
        }
        onComplete();
        return true;
    }

    private boolean claim() {
        synchronized (this) {
            if (completed) {
                return false;
            }
            completed = true;
        }
        cancel(); // out of the wheel at once (outside the monitor: it takes the bucket's lock)
        Future<?> expiry = ownExpiry;
        if (expiry != null) {
            expiry.cancel(false); // or out of its own thread's queue (a no-op when that expiry is what runs)
        }
        unwatch.run(); // and out of its watch lists
        return true;
    }

    /** The timer's expiry. */
    @Override
    public final void run() {
        if (claim()) {
            onExpire();
        }
    }

    /** Its expiry runs as {@code expiry} (scheduled on a thread of its own), which completing it cancels. */
    void expiresAs(Future<?> expiry) {
        ownExpiry = expiry;
        if (completed) {
            expiry.cancel(false); // completed while it was being scheduled
        }
    }

    void watchedUnder(Collection<?> watchKeys, Runnable unwatcher) {
        this.keys = List.copyOf(watchKeys);
        this.unwatch = unwatcher;
    }

    List<?> keys() {
        return keys;
    }
}
