package io.brook.metadata.controller;

import io.brook.metadata.controller.TopicControl.CreatedTopic;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static io.brook.metadata.record.MetadataRecords.partition;
import static io.brook.metadata.record.MetadataRecords.producerIds;
import static io.brook.metadata.record.MetadataRecords.removeTopic;
import io.brook.metadata.record.MetadataRecords;
import static io.brook.metadata.record.MetadataRecords.topicConfig;

@Timeout(30)
class TopicControlTest {
    private static final List<Integer> BROKERS = List.of(3, 1, 2);
    private static final Uuid ID = new Uuid(10, 20);

    private static ControllerResult<CreatedTopic> create(MetadataImage image, NewTopic topic) {
        return TopicControl.createTopic(image, topic, BROKERS, 2, (short) 1, () -> ID);
    }

    private static NewTopic topic(String name, int partitions, int rf) {
        return new NewTopic(name, partitions, (short) rf, null, Map.of());
    }

    private static MetadataImage imageWith(ControllerResult<?> result) {
        return MetadataImage.EMPTY.apply(result.records(), result.records().size() - 1);
    }

    /** The decision fails with the Kafka error {@code error} (the client sees its code). */
    private static void assertError(Errors error, Executable decision) {
        ApiException e = assertThrows(ApiException.class, decision);
        assertEquals(error, Errors.forException(e), e.toString());
    }

