package io.brook.server.quota;

import java.util.ArrayDeque;

/**
 * A byte rate over a sliding window of samples (Kafka's {@code quota.window.num} samples of
 * {@code quota.window.size.seconds} each): a sample starts at the first record past the previous sample's
 * window and is dropped once it started more than {@code samples × sampleMs} ago. The rate is the bytes of the
 * kept samples over the time since the oldest one started, at least one sample's length.
 *
 * <p>Deliberate difference from Kafka's {@code Rate}: Kafka pads the elapsed time of a young window to
 * {@code samples - 1} full samples, which lets a new client send about ten seconds' worth of its quota in a burst
 * and then be throttled for as long (a saw tooth); here the elapsed time is the real one (at least one sample),
 * so a client gets at most one sample's worth ahead and is then held to its quota from the start.
 *
 * <p>The throttle time is, as in Kafka, how long the client must stay silent for the rate over the window, grown by
 * that silence, to come back to the quota: {@code bytes / quota - age of the window} (Kafka's
 * {@code (rate - quota) / quota × window} with the window's real age), bounded by the whole window.
 *
 * <p>Thread-safety: not thread-safe; {@link ClientQuotaManager} synchronizes on each instance.
 */
public final class QuotaRate {
    private record Sample(long startMs, double[] bytes) {
    }

    private final int samples;
    private final long sampleMs;
    private final ArrayDeque<Sample> window = new ArrayDeque<>();
    private long lastRecordMs = Long.MIN_VALUE;

    public QuotaRate(int samples, long sampleMs) {
        if (samples < 1 || sampleMs < 1) {
            throw new IllegalArgumentException("samples and sample length must be positive: " + samples + ", "
                    + sampleMs);
        }
        this.samples = samples;
        this.sampleMs = sampleMs;
    }

    /** Adds {@code bytes} at {@code nowMs}. */
    public void record(double bytes, long nowMs) {
        purge(nowMs);
        Sample last = window.peekLast();
        if (last == null || nowMs - last.startMs() >= sampleMs) {
            last = new Sample(nowMs, new double[1]);
            window.addLast(last);
        }
        last.bytes()[0] += bytes;
        lastRecordMs = nowMs;
    }

    /** Bytes per second over the window at {@code nowMs}. */
    public double rate(long nowMs) {
        purge(nowMs);
        return window.isEmpty() ? 0 : total() * 1000.0 / elapsedMs(nowMs);
    }

    /**
     * Milliseconds the client must wait at {@code nowMs} for its rate to be back at {@code bytesPerSecond}
     * (0 when it is not above it), at most the whole window.
     */
    public long throttleMs(double bytesPerSecond, long nowMs) {
        purge(nowMs);
        if (window.isEmpty()) {
            return 0;
        }
        double total = total();
        if (total * 1000.0 / elapsedMs(nowMs) <= bytesPerSecond) {
            return 0;
        }
        // the window must grow to total / quota: from its real age, not the one-sample floor, which does not grow
        double ms = total * 1000.0 / bytesPerSecond - (nowMs - window.peekFirst().startMs());
        return Math.min((long) Math.ceil(ms), samples * sampleMs);
    }

    /** Whether the window holds no bytes at {@code nowMs} (nothing recorded in it, or all taken back). */
    public boolean holdsNothing(long nowMs) {
        purge(nowMs);
        return window.isEmpty() || total() <= 0;
    }

    /** Whether nothing was recorded within the whole window before {@code nowMs} (the rate is empty). */
    public boolean idle(long nowMs) {
        return nowMs - lastRecordMs > samples * sampleMs;
    }

    private long elapsedMs(long nowMs) {
        return Math.max(nowMs - window.peekFirst().startMs(), sampleMs);
    }

    private double total() {
        double total = 0;
        for (Sample sample : window) {
            total += sample.bytes()[0];
        }
        return total;
    }

    private void purge(long nowMs) {
        while (!window.isEmpty() && nowMs - window.peekFirst().startMs() >= samples * sampleMs) {
            window.removeFirst();
        }
    }
}
