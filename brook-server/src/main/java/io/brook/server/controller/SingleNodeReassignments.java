package io.brook.server.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashSet;
import java.util.Set;

/**
 * AlterPartitionReassignments on a single node (no broker registrations): its only broker holds every replica, so
 * the one reassignment there can be is to the replicas a partition has already, which Kafka accepts and completes at
 * once (this is what {@code kafka-reassign-partitions --execute} sends for a plan that only moves replicas between
 * log directories: the log directories go by AlterReplicaLogDirs). Any other target names a broker that does not
 * exist (INVALID_REPLICA_ASSIGNMENT), a cancel finds nothing in progress (NO_REASSIGNMENT_IN_PROGRESS), and an unknown
 * partition is UNKNOWN_TOPIC_OR_PARTITION, as Kafka answers them. Nothing is written.
 *
 * <p>Pure and stateless.
 */
final class SingleNodeReassignments {
    private SingleNodeReassignments() {
    }

    static AlterPartitionReassignmentsResponseData alter(MetadataImage image,
                                                         AlterPartitionReassignmentsRequestData request) {
        AlterPartitionReassignmentsResponseData response = new AlterPartitionReassignmentsResponseData()
                .setErrorCode(Errors.NONE.code()).setAllowReplicationFactorChange(
                        request.allowReplicationFactorChange());
        Set<String> seen = new HashSet<>();
        for (AlterPartitionReassignmentsRequestData.ReassignableTopic entry : request.topics()) {
            ReassignableTopicResponse topicAnswer = new ReassignableTopicResponse().setName(entry.name());
            response.responses().add(topicAnswer);
            TopicImage topic = image.topic(entry.name());
            for (AlterPartitionReassignmentsRequestData.ReassignablePartition p : entry.partitions()) {
                PartitionImage partition = topic == null ? null : topic.partitions().get(p.partitionIndex());
                String name = entry.name() + "-" + p.partitionIndex();
                ReassignablePartitionResponse answer;
                if (partition == null) {
                    answer = answer(p.partitionIndex(), Errors.UNKNOWN_TOPIC_OR_PARTITION,
                            "The partition " + name + " does not exist.");
                } else if (!seen.add(name)) {
                    answer = answer(p.partitionIndex(), Errors.INVALID_REPLICA_ASSIGNMENT,
                            "The partition " + name + " is named twice.");
                } else if (p.replicas() == null) {
                    answer = answer(p.partitionIndex(), Errors.NO_REASSIGNMENT_IN_PROGRESS,
                            "No ongoing reassignment for " + name + ".");
                } else if (p.replicas().equals(partition.replicas())) {
                    answer = answer(p.partitionIndex(), Errors.NONE, null);
                } else {
                    answer = answer(p.partitionIndex(), Errors.INVALID_REPLICA_ASSIGNMENT,
                            "The manual partition assignment of " + name + " names brokers " + p.replicas()
                                    + ", but this single node is the only broker (replicas " + partition.replicas()
                                    + ").");
                }
                topicAnswer.partitions().add(answer);
            }
        }
        return response;
    }

    private static ReassignablePartitionResponse answer(int partition, Errors error, String message) {
        return new ReassignablePartitionResponse().setPartitionIndex(partition).setErrorCode(error.code())
                .setErrorMessage(message);
    }
}
