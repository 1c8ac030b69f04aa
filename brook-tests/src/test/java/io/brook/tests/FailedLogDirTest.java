package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed disk among several on one broker (issue 19, Kafka's KIP-858): three nodes with two log directories each.
 * One broker leads two partitions of a topic with three replicas and {@code min.insync.replicas=2}, one in each of its
 * directories. The files of the first vanish under an acks=all producer; its next segment roll fails and that
 * directory goes offline. The broker keeps running and reports the directory in its heartbeat: the controller moves
 * that partition's leadership to an in-sync follower and takes the broker out of its ISR, while the partition in the
 * other directory stays led by it. The producer goes on on both, and every acknowledged record is read back once, in
 * order, at the offset its acknowledgement gave.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FailedLogDirTest {
    /** Moving a leadership takes a heartbeat and a metadata round trip; a loaded machine adds to it. */
    private static final Duration FAILOVER = Duration.ofSeconds(90);
    private static final String TOPIC = "two-disks";
    private static final int LEADER = 1;
    private static final int BEFORE = 20;
    private static final int AFTER = 20;

    @TempDir
    File work;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    private BrookCluster cluster;

    @AfterEach
    void stopTheCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aFailedDirectoryMovesOnlyItsOwnPartitionsLeadershipAndTheBrokerServesTheRest() throws Exception {
        Map<Integer, Map<String, String>> perNode = new HashMap<>();
        for (int id = 1; id <= 3; id++) {
            File node = new File(work, "node" + id);
            perNode.put(id, Map.of("log.dirs", new File(node, "data").getAbsolutePath() + ","
                    + new File(node, "data2").getAbsolutePath()));
        }
        cluster = BrookCluster.combined(work, SharedCluster.REPLICATION, perNode);
        logsOnFailure.watch(cluster);
        cluster.startAll();
        Admin admin = cluster.admin();
        // both partitions led by node 1; a fresh node puts each new partition in the directory with the fewest
        admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(LEADER, 2, 3), 1, List.of(LEADER, 3, 2)))
                .configs(Map.of("min.insync.replicas", "2", "segment.bytes", "1024"))))
                .all().get(30, TimeUnit.SECONDS);
        cluster.awaitInSync(TOPIC, 3, FAILOVER);
        File first = new File(work, "node" + LEADER + "/data");
        File second = new File(work, "node" + LEADER + "/data2");
        cluster.await("node " + LEADER + " holding partition 0 in " + first + " and partition 1 in " + second,
                FAILOVER, () -> new File(first, TOPIC + "-0").isDirectory()
                        && new File(second, TOPIC + "-1").isDirectory());

        List<AckedRecords> acked = List.of(new AckedRecords(new TopicPartition(TOPIC, 0)),
                new AckedRecords(new TopicPartition(TOPIC, 1)));
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) FAILOVER.toMillis(),
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000))) {
            send(producer, "before", BEFORE, acked);

            // the first disk fails: partition 0's files vanish from it
            File partitionDir = new File(first, TOPIC + "-0");
            Files.move(partitionDir.toPath(), new File(work, "failed-" + TOPIC + "-0").toPath());
            send(producer, "after", AFTER, acked);
        }

        assertEquals(LEADER, cluster.leaderOf(TOPIC, 1, FAILOVER), "partition 1 lives in the directory that did not fail: still led by node " + LEADER);
        int next = cluster.leaderOf(TOPIC, 0, FAILOVER);
        assertTrue(next != LEADER, "an in-sync follower leads partition 0, not node " + LEADER);
        TopicDescription described = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(TOPIC);
        TopicPartitionInfo p0 = described.partitions().get(0);
        assertFalse(p0.isr().stream().anyMatch(n -> n.id() == LEADER), "node " + LEADER + " left the ISR of "
                + "partition 0: " + p0);
        assertNull(cluster.node(LEADER).exitValue(), "node " + LEADER + " still runs: one directory is left");

        // the failed directory as Kafka's admin client sees it
        Map<String, LogDirDescription> dirs = admin.describeLogDirs(List.of(LEADER)).descriptions().get(LEADER)
                .get(30, TimeUnit.SECONDS);
        assertInstanceOf(KafkaStorageException.class, dirs.get(first.getAbsolutePath()).error(), dirs.toString());
        assertNull(dirs.get(second.getAbsolutePath()).error(), dirs.toString());

        for (AckedRecords partition : acked) {
            partition.assertReadBack(cluster, FAILOVER);
        }
    }

    /**
     * Sends {@code count} records to each partition, one at a time (each waits for its acknowledgement), noting
     * value and offset.
     */
    private static void send(KafkaProducer<byte[], byte[]> producer, String prefix, int count,
                             List<AckedRecords> acked) throws Exception {
        for (int i = 0; i < count; i++) {
            for (int partition = 0; partition < acked.size(); partition++) {
                acked.get(partition).send(producer, prefix + "-" + partition + "-" + i,
                        FAILOVER.plusSeconds(30));
            }
        }
    }
}
