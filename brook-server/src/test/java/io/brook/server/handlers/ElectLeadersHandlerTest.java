package io.brook.server.handlers;

import io.brook.metadata.image.AclsImage;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.controller.QuorumDescription;
import io.brook.server.security.acl.AuthorizerSettings;
import io.brook.server.security.acl.BrokerAuthorizer;
import io.brook.server.security.acl.DenialLog;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        // no broker lifecycle: an election that reaches it is refused with UNSUPPORTED_VERSION
        LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(1), 1, (short) 1,
                Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0));
        BrokerAuthorizer authorizer = new BrokerAuthorizer(new AuthorizerSettings(true, Set.of("User:admin"), false),
                () -> AclsImage.EMPTY, new DenialLog(System::currentTimeMillis));
        handler = new ElectLeadersHandler(new BrokerContext(1, "cluster", null, "localhost", 9092, null, channel,
                null, null, null, null, null, null, null, null, null, null, Map.of(), () -> 1, authorizer));
    }

    @AfterEach
    void close() throws Exception {
        controller.close();
    }

    private ElectLeadersResponseData elect(String user) throws Exception {
        ElectLeadersRequestData request = new ElectLeadersRequestData().setElectionType((byte) 0);
        request.topicPartitions().add(new ElectLeadersRequestData.TopicPartitions().setTopic("t")
                .setPartitions(List.of(0, 1)));
        RequestContext context = new RequestContext(new RequestHeader(ApiKeys.ELECT_LEADERS, (short) 2, "test", 1),
                InetAddress.getLoopbackAddress(), "c", "", "", "PLAINTEXT", SecurityProtocol.PLAINTEXT,
                new KafkaPrincipal(KafkaPrincipal.USER_TYPE, user));
        return handler.handle(context, request).get(10, TimeUnit.SECONDS);
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
    void anAllowedRequestReachesTheControllerWhoseRefusalIsAnsweredPerPartition() throws Exception {
        ElectLeadersResponseData response = elect("admin");
        assertEquals(Errors.UNSUPPORTED_VERSION.code(), response.errorCode());
        assertEquals(List.of(Errors.UNSUPPORTED_VERSION.code(), Errors.UNSUPPORTED_VERSION.code()), codes(response));
    }
}
