package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** DeleteGroups: removes empty groups and their committed offsets. */
public final class DeleteGroupsHandler implements ApiHandler<DeleteGroupsRequestData> {
    private final BrokerContext broker;

    public DeleteGroupsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_GROUPS;
    }

    @Override
    public CompletableFuture<DeleteGroupsResponseData> handle(RequestContext context,
                                                              DeleteGroupsRequestData request) {
        List<CompletableFuture<DeletableGroupResult>> results = new ArrayList<>();
        for (String groupId : request.groupsNames()) {
            if (!Access.group(broker, context, AclOperation.DELETE, groupId)) {
                results.add(CompletableFuture.completedFuture(new DeletableGroupResult().setGroupId(groupId)
                        .setErrorCode(org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED.code())));
                continue;
            }
            Errors coordinatorError = broker.groupCoordinatorError(groupId);
            CompletableFuture<Errors> deleted = coordinatorError != Errors.NONE
                    ? CompletableFuture.completedFuture(coordinatorError) : broker.groups().delete(groupId);
            results.add(deleted.thenApply(error ->
                    new DeletableGroupResult().setGroupId(groupId).setErrorCode(error.code())));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            DeleteGroupsResponseData response = new DeleteGroupsResponseData();
            results.forEach(r -> response.results().add(r.join()));
            return response;
        });
    }
}
