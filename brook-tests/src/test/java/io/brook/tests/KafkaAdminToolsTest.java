package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka's own admin scripts, each run in its own JVM from the classpath compat/kafka-core/pom.xml
 * resolves: kafka-configs (ConfigCommand, in Kafka's core jar) describing and altering topic and
 * broker configs, and kafka-consumer-groups resetting a group's offsets.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KafkaAdminToolsTest {
    private static final File ROOT = new File("..").getAbsoluteFile();
    private static final File COMPAT = new File(ROOT, "compat/kafka-core");

    @TempDir
    File dataDir;

    static String classpath() throws Exception {
        File classpathFile = new File(COMPAT, "target/classpath.txt");
        if (!classpathFile.exists()) {
            Processes.run(List.of(new File(ROOT, "mvnw").getPath(), "-B", "-q", "-f",
                    new File(COMPAT, "pom.xml").getPath(), "dependency:build-classpath",
                    "-Dmdep.outputFile=" + classpathFile.getPath()), null);
        }
        return Files.readString(classpathFile.toPath()).trim();
    }

    /** Runs one of Kafka's tools (main class of its core or tools jar) to completion; returns its output. */
    static String tool(String mainClass, String... args) throws Exception {
        return Processes.run(toolCommand(mainClass, args).command(), null);
    }

    /** The command that runs one of Kafka's tools, for a test that expects it to fail ({@link Processes#exec}). */
    static ProcessBuilder toolCommand(String mainClass, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-cp", classpath(), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-configs", "Kafka tools 4.3.1: kafka-consumer-groups --reset-offsets"})
    void kafkaConfigsAndConsumerGroupsResetOffsets() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            String bootstrap = brook.bootstrap();
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("tools", 1, (short) 1))).all().get();
            }
            tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--entity-type", "topics",
                    "--entity-name", "tools", "--alter", "--add-config", "retention.ms=3600000,cleanup.policy=compact");
            String topic = tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--entity-type",
                    "topics", "--entity-name", "tools", "--describe");
            assertTrue(topic.contains("retention.ms=3600000") && topic.contains("cleanup.policy=compact"), topic);
            tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--entity-type", "topics",
                    "--entity-name", "tools", "--alter", "--delete-config", "retention.ms");
            assertTrue(!tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--entity-type", "topics",
                    "--entity-name", "tools", "--describe").contains("retention.ms="));
            String broker = tool("kafka.admin.ConfigCommand", "--bootstrap-server", bootstrap, "--entity-type",
                    "brokers", "--entity-name", "1", "--describe", "--all");
            assertTrue(broker.contains("log.cleaner.threads=1") && broker.contains("num.partitions=1"), broker);

            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("tools", ("k" + i).getBytes(), ("v" + i).getBytes()));
                }
            }
            TopicPartition tp = new TopicPartition("tools", 0);
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, "g"))) {
                consumer.assign(List.of(tp));
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(10)));
            }
            String plan = tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                    bootstrap, "--group", "g", "--topic", "tools", "--reset-offsets", "--to-offset", "3", "--execute");
            assertTrue(plan.contains("tools") && plan.contains("3"), plan);
            try (Admin admin = brook.admin()) {
                assertEquals(3, admin.listConsumerGroupOffsets("g").partitionsToOffsetAndMetadata().get().get(tp)
                        .offset());
            }
        }
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-transactions"})
    void kafkaTransactionsListsDescribesAndAbortsAHangingTransaction() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            String bootstrap = brook.bootstrap();
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("hanging", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of("transactional.id", "stuck"))) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>("hanging", "k".getBytes(), "never-ended".getBytes())).get();

                String list = tool("org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", bootstrap,
                        "list");
                assertTrue(list.contains("stuck") && list.contains("Ongoing"), list);
                String describe = tool("org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", bootstrap,
                        "describe", "--transactional-id", "stuck");
                assertTrue(describe.contains("Ongoing") && describe.contains("hanging-0"), describe);
                String producers = tool("org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server",
                        bootstrap, "describe-producers", "--topic", "hanging", "--partition", "0");
                long producerId;
                try (Admin admin = brook.admin()) {
                    producerId = admin.describeTransactions(List.of("stuck")).all().get().get("stuck").producerId();
                }
                List<String> rows = producers.strip().lines().toList();
                assertEquals(2, rows.size(), "a header and the one producer: " + producers);
                List<String> header = List.of(rows.get(0).trim().split("\\s+"));
                List<String> row = List.of(rows.get(1).trim().split("\\s+"));
                assertEquals(header.size(), row.size(), producers);
                assertEquals(String.valueOf(producerId), row.get(header.indexOf("ProducerId")), producers);
                assertEquals("0", row.get(header.indexOf("LastSequence")), "one record sent: " + producers);
                assertEquals("0", row.get(header.indexOf("CurrentTransactionStartOffset")),
                        "the open transaction starts at offset 0: " + producers);

                tool("org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", bootstrap, "abort",
                        "--topic", "hanging", "--partition", "0", "--start-offset", "0");
                TopicPartition tp = new TopicPartition("hanging", 0);
                try (KafkaConsumer<byte[], byte[]> committed = brook.consumer(
                        Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
                    assertEquals(2, committed.endOffsets(List.of(tp)).get(tp),
                            "the abort marker ends the hanging transaction for readers");
                    committed.assign(List.of(tp));
                    committed.seekToBeginning(List.of(tp));
                    assertTrue(committed.poll(java.time.Duration.ofSeconds(2)).isEmpty(), "nothing visible");
                }
            }
        }
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-leader-election on a single node"})
    void kafkaLeaderElectionOnASingleNodeFindsEveryPreferredReplicaLeading() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("elect-single", 2, (short) 1))).all().get();
            }
            String named = tool("org.apache.kafka.tools.LeaderElectionCommand", "--bootstrap-server",
                    brook.bootstrap(), "--election-type", "preferred", "--topic", "elect-single", "--partition", "1");
            assertTrue(named.contains("Valid replica already elected for partitions elect-single-1"), named);
            String all = tool("org.apache.kafka.tools.LeaderElectionCommand", "--bootstrap-server",
                    brook.bootstrap(), "--election-type", "unclean", "--all-topic-partitions");
            assertFalse(all.contains("Error") || all.contains("failed"), all);
        }
    }

    @Test
    void aNewSingleNodeFinalizesEligibleLeaderReplicasAsKafkasDoes() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            String features = tool("org.apache.kafka.tools.FeatureCommand", "--bootstrap-server", brook.bootstrap(),
                    "describe");
            assertTrue(features.lines().anyMatch(l -> l.contains("Feature: eligible.leader.replicas.version")
                    && l.contains("FinalizedVersionLevel: 1")), features);
            // with it, the cluster-wide min.insync.replicas, which ELR reads, is written as a dynamic default
            String defaults = tool("kafka.admin.ConfigCommand", "--bootstrap-server", brook.bootstrap(),
                    "--entity-type", "brokers", "--entity-default", "--describe");
            assertTrue(defaults.contains("min.insync.replicas=1"), defaults);
            brook.restart();
            assertTrue(tool("org.apache.kafka.tools.FeatureCommand", "--bootstrap-server", brook.bootstrap(),
                    "describe").contains("FinalizedVersionLevel: 1"), "kept over a restart");
        }
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-metadata-quorum describe --status/--replication",
            "Java admin client 4.3.1: describeMetadataQuorum"})
    void kafkaMetadataQuorumDescribesTheSingleNodeQuorum() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            String bootstrap = brook.bootstrap();
            long highWatermark;
            try (Admin admin = brook.admin()) {
                long before = admin.describeMetadataQuorum().quorumInfo().get().highWatermark();
                admin.createTopics(List.of(new NewTopic("quorum-a", 2, (short) 1))).all().get();
                QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
                highWatermark = quorum.highWatermark();
                assertEquals(1, quorum.leaderId());
                assertTrue(highWatermark >= before + 3, "a topic record and two partition records were committed: "
                        + before + " -> " + highWatermark);
                assertEquals(1, quorum.voters().size());
                assertEquals(1, quorum.voters().get(0).replicaId());
                assertEquals(highWatermark, quorum.voters().get(0).logEndOffset());
                assertTrue(quorum.observers().isEmpty());
            }
            String status = tool("org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server", bootstrap,
                    "describe", "--status");
            assertTrue(status.contains("LeaderId:") && status.lines().anyMatch(l -> l.matches("LeaderId:\\s+1")),
                    status);
            assertTrue(status.lines().anyMatch(l -> l.matches("HighWatermark:\\s+\\d+")), status);
            String replication = tool("org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server",
                    bootstrap, "describe", "--replication");
            assertTrue(replication.lines().anyMatch(l -> l.trim().startsWith("1 ") && l.contains("Leader")),
                    replication);
        }
    }
}
