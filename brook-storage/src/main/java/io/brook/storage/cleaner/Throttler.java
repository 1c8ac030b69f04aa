package io.brook.storage.cleaner;

import org.apache.kafka.common.utils.Time;

/**
 * Keeps the cleaner's I/O under a rate: callers report bytes, and are put to sleep when the
 * rate over the current check period runs ahead of the limit. Thread-safe; shared by the
 * cleaner threads so the limit holds for all of them together.
 */
final class Throttler {
    private static final long CHECK_PERIOD_MS = 100;

    private final double bytesPerSecond;
    private final Time time;
    private long periodStartMs;
    private long periodBytes;

    Throttler(double bytesPerSecond, Time time) {
        this.bytesPerSecond = bytesPerSecond;
        this.time = time;
        this.periodStartMs = time.milliseconds();
    }

    void maybeThrottle(long bytes) {
        if (bytesPerSecond == Double.MAX_VALUE) {
            return;
        }
        long sleepMs;
        synchronized (this) {
            periodBytes += bytes;
            long elapsedMs = time.milliseconds() - periodStartMs;
            if (elapsedMs < CHECK_PERIOD_MS) {
                return;
            }
            sleepMs = (long) (periodBytes * 1000 / bytesPerSecond) - elapsedMs;
            periodStartMs = time.milliseconds() + Math.max(0, sleepMs);
            periodBytes = 0;
        }
        if (sleepMs > 0) {
            time.sleep(sleepMs);
        }
    }
}
