package io.brook.server.quota;

import io.brook.metadata.image.ClientQuotasImage;
import io.brook.metadata.quota.ClientQuotaKeys;
import org.apache.kafka.common.errors.ThrottlingQuotaExceededException;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The {@code controller_mutation_rate} quotas (KIP-599; Kafka's {@code ControllerMutationQuotaManager}, one per
 * node): CreateTopics, CreatePartitions and DeleteTopics count the partitions they create or delete against the
 * quota that applies to the request's (user, client id) ({@link QuotaPrecedence}, read from the current image),
 * one {@link MutationTokenBucket} per counted entity. A request gets a {@link Mutations} to ask, topic by topic,
 * before it forwards the topic to the controller.
 *
 * <p>Strict or permissive as Kafka decides by the request's version ({@link #strict}): a client new enough to
 * understand THROTTLING_QUOTA_EXCEEDED gets that error for a topic while the bucket is below zero (and retries
 * after the throttle time); an older client's mutations are all done and it is only throttled (response
 * {@code throttle_time_ms}, connection muted).
 *
 * <p>Buckets are kept per node: in a cluster each broker counts the requests it receives (Kafka counts at the
 * active controller, to which brokers forward), so a client that spreads its requests over brokers may get up to
 * that many times its quota. A bucket that has refilled holds nothing and is dropped on the next sweep (at most
 * one per window), so many short-lived client ids do not accumulate.
 *
 * <p>Thread-safety: thread-safe; every bucket operation runs inside the map's {@code compute} for its key, so it
 * is atomic with the sweep that may drop the bucket.
 */
public final class ControllerMutationQuotaManager {
    /** Kafka's default {@code controller.quota.window.num}. */
    public static final int DEFAULT_SAMPLES = 11;
    /** Kafka's default {@code controller.quota.window.size.seconds}, in ms. */
    public static final long DEFAULT_SAMPLE_MS = 1000;
    /** The first CreateTopics version whose quota is strict (Kafka: v6, KIP-599). */
    public static final short CREATE_TOPICS_STRICT_SINCE = 6;
    /** The first CreatePartitions version whose quota is strict (Kafka: v3). */
    public static final short CREATE_PARTITIONS_STRICT_SINCE = 3;
    /** The first DeleteTopics version whose quota is strict (Kafka: v5). */
    public static final short DELETE_TOPICS_STRICT_SINCE = 5;

    private record BucketKey(String user, String clientId) {
    }

    private final Supplier<ClientQuotasImage> quotas;
    private final LongSupplier clockMs;
    private final int samples;
    private final long sampleMs;
    private final Map<BucketKey, MutationTokenBucket> buckets = new ConcurrentHashMap<>();
    private volatile long nextSweepMs;

    public ControllerMutationQuotaManager(Supplier<ClientQuotasImage> quotas, LongSupplier clockMs, int samples,
                                          long sampleMs) {
        this.quotas = quotas;
        this.clockMs = clockMs;
        this.samples = samples;
        this.sampleMs = sampleMs;
    }

    /** Whether {@code version} of {@code api} gets the strict quota (else the permissive one), as in Kafka. */
    public static boolean strict(ApiKeys api, short version) {
        return switch (api) {
            case CREATE_TOPICS -> version >= CREATE_TOPICS_STRICT_SINCE;
            case CREATE_PARTITIONS -> version >= CREATE_PARTITIONS_STRICT_SINCE;
            case DELETE_TOPICS -> version >= DELETE_TOPICS_STRICT_SINCE;
            default -> throw new IllegalArgumentException(api + " mutates no partitions");
        };
    }

    /**
     * The quota of one request from {@code user} with {@code clientId} (null is the empty client id), strict or
     * permissive; unlimited when no {@code controller_mutation_rate} applies. The quota that applies is read now
     * and kept for the whole request.
     */
    public Mutations forRequest(String user, String clientId, boolean strict) {
        String client = clientId == null ? "" : clientId;
        QuotaPrecedence.Applied applied = QuotaPrecedence.resolve(quotas.get(),
                ClientQuotaKeys.CONTROLLER_MUTATION_RATE, user, client);
        if (applied == null) {
            return Mutations.UNLIMITED;
        }
        return new Mutations(this, new BucketKey(applied.countedUser(), applied.countedClientId()), applied.limit(),
                strict);
    }

