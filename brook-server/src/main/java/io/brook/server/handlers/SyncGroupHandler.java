package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData.SyncGroupRequestAssignment;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** SyncGroup: the leader hands over the assignment; every member gets its own part. */
public final class SyncGroupHandler implements ApiHandler<SyncGroupRequestData> {
    /** From v5 the response names the protocol type and name. */
    private static final short PROTOCOL_VERSION = 5;

    private final BrokerContext broker;

    public SyncGroupHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.SYNC_GROUP;
    }

    @Override
    public CompletableFuture<SyncGroupResponseData> handle(RequestContext context, SyncGroupRequestData request) {
        if (!Access.group(broker, context, AclOperation.READ, request.groupId())) {
            return CompletableFuture.completedFuture(new SyncGroupResponseData()
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED.code())
                    .setAssignment(new byte[0]));
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(new SyncGroupResponseData()
                    .setErrorCode(coordinatorError.code()));
        }
        Map<String, byte[]> assignments = new HashMap<>();
        for (SyncGroupRequestAssignment a : request.assignments()) {
            assignments.put(a.memberId(), a.assignment());
        }
        short version = context.apiVersion();
        return broker.groups().sync(request.groupId(), request.generationId(), request.memberId(),
                request.groupInstanceId(), request.protocolType(), request.protocolName(), assignments)
                .thenApply(r -> {
                    SyncGroupResponseData response = new SyncGroupResponseData().setErrorCode(r.error().code())
                            .setAssignment(r.assignment());
                    if (version >= PROTOCOL_VERSION) {
                        response.setProtocolType(r.protocolType()).setProtocolName(r.protocolName());
                    }
                    return response;
                });
    }
}
