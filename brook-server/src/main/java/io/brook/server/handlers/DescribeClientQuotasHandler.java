package io.brook.server.handlers;

import io.brook.metadata.quota.ClientQuotaFilter;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * DescribeClientQuotas (API 48, {@code kafka-configs --describe --entity-type users/clients}): answered from this
 * node's metadata image with Kafka's filter semantics ({@link ClientQuotaFilter}); needs DESCRIBE_CONFIGS on the
 * cluster (else CLUSTER_AUTHORIZATION_FAILED), as in Kafka. A bad filter is INVALID_REQUEST with its reason.
 */
public final class DescribeClientQuotasHandler implements ApiHandler<DescribeClientQuotasRequestData> {
    private final BrokerContext broker;

    public DescribeClientQuotasHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_CLIENT_QUOTAS;
    }

    @Override
    public CompletableFuture<DescribeClientQuotasResponseData> handle(RequestContext context,
                                                                     DescribeClientQuotasRequestData request) {
        DescribeClientQuotasResponseData response = new DescribeClientQuotasResponseData();
        if (!Access.cluster(broker, context, AclOperation.DESCRIBE_CONFIGS)) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage("Not authorized to DESCRIBE_CONFIGS the cluster (DescribeClientQuotas)")
                    .setEntries(null));
        }
        try {
            response.setEntries(ClientQuotaFilter.describe(broker.replicas().image().clientQuotas(), request));
        } catch (InvalidRequestException e) {
            response.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(e.getMessage()).setEntries(null);
        }
        return CompletableFuture.completedFuture(response);
    }
}
