package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * ListPartitionReassignments (API 46, v0, KIP-455; {@code Admin.listPartitionReassignments},
 * {@code kafka-reassign-partitions.sh --verify/--list}): the reassignments in progress as the active controller's
 * image has them (replicas, adding and removing replicas). As Kafka, it needs DESCRIBE on the CLUSTER resource, else
 * CLUSTER_AUTHORIZATION_FAILED; a refusal by the controller (NOT_CONTROLLER, a timeout) is the top-level error.
 *
 * <p>Thread-safety: stateless; runs on request-handler threads and never blocks.
 */
public final class ListPartitionReassignmentsHandler implements ApiHandler<ListPartitionReassignmentsRequestData> {
    private final BrokerContext broker;

    public ListPartitionReassignmentsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LIST_PARTITION_REASSIGNMENTS;
    }

    @Override
    public CompletableFuture<ListPartitionReassignmentsResponseData> handle(
            RequestContext context, ListPartitionReassignmentsRequestData request) {
        if (!Access.cluster(broker, context, AclOperation.DESCRIBE)) {
            return CompletableFuture.completedFuture(new ListPartitionReassignmentsResponseData()
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage("Not authorized to DESCRIBE the cluster (ListPartitionReassignments)"));
        }
        return broker.controller().listPartitionReassignments(request).handle((response, e) -> e == null ? response
                : new ListPartitionReassignmentsResponseData().setErrorCode(ErrorMapping.errorFor(e).code())
                        .setErrorMessage(ErrorMapping.messageFor(e)));
    }
}
