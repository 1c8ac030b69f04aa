package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.RemoveRaftVoterRequestData;
import org.apache.kafka.common.message.RemoveRaftVoterResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.CompletableFuture;

/**
 * RemoveRaftVoter (KIP-853, {@code kafka-metadata-quorum remove-controller}) on the controller listener, made by the
 * active controller ({@link VoterChanges}) within {@link #TIMEOUT_MS} (the request has no timeout of its own).
 */
public final class RemoveRaftVoterHandler implements ApiHandler<RemoveRaftVoterRequestData> {
    /** How long a removal may take: Kafka's default request timeout of the admin client's call, less a margin. */
    static final long TIMEOUT_MS = 25_000;

    private final VoterChanges changes;

    public RemoveRaftVoterHandler(VoterChanges changes) {
        this.changes = changes;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.REMOVE_RAFT_VOTER;
    }

    @Override
    public CompletableFuture<RemoveRaftVoterResponseData> handle(RequestContext context,
                                                                 RemoveRaftVoterRequestData request) {
        return changes.remove(request.clusterId(), request.voterId(), TIMEOUT_MS)
                .thenApply(outcome -> new RemoveRaftVoterResponseData().setErrorCode(outcome.error().code())
                        .setErrorMessage(outcome.message()));
    }
}
