package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.GroupCoordinator.GroupListing;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/** ListGroups, with the state (v4+) and type (v5+) filters. Every group is a classic group. */
public final class ListGroupsHandler implements ApiHandler<ListGroupsRequestData> {
    private static final String CLASSIC = "classic";
    private static final String CONSUMER = "consumer";

    private final BrokerContext broker;

    public ListGroupsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LIST_GROUPS;
    }

    @Override
    public CompletableFuture<ListGroupsResponseData> handle(RequestContext context, ListGroupsRequestData request) {
        ListGroupsResponseData response = new ListGroupsResponseData();
        // Kafka: DESCRIBE on the cluster shows every group, else only the groups the principal may describe
        boolean all = broker.authorizer().authorize(context, AclOperation.DESCRIBE,
                org.apache.kafka.common.resource.ResourceType.CLUSTER,
                io.brook.server.security.acl.BrokerAuthorizer.CLUSTER, false);
        for (GroupListing g : broker.groups().list()) {
            if (!all && !Access.groupVisible(broker, context, g.groupId())) {
                continue;
            }
            if (!request.statesFilter().isEmpty() && request.statesFilter().stream()
                    .noneMatch(s -> s.equalsIgnoreCase(g.state()))) {
                continue;
            }
            String type = g.consumerProtocol() ? CONSUMER : CLASSIC;
            if (!request.typesFilter().isEmpty() && request.typesFilter().stream()
                    .noneMatch(t -> t.toLowerCase(Locale.ROOT).equals(type))) {
                continue;
            }
            ListedGroup listed = new ListedGroup().setGroupId(g.groupId()).setProtocolType(g.protocolType());
            if (context.apiVersion() >= 4) {
                listed.setGroupState(g.state());
            }
            if (context.apiVersion() >= 5) {
                listed.setGroupType(type);
            }
            response.groups().add(listed);
        }
        return CompletableFuture.completedFuture(response);
    }
}
