package io.brook.tests;

import io.brook.cli.BrookCli;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partition reassignment (KIP-455) on three Brook processes, one cluster for every case: a single-replica partition
 * on node 1 moved to [2,3] by Kafka's own {@code kafka-reassign-partitions.sh} ({@code --execute}, then
 * {@code --verify} until complete) keeps every record, node 1's partition directory goes, and describe shows the new
 * replicas; a partition moved with {@code brook partitions reassign} while an acks=all producer writes loses nothing
 * acknowledged; {@code brook partitions reassignments} lists what is in progress; a reassignment still copying is
 * cancelled with {@code --cancel}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReassignmentTest {
    private static final Duration MOVE = Duration.ofSeconds(60);
    private static final String REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final int RECORDS = 2_000;

    /** The reassignment plans. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static File work;
    /** The fork's cluster of these settings (shared with other classes), whole at the start of each test. */
    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;
    Admin admin;

    @BeforeAll
    void useTheSharedCluster() {
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        admin = cluster.admin(); // closed after the class, with the class's other clients
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-reassign-partitions --execute --throttle --verify"})
    void kafkasToolMovesASingleReplicaPartitionToTwoOtherBrokersWithEveryRecord() throws Exception {
        String topic = "moved";
        admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1))))).all().get(30, TimeUnit.SECONDS);
        List<Long> offsets = new ArrayList<>();
        try (KafkaProducer<String, String> producer = producer()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)));
            }
            for (Future<RecordMetadata> f : sent) {
                offsets.add(f.get(30, TimeUnit.SECONDS).offset());
            }
        }
        File before = new File(cluster.node(1).dataDir, topic + "-0");
        assertTrue(before.isDirectory(), "node 1 hosts it: " + before);

        File plan = new File(work, "reassign.json");
        Files.writeString(plan.toPath(), "{\"version\":1,\"partitions\":[{\"topic\":\"" + topic
                + "\",\"partition\":0,\"replicas\":[2,3]}]}");
        String executed = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", cluster.bootstrap(),
                "--reassignment-json-file", plan.getPath(), "--execute", "--throttle", "50000000");
        assertTrue(executed.contains("Successfully started partition reassignment"), executed);
        ConfigResource topicResource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        ConfigResource broker2 = new ConfigResource(ConfigResource.Type.BROKER, "2");
        assertEquals("50000000", admin.describeConfigs(List.of(broker2)).all().get(30, TimeUnit.SECONDS)
                .get(broker2).get("follower.replication.throttled.rate").value(), "--throttle set the rate");
        assertTrue(admin.describeConfigs(List.of(topicResource)).all().get(30, TimeUnit.SECONDS).get(topicResource)
                .get("follower.replication.throttled.replicas").value().contains("0:2"), "and the moving replicas");
        String[] verified = new String[1];
        cluster.await("kafka-reassign-partitions --verify: complete", MOVE, () -> {
            verified[0] = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", cluster.bootstrap(),
                    "--reassignment-json-file", plan.getPath(), "--verify");
            return verified[0].contains("Reassignment of partition " + topic + "-0 is completed") ? verified[0] : null;
        }, () -> "last: " + verified[0]);
        assertEquals("", admin.describeConfigs(List.of(topicResource)).all().get(30, TimeUnit.SECONDS)
                .get(topicResource).get("follower.replication.throttled.replicas").value(),
                "--verify removed the throttle once complete: " + verified[0]);
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, admin.describeConfigs(List.of(broker2)).all()
                .get(30, TimeUnit.SECONDS).get(broker2).get("follower.replication.throttled.rate").source(),
                "and the rate");

        TopicPartitionInfo after = awaitPartition(topic, "replicas [2,3], both in sync",
                p -> p.replicas().stream().map(Node::id).toList().equals(List.of(2, 3)) && p.isr().size() == 2
                        && p.leader() != null);
        assertTrue(after.leader().id() == 2 || after.leader().id() == 3, after.toString());
        cluster.await("node 1's partition directory gone", MOVE, () -> before.exists() ? null : true,
                () -> "still there: " + before);

        Map<Long, String> read = readAll(topic, RECORDS);
        assertEquals(RECORDS, read.size());
        for (int i = 0; i < RECORDS; i++) {
            assertEquals("v" + i, read.get(offsets.get(i)), "offset " + offsets.get(i));
        }
    }

    @Test
    void aReassignmentUnderAnAcksAllProducerLosesNothingAcknowledged() throws Exception {
        String topic = "live";
        admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 2))))).all().get(30, TimeUnit.SECONDS);
        awaitPartition(topic, "two in-sync replicas", p -> p.isr().size() == 2 && p.leader() != null);
        Map<Long, String> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new ArrayList<>();
        Thread writer = new Thread(() -> {
            try (KafkaProducer<String, String> producer = producer()) {
                for (int i = 0; !stop.get(); i++) {
                    String value = "w" + i;
                    try {
                        RecordMetadata m = producer.send(new ProducerRecord<>(topic, 0, null, value))
                                .get(30, TimeUnit.SECONDS);
                        acknowledged.put(m.offset(), value);
                    } catch (Exception e) {
                        synchronized (failures) {
                            failures.add(e); // not acknowledged: may or may not be there
                        }
                    }
                }
            }
        }, "acks-all-writer");
        writer.start();
        try {
            cluster.await("some records acknowledged", MOVE, () -> acknowledged.size() > 200 ? true : null,
                    () -> acknowledged.size() + " so far");
            String started = brook("partitions", "reassign", "--topic", topic, "--partition", "0",
                    "--replicas", "3,1", "--bootstrap-server=" + cluster.bootstrap());
            assertTrue(started.contains("started"), started);
            awaitPartition(topic, "replicas [3,1], both in sync",
                    p -> p.replicas().stream().map(Node::id).toList().equals(List.of(3, 1)) && p.isr().size() == 2);
            cluster.await("no reassignment listed", MOVE, () -> {
                String listed = brook("partitions", "reassignments", "--bootstrap-server=" + cluster.bootstrap());
                return listed.contains("No partition reassignments in progress") ? true : null;
            }, () -> "still listed");
            int at = acknowledged.size();
            cluster.await("more records acknowledged after the move", MOVE,
                    () -> acknowledged.size() > at + 200 ? true : null, () -> acknowledged.size() + " so far");
        } finally {
            stop.set(true);
            writer.join(60_000);
        }
        assertFalse(writer.isAlive());
        Map<Long, String> read = readAll(topic, -1);
        for (Map.Entry<Long, String> ack : new TreeMap<>(acknowledged).entrySet()) {
            assertEquals(ack.getValue(), read.get(ack.getKey()), "acknowledged offset " + ack.getKey()
                    + " (" + acknowledged.size() + " acknowledged, " + failures.size() + " failed sends)");
        }
        cluster.await("node 2's partition directory gone", MOVE,
                () -> new File(cluster.node(2).dataDir, topic + "-0").exists() ? null : true, () -> "still there");
    }

    /**
     * {@code brook partitions plan} spreads six partitions crowded on brokers 1 and 2, all led by 1, over the three
     * brokers (four replicas each) and {@code --execute} starts it; {@code brook partitions elect-leaders} then moves
     * leadership to the planned preferred leaders (two per broker); planned again, nothing is left to move. A broker
     * that is not in the cluster gets one line and a non-zero exit.
     */
    @Test
    void thePlanSpreadsCrowdedPartitionsAndElectLeadersEvensOutLeadership() throws Exception {
        String topic = "crowded";
        Map<Integer, List<Integer>> assignment = new TreeMap<>();
        for (int p = 0; p < 6; p++) {
            assignment.put(p, List.of(1, 2));
        }
        admin.createTopics(List.of(new NewTopic(topic, assignment))).all().get(30, TimeUnit.SECONDS);
        String bootstrap = "--bootstrap-server=" + cluster.bootstrap();
        String proposed = brook("partitions", "plan", "--topic", topic, bootstrap);
        assertTrue(proposed.contains("Plan: ") && proposed.contains("replicas move") && proposed.contains("Not started")
                && proposed.contains("\"topic\":\"" + topic + "\""), proposed);
        assertTrue(proposed.contains("3\t0 -> 4\t0 -> 2"), "broker 3 gets 4 replicas and 2 preferred leaderships: "
                + proposed);
        String started = brook("partitions", "plan", "--topic", topic, "--execute", bootstrap);
        assertTrue(started.contains("Reassignment started"), started);
        AtomicReference<List<TopicPartitionInfo>> last = new AtomicReference<>();
        cluster.await("the planned replicas, all in sync, no reassignment left", MOVE, () -> {
            last.set(admin.describeTopics(Set.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions());
            Map<Integer, Integer> replicas = new TreeMap<>();
            for (TopicPartitionInfo p : last.get()) {
                if (p.isr().size() != p.replicas().size() || p.replicas().size() != 2) {
                    return null;
                }
                p.replicas().forEach(n -> replicas.merge(n.id(), 1, Integer::sum));
            }
            return replicas.equals(Map.of(1, 4, 2, 4, 3, 4))
                    && admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).isEmpty()
                    ? true : null;
        }, () -> "last seen: " + last.get());
        String elected = brook("partitions", "elect-leaders", "--topic", topic, bootstrap);
        // "not needed" where the controller's own leader rebalance came first
        assertTrue(elected.contains("Elected") || elected.contains("not needed"), elected);
        cluster.await("two leaders per broker, each the preferred replica", MOVE, () -> {
            last.set(admin.describeTopics(Set.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions());
            Map<Integer, Integer> leaders = new TreeMap<>();
            for (TopicPartitionInfo p : last.get()) {
                if (p.leader() == null || p.leader().id() != p.replicas().get(0).id()) {
                    return null;
                }
                leaders.merge(p.leader().id(), 1, Integer::sum);
            }
            return leaders.equals(Map.of(1, 2, 2, 2, 3, 2)) ? true : null;
        }, () -> "last seen: " + last.get());
        assertTrue(brook("partitions", "elect-leaders", "--topic", topic, bootstrap).contains("not needed"));
        assertTrue(brook("partitions", "plan", "--topic", topic, bootstrap).contains("Balanced already"));

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = BrookCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("partitions", "plan", "--brokers", "1,9", bootstrap);
        assertTrue(code != 0 && err.toString().contains("--brokers names [9]"), code + ": " + out + err);
    }

    /**
     * {@code --cancel} of a reassignment still copying (held back by a 1 KB/s throttle): the partition goes back to its
     * original replica, the added replica's log is deleted, the throttle configs go, and nothing written is lost.
     */
    @Test
    @Compat({"Kafka tools 4.3.1: kafka-reassign-partitions --execute --throttle, --list, --cancel"})
    void kafkasToolCancelsAReassignmentStillCopyingAndTheAddedReplicaGoes() throws Exception {
        String topic = "cancelled";
        int batches = 40;
        admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1))))).all().get(30, TimeUnit.SECONDS);
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < batches; i++) { // one batch each: the throttle lets about one through per second
                producer.send(new ProducerRecord<>(topic, 0, "k" + i, "x".repeat(1_000))).get(30, TimeUnit.SECONDS);
            }
        }
        File plan = new File(work, "cancel.json");
        Files.writeString(plan.toPath(), "{\"version\":1,\"partitions\":[{\"topic\":\"" + topic
                + "\",\"partition\":0,\"replicas\":[1,2]}]}");
        String executed = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", cluster.bootstrap(),
                "--reassignment-json-file", plan.getPath(), "--execute", "--throttle", "1000");
        assertTrue(executed.contains("Successfully started partition reassignment"), executed);
        File added = new File(cluster.node(2).dataDir, topic + "-0");
        TopicPartitionInfo copying = awaitPartition(topic, "node 2 being added",
                p -> p.replicas().stream().map(Node::id).toList().equals(List.of(1, 2)));
        cluster.await("node 2 copying", MOVE, () -> added.isDirectory() ? true : null,
                () -> "no " + added + " (" + copying + "); the tool said: " + executed);
        String listed = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", cluster.bootstrap(), "--list");
        assertTrue(listed.contains(topic + "-0"), "in progress: " + listed);

        String cancelled = KafkaAdminToolsTest.tool(REASSIGN, "--bootstrap-server", cluster.bootstrap(),
                "--reassignment-json-file", plan.getPath(), "--cancel");
        assertTrue(cancelled.contains(topic + "-0"), cancelled);
        awaitPartition(topic, "back on replica [1] alone",
                p -> p.replicas().stream().map(Node::id).toList().equals(List.of(1)) && p.isr().size() == 1);
        assertTrue(admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS).isEmpty(),
                "nothing in progress after the cancel");
        cluster.await("node 2's added replica deleted", MOVE, () -> added.exists() ? null : true,
                () -> "still there: " + added);
        ConfigResource topicResource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        assertEquals("", admin.describeConfigs(List.of(topicResource)).all().get(30, TimeUnit.SECONDS)
                .get(topicResource).get("follower.replication.throttled.replicas").value(),
                "--cancel removed the throttle: " + cancelled);
        ConfigResource broker2 = new ConfigResource(ConfigResource.Type.BROKER, "2");
        assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, admin.describeConfigs(List.of(broker2)).all()
                .get(30, TimeUnit.SECONDS).get(broker2).get("follower.replication.throttled.rate").source(),
                "and the brokers' rates (the shared cluster is left unthrottled)");
        assertEquals(batches, readAll(topic, batches).size());
    }

    private KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    /** Every record of partition 0 up to its end (read from its leader), by offset; {@code expected} -1: any count. */
    private Map<Long, String> readAll(String topic, int expected) throws Exception {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        TopicPartition tp = new TopicPartition(topic, 0);
        Map<Long, String> read = new TreeMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (consumer.position(tp, Duration.ofSeconds(30)) < end) {
                assertTrue(System.nanoTime() < deadline, "read " + read.size() + " of " + end);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    read.put(r.offset(), r.value());
                }
            }
            if (expected >= 0) {
                assertEquals(expected, end, "the partition's end offset");
            }
        }
        return read;
    }

    private TopicPartitionInfo awaitPartition(String topic, String what, Predicate<TopicPartitionInfo> check)
            throws Exception {
        TopicPartitionInfo[] last = new TopicPartitionInfo[1];
        return cluster.await(what, MOVE, () -> {
            TopicDescription d = admin.describeTopics(Set.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(topic);
            last[0] = d.partitions().get(0);
            return check.test(last[0]) ? last[0] : null;
        }, () -> "last seen: " + last[0]);
    }

    /** {@code bin/brook} in this JVM; fails unless it exits with 0. Returns what it printed. */
    private static String brook(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = BrookCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertEquals(0, code, "brook " + String.join(" ", args) + ": " + out + err);
        return out.toString();
    }
}
