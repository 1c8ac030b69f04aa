package io.brook.server.quota;

import io.brook.metadata.quota.ClientQuotaKeys;
import io.brook.server.api.RequestThreadTime;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

/**
 * Which requests count against which quota, as Kafka: a Produce counts its request bytes against
 * {@code producer_byte_rate}; a consumer's Fetch is counted against {@code consumer_byte_rate} by the fetch
 * itself ({@link ConsumerFetchQuota}: over the quota it is answered empty), and its throttle time is returned here
 * to mute the connection; every request but the inter-broker ones counts the time it held a
 * request-handler thread against {@code request_percentage} (KIP-13/KIP-124: percent of one thread, 1% being
 * 10 ms per second; Brook measures the handler's own run on the request thread, not the network threads'), here
 * after it is answered, but a consumer's fetch counts it itself, before it is answered, as it does its bytes. The
 * user is the connection's principal name (ANONYMOUS without authentication), as in Kafka. The throttle time goes into the response's {@code throttle_time_ms}; the network
 * layer then stops reading from the connection for that long (KIP-219). CreateTopics, CreatePartitions and
 * DeleteTopics are throttled by their handlers ({@link ControllerMutationQuotaManager}), which put the throttle
 * time in the response: it is returned here so that the connection is muted for it too, as Kafka mutes it.
 *
 * <p>Thread-safety: thread-safe (see {@link ClientQuotaManager}).
 */
public final class RequestQuotas {
    /** Kafka's unit of request time: one percent of a thread for one second is 10 ms, 10^7 ns. */
    static final double PERCENT_SECONDS_PER_NANO = 100.0 / 1_000_000_000;

    private final ClientQuotaManager manager;

    public RequestQuotas(ClientQuotaManager manager) {
        this.manager = manager;
    }

    /** As {@link #onResponse(KafkaPrincipal, String, ApiMessage, int, ApiMessage, long)} without handler time. */
    public long onResponse(KafkaPrincipal principal, String clientId, ApiMessage request, int requestBytes,
                           ApiMessage response) {
        return onResponse(principal, clientId, request, requestBytes, response, 0);
    }

    /**
     * Records one answered request and returns its throttle time in ms (0 when no quota limits it), set into
     * {@code response} when there is one ({@code response} is null for acks=0 produce): the largest of the byte-rate
     * throttle, the {@code request_percentage} throttle for the {@code handlerNanos} the request held a
     * request-handler thread (at most one sample, as Kafka's), and the controller mutation throttle its handler set.
     */
    public long onResponse(KafkaPrincipal principal, String clientId, ApiMessage request, int requestBytes,
                           ApiMessage response, long handlerNanos) {
        return onResponse(principal, clientId, request, requestBytes, response, handlerNanos, false);
    }

    /**
     * As {@link #onResponse(KafkaPrincipal, String, ApiMessage, int, ApiMessage, long)} for the request-handler time
     * {@code threadTime} measured, which is not counted again when the handler counted it (a consumer's fetch).
     */
    public long onResponse(KafkaPrincipal principal, String clientId, ApiMessage request, int requestBytes,
                           ApiMessage response, RequestThreadTime threadTime) {
        return onResponse(principal, clientId, request, requestBytes, response, threadTime.nanos(),
                threadTime.counted());
    }

    private long onResponse(KafkaPrincipal principal, String clientId, ApiMessage request, int requestBytes,
                            ApiMessage response, long handlerNanos, boolean handlerCounted) {
        long throttleMs = handlerThrottleMs(response);
        if (!manager.active()) {
            return throttleMs; // the common case: no quota set, so no fetch response is even measured
        }
        throttleMs = Math.max(throttleMs, byteRateThrottleMs(principal, clientId, request, requestBytes, response));
        if (!handlerCounted && !exemptFromRequestQuota(request)) {
            long requestMs = requestTimeThrottleMs(manager, principal.getName(), clientId, handlerNanos);
            if (requestMs > 0 && response != null) {
                ResponseThrottle.raise(response, requestMs);
            }
            throttleMs = Math.max(throttleMs, requestMs);
        }
        return throttleMs;
    }

    /**
     * Counts {@code handlerNanos} of request-handler time against the {@code request_percentage} quota of {@code user}
     * and {@code clientId}; the throttle time in ms, at most one sample as in Kafka (0 without a quota or within it).
     */
    static long requestTimeThrottleMs(ClientQuotaManager manager, String user, String clientId, long handlerNanos) {
        return Math.min(manager.sampleMs(), manager.recordAndGetThrottleMs(ClientQuotaKeys.REQUEST_PERCENTAGE, user,
                clientId, handlerNanos * PERCENT_SECONDS_PER_NANO));
    }

    /**
     * Whether {@code request} never counts against {@code request_percentage}: the inter-broker requests (Kafka's
     * cluster actions) and follower fetches, as Kafka exempts them, so replication is never throttled by it.
     */
    static boolean exemptFromRequestQuota(ApiMessage request) {
        if (request instanceof FetchRequestData fetch) {
            return fetch.replicaId() >= 0 || fetch.replicaState().replicaId() >= 0;
        }
        return ApiKeys.forId(request.apiKey()).clusterAction;
    }

    private long byteRateThrottleMs(KafkaPrincipal principal, String clientId, ApiMessage request, int requestBytes,
                                    ApiMessage response) {
        if (request instanceof ProduceRequestData) {
            long throttleMs = manager.recordAndGetThrottleMs(ClientQuotaKeys.PRODUCER_BYTE_RATE, principal.getName(),
                    clientId, requestBytes);
            if (throttleMs > 0 && response instanceof ProduceResponseData produce) {
                produce.setThrottleTimeMs((int) Math.max(produce.throttleTimeMs(), throttleMs));
            }
            return throttleMs;
        }
        return 0;
    }

    /**
     * The throttle time a handler put in {@code response}: the controller mutation throttle, or the consumer byte-rate
     * throttle of a fetch answered empty ({@link ConsumerFetchQuota}); 0 for other responses.
     */
    private static long handlerThrottleMs(ApiMessage response) {
        if (response instanceof FetchResponseData fetched) {
            return fetched.throttleTimeMs();
        }
        if (response instanceof CreateTopicsResponseData created) {
            return created.throttleTimeMs();
        }
        if (response instanceof CreatePartitionsResponseData grown) {
            return grown.throttleTimeMs();
        }
        if (response instanceof DeleteTopicsResponseData deleted) {
            return deleted.throttleTimeMs();
        }
        return 0;
    }
}
