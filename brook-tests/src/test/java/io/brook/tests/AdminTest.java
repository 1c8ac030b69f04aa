package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java Admin client against a {@code bin/brook server} process: topics, partitions, configs. */
class AdminTest {
    /** One server for the class: every test has topics of its own; a restart leaves it serving. */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of());
    File dataDir;
    BrookFixture brook;
    Admin admin;

    @BeforeEach
    void start() {
        brook = SHARED.brook();
        dataDir = SHARED.dataDir();
        admin = brook.admin();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    private interface Action {
        void run() throws Exception;
    }

    private static Throwable failure(Action action) {
        return assertThrows(ExecutionException.class, action::run).getCause();
    }

    @Test
    @Compat({"Java 4.3.1: admin: topics"})
    void createsDescribesGrowsAndDeletesTopics() throws Exception {
        admin.createTopics(List.of(new NewTopic("orders", 3, (short) 1)
                .configs(Map.of("retention.ms", "3600000")))).all().get();
        assertTrue(admin.listTopics().names().get().contains("orders"));
        TopicDescription description = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
        assertEquals(3, description.partitions().size());
        assertEquals(1, description.partitions().get(0).leader().id());
        Uuid id = description.topicId();
        assertFalse(Uuid.ZERO_UUID.equals(id));

        admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(5))).all().get();
        assertEquals(5, admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders")
                .partitions().size());
        assertInstanceOf(InvalidPartitionsException.class,
                failure(() -> admin.createPartitions(Map.of("orders", NewPartitions.increaseTo(2))).all().get()));

        brook.restart();
        try (Admin again = brook.admin()) {
            TopicDescription after = again.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
            assertEquals(id, after.topicId());
            assertEquals(5, after.partitions().size());
            Config config = again.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "orders")))
                    .all().get().values().iterator().next();
            assertEquals("3600000", config.get("retention.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("retention.ms").source());
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("segment.bytes").source());

            again.deleteTopics(TopicCollection.ofTopicIds(List.of(id))).all().get();
            assertFalse(again.listTopics().names().get().contains("orders"));
        }
        assertFalse(new File(dataDir, "orders-0").exists());
    }

    @Test
    void refusesBadTopicsWithKafkaErrors() throws Exception {
        admin.createTopics(List.of(new NewTopic("taken", 1, (short) 1))).all().get();
        assertInstanceOf(TopicExistsException.class,
                failure(() -> admin.createTopics(List.of(new NewTopic("taken", 1, (short) 1))).all().get()));
        assertInstanceOf(InvalidReplicationFactorException.class,
                failure(() -> admin.createTopics(List.of(new NewTopic("rf3", 1, (short) 3))).all().get()));
        assertInstanceOf(InvalidTopicException.class,
                failure(() -> admin.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1))).all().get()));
        assertInstanceOf(InvalidConfigurationException.class, failure(() -> admin.createTopics(List.of(
                new NewTopic("cfg", 1, (short) 1).configs(Map.of("no.such.config", "1")))).all().get()));
        assertInstanceOf(InvalidConfigurationException.class, failure(() -> admin.createTopics(List.of(
                new NewTopic("cfg", 1, (short) 1).configs(Map.of("retention.ms", "soon")))).all().get()));
        assertInstanceOf(InvalidConfigurationException.class, failure(() -> admin.createTopics(List.of(
                new NewTopic("cfg", 1, (short) 1).configs(Map.of("compression.zstd.level", "99")))).all().get()));
        assertInstanceOf(UnknownTopicOrPartitionException.class,
                failure(() -> admin.deleteTopics(List.of("missing")).all().get()));
        assertFalse(admin.listTopics().names().get().contains("cfg"));
    }

    @Test
    void validateOnlyWritesNothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("dry", 2, (short) 1)), new CreateTopicsOptions().validateOnly(true))
                .all().get();
        assertFalse(admin.listTopics().names().get().contains("dry"));
    }

    @Test
    void describesTheClusterAndTheBroker() throws Exception {
        assertEquals(brook.clusterId(), admin.describeCluster().clusterId().get());
        assertEquals(1, admin.describeCluster().nodes().get().size());
        assertEquals(1, admin.describeCluster().controller().get().id());
        Collection<ConfigEntry> entries = admin.describeConfigs(List.of(
                new ConfigResource(ConfigResource.Type.BROKER, "1"))).all().get().values().iterator().next().entries();
        assertTrue(entries.stream().anyMatch(e -> e.name().equals("num.partitions") && e.value().equals("1")));
    }

    @Test
    @Compat({"Java 4.3.1: admin: configs"})
    void altersTopicConfigsIncrementallyAndAppliesThemToTheLog() throws Exception {
        admin.createTopics(List.of(new NewTopic("tuned", 1, (short) 1)
                .configs(Map.of("retention.ms", "3600000", "segment.bytes", "1048576")))).all().get();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "tuned");
        admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("max.message.bytes", "2048"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND))))
                .all().get();
        Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        assertEquals("2048", config.get("max.message.bytes").value());
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("retention.ms").source());
        assertEquals("delete,compact", config.get("cleanup.policy").value());
        assertEquals("1048576", config.get("segment.bytes").value());

        assertInstanceOf(InvalidConfigurationException.class, failure(() -> admin.incrementalAlterConfigs(Map.of(
                resource, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "-7"),
                        AlterConfigOp.OpType.SET)))).all().get()));
        assertInstanceOf(UnknownTopicOrPartitionException.class, failure(() -> admin.incrementalAlterConfigs(Map.of(
                new ConfigResource(ConfigResource.Type.TOPIC, "nope"), List.of(new AlterConfigOp(
                        new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all().get()));
        assertInstanceOf(InvalidRequestException.class, failure(() -> admin.incrementalAlterConfigs(Map.of(
                new ConfigResource(ConfigResource.Type.BROKER, "1"), List.of(new AlterConfigOp(
                        new ConfigEntry("num.partitions", "3"), AlterConfigOp.OpType.SET)))).all().get()));

        // the new max.message.bytes is enforced by the partition
        try (var producer = brook.producer(Map.of())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> producer.send(
                    new org.apache.kafka.clients.producer.ProducerRecord<>("tuned", 0, null, new byte[4096])).get());
            assertInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class, e.getCause());
        }
    }

    @Test
    void describesLogDirsProducersAndPagesThroughPartitions() throws Exception {
        admin.createTopics(List.of(new NewTopic("wide", 5, (short) 1), new NewTopic("narrow", 1, (short) 1)))
                .all().get();
        try (var producer = brook.producer(Map.of())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("narrow", 0, null, new byte[100]))
                    .get();
        }
        var dirs = admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1);
        assertEquals(1, dirs.size());
        var dir = dirs.values().iterator().next();
        assertTrue(dir.replicaInfos().get(new TopicPartition("narrow", 0)).size() > 100);
        assertTrue(dir.totalBytes().isPresent());

        var producers = admin.describeProducers(List.of(new TopicPartition("narrow", 0))).all().get()
                .get(new TopicPartition("narrow", 0)).activeProducers();
        assertEquals(1, producers.size());
        assertEquals(0, producers.get(0).lastSequence());

        Map<String, TopicDescription> described = admin.describeTopics(List.of("wide", "narrow"),
                new DescribeTopicsOptions().partitionSizeLimitPerResponse(2)).allTopicNames().get();
        assertEquals(5, described.get("wide").partitions().size());
        assertEquals(1, described.get("narrow").partitions().size());
    }
}
