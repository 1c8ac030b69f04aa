package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed disk on one broker of three (issue 19): the leader of a partition with three replicas and
 * {@code min.insync.replicas=2} loses its only log directory's files under an acks=all producer. Its next segment
 * roll fails, the directory goes offline, and since no directory of the node is left it stops by itself, as Kafka's
 * broker does, with a controlled shutdown, so the partition's leadership moves to an in-sync follower. The producer
 * goes on there, and every acknowledged record is read back once, in order, at the offset its acknowledgement gave.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LogDirFailureTest {
    /** Moving a leadership takes a controlled shutdown or a session timeout; a loaded machine adds to it. */
    private static final Duration FAILOVER = Duration.ofSeconds(90);
    private static final String TOPIC = "failing-disk";
    private static final int BEFORE = 20;
    private static final int AFTER = 20;

    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();

    @Test
    void aBrokerWhoseLogDirectoryFailsStopsAndItsPartitionsGoOnElsewhereWithNothingAcknowledgedLost()
            throws Exception {
        BrookCluster cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        // small segments: each few records roll a new segment file, which a failed directory cannot create
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3).configs(Map.of("min.insync.replicas", "2",
                "segment.bytes", "1024")))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitInSync(TOPIC, 3, FAILOVER);
        int leader = cluster.leaderOf(TOPIC, 0, FAILOVER);

        List<String> sent = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) FAILOVER.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            send(producer, "before", BEFORE, sent, offsets);

            // the leader's disk fails: the partition's files vanish from its only log directory
            File partitionDir = new File(cluster.node(leader).dataDir, TOPIC + "-0");
            Files.move(partitionDir.toPath(), new File(partitionDir.getParentFile().getParentFile(),
                    "failed-" + TOPIC + "-0").toPath());
            send(producer, "after", AFTER, sent, offsets);
        }

        cluster.await("node " + leader + " stopping by itself", FAILOVER,
                () -> cluster.node(leader).exitValue() != null);
        assertEquals(1, cluster.node(leader).exitValue(), "the exit status of a node whose every log dir failed");
        assertTrue(cluster.serverLog(leader).contains("is offline after an I/O error; stopping"),
                "the node's log says why it stopped");
        int next = cluster.leaderOf(TOPIC, 0, FAILOVER);
        assertNotEquals(leader, next, "an in-sync follower leads the partition");

        List<String> read = new ArrayList<>();
        List<Long> readOffsets = new ArrayList<>();
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + FAILOVER.toNanos();
            while (read.size() < sent.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    read.add(new String(r.value(), StandardCharsets.UTF_8));
                    readOffsets.add(r.offset());
                }
            }
        }
        assertEquals(sent, read, "every acknowledged record, once, in order");
        assertEquals(offsets, readOffsets, "at the offsets the acknowledgements gave");
    }

    /** Sends {@code count} records one at a time (each waits for its acknowledgement), noting value and offset. */
    private static void send(KafkaProducer<byte[], byte[]> producer, String prefix, int count, List<String> sent,
                             List<Long> offsets) throws Exception {
        for (int i = 0; i < count; i++) {
            String value = prefix + "-" + i + "-" + "x".repeat(200);
            RecordMetadata acked = producer.send(new ProducerRecord<>(TOPIC, 0, null,
                    value.getBytes(StandardCharsets.UTF_8))).get(FAILOVER.toSeconds() + 30, TimeUnit.SECONDS);
            sent.add(value);
            offsets.add(acked.offset());
        }
    }
}
