package io.brook.server.controller;

import io.brook.metadata.image.MetadataImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The single node's answers to AlterPartitionReassignments: only the replicas a partition has are accepted. */
class SingleNodeReassignmentsTest {
    private static final Uuid ID = Uuid.randomUuid();

    private static MetadataImage image() {
        return MetadataImage.EMPTY.apply(List.of(
                new ApiMessageAndVersion(new TopicRecord().setName("t").setTopicId(ID), (short) 0),
                new ApiMessageAndVersion(new PartitionRecord().setTopicId(ID).setPartitionId(0)
                        .setReplicas(List.of(1)).setIsr(List.of(1)).setLeader(1), (short) 0)), 1);
    }

    private static ReassignablePartition to(int partition, List<Integer> replicas) {
        return new ReassignablePartition().setPartitionIndex(partition).setReplicas(replicas);
    }

    @Test
    void theSameReplicasAreAcceptedAndEverythingElseIsRefusedAsKafkaRefusesIt() {
        AlterPartitionReassignmentsRequestData request = new AlterPartitionReassignmentsRequestData();
        request.topics().add(new ReassignableTopic().setName("t").setPartitions(new ArrayList<>(List.of(
                to(0, List.of(1)), to(0, List.of(1)), to(7, List.of(1))))));
        request.topics().add(new ReassignableTopic().setName("u").setPartitions(new ArrayList<>(List.of(
                to(0, List.of(1))))));
        AlterPartitionReassignmentsResponseData response = SingleNodeReassignments.alter(image(), request);
        assertEquals(Errors.NONE.code(), response.errorCode());
        assertEquals(List.of(Errors.NONE.code(), Errors.INVALID_REPLICA_ASSIGNMENT.code(),
                Errors.UNKNOWN_TOPIC_OR_PARTITION.code()), codes(response, 0));
        assertEquals(List.of(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()), codes(response, 1));

        AlterPartitionReassignmentsRequestData other = new AlterPartitionReassignmentsRequestData();
        other.topics().add(new ReassignableTopic().setName("t").setPartitions(new ArrayList<>(List.of(
                to(0, List.of(2))))));
        assertEquals(List.of(Errors.INVALID_REPLICA_ASSIGNMENT.code()),
                codes(SingleNodeReassignments.alter(image(), other), 0), "another broker");
        AlterPartitionReassignmentsRequestData cancel = new AlterPartitionReassignmentsRequestData();
        cancel.topics().add(new ReassignableTopic().setName("t").setPartitions(new ArrayList<>(List.of(
                new ReassignablePartition().setPartitionIndex(0).setReplicas(null)))));
        assertEquals(List.of(Errors.NO_REASSIGNMENT_IN_PROGRESS.code()),
                codes(SingleNodeReassignments.alter(image(), cancel), 0), "nothing to cancel");
    }

    private static List<Short> codes(AlterPartitionReassignmentsResponseData response, int topic) {
        return response.responses().get(topic).partitions().stream()
                .map(AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse::errorCode).toList();
    }
}
