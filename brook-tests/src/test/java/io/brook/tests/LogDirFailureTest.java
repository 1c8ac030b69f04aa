package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
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

        AckedRecords acked = new AckedRecords(new TopicPartition(TOPIC, 0));
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) FAILOVER.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            send(producer, "before", BEFORE, acked);

            // the leader's disk fails: the partition's files vanish from its only log directory
            File partitionDir = new File(cluster.node(leader).dataDir, TOPIC + "-0");
            Files.move(partitionDir.toPath(), new File(partitionDir.getParentFile().getParentFile(),
                    "failed-" + TOPIC + "-0").toPath());
            send(producer, "after", AFTER, acked);
        }

        cluster.await("node " + leader + " stopping by itself", FAILOVER,
                () -> cluster.node(leader).exitValue() != null);
        assertEquals(1, cluster.node(leader).exitValue(), "the exit status of a node whose every log dir failed");
        assertTrue(cluster.serverLog(leader).contains("is offline after an I/O error; stopping"),
                "the node's log says why it stopped");
        int next = cluster.leaderOf(TOPIC, 0, FAILOVER);
        assertNotEquals(leader, next, "an in-sync follower leads the partition");

        acked.assertReadBack(cluster, FAILOVER);
    }

    /** Sends {@code count} records one at a time (each waits for its acknowledgement). */
    private static void send(KafkaProducer<byte[], byte[]> producer, String prefix, int count, AckedRecords acked)
            throws Exception {
        for (int i = 0; i < count; i++) {
            acked.send(producer, prefix + "-" + i, FAILOVER.plusSeconds(30));
        }
    }
}