    @Test
    void createTopicWritesTopicPartitionsAndConfigs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("retention.ms", "1000");
        configs.put("cleanup.policy", "compact");
        ControllerResult<CreatedTopic> result = create(MetadataImage.EMPTY,
                new NewTopic("orders", 4, (short) 2, null, configs));
        assertEquals(new CreatedTopic(ID, 4, (short) 2), result.response());
        assertEquals(List.of(
                MetadataRecords.topic("orders", ID),
                partition(ID, 0, List.of(1, 2), List.of(1, 2), 1, 0, 0),
                partition(ID, 1, List.of(2, 3), List.of(2, 3), 2, 0, 0),
                partition(ID, 2, List.of(3, 1), List.of(3, 1), 3, 0, 0),
                partition(ID, 3, List.of(1, 2), List.of(1, 2), 1, 0, 0),
                topicConfig("orders", "retention.ms", "1000"),
                topicConfig("orders", "cleanup.policy", "compact")), result.records());
        TopicImage created = imageWith(result).topic("orders");
        assertEquals(4, created.partitions().size());
        assertEquals(configs, created.configs());
    }

    @Test
    void minusOneMeansTheBrokerDefaults() {
        ControllerResult<CreatedTopic> result = create(MetadataImage.EMPTY, topic("t", -1, -1));
        assertEquals(new CreatedTopic(ID, 2, (short) 1), result.response());
        assertEquals(3, result.records().size());
    }

    @Test
    void aDecisionDoesNotChangeTheImage() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("t", 1, 1)));
        TopicControl.createPartitions(image, "t", 3, null, BROKERS);
        TopicControl.alterConfigs(image, "t", Map.of("a", "b"), false);
        TopicControl.deleteTopic(image, "t", null);
        assertEquals(1, image.topic("t").partitions().size());
        assertTrue(image.topic("t").configs().isEmpty());
    }

    @Test
    void invalidTopicNamesAreRefused() {
        for (String name : new String[]{"", ".", "..", "a/b", "a b", "x".repeat(250)}) {
            assertError(Errors.INVALID_TOPIC_EXCEPTION, () -> create(MetadataImage.EMPTY, topic(name, 1, 1)));
        }
        create(MetadataImage.EMPTY, topic("x".repeat(249), 1, 1));
    }

    @Test
    void anExistingOrCollidingTopicIsRefused() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("a.b", 1, 1)));
        assertError(Errors.TOPIC_ALREADY_EXISTS, () -> create(image, topic("a.b", 1, 1)));
        assertError(Errors.INVALID_TOPIC_EXCEPTION, () -> create(image, topic("a_b", 1, 1)));
    }

    @Test
    void badPartitionCountsAndReplicationFactorsAreRefused() {
        for (int partitions : new int[]{0, -2, TopicControl.MAX_PARTITIONS_PER_TOPIC + 1}) {
            assertError(Errors.INVALID_PARTITIONS, () -> create(MetadataImage.EMPTY, topic("t", partitions, 1)));
        }
        for (int rf : new int[]{0, -2, 4}) {
            assertError(Errors.INVALID_REPLICATION_FACTOR, () -> create(MetadataImage.EMPTY, topic("t", 1, rf)));
        }
        assertEquals(3, create(MetadataImage.EMPTY, topic("t", 1, 3)).response().replicationFactor());
    }

    @Test
    void manualAssignmentsAreUsedAsGiven() {
        ControllerResult<CreatedTopic> result = create(MetadataImage.EMPTY, new NewTopic("t", -1, (short) -1,
                Map.of(0, List.of(2, 3), 1, List.of(3, 1)), Map.of()));
        assertEquals(new CreatedTopic(ID, 2, (short) 2), result.response());
        assertEquals(partition(ID, 1, List.of(3, 1), List.of(3, 1), 3, 0, 0), result.records().get(2));
    }

    @Test
    void badManualAssignmentsAreRefused() {
        assertError(Errors.INVALID_REQUEST, () -> create(MetadataImage.EMPTY,
                new NewTopic("t", 1, (short) -1, Map.of(0, List.of(1)), Map.of())));
        assertError(Errors.INVALID_REQUEST, () -> create(MetadataImage.EMPTY,
                new NewTopic("t", -1, (short) 1, Map.of(0, List.of(1)), Map.of())));
        for (Map<Integer, List<Integer>> bad : List.of(
                Map.of(1, List.of(1)),                           // does not start at 0
                Map.of(0, List.of(1), 2, List.of(2)),            // a gap
                Map.of(0, List.<Integer>of()),                   // no replicas
                Map.of(0, List.of(1, 1)),                        // a broker twice
                Map.of(0, List.of(1), 1, List.of(1, 2)),         // unequal replica counts
                Map.of(0, List.of(9)))) {                        // an unknown broker
            assertError(Errors.INVALID_REPLICA_ASSIGNMENT, () -> create(MetadataImage.EMPTY,
                    new NewTopic("t", -1, (short) -1, bad, Map.of())));
        }
    }

    @Test
    void deleteTopicByNameOrId() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("t", 1, 1)));
        ControllerResult<TopicImage> byName = TopicControl.deleteTopic(image, "t", null);
        assertEquals(List.of(removeTopic(ID)), byName.records());
        assertSame(image.topic("t"), byName.response());
        assertEquals(List.of(removeTopic(ID)), TopicControl.deleteTopic(image, null, ID).records());
    }

    @Test
    void deletingAnUnknownOrInternalTopicIsRefused() {
        assertError(Errors.UNKNOWN_TOPIC_OR_PARTITION, () -> TopicControl.deleteTopic(MetadataImage.EMPTY, "t", null));
        assertThrows(UnknownTopicOrPartitionException.class,
                () -> TopicControl.deleteTopic(MetadataImage.EMPTY, "t", null));
        assertError(Errors.UNKNOWN_TOPIC_ID, () -> TopicControl.deleteTopic(MetadataImage.EMPTY, null, ID));
        assertThrows(UnknownTopicIdException.class, () -> TopicControl.deleteTopic(MetadataImage.EMPTY, null, ID));
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("__consumer_offsets", 1, 1)));
        assertError(Errors.INVALID_TOPIC_EXCEPTION, () -> TopicControl.deleteTopic(image, "__consumer_offsets", null));
        assertError(Errors.INVALID_TOPIC_EXCEPTION, () -> TopicControl.deleteTopic(image, null, ID));
    }

    @Test
    void createPartitionsContinuesTheRoundRobin() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("t", 2, 2)));
        ControllerResult<Integer> result = TopicControl.createPartitions(image, "t", 4, null, BROKERS);
        assertEquals(4, result.response());
        assertEquals(List.of(partition(ID, 2, List.of(3, 1), List.of(3, 1), 3, 0, 0),
                partition(ID, 3, List.of(1, 2), List.of(1, 2), 1, 0, 0)), result.records());
        MetadataImage grown = image.apply(result.records(), 10);
        assertEquals(4, grown.topic("t").partitions().size());
        assertEquals(image.topic("t").partitions().get(0), grown.topic("t").partitions().get(0));
    }

    @Test
    void createPartitionsWithManualAssignments() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("t", 1, 2)));
        ControllerResult<Integer> result = TopicControl.createPartitions(image, "t", 3,
                List.of(List.of(3, 2), List.of(2, 1)), BROKERS);
        assertEquals(List.of(partition(ID, 1, List.of(3, 2), List.of(3, 2), 3, 0, 0),
                partition(ID, 2, List.of(2, 1), List.of(2, 1), 2, 0, 0)), result.records());
    }

    @Test
    void badPartitionIncreasesAreRefused() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("t", 2, 2)));
        assertError(Errors.UNKNOWN_TOPIC_OR_PARTITION, () -> TopicControl.createPartitions(image, "u", 3, null,
                BROKERS));
        assertError(Errors.INVALID_PARTITIONS, () -> TopicControl.createPartitions(image, "t", 1, null, BROKERS));
        assertError(Errors.INVALID_PARTITIONS, () -> TopicControl.createPartitions(image, "t", 2, null, BROKERS));
        assertError(Errors.INVALID_PARTITIONS, () -> TopicControl.createPartitions(image, "t",
                TopicControl.MAX_PARTITIONS_PER_TOPIC + 1, null, BROKERS));
        assertError(Errors.INVALID_REPLICA_ASSIGNMENT, () -> TopicControl.createPartitions(image, "t", 4,
                List.of(List.of(1, 2)), BROKERS));
        assertError(Errors.INVALID_REPLICA_ASSIGNMENT, () -> TopicControl.createPartitions(image, "t", 3,
                List.of(List.of(1, 9)), BROKERS));
        assertError(Errors.INVALID_REPLICA_ASSIGNMENT, () -> TopicControl.createPartitions(image, "t", 3,
                List.of(List.of(1, 1)), BROKERS));
    }

    /** Kafka refuses new partitions with another replica count than the topic's; so does Brook. */
    @Test
    void newPartitionsMustKeepTheTopicsReplicationFactor() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY, topic("t", 1, 2)));
        InvalidReplicaAssignmentException e = assertThrows(InvalidReplicaAssignmentException.class,
                () -> TopicControl.createPartitions(image, "t", 2, List.of(List.of(1)), BROKERS));
        assertEquals("The new partitions are assigned 1 replica(s) each, but the topic's partitions have 2.",
                e.getMessage());
        assertError(Errors.INVALID_REPLICA_ASSIGNMENT, () -> TopicControl.createPartitions(image, "t", 2,
                List.of(List.of(1, 2, 3)), BROKERS));
    }

    @Test
    void alterConfigsIncrementallyOrReplacingAll() {
        MetadataImage image = imageWith(create(MetadataImage.EMPTY,
                new NewTopic("t", 1, (short) 1, null, Map.of("a", "1", "b", "2"))));
        Map<String, String> changes = new LinkedHashMap<>();
        changes.put("a", "10");
        changes.put("c", null);
        assertEquals(List.of(topicConfig("t", "a", "10"), topicConfig("t", "c", null)),
                TopicControl.alterConfigs(image, "t", changes, false).records());
        ControllerResult<Void> replace = TopicControl.alterConfigs(image, "t", Map.of("a", "10"), true);
        assertEquals(List.of(topicConfig("t", "b", null), topicConfig("t", "a", "10")), replace.records());
        assertEquals(Map.of("a", "10"), image.apply(replace.records(), 9).topic("t").configs());
        assertEquals(List.<ApiMessageAndVersion>of(), TopicControl.alterConfigs(image, "t", Map.of(), false).records());
        assertError(Errors.UNKNOWN_TOPIC_OR_PARTITION, () -> TopicControl.alterConfigs(image, "u", Map.of(), true));
    }

    @Test
    void exceptionClassesAreKafkas() {
        assertThrows(TopicExistsException.class, () -> create(imageWith(create(MetadataImage.EMPTY,
                topic("t", 1, 1))), topic("t", 1, 1)));
        assertThrows(InvalidTopicException.class, () -> create(MetadataImage.EMPTY, topic("", 1, 1)));
        assertThrows(InvalidPartitionsException.class, () -> create(MetadataImage.EMPTY, topic("t", 0, 1)));
        assertThrows(InvalidReplicationFactorException.class, () -> create(MetadataImage.EMPTY, topic("t", 1, 0)));
        assertThrows(InvalidRequestException.class, () -> create(MetadataImage.EMPTY,
                new NewTopic("t", 1, (short) -1, Map.of(0, List.of(1)), Map.of())));
    }
}
