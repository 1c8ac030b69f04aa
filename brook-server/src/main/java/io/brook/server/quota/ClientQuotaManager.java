package io.brook.server.quota;

import io.brook.metadata.image.ClientQuotasImage;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Byte-rate quotas of clients (Kafka's {@code ClientQuotaManager}, one instance per node for all keys): records
 * what a (user, client id) sent or fetched against the quota that applies to it ({@link QuotaPrecedence}, read
 * from the current metadata image, so a change applies to the next request) and answers how long it must be
 * throttled. Traffic with no quota is not tracked. One {@link QuotaRate} per (key, counted user, counted client id);
 * rates idle for a whole window hold nothing and are dropped on the next sweep (at most one per window), so
 * many short-lived client ids do not accumulate.
 *
 * <p>Thread-safety: thread-safe (called from every network event loop and request thread); each rate is
 * updated under its own lock.
 */
public final class ClientQuotaManager {
    /** Kafka's default {@code quota.window.num}. */
    public static final int DEFAULT_SAMPLES = 11;
    /** Kafka's default {@code quota.window.size.seconds}, in ms. */
    public static final long DEFAULT_SAMPLE_MS = 1000;

    private record RateKey(String quotaKey, String user, String clientId) {
    }

    /** A rate to record into, the quota limit it is held to (bytes/s) and the time to record at. */
    private record Counted(QuotaRate rate, double limit, long now) {
    }

    private final Supplier<ClientQuotasImage> quotas;
    private final LongSupplier clockMs;
    private final int samples;
    private final long sampleMs;
    private final Map<RateKey, QuotaRate> rates = new ConcurrentHashMap<>();
    private volatile long nextSweepMs;

    public ClientQuotaManager(Supplier<ClientQuotasImage> quotas, LongSupplier clockMs, int samples, long sampleMs) {
        this.quotas = quotas;
        this.clockMs = clockMs;
        this.samples = samples;
        this.sampleMs = sampleMs;
    }

    /**
     * Records {@code bytes} of quota {@code key} for {@code user} and {@code clientId} (null is the empty client
     * id); returns the throttle time in ms (0 without a quota or within it).
     */
    public long recordAndGetThrottleMs(String key, String user, String clientId, double bytes) {
        Counted counted = counted(key, user, clientId);
        if (counted == null) {
            return 0;
        }
        QuotaRate rate = counted.rate();
        synchronized (rate) {
            rate.record(bytes, counted.now());
            return rate.throttleMs(counted.limit(), counted.now());
        }
    }

    /**
     * Records {@code bytes} of quota {@code key} unless that puts the client over its quota: then they are taken
     * back at once, under the same lock, and the throttle time is returned (Kafka unrecords the bytes of a fetch it
     * throttles, since they are not sent). 0 without a quota or within it. Bytes into a window that holds nothing
     * are always taken (0 returned; the next call is throttled for them): a single batch larger than the whole
     * window's worth would otherwise be refused for ever.
     */
    public long recordUnlessThrottled(String key, String user, String clientId, double bytes) {
        Counted counted = counted(key, user, clientId);
        if (counted == null) {
            return 0;
        }
        QuotaRate rate = counted.rate();
        long now = counted.now();
        synchronized (rate) {
            boolean idle = rate.holdsNothing(now);
            rate.record(bytes, now);
            long throttleMs = rate.throttleMs(counted.limit(), now);
            if (throttleMs > 0 && idle) {
                return 0;
            }
            if (throttleMs > 0) {
                rate.record(-bytes, now);
            }
            return throttleMs;
        }
    }

    /**
     * The throttle time in ms that {@code bytes} of quota {@code key} would put {@code user} and {@code clientId} to,
     * without counting them (0 without a quota or within it): for a fetch answered empty for another quota, whose
     * bytes are not sent but whose throttle time is the larger of both, as in Kafka.
     */
    public long throttleMsIfRecorded(String key, String user, String clientId, double bytes) {
        Counted counted = counted(key, user, clientId);
        if (counted == null) {
            return 0;
        }
        QuotaRate rate = counted.rate();
        long now = counted.now();
        synchronized (rate) {
            rate.record(bytes, now);
            long throttleMs = rate.throttleMs(counted.limit(), now);
            rate.record(-bytes, now);
            return throttleMs;
        }
    }

    /**
     * The bytes one sample may hold at the quota {@code key} of {@code user} and {@code clientId}, at least 1
     * ({@link Long#MAX_VALUE} without a quota): a consumer's fetch reads no more (Kafka caps it by what its quota
     * window holds), so a response is never too big to pass the quota once the client waited its throttle time.
     */
    public long bytesPerSample(String key, String user, String clientId) {
        QuotaPrecedence.Applied applied = QuotaPrecedence.resolve(quotas.get(), key, user,
                clientId == null ? "" : clientId);
        if (applied == null) {
            return Long.MAX_VALUE;
        }
        return Math.max(1, (long) Math.min(Long.MAX_VALUE / 2.0, applied.limit() * sampleMs / 1000.0));
    }

    /** Whether any client quota is set (without one, nothing needs counting). */
    public boolean active() {
        return !quotas.get().isEmpty();
    }

    /** The length of one sample, in ms (Kafka caps a request-time throttle at it). */
    public long sampleMs() {
        return sampleMs;
    }

    /** The rates held (for tests and metrics). */
    int trackedRates() {
        return rates.size();
    }

    /**
     * The rate that counts {@code key} for {@code user} and {@code clientId} (null is the empty client id) with the
     * quota that applies and the current time, after a sweep of idle rates; null without a quota (nothing counted).
     */
    private Counted counted(String key, String user, String clientId) {
        QuotaPrecedence.Applied applied = QuotaPrecedence.resolve(quotas.get(), key, user,
                clientId == null ? "" : clientId);
        if (applied == null) {
            return null;
        }
        long now = clockMs.getAsLong();
        sweep(now);
        QuotaRate rate = rates.computeIfAbsent(new RateKey(key, applied.countedUser(), applied.countedClientId()),
                k -> new QuotaRate(samples, sampleMs));
        return new Counted(rate, applied.limit(), now);
    }

    private void sweep(long now) {
        if (now < nextSweepMs) {
            return;
        }
        nextSweepMs = now + samples * sampleMs;
        rates.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue().idle(now);
            }
        });
    }
}
