package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Serves an admin API once this broker has applied every metadata change committed before the request came (at most
 * {@link MetadataHandler#CATCH_UP_MAX_MS}): CreateTopics answers at commit, as Kafka's, while the replica manager is
 * still creating the new partitions' logs, and a DescribeTopicPartitions, DescribeConfigs, CreatePartitions or
 * DeleteTopics of the topic just created must not find it unknown (Metadata waits the same way itself: a request for
 * brokers only does not wait). At once when nothing is pending, the common case.
 *
 * <p>Thread-safety: stateless; a handler that had to wait runs on {@code executor} (the request handlers).
 */
public final class AfterCatchUp<Q extends ApiMessage> implements ApiHandler<Q> {
    private final ApiHandler<Q> handler;
    private final BrokerContext broker;
    private final Executor executor;

    private AfterCatchUp(ApiHandler<Q> handler, BrokerContext broker, Executor executor) {
        this.handler = handler;
        this.broker = broker;
        this.executor = executor;
    }

    public static <Q extends ApiMessage> ApiHandler<Q> of(ApiHandler<Q> handler, BrokerContext broker,
                                                          Executor executor) {
        return new AfterCatchUp<>(handler, broker, executor);
    }

    @Override
    public ApiKeys apiKey() {
        return handler.apiKey();
    }

    @Override
    public short minVersion() {
        return handler.minVersion();
    }

    @Override
    public short maxVersion() {
        return handler.maxVersion();
    }

    @Override
    public CompletableFuture<? extends ApiMessage> handle(RequestContext context, Q request) {
        CompletableFuture<Void> caughtUp = broker.replicas().caughtUp(MetadataHandler.CATCH_UP_MAX_MS);
        if (caughtUp.isDone()) {
            return handler.handle(context, request);
        }
        return caughtUp.thenComposeAsync(ignored -> handler.handle(context, request), executor);
    }
}
