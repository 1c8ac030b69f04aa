package io.brook.server.handlers;

import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
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

/**
 * {@link ElectLeadersHandler}: ALTER on CLUSTER is required (every named partition and the request are
 * CLUSTER_AUTHORIZATION_FAILED without it, and the controller is not asked); a refusal of the whole request by
 * the controller is answered for every partition. The decision itself: {@code LeaderElectionTest}.
 */
@Timeout(30)
class ElectLeadersHandlerTest {
    @TempDir
    File dir;
    private MetadataController controller;
    private ElectLeadersHandler handler;

    @BeforeEach
    void open() throws Exception {
        controller = LocalMetadataController.open(dir);
        handler = new ElectLeadersHandler(HandlerTestSupport.broker(null,
                HandlerTestSupport.withoutBrokerLifecycle(controller)));
    }

    @AfterEach
    void close() throws Exception {
        controller.close();
    }

    private ElectLeadersResponseData elect(String user) throws Exception {
        return elect(user, (byte) 0);
    }

    private ElectLeadersResponseData elect(String user, byte type) throws Exception {
        ElectLeadersRequestData request = new ElectLeadersRequestData().setElectionType(type);
        request.topicPartitions().add(new ElectLeadersRequestData.TopicPartitions().setTopic("t")
                .setPartitions(List.of(0, 1)));
        return handler.handle(HandlerTestSupport.request(ApiKeys.ELECT_LEADERS, (short) 2, user), request)
                .get(10, TimeUnit.SECONDS);
    }

    private static List<Short> codes(ElectLeadersResponseData response) {
        return response.replicaElectionResults().get(0).partitionResult().stream()
                .map(ElectLeadersResponseData.PartitionResult::errorCode).toList();
    }

    @Test
    void withoutAlterOnTheClusterEveryPartitionIsRefused() throws Exception {
        ElectLeadersResponseData response = elect("alice");
        assertEquals(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), response.errorCode());
        assertEquals(List.of(Errors.CLUSTER_AUTHORIZATION_FAILED.code(), Errors.CLUSTER_AUTHORIZATION_FAILED.code()),
                codes(response));
    }

    @Test
    void anAllowedRequestIsDecidedByTheControllerPerPartition() throws Exception {
        ElectLeadersResponseData response = elect("admin", (byte) 0);
        assertEquals(Errors.NONE.code(), response.errorCode());
        assertEquals(List.of(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), Errors.UNKNOWN_TOPIC_OR_PARTITION.code()),
                codes(response));
    }

    @Test
    void aRefusalOfTheWholeRequestIsAnsweredPerPartition() throws Exception {
        ElectLeadersResponseData response = elect("admin", (byte) 5); // no such election type
        assertEquals(Errors.INVALID_REQUEST.code(), response.errorCode());
        assertEquals(List.of(Errors.INVALID_REQUEST.code(), Errors.INVALID_REQUEST.code()), codes(response));
    }
}
