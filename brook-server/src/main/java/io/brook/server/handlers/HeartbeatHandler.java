package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/** Heartbeat: keeps a member's session alive and tells it when the group rebalances. */
public final class HeartbeatHandler implements ApiHandler<HeartbeatRequestData> {
    private final BrokerContext broker;

    public HeartbeatHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.HEARTBEAT;
    }

    @Override
    public CompletableFuture<HeartbeatResponseData> handle(RequestContext context, HeartbeatRequestData request) {
        if (!Access.group(broker, context, AclOperation.READ, request.groupId())) {
            return CompletableFuture.completedFuture(new HeartbeatResponseData()
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        return CompletableFuture.completedFuture(new HeartbeatResponseData().setErrorCode(
                coordinatorError != Errors.NONE ? coordinatorError.code() : broker.groups()
                .heartbeat(request.groupId(), request.generationId(), request.memberId(), request.groupInstanceId())
                .code()));
    }
}
