package io.brook.server.quota;

import io.brook.metadata.quota.ClientQuotaKeys;

/**
 * The {@code consumer_byte_rate} quota as Kafka applies it to a consumer's Fetch (KIP-219): the fetch reads at most
 * what one quota sample holds; the record bytes it found are counted before it is answered, and when they put the
 * client over its quota they are taken back and the fetch is answered at once with no records and the throttle
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
     * Counts the {@code bytes} a consumer's fetch is about to return; the throttle time in ms when they would put
     * the client over its quota (then they are not counted and the fetch must be answered empty), else 0.
     */
    public long throttleMs(String user, String clientId, long bytes) {
        if (manager == null || !manager.active()) {
            return 0;
        }
        return manager.recordUnlessThrottled(ClientQuotaKeys.CONSUMER_BYTE_RATE, user, clientId, bytes);
    }
}
