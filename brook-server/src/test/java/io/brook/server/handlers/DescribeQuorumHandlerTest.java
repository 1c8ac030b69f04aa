package io.brook.server.handlers;

import io.brook.metadata.quorum.QuorumStatus;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.controller.ForwardedRequestServer;
import io.brook.server.controller.ForwardingControllerChannel;
import io.brook.server.controller.LocalControllerChannel;
import io.brook.server.controller.QuorumDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeQuorumRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DescribeQuorumHandler}: v2 answers name each voter's controller listener in {@code Nodes} (KIP-853), the
 * same whether the active controller answers itself or through a forwarded request; v0/v1 answers carry none and
 * still encode; every replica's directory id is {@link Uuid#ZERO_UUID} (Kafka's "no directory id").
 */
@Timeout(30)
class DescribeQuorumHandlerTest {
    /** Voters 1-3 with 2 leading, as the leader's Ratis status reports them. */
    private static final QuorumStatus STATUS = new QuorumStatus(2, 2, 5, 41, 41, List.of(
            new QuorumStatus.Voter(1, QuorumStatus.Role.FOLLOWER, 41, 1_000),
            new QuorumStatus.Voter(2, QuorumStatus.Role.LEADER, 41, 1_000),
            new QuorumStatus.Voter(3, QuorumStatus.Role.FOLLOWER, 30, 900)));
    private static final Map<Integer, InetSocketAddress> ADDRESSES = Map.of(
            1, InetSocketAddress.createUnresolved("localhost", 19093),
            2, InetSocketAddress.createUnresolved("localhost", 29093),
            3, InetSocketAddress.createUnresolved("host3", 39093));

    @TempDir
    File dir;
    private MetadataController controller;
    private LocalControllerChannel local;

    @BeforeEach
    void open() throws Exception {
        controller = LocalMetadataController.open(dir);
        local = new LocalControllerChannel(controller, () -> List.of(1), 1, (short) 1, Short.MAX_VALUE,
                () -> QuorumDescription.fromStatus(STATUS, ADDRESSES, "CONTROLLER"));
    }

    @AfterEach
    void close() throws Exception {
        controller.close();
    }

    private static DescribeQuorumResponseData describe(DescribeQuorumHandler handler, short version)
            throws Exception {
        DescribeQuorumRequestData request = new DescribeQuorumRequestData();
        request.topics().add(new DescribeQuorumRequestData.TopicData()
                .setTopicName(DescribeQuorumHandler.METADATA_TOPIC)
                .setPartitions(List.of(new DescribeQuorumRequestData.PartitionData().setPartitionIndex(0))));
        DescribeQuorumResponseData response = handler.handle(HandlerTestSupport.request(ApiKeys.DESCRIBE_QUORUM,
                version, "admin"), request).get(10, TimeUnit.SECONDS);
        // what goes on the wire at that version, read back: a field the version cannot carry fails to encode
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buffer = ByteBuffer.allocate(response.size(cache, version));
        response.write(new ByteBufferAccessor(buffer), cache, version);
        buffer.flip();
        return new DescribeQuorumResponseData(new ByteBufferAccessor(buffer), version);
    }

    private static List<String> endpoints(DescribeQuorumResponseData response) {
        return QuorumDescription.nodes(response).stream()
                .map(n -> n.id() + "=" + n.listener() + "://" + n.host() + ":" + n.port()).toList();
    }

    @Test
    void version2NamesEveryVotersControllerEndpoint() throws Exception {
        DescribeQuorumResponseData response = describe(new DescribeQuorumHandler(local), (short) 2);
        assertEquals(Errors.NONE.code(), response.errorCode());
        assertEquals(List.of("1=CONTROLLER://localhost:19093", "2=CONTROLLER://localhost:29093",
                "3=CONTROLLER://host3:39093"), endpoints(response));
        DescribeQuorumResponseData.PartitionData partition = response.topics().get(0).partitions().get(0);
        assertEquals(2, partition.leaderId());
        assertEquals(List.of(1, 2, 3), partition.currentVoters().stream()
                .map(DescribeQuorumResponseData.ReplicaState::replicaId).toList());
        partition.currentVoters().forEach(v -> assertEquals(Uuid.ZERO_UUID, v.replicaDirectoryId(), v.toString()));
    }

    @Test
    void versions0And1HaveNoNodes() throws Exception {
        for (short version = 0; version < QuorumDescription.NODES_VERSION; version++) {
            DescribeQuorumResponseData response = describe(new DescribeQuorumHandler(local), version);
            assertEquals(Errors.NONE.code(), response.errorCode(), "v" + version);
            assertTrue(response.nodes().isEmpty(), "v" + version + ": " + response);
            assertEquals(3, response.topics().get(0).partitions().get(0).currentVoters().size(), "v" + version);
        }
    }

    @Test
    void aNodeThatForwardsToTheActiveControllerAnswersTheSameNodes() throws Exception {
        ForwardingControllerChannel forwarding = new ForwardingControllerChannel(
                new ForwardedRequestServer(local)::serve);
        DescribeQuorumResponseData response = describe(new DescribeQuorumHandler(forwarding), (short) 2);
        assertEquals(endpoints(describe(new DescribeQuorumHandler(local), (short) 2)), endpoints(response));
        assertEquals(3, endpoints(response).size(), response.toString());
        assertTrue(describe(new DescribeQuorumHandler(forwarding), (short) 1).nodes().isEmpty());
    }
}