    /** The buckets held (for tests). */
    int trackedBuckets() {
        return buckets.size();
    }

    private long take(BucketKey key, double permits, double rate, boolean strict) {
        long now = clockMs.getAsLong();
        sweep(now);
        long[] throttleMs = new long[1];
        buckets.compute(key, (k, bucket) -> {
            MutationTokenBucket b = bucket != null ? bucket : new MutationTokenBucket(samples, sampleMs);
            throttleMs[0] = strict ? b.tryTake(permits, rate, now) : b.take(permits, rate, now);
            return b;
        });
        return throttleMs[0];
    }

    private void giveBack(BucketKey key, double permits, double rate) {
        long now = clockMs.getAsLong();
        buckets.computeIfPresent(key, (k, b) -> {
            b.giveBack(permits, rate, now);
            return b;
        });
    }

    private long throttleMs(BucketKey key, double rate) {
        long now = clockMs.getAsLong();
        long[] throttleMs = new long[1];
        buckets.computeIfPresent(key, (k, b) -> {
            throttleMs[0] = b.throttleMs(rate, now);
            return b;
        });
        return throttleMs[0];
    }

    private void sweep(long now) {
        if (now < nextSweepMs) {
            return;
        }
        nextSweepMs = now + samples * sampleMs;
        for (BucketKey key : buckets.keySet()) {
            buckets.computeIfPresent(key, (k, b) -> b.full(now) ? null : b);
        }
    }

    /**
     * What one request may mutate, asked topic by topic: {@link #record} before a topic is forwarded,
     * {@link #refund} when the controller then refused it, {@link #throttleTimeMs} for the response.
     *
     * <p>Thread-safety: thread-safe (refunds come from the controller's completion threads).
     */
    public static final class Mutations {
        /** No quota applies: everything passes, nothing is counted. */
        public static final Mutations UNLIMITED = new Mutations(null, null, 0, false);

        private final ControllerMutationQuotaManager manager;
        private final BucketKey key;
        private final double rate;
        private final boolean strict;
        private volatile boolean counted;
        private volatile boolean refused;

        private Mutations(ControllerMutationQuotaManager manager, BucketKey key, double rate, boolean strict) {
            this.manager = manager;
            this.key = key;
            this.rate = rate;
            this.strict = strict;
        }

        /**
         * Counts {@code partitions} created or deleted by one topic. Strict: throws when the quota is exhausted
         * (the topic must not be forwarded) and counts nothing; permissive: always counts and passes.
         *
         * @throws ThrottlingQuotaExceededException (strict only) with the ms until the quota allows a mutation again
         */
        public void record(int partitions) {
            if (manager == null || partitions <= 0) {
                return;
            }
            long throttleMs = manager.take(key, partitions, rate, strict);
            counted = true;
            if (strict && throttleMs > 0) {
                refused = true;
                throw new ThrottlingQuotaExceededException((int) Math.min(Integer.MAX_VALUE, throttleMs),
                        "The controller mutation quota (controller_mutation_rate " + rate + " partitions/s) of "
                                + describe() + " is exceeded: retry in " + throttleMs + " ms");
            }
        }

        /** Gives back {@code partitions} recorded for a topic the controller did not create or delete after all. */
        public void refund(int partitions) {
            if (manager != null && partitions > 0) {
                manager.giveBack(key, partitions, rate);
            }
        }

        /**
         * The response's throttle time, asked when the response is ready: the ms until the quota is no longer
         * exhausted if this request was refused a topic (strict) or counted any (permissive), else 0, as Kafka
         * throttles (a strict request that got everything is not throttled, even if it left the bucket below zero).
         */
        public int throttleTimeMs() {
            if (manager == null || !(strict ? refused : counted)) {
                return 0;
            }
            return (int) Math.min(Integer.MAX_VALUE, manager.throttleMs(key, rate));
        }

        private String describe() {
            String user = key.user().isEmpty() ? "" : "user " + key.user();
            String client = key.clientId().isEmpty() ? "" : "client id " + key.clientId();
            return user.isEmpty() ? client : client.isEmpty() ? user : user + " and " + client;
        }
    }
}
