package io.brook.server.quota;

import io.brook.metadata.quota.ClientQuotaKeys;
import io.brook.server.api.RequestThreadTime;

/**
 * The {@code consumer_byte_rate} and {@code request_percentage} quotas as Kafka applies them to a consumer's Fetch
 * (KIP-219): the fetch reads at most what one byte-rate quota sample holds; the record bytes it found and the time it
 * held a request-handler thread are counted before it is answered, and when either puts the client over its quota
 * the bytes are taken back and the fetch is answered at once with no records and the throttle
 * time (the network layer then mutes the connection for that time). A follower's fetch never counts: replication
 * has its own throttle (KIP-73).
 *
 * <p>Thread-safety: thread-safe (see {@link ClientQuotaManager}).
 */
public final class ConsumerFetchQuota {
    private static final ConsumerFetchQuota NONE = new ConsumerFetchQuota(null);

    /** The node's byte-rate quotas, or null when nothing is limited. */
    private final ClientQuotaManager manager;

    public ConsumerFetchQuota(ClientQuotaManager manager) {
        this.manager = manager;
    }

    /** A quota that never limits (tests and nodes without quotas wired). */
    public static ConsumerFetchQuota none() {
        return NONE;
    }

    /** The most record bytes a fetch of {@code user} and {@code clientId} may read ({@link Long#MAX_VALUE} if any). */
    public long maxBytes(String user, String clientId) {
        if (manager == null || !manager.active()) {
            return Long.MAX_VALUE;
        }
        return manager.bytesPerSample(ClientQuotaKeys.CONSUMER_BYTE_RATE, user, clientId);
    }

    /**
     * Counts the {@code bytes} a consumer's fetch is about to return and the time it held a request-handler thread
     * ({@code request_percentage}, then marked counted); the throttle time in ms when either puts the client over
     * its quota (then the bytes are not counted and the fetch must be answered empty), else 0. As Kafka, the throttle
     * time is the larger of both quotas' (the byte-rate one as if the bytes were counted).
     */
    public long throttleMs(String user, String clientId, long bytes, RequestThreadTime threadTime) {
        if (manager == null || !manager.active()) {
            return 0;
        }
        threadTime.markCounted();
        long requestMs = RequestQuotas.requestTimeThrottleMs(manager, user, clientId, threadTime.nanos());
        if (requestMs > 0) {
            return Math.max(requestMs,
                    manager.throttleMsIfRecorded(ClientQuotaKeys.CONSUMER_BYTE_RATE, user, clientId, bytes));
        }
        return manager.recordUnlessThrottled(ClientQuotaKeys.CONSUMER_BYTE_RATE, user, clientId, bytes);
    }
}
