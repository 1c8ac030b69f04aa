package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.GroupCoordinator.GroupDescription;
import io.brook.coordinator.group.GroupCoordinator.MemberDescription;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/** DescribeGroups: state, protocol and members with their metadata and assignment. */
public final class DescribeGroupsHandler implements ApiHandler<DescribeGroupsRequestData> {
    /** From v6 an unknown group is GROUP_ID_NOT_FOUND; before, a Dead group with no error. */
    private static final short NOT_FOUND_VERSION = 6;

    private final BrokerContext broker;

    public DescribeGroupsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_GROUPS;
    }

    @Override
    public CompletableFuture<DescribeGroupsResponseData> handle(RequestContext context,
                                                                DescribeGroupsRequestData request) {
        DescribeGroupsResponseData response = new DescribeGroupsResponseData();
        for (String groupId : request.groups()) {
            DescribedGroup described = new DescribedGroup().setGroupId(groupId);
            if (!Access.group(broker, context, AclOperation.DESCRIBE, groupId)) {
                response.groups().add(described.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                        .setGroupState("").setProtocolType("").setProtocolData(""));
                continue;
            }
            Errors coordinatorError = broker.groupCoordinatorError(groupId);
            if (coordinatorError != Errors.NONE) {
                response.groups().add(described.setErrorCode(coordinatorError.code()));
                continue;
            }
            GroupDescription g = broker.groups().describe(groupId);
            if (g == null) {
                described.setGroupState("Dead").setProtocolType("").setProtocolData("");
                if (context.apiVersion() >= NOT_FOUND_VERSION) {
                    described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                            .setErrorMessage("Group " + groupId + " not found.");
                }
            } else {
                described.setGroupState(g.state()).setProtocolType(g.protocolType())
                        .setProtocolData(g.protocolName() == null ? "" : g.protocolName());
                for (MemberDescription m : g.members()) {
                    described.members().add(new DescribedGroupMember().setMemberId(m.memberId())
                            .setGroupInstanceId(m.instanceId()).setClientId(m.clientId()).setClientHost(m.clientHost())
                            .setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment()));
                }
            }
            response.groups().add(described);
        }
        return CompletableFuture.completedFuture(response);
    }
}
