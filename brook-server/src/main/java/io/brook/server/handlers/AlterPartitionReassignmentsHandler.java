package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * AlterPartitionReassignments (API 45, v0-v1, KIP-455; {@code Admin.alterPartitionReassignments},
 * {@code kafka-reassign-partitions.sh --execute/--cancel}): starts, replaces or cancels reassignments, decided by the
 * active controller ({@link io.brook.metadata.controller.Reassignments}) and answered once committed; the moves
 * themselves then happen as the new replicas catch up. As Kafka, it needs ALTER on the CLUSTER resource: without it
 * the request and every partition named are CLUSTER_AUTHORIZATION_FAILED. A refusal of the whole request by the
 * controller (NOT_CONTROLLER, a timeout) is answered the same way, with that error.
 *
 * <p>Thread-safety: stateless; runs on request-handler threads and never blocks.
 */
public final class AlterPartitionReassignmentsHandler implements ApiHandler<AlterPartitionReassignmentsRequestData> {
    private final BrokerContext broker;

    public AlterPartitionReassignmentsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ALTER_PARTITION_REASSIGNMENTS;
    }

    @Override
    public CompletableFuture<AlterPartitionReassignmentsResponseData> handle(
            RequestContext context, AlterPartitionReassignmentsRequestData request) {
        if (!Access.cluster(broker, context, AclOperation.ALTER)) {
            return CompletableFuture.completedFuture(refusal(request, Errors.CLUSTER_AUTHORIZATION_FAILED,
                    "Not authorized to ALTER the cluster (AlterPartitionReassignments)"));
        }
        return broker.controller().alterPartitionReassignments(request).handle((response, e) -> e == null ? response
                : refusal(request, ErrorMapping.errorFor(e), ErrorMapping.messageFor(e)));
    }

    /** The whole request refused: the top-level code and message, and the same for every partition named. */
    static AlterPartitionReassignmentsResponseData refusal(AlterPartitionReassignmentsRequestData request,
                                                           Errors error, String message) {
        AlterPartitionReassignmentsResponseData response = new AlterPartitionReassignmentsResponseData()
                .setErrorCode(error.code()).setErrorMessage(message)
                .setAllowReplicationFactorChange(request.allowReplicationFactorChange());
        for (AlterPartitionReassignmentsRequestData.ReassignableTopic topic : request.topics()) {
            ReassignableTopicResponse result = new ReassignableTopicResponse().setName(topic.name());
            for (AlterPartitionReassignmentsRequestData.ReassignablePartition p : topic.partitions()) {
                result.partitions().add(new ReassignablePartitionResponse().setPartitionIndex(p.partitionIndex())
                        .setErrorCode(error.code()).setErrorMessage(message));
            }
            response.responses().add(result);
        }
        return response;
    }
}
