package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.CreateAclsResponseData.AclCreationResult;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.CompletableFuture;

/** CreateAcls: without an authorizer every creation is refused with SECURITY_DISABLED, as Kafka does. */
public final class CreateAclsHandler implements ApiHandler<CreateAclsRequestData> {
    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_ACLS;
    }

    @Override
    public CompletableFuture<CreateAclsResponseData> handle(RequestContext context, CreateAclsRequestData request) {
        CreateAclsResponseData response = new CreateAclsResponseData();
        request.creations().forEach(creation -> response.results().add(new AclCreationResult()
                .setErrorCode(NoAuthorizer.ERROR.code()).setErrorMessage(NoAuthorizer.MESSAGE)));
        return CompletableFuture.completedFuture(response);
    }
}
