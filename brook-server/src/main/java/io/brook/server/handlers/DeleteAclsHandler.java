package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.security.acl.AclMessages;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsResponseData.DeleteAclsFilterResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DeleteAclsResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DeleteAcls: the active controller removes every ACL each filter matches (Kafka's filter semantics) and
 * answers per filter with the ACLs it removed. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for
 * every filter otherwise). Without an authorizer every filter is answered SECURITY_DISABLED, as Kafka does.
 */
public final class DeleteAclsHandler implements ApiHandler<DeleteAclsRequestData> {
    private final BrokerContext broker;

    public DeleteAclsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_ACLS;
    }

    @Override
    public CompletableFuture<DeleteAclsResponseData> handle(RequestContext context, DeleteAclsRequestData request) {
        DeleteAclsResponseData response = new DeleteAclsResponseData();
        if (!broker.authorizer().enabled()) {
            request.filters().forEach(filter -> response.filterResults().add(new DeleteAclsFilterResult()
                    .setErrorCode(NoAuthorizer.ERROR.code()).setErrorMessage(NoAuthorizer.MESSAGE)));
            return CompletableFuture.completedFuture(response);
        }
        if (!broker.authorizer().authorizeCluster(context, AclOperation.ALTER)) {
            request.filters().forEach(filter -> response.filterResults().add(new DeleteAclsFilterResult()
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message())));
            return CompletableFuture.completedFuture(response);
        }
        List<ApiError> early = new ArrayList<>();
        List<AclBindingFilter> filters = new ArrayList<>();
        for (DeleteAclsRequestData.DeleteAclsFilter filter : request.filters()) {
            try {
                filters.add(AclMessages.filter(filter));
                early.add(null);
            } catch (IllegalArgumentException e) {
                early.add(new ApiError(Errors.INVALID_REQUEST, e.getMessage()));
            }
        }
        return broker.controller().deleteAcls(filters).handle((results, e) -> {
            int next = 0;
            for (ApiError refused : early) {
                DeleteAclsFilterResult result = new DeleteAclsFilterResult();
                ApiError error = refused != null ? refused
                        : e != null ? ApiError.fromThrowable(ErrorMapping.unwrap(e)) : null;
                if (error == null) {
                    var deletion = results.get(next++);
                    error = deletion.error();
                    deletion.deleted().forEach(acl -> result.matchingAcls().add(
                            DeleteAclsResponse.matchingAcl(acl, ApiError.NONE)));
                }
                response.filterResults().add(result.setErrorCode(error.error().code())
                        .setErrorMessage(error.isFailure() ? error.messageWithFallback() : null));
            }
            return response;
        });
    }
}
