package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.CreateAclsResponseData.AclCreationResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * CreateAcls: needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every creation otherwise); the
 * active controller writes the new ACLs to the metadata log, and each creation succeeds or fails on its own
 * (INVALID_REQUEST for an ACL Kafka would not store). Without an authorizer every creation is refused with
 * SECURITY_DISABLED, as Kafka does.
 */
public final class CreateAclsHandler implements ApiHandler<CreateAclsRequestData> {
    private final BrokerContext broker;

    public CreateAclsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_ACLS;
    }

    @Override
    public CompletableFuture<CreateAclsResponseData> handle(RequestContext context, CreateAclsRequestData request) {
        CreateAclsResponseData response = new CreateAclsResponseData();
        if (!broker.authorizer().enabled()) {
            request.creations().forEach(creation -> response.results().add(new AclCreationResult()
                    .setErrorCode(NoAuthorizer.ERROR.code()).setErrorMessage(NoAuthorizer.MESSAGE)));
            return CompletableFuture.completedFuture(response);
        }
        if (!broker.authorizer().authorizeCluster(context, AclOperation.ALTER)) {
            request.creations().forEach(creation -> response.results().add(new AclCreationResult()
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message())));
            return CompletableFuture.completedFuture(response);
        }
        // a creation the client library cannot turn into a binding (an unknown enum code) fails alone
        List<ApiError> early = new ArrayList<>();
        List<AclBinding> bindings = new ArrayList<>();
        for (CreateAclsRequestData.AclCreation creation : request.creations()) {
            try {
                bindings.add(CreateAclsRequest.aclBinding(creation));
                early.add(null);
            } catch (IllegalArgumentException e) {
                early.add(new ApiError(Errors.INVALID_REQUEST, e.getMessage()));
            }
        }
        return broker.controller().createAcls(bindings).handle((results, e) -> {
            int next = 0;
            for (ApiError refused : early) {
                ApiError result = refused != null ? refused
                        : e != null ? ApiError.fromThrowable(ErrorMapping.unwrap(e)) : results.get(next++);
                response.results().add(new AclCreationResult().setErrorCode(result.error().code())
                        .setErrorMessage(result.isFailure() ? result.messageWithFallback() : null));
            }
            return response;
        });
    }
}
