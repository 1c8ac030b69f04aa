package io.brook.tests;

import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.log.MetadataSnapshots;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import io.brook.metadata.runtime.SnapshotPolicy;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.tools.DumpLogSegments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kafka's own DumpLogSegments reads Brook's segments and verifies their indexes. */
class DumpLogSegmentsTest {
    @TempDir
    File dataDir;

    @Test
    @Compat({"Kafka tools 4.3.1: DumpLogSegments on Brook files"})
    void kafkaReadsBrookSegmentsAndIndexesWithoutErrors() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("dumped", 1, (short) 1).configs(Map.of(
                        "segment.bytes", "65536", "index.interval.bytes", "1024")))).all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.BATCH_SIZE_CONFIG, 2048))) {
                for (int i = 0; i < 5000; i++) {
                    producer.send(new ProducerRecord<>("dumped", 0, ("k" + i).getBytes(StandardCharsets.UTF_8),
                            ("value-" + i + "-" + "x".repeat(i % 100)).getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        File dir = new File(dataDir, "dumped-0");
        File[] files = dir.listFiles((d, n) -> n.endsWith(".log") || n.endsWith(".index") || n.endsWith(".timeindex")
                || n.endsWith(".snapshot"));
        assertTrue(files != null && files.length >= 6, "several segments with their indexes");
        Arrays.sort(files);
        List<String> args = new ArrayList<>(List.of("--deep-iteration", "--verify-index-only", "--files"));
        args.add(String.join(",", Arrays.stream(files).map(File::getAbsolutePath).toList()));

        String output = runDump(args.toArray(String[]::new));
        assertFalse(output.contains("Mismatches in"), output);
        assertFalse(output.contains("not found in"), output);
        assertFalse(output.toLowerCase().contains("exception"), output);
        assertFalse(output.toLowerCase().contains("corrupt"), output);
        assertTrue(output.contains("producerId:"), "Kafka reads Brook's producer snapshots: " + output);

        String deep = runDump(new String[]{"--deep-iteration", "--print-data-log", "--files",
                new File(dir, "00000000000000000000.log").getAbsolutePath()});
        assertTrue(deep.contains("offset: 0 ") && deep.contains("key: k0"), deep.substring(0, Math.min(2000, deep.length())));
        assertTrue(deep.contains("compresscodec: lz4"), "batches stored as the producer compressed them");
        assertEquals(-1, deep.indexOf("isvalid: false"));
    }

    @Test
    @Compat({"Kafka tools 4.3.1: DumpLogSegments on transaction indexes and state"})
    void kafkaReadsBrookTransactionIndexesMarkersAndTransactionState() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("txn-dumped", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "dumper"))) {
                producer.initTransactions();
                for (int t = 0; t < 4; t++) {
                    producer.beginTransaction();
                    producer.send(new ProducerRecord<>("txn-dumped", ("t" + t).getBytes(StandardCharsets.UTF_8)));
                    producer.flush();
                    if (t % 2 == 0) {
                        producer.abortTransaction();
                    } else {
                        producer.commitTransaction();
                    }
                }
            }
        }
        File dir = new File(dataDir, "txn-dumped-0");
        String index = runDump(new String[]{"--files", new File(dir, "00000000000000000000.txnindex").getAbsolutePath()});
        assertEquals(2, index.lines().filter(l -> l.contains("producerId:")).count(), "two aborted: " + index);
        assertTrue(index.contains("firstOffset: 0") && index.contains("lastOffset: 1"), index);
        String log = runDump(new String[]{"--deep-iteration", "--files",
                new File(dir, "00000000000000000000.log").getAbsolutePath()});
        assertEquals(4, log.lines().filter(l -> l.contains("isControl: true")).count(), "four markers: " + log);

        File[] state = dataDir.listFiles((d, n) -> n.startsWith("__transaction_state-"));
        StringBuilder decoded = new StringBuilder();
        for (File partition : state) {
            File segment = new File(partition, "00000000000000000000.log");
            if (segment.length() > 0) {
                decoded.append(runDump(new String[]{"--transaction-log-decoder", "--print-data-log", "--files",
                        segment.getAbsolutePath()}));
            }
        }
        assertTrue(decoded.toString().contains("\"transactionalId\":\"dumper\"")
                        && decoded.toString().contains("\"transactionStatus\":4"), // CompleteCommit
                "Kafka decodes Brook's __transaction_state: " + decoded);
    }

    /**
     * Kafka's dump tool decodes Brook's metadata log and snapshots with its cluster-metadata decoder: the
     * topics, partitions and configs a real node wrote through the admin client, as Kafka's own records.
     */
    @Test
    @Compat({"Kafka tools 4.3.1: DumpLogSegments --cluster-metadata-decoder on the metadata log and snapshots"})
    void kafkaDecodesBrookMetadataLogAndSnapshots() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("meta-dumped", 3, (short) 1))).all().get();
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "meta-dumped");
                admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(
                        new ConfigEntry("retention.ms", "4242"), AlterConfigOp.OpType.SET)))).all().get();
            }
        }
        File metadataDir = new File(dataDir, "__cluster_metadata-0");
        String segment = runDump(new String[]{"--cluster-metadata-decoder", "--files",
                new File(metadataDir, "00000000000000000000.log").getAbsolutePath()});
        assertMetadataDecoded(segment);
        assertTrue(segment.contains("baseOffset: 0 ") && segment.contains("partitionLeaderEpoch: 1"), segment);
        assertFalse(segment.contains("isvalid: false"), segment);

        // a snapshot taken the way the controller takes them (here after every byte), then dumped
        MetadataSnapshots.SnapshotId id;
        try (LocalMetadataController controller = LocalMetadataController.open(metadataDir, new SnapshotPolicy(1, 0))) {
            controller.submit(ProducerIdControl::allocateBlock).get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (controller.latestSnapshot() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            id = controller.latestSnapshot();
            assertTrue(id != null, "a snapshot was written");
        }
        String snapshot = runDump(new String[]{"--cluster-metadata-decoder", "--deep-iteration", "--print-data-log", "--files",
                new File(metadataDir, id.fileName()).getAbsolutePath()});
        assertMetadataDecoded(snapshot);
        assertTrue(snapshot.contains("Snapshot end offset: " + id.endOffset() + ", epoch: 1"), snapshot);
        assertTrue(snapshot.contains("SnapshotHeader") && snapshot.contains("SnapshotFooter"), snapshot);
        assertTrue(snapshot.contains("\"type\":\"PRODUCER_IDS_RECORD\"") && snapshot.contains("\"nextProducerId\":1000"), snapshot);
    }

    private static void assertMetadataDecoded(String output) {
        assertTrue(output.contains("\"type\":\"TOPIC_RECORD\"") && output.contains("\"name\":\"meta-dumped\""),
                output);
        java.util.regex.Matcher topic = java.util.regex.Pattern.compile(
                "\"name\":\"meta-dumped\",\"topicId\":\"([^\"]+)\"").matcher(output);
        assertTrue(topic.find(), "the topic record of meta-dumped: " + output);
        String topicId = topic.group(1);
        assertEquals(3, output.lines().filter(l -> l.contains("\"type\":\"PARTITION_RECORD\"")
                && l.contains("\"topicId\":\"" + topicId + "\"")).count(), "its three partitions: " + output);
        assertTrue(output.contains("\"type\":\"CONFIG_RECORD\"") && output.contains("\"resourceType\":2")
                && output.contains("\"resourceName\":\"meta-dumped\"") && output.contains("\"name\":\"retention.ms\"")
                && output.contains("\"value\":\"4242\""), output);
        assertFalse(output.toLowerCase().contains("exception"), output);
        assertFalse(output.contains("Error"), output);
    }

    @Test
    @Compat({"Kafka tools 4.3.1: DumpLogSegments --offsets-decoder on __consumer_offsets (offsets, group metadata)"})
    void kafkaDecodesBrooksGroupAndOffsetRecords() throws Exception {
        String group = "dumped-group";
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("grouped", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG,
                    group))) {
                consumer.subscribe(List.of("grouped"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200));
                }
                assertEquals(2, consumer.assignment().size(), "the member got both partitions");
                consumer.commitSync(Map.of(new TopicPartition("grouped", 1), new OffsetAndMetadata(7)));
            }
        }
        List<String> logs = new ArrayList<>();
        for (File dir : dataDir.listFiles((d, n) -> n.startsWith("__consumer_offsets-"))) {
            for (File log : dir.listFiles((d, n) -> n.endsWith(".log"))) {
                logs.add(log.getAbsolutePath());
            }
        }
        String output = runDump(new String[]{"--offsets-decoder", "--files", String.join(",", logs)});
        assertTrue(output.contains("\"group\":\"" + group + "\""), "the group's records: " + output);
        assertTrue(output.contains("\"protocolType\":\"consumer\"") && output.contains("\"generation\":1")
                && output.contains("\"protocol\":\"range\""), "generation 1 with its protocol: " + output);
        assertTrue(output.contains("\"generation\":2") && output.contains("\"members\":[]"),
                "the group emptied by the member's leaving: " + output);
        assertTrue(output.contains("\"topic\":\"grouped\"") && output.contains("\"offset\":7"),
                "the commit: " + output);
        assertFalse(output.toLowerCase().contains("exception") || output.contains("unknown"), output);
    }

    /** A consumer group of KIP-848 as Brook stores it, read by Kafka 4.3.1's own decoder of the offsets topic. */
    @Test
    void kafkaDecodesBrooksConsumerGroupRecords() throws Exception {
        String group = "dumped-consumer-group";
        Uuid topicId;
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                topicId = admin.createTopics(List.of(new NewTopic("grouped848", 2, (short) 1))).topicId("grouped848")
                        .get(30, TimeUnit.SECONDS);
            }
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG,
                    group, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer", ConsumerConfig.CLIENT_RACK_CONFIG,
                    "rack-a"))) {
                consumer.subscribe(List.of("grouped848"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (consumer.assignment().size() < 2 && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200));
                }
                assertEquals(2, consumer.assignment().size(), "the member got both partitions");
            }
        }
        List<String> logs = new ArrayList<>();
        for (File dir : dataDir.listFiles((d, n) -> n.startsWith("__consumer_offsets-"))) {
            for (File log : dir.listFiles((d, n) -> n.endsWith(".log"))) {
                logs.add(log.getAbsolutePath());
            }
        }
        String output = runDump(new String[]{"--offsets-decoder", "--files", String.join(",", logs)});
        assertTrue(output.contains("\"groupId\":\"" + group + "\""), "the group's records: " + output);
        assertTrue(output.contains("\"rackId\":\"rack-a\"") && output.contains("\"subscribedTopicNames\":[\"grouped848\"]"),
                "the member's metadata: " + output);
        assertTrue(output.contains("\"topicId\":\"" + topicId + "\",\"partitions\":[0,1]"),
                "its assignment, by topic id: " + output);
        assertTrue(output.contains("\"assignmentEpoch\":1") && output.contains("\"memberEpoch\":1"),
                "the target assignment and the member at epoch 1: " + output);
        assertFalse(output.toLowerCase().contains("exception") || output.contains("unknown"), output);
    }

    private static String runDump(String[] args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            DumpLogSegments.main(args);
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
