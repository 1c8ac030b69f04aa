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
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
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
 * with two replicas, and the killed broker, its log's tail torn while it was down (a crash mid-append), recovers,
 * catches up, rejoins the ISR and leads again with every acknowledged record. kcat and kafkajs write to a topic led by
 * the broker killed, then produce and read it through the survivors.
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
            "kcat: acks=all produce to a leader, then produce and consume through its SIGKILL (RF 3)",
            "kafkajs 2.2.4: acks=all produce and consumer group to a leader, then through its SIGKILL (RF 3)"})
    void acknowledgedRecordsSurviveTheLeadersDeathAndTheKilledBrokerRejoins() throws Exception {
        cluster = SHARED.cluster(); // whole: every node runs, an active controller, every broker unfenced
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        TopicPartitionInfo created = awaitPartition(admin, "three in-sync replicas", CATCH_UP,
                p -> p.leader() != null && p.isr().size() == 3);
        // kcat's and kafkajs's topic led by the same broker, the one killed below
        List<Integer> clientsReplicas = new ArrayList<>(List.of(created.leader().id()));
        created.replicas().stream().map(Node::id).filter(id -> id != created.leader().id()).forEach(clientsReplicas::add);
        admin.createTopics(List.of(new NewTopic(CLIENTS_TOPIC, Map.of(0, clientsReplicas))
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        awaitPartition(admin, CLIENTS_TOPIC, "three in-sync replicas, led by " + clientsReplicas.get(0), CATCH_UP,
                p -> p.leader() != null && p.leader().id() == clientsReplicas.get(0) && p.isr().size() == 3);
        // the group coordinator's topic (3 replicas) is created by the first lookup, which needs 3 live brokers, as
        // in Kafka: looked up now, while all three run, so the kafkajs group after the kill finds its coordinator
        cluster.await("the group coordinator", CATCH_UP, () -> admin.listConsumerGroupOffsets("kafkajs-replicated")
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS));
        assertEquals(3, created.replicas().size(), created.toString());
        int written = clientsBeforeTheKill();

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
            clientsThroughTheSurvivors(leader, written);

            tearTheTail(leader);
            cluster.start(leader);
            awaitPartition(admin, "the restarted broker back in the ISR", CATCH_UP, p -> p.isr().size() == 3
                    && p.isr().stream().map(Node::id).collect(Collectors.toSet()).contains(leader));
            if (created.replicas().get(0).id() == leader) {
                // it leads again, so what follows is written to, and read back from, the log it recovered
                admin.electLeaders(ElectionType.PREFERRED, Set.of(TP)).all().get(30, TimeUnit.SECONDS);
                awaitPartition(admin, "the restarted broker leading again", FAILOVER,
                        p -> p.leader() != null && p.leader().id() == leader);
            }
            offsets.addAll(produce(producer, 300, 100));
        }
        assertEquals(offsets, readBack(cluster.bootstrap(), 400), "every acknowledged record, at its offset");
        for (int i = 1; i < offsets.size(); i++) {
            assertEquals(offsets.get(i - 1) + 1, offsets.get(i), "acknowledged offsets are consecutive: " + offsets);
        }
    }

    /**
     * What a crash in the middle of an append leaves on {@code node} (stopped): the last batch of its newest segment of
     * the topic cut short, then bytes that are no batch at all. It must recover to its last whole batch and fetch
     * the rest from the leader.
     */
    private void tearTheTail(int node) throws IOException {
        File[] segments = new File(cluster.node(node).dataDir, TP.topic() + "-" + TP.partition())
                .listFiles((dir, name) -> name.endsWith(".log"));
        assertTrue(segments != null && segments.length > 0, "the killed node's segments");
        File newest = java.util.Arrays.stream(segments).max(java.util.Comparator.comparing(File::getName)).orElseThrow();
        try (RandomAccessFile file = new RandomAccessFile(newest, "rw")) {
            long length = file.length();
            assertTrue(length > 100, newest + " holds " + length + " bytes");
            file.setLength(length - 7);
            byte[] garbage = new byte[61];
            java.util.Arrays.fill(garbage, (byte) 0x5a);
            file.seek(length - 7);
            file.write(garbage);
        }
    }

    private static boolean kafkajsInstalled() {
        boolean kafkajs = new File(KAFKAJS, "node_modules/kafkajs").isDirectory();
        if (!kafkajs && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("kafkajs is not installed: run npm ci in compat/kafkajs");
        }
        return kafkajs;
    }

    /** Runs compat/kafkajs/replicated.js: 10 records with acks=all, then the whole topic read by a new group. */
    private static void kafkajs(String bootstrap, int expectedTotal, String group) throws Exception {
        ProcessBuilder node = new ProcessBuilder("node", "replicated.js", bootstrap, CLIENTS_TOPIC,
                String.valueOf(expectedTotal), group).directory(KAFKAJS);
        node.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
        String output = Processes.run(node, null, Duration.ofSeconds(120));
        assertTrue(output.contains("consumer: read all " + expectedTotal + " records"), output);
    }

    /** kcat and kafkajs write to the clients' topic while its leader (killed next) runs; returns how many. */
    private int clientsBeforeTheKill() throws Exception {
        int written = 0;
        if (Processes.kcatAvailable()) {
            Processes.run(List.of("kcat", "-b", cluster.bootstrap(), "-P", "-t", CLIENTS_TOPIC, "-p", "0",
                    "-X", "request.required.acks=-1", "-X", "enable.idempotence=true"), "kcat-0\nkcat-1\nkcat-2\n");
            written += 3;
        }
        if (kafkajsInstalled()) {
            kafkajs(cluster.bootstrap(), written + 10, "kafkajs-before");
            written += 10;
        }
        return written;
    }

    /**
     * After the leader of their topic was killed, kcat (librdkafka) and kafkajs produce with acks=all through the two
     * surviving brokers and read the topic back: what they wrote before the kill, to the old leader, and after it.
     */
    private void clientsThroughTheSurvivors(int killed, int writtenBefore) throws Exception {
        String survivors = cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray());
        Admin admin = cluster.admin(survivors);
        cluster.await("a live leader of " + CLIENTS_TOPIC, FAILOVER, () -> {
            Node leader = admin.describeTopics(Set.of(CLIENTS_TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(CLIENTS_TOPIC).partitions().get(0).leader();
            return leader != null && leader.id() >= 0 && leader.id() != killed;
        });
        int expected = writtenBefore;
        if (Processes.kcatAvailable()) {
            Processes.run(List.of("kcat", "-b", survivors, "-P", "-t", CLIENTS_TOPIC, "-p", "0",
                    "-X", "request.required.acks=-1", "-X", "enable.idempotence=true"), "kcat-3\nkcat-4\nkcat-5\n");
            expected += 3;
            List<String> read = Processes.run(List.of("kcat", "-b", survivors, "-C", "-t", CLIENTS_TOPIC, "-o",
                    "beginning", "-e", "-q", "-f", "%s\\n"), null).lines().toList();
            assertEquals(expected, read.size(), "everything written before and after the kill: " + read);
            assertEquals(List.of("kcat-0", "kcat-1", "kcat-2", "kcat-3", "kcat-4", "kcat-5"),
                    read.stream().filter(v -> v.startsWith("kcat-")).toList());
        }
        if (kafkajsInstalled()) {
            kafkajs(survivors, expected + 10, "kafkajs-replicated");
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
        return awaitPartition(admin, TOPIC, what, timeout, check);
    }

    private TopicPartitionInfo awaitPartition(Admin admin, String topic, String what, Duration timeout,
                                              PartitionCheck check) throws Exception {
        TopicPartitionInfo[] last = new TopicPartitionInfo[1];
        return cluster.await(topic + ": " + what, timeout, () -> {
            TopicDescription d = admin.describeTopics(Set.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(topic);
            last[0] = d.partitions().get(0);
            return check.test(last[0]) ? last[0] : null;
        }, () -> "last seen: " + last[0]);
    }
}
