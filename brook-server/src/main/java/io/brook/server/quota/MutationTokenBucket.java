package io.brook.server.quota;

/**
 * The token bucket of a {@code controller_mutation_rate} quota (KIP-599; Kafka's {@code TokenBucket} semantics):
 * it refills at the quota's rate (partitions per second) up to a burst of {@code samples × sampleMs} worth of that
 * rate ({@code controller.quota.window.num × controller.quota.window.size.seconds}, 11 s by default), starts full,
 * and every partition created or deleted takes one token. The quota is exhausted while the bucket is below zero;
 * it may go below zero by a whole topic, since a topic is never split.
 *
 * <p>Why a bucket and not the sliding-window rate of the byte quotas ({@link QuotaRate}): mutations come in large
 * lumps (a topic of 100 partitions), and a bucket lets a client wait exactly as long as the lump needs
 * ({@code -tokens / rate}) instead of until the sample holding it leaves the window.
 *
 * <p>The rate is passed to every call, not fixed: the quota may be altered between two requests, and the next
 * refill and the burst follow the new value at once, as in Kafka. Pure: the time is passed in.
 *
 * <p>Thread-safety: not thread-safe; {@link ControllerMutationQuotaManager} serializes the calls per bucket.
 */
public final class MutationTokenBucket {
    private final long burstMs;
    private double tokens;
    private long lastMs;
    private double lastRate;
    private boolean started;

    /**
     * @param samples  {@code controller.quota.window.num} (at least 1)
     * @param sampleMs {@code controller.quota.window.size.seconds} in ms (at least 1)
     */
    public MutationTokenBucket(int samples, long sampleMs) {
        if (samples < 1 || sampleMs < 1) {
            throw new IllegalArgumentException("samples and sample length must be positive: " + samples + ", "
                    + sampleMs);
        }
        this.burstMs = samples * sampleMs;
    }

    /** The tokens at {@code nowMs} under a quota of {@code rate} per second (negative: exhausted). */
    public double tokens(double rate, long nowMs) {
        refill(rate, nowMs);
        return tokens;
    }

    /**
     * A strict mutation (Kafka's {@code StrictControllerMutationQuota}): refused while the bucket is below zero,
     * else taken whole, however far below zero it leaves the bucket. Returns 0 when taken, else the ms until the
     * bucket is back at zero (at least 1), the bucket unchanged.
     */
    public long tryTake(double permits, double rate, long nowMs) {
        refill(rate, nowMs);
        if (tokens < 0) {
            return deficitMs(rate);
        }
        tokens -= permits;
        return 0;
    }

    /**
     * A permissive mutation (Kafka's {@code PermissiveControllerMutationQuota}, older request versions): always
     * taken; returns the ms until the bucket is back at zero afterwards (0 when it is not below zero).
     */
    public long take(double permits, double rate, long nowMs) {
        refill(rate, nowMs);
        tokens -= permits;
        return tokens < 0 ? deficitMs(rate) : 0;
    }

    /** Gives back {@code permits} taken for a mutation that did not happen (the controller refused it). */
    public void giveBack(double permits, double rate, long nowMs) {
        refill(rate, nowMs);
        tokens = Math.min(burst(rate), tokens + permits);
    }

    /** Milliseconds until the bucket is back at zero at {@code nowMs} (0 when it is not below zero). */
    public long throttleMs(double rate, long nowMs) {
        refill(rate, nowMs);
        return tokens < 0 ? deficitMs(rate) : 0;
    }

    /**
     * Whether the bucket is full at {@code nowMs} under the rate of its last use: it holds nothing a fresh bucket
     * would not, so it may be dropped.
     */
    public boolean full(long nowMs) {
        if (!started) {
            return true;
        }
        refill(lastRate, nowMs);
        return tokens >= burst(lastRate);
    }

    private long deficitMs(double rate) {
        return Math.max(1, (long) Math.ceil(-tokens / rate * 1000.0));
    }

    private double burst(double rate) {
        return rate * burstMs / 1000.0;
    }

    private void refill(double rate, long nowMs) {
        lastRate = rate;
        if (!started) {
            started = true;
            tokens = burst(rate);
        } else if (nowMs > lastMs) {
            tokens = Math.min(burst(rate), tokens + rate * (nowMs - lastMs) / 1000.0);
        } else {
            tokens = Math.min(burst(rate), tokens); // a lowered quota also lowers the burst at once
        }
        lastMs = Math.max(lastMs, nowMs);
    }
}
