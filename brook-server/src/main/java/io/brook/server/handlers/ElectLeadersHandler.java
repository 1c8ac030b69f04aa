package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * ElectLeaders (API 43, v0-v2; Kafka's {@code Admin.electLeaders} and {@code kafka-leader-election.sh}):
 * PREFERRED (v0 knows only that) or UNCLEAN elections, decided by the active controller
 * ({@link io.brook.metadata.controller.LeaderElection}) and answered once the new leaders are committed.
 * As Kafka, it needs ALTER on the CLUSTER resource: without it every named partition, and the request
 * (v1+), is CLUSTER_AUTHORIZATION_FAILED. A refusal of the whole request by the controller (NOT_CONTROLLER,
 * a timeout, an unknown election type) is answered the same way, with that error.
 *
 * <p>Thread-safety: stateless; runs on request-handler threads and never blocks.
 */
public final class ElectLeadersHandler implements ApiHandler<ElectLeadersRequestData> {
    private final BrokerContext broker;

    public ElectLeadersHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ELECT_LEADERS;
    }

    @Override
    public CompletableFuture<ElectLeadersResponseData> handle(RequestContext context,
                                                             ElectLeadersRequestData request) {
        if (!Access.cluster(broker, context, AclOperation.ALTER)) {
            return CompletableFuture.completedFuture(refusal(request, Errors.CLUSTER_AUTHORIZATION_FAILED,
                    "Not authorized to ALTER the cluster (ElectLeaders)"));
        }
        return broker.controller().electLeaders(request).handle((response, e) -> e == null ? response
                : refusal(request, ErrorMapping.errorFor(e), ErrorMapping.messageFor(e)));
    }

    /** The whole request refused: the top-level code, and the same answer for every partition named. */
    private static ElectLeadersResponseData refusal(ElectLeadersRequestData request, Errors error, String message) {
        ElectLeadersResponseData response = new ElectLeadersResponseData().setErrorCode(error.code());
        if (request.topicPartitions() != null) {
            for (ElectLeadersRequestData.TopicPartitions topic : request.topicPartitions()) {
                ReplicaElectionResult result = new ReplicaElectionResult().setTopic(topic.topic());
                for (int partition : topic.partitions()) {
                    result.partitionResult().add(new PartitionResult().setPartitionId(partition)
                            .setErrorCode(error.code()).setErrorMessage(message));
                }
                response.replicaElectionResults().add(result);
            }
        }
        return response;
    }
}
