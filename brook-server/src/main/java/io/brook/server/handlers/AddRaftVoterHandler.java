package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.AddRaftVoterRequestData;
import org.apache.kafka.common.message.AddRaftVoterResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * AddRaftVoter (KIP-853, {@code kafka-metadata-quorum add-controller}) on the controller listener: the new voter is
 * reached at its endpoint on the controller listener; the change is made by the active controller
 * ({@link VoterChanges}). The response comes once the new voter set is committed, whatever AckWhenCommitted says
 * (Ratis commits a configuration change before it answers).
 */
public final class AddRaftVoterHandler implements ApiHandler<AddRaftVoterRequestData> {
    private final VoterChanges changes;

    public AddRaftVoterHandler(VoterChanges changes) {
        this.changes = changes;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ADD_RAFT_VOTER;
    }

    @Override
    public CompletableFuture<AddRaftVoterResponseData> handle(RequestContext context, AddRaftVoterRequestData request) {
        AddRaftVoterRequestData.Listener listener = request.listeners().find(changes.controllerListenerName());
        InetSocketAddress endpoint = listener == null ? null
                : InetSocketAddress.createUnresolved(listener.host(), listener.port());
        return changes.add(request.clusterId(), request.voterId(), endpoint, request.timeoutMs())
                .thenApply(outcome -> new AddRaftVoterResponseData().setErrorCode(outcome.error().code())
                        .setErrorMessage(outcome.message()));
    }
}
