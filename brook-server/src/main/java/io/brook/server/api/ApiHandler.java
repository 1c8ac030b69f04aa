package io.brook.server.api;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

import java.util.concurrent.CompletableFuture;

/**
 * Serves one Kafka API over a declared range of versions. {@link ApiRegistry} derives the
 * ApiVersions answer from these declarations, so only what a handler implements is advertised.
 *
 * <p>Handlers run on request-handler threads and may block on disk, except for a request that
 * {@link #handlesOnNetworkThread} picks out; they may also complete later (long-poll fetch,
 * acks=all). A future completing with null means "send no response" (produce with acks=0).
 */
public interface ApiHandler<Q extends ApiMessage> {

    ApiKeys apiKey();

    default short minVersion() {
        return apiKey().oldestVersion();
    }

    default short maxVersion() {
        return apiKey().latestVersion();
    }

    CompletableFuture<? extends ApiMessage> handle(RequestContext context, Q request);

    /**
     * Whether this request may be handled on the network event loop that read it, saving the hand-off to a
     * request-handler thread: only when its handling is known, from in-memory state, to be quick and never to
     * wait (no file read, no lock held long). Called on the event loop, so it must be cheap itself.
     */
    default boolean handlesOnNetworkThread(RequestContext context, Q request) {
        return false;
    }
}
