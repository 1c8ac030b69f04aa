package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.security.acl.AclMessages;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeAclsResponse;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeAcls: the ACLs a filter matches (Kafka's {@link AclBindingFilter} semantics: ANY matches every
 * value, MATCH patterns match the literal, wildcard and prefixed ACLs that cover a resource name), read from
 * this node's metadata image. Needs DESCRIBE on the cluster. Without an authorizer there are no ACLs to
 * describe (SECURITY_DISABLED, as Kafka).
 */
public final class DescribeAclsHandler implements ApiHandler<DescribeAclsRequestData> {
    private final BrokerContext broker;

    public DescribeAclsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_ACLS;
    }

    @Override
    public CompletableFuture<DescribeAclsResponseData> handle(RequestContext context, DescribeAclsRequestData request) {
        if (!broker.authorizer().enabled()) {
            return CompletableFuture.completedFuture(new DescribeAclsResponseData()
                    .setErrorCode(NoAuthorizer.ERROR.code()).setErrorMessage(NoAuthorizer.MESSAGE));
        }
        if (!broker.authorizer().authorizeCluster(context, AclOperation.DESCRIBE)) {
            return CompletableFuture.completedFuture(error(Errors.CLUSTER_AUTHORIZATION_FAILED, null));
        }
        AclBindingFilter filter;
        try {
            filter = AclMessages.filter(request);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(error(Errors.INVALID_REQUEST, e.getMessage()));
        }
        if (filter.isUnknown()) {
            return CompletableFuture.completedFuture(error(Errors.INVALID_REQUEST,
                    "The filter has an unknown field: " + filter));
        }
        List<AclBinding> matching = broker.authorizer().acls().acls().values().stream()
                .filter(filter::matches).toList();
        return CompletableFuture.completedFuture(new DescribeAclsResponseData()
                .setResources(DescribeAclsResponse.aclsResources(matching)));
    }

    private static DescribeAclsResponseData error(Errors error, String message) {
        return new DescribeAclsResponseData().setErrorCode(error.code())
                .setErrorMessage(message != null ? message : error.message());
    }
}
