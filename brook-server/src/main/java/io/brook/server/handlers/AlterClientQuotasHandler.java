package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * AlterClientQuotas (API 49, {@code kafka-configs --alter --entity-type users/clients}): needs ALTER_CONFIGS on
 * the cluster, as in Kafka (else every entry CLUSTER_AUTHORIZATION_FAILED); decided by the active controller
 * ({@link io.brook.metadata.controller.ClientQuotaControl}, through the
 * {@link io.brook.server.controller.ControllerChannel}) and answered once its records are committed. A failure of
 * the whole request (no active controller, say) becomes every entry's error.
 */
public final class AlterClientQuotasHandler implements ApiHandler<AlterClientQuotasRequestData> {
    private final BrokerContext broker;

    public AlterClientQuotasHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ALTER_CLIENT_QUOTAS;
    }

    @Override
    public CompletableFuture<AlterClientQuotasResponseData> handle(RequestContext context,
                                                                  AlterClientQuotasRequestData request) {
        if (!Access.cluster(broker, context, AclOperation.ALTER_CONFIGS)) {
            return CompletableFuture.completedFuture(refusal(request, Errors.CLUSTER_AUTHORIZATION_FAILED,
                    "Not authorized to ALTER_CONFIGS the cluster (AlterClientQuotas)"));
        }
        return broker.controller().alterClientQuotas(request).handle((response, e) -> e == null ? response
                : refusal(request, ErrorMapping.errorFor(e), ErrorMapping.messageFor(e)));
    }

    private static AlterClientQuotasResponseData refusal(AlterClientQuotasRequestData request, Errors error,
                                                         String message) {
        AlterClientQuotasResponseData response = new AlterClientQuotasResponseData();
        for (AlterClientQuotasRequestData.EntryData entry : request.entries()) {
            AlterClientQuotasResponseData.EntryData result = new AlterClientQuotasResponseData.EntryData()
                    .setErrorCode(error.code()).setErrorMessage(message);
            entry.entity().forEach(part -> result.entity().add(new AlterClientQuotasResponseData.EntityData()
                    .setEntityType(part.entityType()).setEntityName(part.entityName())));
            response.entries().add(result);
        }
        return response;
    }
}
