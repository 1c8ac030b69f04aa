package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replicated partitions across three Brook processes, judged by Kafka's own clients: a topic with three replicas
 * and {@code min.insync.replicas=2} gets every replica in sync, acks=all records survive a SIGKILL of the leader
 * (a follower from the ISR takes over, every acknowledged record is read back at its offset), production goes on
 * with two replicas, and the killed broker catches up and rejoins the ISR when it returns.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReplicationTest {
    /** Fencing a killed broker takes its session timeout; a loaded machine adds to it. */
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final Duration CATCH_UP = Duration.ofSeconds(60);
    private static final String TOPIC = "replicated";
    /** The topic kcat and kafkajs write to and read after the failover. */
    private static final String CLIENTS_TOPIC = "replicated-clients";
    private static final File KAFKAJS = new File("../compat/kafkajs").getAbsoluteFile();
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

    /** Among its settings: a follower that stops fetching leaves the ISR after 6 s (Kafka's default is 30 s). */
    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;

    @Test
    @Compat({"Java 4.3.1: acks=all idempotent producer through a SIGKILL of the partition leader (RF 3)",
            "kcat: acks=all produce and consume after a leader change (RF 3)",
            "kafkajs 2.2.4: acks=all produce and consumer group after a leader change (RF 3)"})
    void acknowledgedRecordsSurviveTheLeadersDeathAndTheKilledBrokerRejoins() throws Exception {
        cluster = SHARED.cluster(); // whole: every node runs, an active controller, every broker unfenced
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2")),
                new NewTopic(CLIENTS_TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        TopicPartitionInfo created = awaitPartition(admin, "three in-sync replicas", CATCH_UP,
                p -> p.leader() != null && p.isr().size() == 3);
        // the group coordinator's topic (3 replicas) is created by the first lookup, which needs 3 live brokers, as
        // in Kafka: looked up now, while all three run, so the kafkajs group after the kill finds its coordinator
        cluster.await("the group coordinator", CATCH_UP, () -> admin.listConsumerGroupOffsets("kafkajs-replicated")
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS));
        assertEquals(3, created.replicas().size(), created.toString());

        List<Long> offsets = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000))) {
            offsets.addAll(produce(producer, 0, 200));
            int leader = created.leader().id();
            cluster.kill(leader);
            Admin survivors = cluster.admin(cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray()));
            TopicPartitionInfo after = awaitPartition(survivors, "a new leader from the ISR", FAILOVER,
                    p -> p.leader() != null && p.leader().id() != leader && p.leader().id() >= 0);
            assertNotEquals(leader, after.leader().id());
            assertEquals(offsets, readBack(cluster.bootstrap(), 200), "every acknowledged record, at its offset");

            // two replicas left of min.insync.replicas=2: acks=all goes on once the dead broker left the ISR
            offsets.addAll(produce(producer, 200, 100));
            clientsThroughTheSurvivors(leader);

            cluster.start(leader);
            awaitPartition(admin, "the restarted broker back in the ISR", CATCH_UP, p -> p.isr().size() == 3
                    && p.isr().stream().map(Node::id).collect(Collectors.toSet()).contains(leader));
            offsets.addAll(produce(producer, 300, 100));
        }
        assertEquals(offsets, readBack(cluster.bootstrap(), 400), "every acknowledged record, at its offset");
        for (int i = 1; i < offsets.size(); i++) {
            assertEquals(offsets.get(i - 1) + 1, offsets.get(i), "acknowledged offsets are consecutive: " + offsets);
        }
    }

    /**
     * kcat (librdkafka) and kafkajs produce with acks=all through the two surviving brokers and read the replicated
     * topic back, whichever node led it before.
     */
    private void clientsThroughTheSurvivors(int killed) throws Exception {
        String survivors = cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray());
        Admin admin = cluster.admin(survivors);
        cluster.await("a live leader of " + CLIENTS_TOPIC, FAILOVER, () -> {
            Node leader = admin.describeTopics(Set.of(CLIENTS_TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(CLIENTS_TOPIC).partitions().get(0).leader();
            return leader != null && leader.id() >= 0 && leader.id() != killed;
        });
        int expected = 0;
        if (Processes.kcatAvailable()) {
            Processes.run(List.of("kcat", "-b", survivors, "-P", "-t", CLIENTS_TOPIC, "-p", "0",
                    "-X", "request.required.acks=-1", "-X", "enable.idempotence=true"), "kcat-0\nkcat-1\nkcat-2\n");
            expected += 3;
            List<String> read = Processes.run(List.of("kcat", "-b", survivors, "-C", "-t", CLIENTS_TOPIC, "-o",
                    "beginning", "-e", "-q", "-f", "%s\\n"), null).lines().toList();
            assertEquals(List.of("kcat-0", "kcat-1", "kcat-2"), read);
        }
        boolean kafkajs = new File(KAFKAJS, "node_modules/kafkajs").isDirectory();
        if (!kafkajs && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        if (kafkajs) {
            ProcessBuilder node = new ProcessBuilder("node", "replicated.js", survivors, CLIENTS_TOPIC,
                    String.valueOf(expected + 10)).directory(KAFKAJS);
            node.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
            String output = Processes.run(node, null, Duration.ofSeconds(120));
            assertTrue(output.contains("consumer: read all " + (expected + 10) + " records"), output);
        }
    }

    /** Sends {@code count} records synchronously; returns the offsets the acknowledgements gave. */
    private static List<Long> produce(KafkaProducer<byte[], byte[]> producer, int from, int count) throws Exception {
        List<Long> offsets = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            RecordMetadata meta = producer.send(new ProducerRecord<>(TOPIC, 0, null, value(i))).get(120, TimeUnit.SECONDS);
            offsets.add(meta.offset());
        }
        return offsets;
    }

    private static byte[] value(int i) {
        return ("record-" + i).getBytes(StandardCharsets.UTF_8);
    }

    /** Reads {@code count} records from the beginning; checks each value and returns their offsets. */
    private List<Long> readBack(String bootstrap, int count) throws Exception {
        List<Long> offsets = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(bootstrap, Map.of())) {
            consumer.assign(List.of(TP));
            consumer.seekToBeginning(List.of(TP));
            long deadline = System.nanoTime() + CATCH_UP.toNanos();
            while (offsets.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    assertEquals("record-" + offsets.size(), new String(r.value(), StandardCharsets.UTF_8),
                            "at offset " + r.offset());
                    offsets.add(r.offset());
                }
            }
        }
        assertEquals(count, offsets.size(), "records read back");
        return offsets;
    }

    private interface PartitionCheck {
        boolean test(TopicPartitionInfo partition);
    }

    private TopicPartitionInfo awaitPartition(Admin admin, String what, Duration timeout, PartitionCheck check)
            throws Exception {
        TopicPartitionInfo[] last = new TopicPartitionInfo[1];
        return cluster.await(what, timeout, () -> {
            TopicDescription d = admin.describeTopics(Set.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(TOPIC);
            last[0] = d.partitions().get(0);
            return check.test(last[0]) ? last[0] : null;
        }, () -> "last seen: " + last[0]);
    }
}
