package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.concurrent.CompletableFuture;

/** DescribeAcls: without an authorizer there are no ACLs to describe (SECURITY_DISABLED, as Kafka). */
public final class DescribeAclsHandler implements ApiHandler<DescribeAclsRequestData> {
    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_ACLS;
    }

    @Override
    public CompletableFuture<DescribeAclsResponseData> handle(RequestContext context, DescribeAclsRequestData request) {
        return CompletableFuture.completedFuture(new DescribeAclsResponseData()
                .setErrorCode(NoAuthorizer.ERROR.code()).setErrorMessage(NoAuthorizer.MESSAGE));
    }
}
