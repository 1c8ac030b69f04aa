package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.group.GroupCoordinator.JoinRequest;
import io.brook.coordinator.group.GroupCoordinator.Protocol;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData.JoinGroupRequestProtocol;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData.JoinGroupResponseMember;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** JoinGroup (classic protocol): answered when the group's rebalance completes. */
public final class JoinGroupHandler implements ApiHandler<JoinGroupRequestData> {
    /** From v4 a new member first gets MEMBER_ID_REQUIRED and its id (KIP-394). */
    private static final short KNOWN_MEMBER_ID_VERSION = 4;
    /** From v7 protocol type and name may be null in the response. */
    private static final short NULLABLE_PROTOCOL_VERSION = 7;
    /** JoinGroup v9 (KIP-814): SkipAssignment, for a static leader that rejoined a stable group. */
    private static final short SKIP_ASSIGNMENT_VERSION = 9;

    private final BrokerContext broker;

    public JoinGroupHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.JOIN_GROUP;
    }

    @Override
    public CompletableFuture<JoinGroupResponseData> handle(RequestContext context, JoinGroupRequestData request) {
        if (!Access.group(broker, context, AclOperation.READ, request.groupId())) {
            return CompletableFuture.completedFuture(new JoinGroupResponseData()
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED.code())
                    .setGenerationId(-1).setMemberId(request.memberId())
                    .setProtocolName(context.apiVersion() >= NULLABLE_PROTOCOL_VERSION ? null : "").setLeader(""));
        }
        List<Protocol> protocols = new ArrayList<>();
        for (JoinGroupRequestProtocol p : request.protocols()) {
            protocols.add(new Protocol(p.name(), p.metadata()));
        }
        int rebalanceTimeout = request.rebalanceTimeoutMs() < 0 ? request.sessionTimeoutMs()
                : request.rebalanceTimeoutMs();
        JoinRequest join = new JoinRequest(request.groupId(), request.memberId(), request.groupInstanceId(),
                context.clientId(), "/" + context.clientAddress().getHostAddress(), request.sessionTimeoutMs(),
                rebalanceTimeout, request.protocolType(), protocols,
                context.apiVersion() >= KNOWN_MEMBER_ID_VERSION, context.apiVersion() >= SKIP_ASSIGNMENT_VERSION);
        short version = context.apiVersion();
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(toResponse(new GroupCoordinator.JoinResult(coordinatorError,
                    -1, null, null, "", request.memberId(), List.of()), version));
        }
        return broker.groups().join(join).thenApply(r -> toResponse(r, version));
    }

    private static JoinGroupResponseData toResponse(GroupCoordinator.JoinResult r, short version) {
        JoinGroupResponseData response = new JoinGroupResponseData().setErrorCode(r.error().code())
                .setGenerationId(r.generation()).setLeader(r.leaderId()).setMemberId(r.memberId());
        if (version >= SKIP_ASSIGNMENT_VERSION) {
            response.setSkipAssignment(r.skipAssignment());
        }
        if (version >= NULLABLE_PROTOCOL_VERSION) {
            response.setProtocolType(r.protocolType()).setProtocolName(r.protocolName());
        } else {
            response.setProtocolName(r.protocolName() == null ? "" : r.protocolName());
        }
        for (GroupCoordinator.MemberMetadata m : r.members()) {
            response.members().add(new JoinGroupResponseMember().setMemberId(m.memberId())
                    .setGroupInstanceId(m.instanceId()).setMetadata(m.metadata()));
        }
        return response;
    }
}
