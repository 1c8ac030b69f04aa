package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsResponseData.DeleteAclsFilterResult;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.CompletableFuture;

/** DeleteAcls: without an authorizer every filter is answered SECURITY_DISABLED, as Kafka does. */
public final class DeleteAclsHandler implements ApiHandler<DeleteAclsRequestData> {
    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_ACLS;
    }

    @Override
    public CompletableFuture<DeleteAclsResponseData> handle(RequestContext context, DeleteAclsRequestData request) {
        DeleteAclsResponseData response = new DeleteAclsResponseData();
        request.filters().forEach(filter -> response.filterResults().add(new DeleteAclsFilterResult()
                .setErrorCode(NoAuthorizer.ERROR.code()).setErrorMessage(NoAuthorizer.MESSAGE)));
        return CompletableFuture.completedFuture(response);
    }
}
