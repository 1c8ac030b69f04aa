package io.brook.server.handlers;

import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;

/**
 * {@link AlterPartitionReassignmentsHandler} needs ALTER on CLUSTER (the request and every named partition are
 * CLUSTER_AUTHORIZATION_FAILED without it, the controller is not asked), {@link ListPartitionReassignmentsHandler}
 * DESCRIBE on CLUSTER; an allowed request reaches the controller. The decisions: {@code ReassignmentsTest}.
 */
@Timeout(30)
class ReassignmentHandlersTest {
    @TempDir
    File dir;
    private MetadataController controller;
    private BrokerContext broker;

    @BeforeEach
    void open() throws Exception {
        controller = LocalMetadataController.open(dir);
        // no broker lifecycle: a single node, whose controller takes its own id as the only broker
        broker = HandlerTestSupport.broker(null, HandlerTestSupport.withoutBrokerLifecycle(controller));
    }

    @AfterEach
    void close() throws Exception {
        controller.close();
    }

    private AlterPartitionReassignmentsResponseData alter(String user) throws Exception {
        AlterPartitionReassignmentsRequestData request = new AlterPartitionReassignmentsRequestData();
        request.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("t")
                .setPartitions(new java.util.ArrayList<>(List.of(
                        new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(0)
                                .setReplicas(List.of(2)),
                        new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(1)))));
        return new AlterPartitionReassignmentsHandler(broker).handle(
                HandlerTestSupport.request(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 1, user), request)
                .get(10, TimeUnit.SECONDS);
    }

    private ListPartitionReassignmentsResponseData list(String user) throws Exception {
        return new ListPartitionReassignmentsHandler(broker).handle(
                HandlerTestSupport.request(ApiKeys.LIST_PARTITION_REASSIGNMENTS, (short) 0, user),
                new ListPartitionReassignmentsRequestData().setTopics(null)).get(10, TimeUnit.SECONDS);
    }

    private static List<Short> codes(AlterPartitionReassignmentsResponseData response) {
        return response.responses().get(0).partitions().stream()
                .map(AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse::errorCode).toList();
    }

    @Test
    void withoutAlterOnTheClusterEveryPartitionIsRefused() throws Exception {
        AlterPartitionReassignmentsResponseData response = alter("alice");
        assertEquals(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), response.errorCode());
        assertEquals(List.of(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), Errors.CLUSTER_AUTHORIZATION_FAILED.code()),
                codes(response));
    }

    @Test
    void anAllowedAlterReachesTheControllerWhoseRefusalIsAnsweredPerPartition() throws Exception {
        AlterPartitionReassignmentsResponseData response = alter("admin");
        assertEquals(Errors.NONE.code(), response.errorCode());
        assertEquals(List.of(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), Errors.UNKNOWN_TOPIC_OR_PARTITION.code()),
                codes(response), "the controller's answer: no such topic");
    }

    @Test
    void listNeedsDescribeOnTheCluster() throws Exception {
        assertEquals(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), list("alice").errorCode());
        ListPartitionReassignmentsResponseData listed = list("admin");
        assertEquals(Errors.NONE.code(), listed.errorCode(), "reached the controller");
        assertEquals(List.of(), listed.topics(), "a single node has no reassignment in progress");
    }
}
