package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.GroupCoordinator.Leaving;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** LeaveGroup: one member (v0-2) or a batch of members by id or instance id (v3+). */
public final class LeaveGroupHandler implements ApiHandler<LeaveGroupRequestData> {
    private static final short BATCH_VERSION = 3;

    private final BrokerContext broker;

    public LeaveGroupHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LEAVE_GROUP;
    }

    @Override
    public CompletableFuture<LeaveGroupResponseData> handle(RequestContext context, LeaveGroupRequestData request) {
        LeaveGroupResponseData response = new LeaveGroupResponseData();
        if (!Access.group(broker, context, AclOperation.READ, request.groupId())) {
            return CompletableFuture.completedFuture(response.setErrorCode(
                    org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(response.setErrorCode(coordinatorError.code()));
        }
        if (context.apiVersion() < BATCH_VERSION) {
            Errors error = broker.groups().leave(request.groupId(),
                    List.of(new Leaving(request.memberId(), null))).get(0);
            return CompletableFuture.completedFuture(response.setErrorCode(error.code()));
        }
        List<Leaving> leaving = new ArrayList<>();
        for (MemberIdentity m : request.members()) {
            leaving.add(new Leaving(m.memberId(), m.groupInstanceId()));
        }
        List<Errors> errors = broker.groups().leave(request.groupId(), leaving);
        for (int i = 0; i < leaving.size(); i++) {
            response.members().add(new MemberResponse().setMemberId(leaving.get(i).memberId())
                    .setGroupInstanceId(leaving.get(i).instanceId()).setErrorCode(errors.get(i).code()));
        }
        return CompletableFuture.completedFuture(response);
    }
}
