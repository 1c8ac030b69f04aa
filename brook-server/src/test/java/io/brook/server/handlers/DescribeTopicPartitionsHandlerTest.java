package io.brook.server.handlers;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.config.BrokerConfig;
import io.brook.server.partition.ReplicaManager;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.ApiMessageAndVersion;
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
 * {@link DescribeTopicPartitionsHandler} answers each partition's eligible leader replicas and last known ELR as the
 * image holds them (KIP-966), unfiltered, as Kafka's {@code KRaftMetadataCache} does.
 */
@Timeout(60)
class DescribeTopicPartitionsHandlerTest {
    @TempDir
    File dir;
    private LogManager logManager;
    private ReplicaManager replicas;
    private DescribeTopicPartitionsHandler handler;

    @BeforeEach
    void open() throws Exception {
        logManager = new LogManager(List.of(dir), Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        replicas = new ReplicaManager(1, logManager, BrokerConfig.defaults().topicDefaults());
        Uuid id = new Uuid(7, 7);
        ApiMessageAndVersion leaderless = MetadataRecords.partition(id, 0, List.of(2, 3, 4), List.of(), -1, 3, 5);
        ((PartitionRecord) leaderless.message()).setEligibleLeaderReplicas(List.of(3, 4)).setLastKnownElr(List.of(2));
        List<ApiMessageAndVersion> records = List.of(MetadataRecords.topic("t", id), leaderless,
                MetadataRecords.partition(id, 1, List.of(2, 3, 4), List.of(2, 3, 4), 2, 0, 0));
        MetadataDelta delta = new MetadataDelta(MetadataImage.EMPTY);
        records.forEach(delta::replay);
        replicas.onMetadataUpdate(delta, delta.apply(records.size()));
        // with a config: the handler lists this broker among the live ones (its rack)
        handler = new DescribeTopicPartitionsHandler(new BrokerContext(1, "cluster", BrokerConfig.defaults(),
                "localhost", 9092, replicas, null, null, null, null, null, null, null, null, null, null, null,
                java.util.Map.of(), () -> 1, HandlerTestSupport.adminOnly()));
    }

    @AfterEach
    void close() throws Exception {
        replicas.stopReplication();
        logManager.close();
    }

    @Test
    void eachPartitionCarriesItsElrAndLastKnownElr() throws Exception {
        DescribeTopicPartitionsRequestData request = new DescribeTopicPartitionsRequestData()
                .setResponsePartitionLimit(100);
        request.topics().add(new DescribeTopicPartitionsRequestData.TopicRequest().setName("t"));
        List<DescribeTopicPartitionsResponsePartition> partitions = handler.handle(
                HandlerTestSupport.request(ApiKeys.DESCRIBE_TOPIC_PARTITIONS, (short) 0, "admin"), request)
                .get(10, TimeUnit.SECONDS).topics().find("t").partitions();
        assertEquals(List.of(), partitions.get(0).isrNodes());
        assertEquals(List.of(3, 4), partitions.get(0).eligibleLeaderReplicas());
        assertEquals(List.of(2), partitions.get(0).lastKnownElr());
        assertEquals(List.of(), partitions.get(1).eligibleLeaderReplicas());
        assertEquals(List.of(), partitions.get(1).lastKnownElr());
    }
}
