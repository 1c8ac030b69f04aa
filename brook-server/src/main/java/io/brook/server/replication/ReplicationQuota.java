package io.brook.server.replication;

/**
 * A replication throttle (KIP-73): a byte rate measured over a sliding window of {@code samples} windows of
 * {@code windowMs} each, Kafka's {@code ReplicationQuotaManager} semantics. Bytes of throttled replicas are
 * {@link #record recorded} as they are sent (leader) or appended (follower); while the measured rate is above the
 * limit, {@link #isExceeded} tells the caller to leave throttled replicas out of the next fetch.
 *
 * <p>The rate is the bytes of the samples still in the window divided by the time they span, but never by less
 * than {@code samples - 1} whole windows (as Kafka's {@code Rate}): a burst right after a quiet period counts
 * against that span, so the limit holds on average over the window. Samples older than the window expire.
 *
 * <p>Pure: time is passed in (milliseconds, only differences count). Thread-safety: all methods are
 * synchronized; one quota is shared by the fetch handlers (leader side) or the fetcher threads (follower side).
 */
public final class ReplicationQuota {
    /** No throttle: Kafka's default for the throttled rates. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private final int samples;
    private final long windowMs;
    /** Start of each sample's window and its bytes; a ring, {@code current} is the newest. */
    private final long[] starts;
    private final long[] bytes;
    private int current;
    private volatile long limitBytesPerSecond;

    /**
     * @param samples  Kafka's {@code replication.quota.window.num} (at least 1)
     * @param windowMs Kafka's {@code replication.quota.window.size.seconds}, in milliseconds (at least 1)
     */
    public ReplicationQuota(int samples, long windowMs, long limitBytesPerSecond) {
        if (samples < 1 || windowMs < 1) {
            throw new IllegalArgumentException("samples and window must be positive: " + samples + ", " + windowMs);
        }
        this.samples = samples;
        this.windowMs = windowMs;
        this.starts = new long[samples];
        this.bytes = new long[samples];
        java.util.Arrays.fill(starts, Long.MIN_VALUE);
        this.limitBytesPerSecond = limitBytesPerSecond;
    }

    /** Changes the limit (bytes per second; {@link #UNLIMITED} removes it); the measured history stays. */
    public void setLimit(long bytesPerSecond) {
        this.limitBytesPerSecond = bytesPerSecond;
    }

    public long limit() {
        return limitBytesPerSecond;
    }

    /** The bytes the limit allows in one sample window (saturating; {@link #UNLIMITED} when there is none). */
    public long bytesPerWindow() {
        long limit = limitBytesPerSecond;
        if (limit == UNLIMITED) {
            return UNLIMITED;
        }
        return limit > UNLIMITED / windowMs ? UNLIMITED : limit * windowMs / 1000;
    }

    /** Counts {@code size} bytes of throttled replicas sent or appended at {@code nowMs}. */
    public synchronized void record(long size, long nowMs) {
        if (starts[current] == Long.MIN_VALUE || nowMs - starts[current] >= windowMs) {
            current = (current + 1) % samples;
            starts[current] = nowMs;
            bytes[current] = 0;
        }
        bytes[current] += size;
    }

    /** The measured rate at {@code nowMs}, in bytes per second. */
    public synchronized double rate(long nowMs) {
        long total = 0;
        long oldest = Long.MAX_VALUE;
        for (int i = 0; i < samples; i++) {
            if (starts[i] == Long.MIN_VALUE) {
                continue;
            }
            if (nowMs - starts[i] >= samples * windowMs) { // expired: out of the window
                starts[i] = Long.MIN_VALUE;
                bytes[i] = 0;
                continue;
            }
            total += bytes[i];
            oldest = Math.min(oldest, starts[i]);
        }
        if (total == 0) {
            return 0;
        }
        long elapsed = Math.max(0, nowMs - oldest);
        long minElapsed = (samples - 1) * windowMs;
        elapsed = Math.max(elapsed, Math.max(minElapsed, 1));
        return total * 1000.0 / elapsed;
    }

    /** Whether throttled replicas must wait: a limit is set and the measured rate is above it. */
    public boolean isExceeded(long nowMs) {
        long limit = limitBytesPerSecond;
        return limit != UNLIMITED && rate(nowMs) > limit;
    }
}
