package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KIP-966 eligible leader replicas end to end, on three controllers and three brokers (separate roles, so that every
 * broker can be down while the quorum decides): a topic with replication factor 3 and {@code min.insync.replicas=2}
 * loses its brokers one by one; the two that leave an ISR already below the minimum become eligible leader replicas,
 * and the first of them to come back after a clean shutdown leads again with every acknowledged record, where
 * without the feature the partition would wait for its last leader. A broker back from an unclean shutdown (SIGKILL)
 * is no longer eligible: the partition waits for one that is.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class EligibleLeaderReplicasTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final Duration CHANGE = Duration.ofSeconds(60);
    private static final int RECORDS = 100;
    private static final String FEATURES = "org.apache.kafka.tools.FeatureCommand";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    File work;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;
    Admin describer;

    @AfterEach
    void stopTheCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-features (describe, upgrade, downgrade)"})
    void aCleanlyStoppedEligibleReplicaLeadsAndAnUncleanOneDoesNot() throws Exception {
        cluster = BrookCluster.separated(work, 3, Map.of("brook.eligible.leader.replicas.version", "1",
                "min.insync.replicas", "2", "replica.lag.time.max.ms", "6000", "auto.leader.rebalance.enable",
                "false"));
        logsOnFailure.watch(cluster);
        cluster.startAll();
        cluster.awaitActiveController(ELECTION);
        try (Admin admin = cluster.admin(cluster.bootstrap(4, 5, 6))) {
            FeatureMetadata features = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS);
            assertEquals((short) 1, features.finalizedFeatures().get("eligible.leader.replicas.version")
                    .maxVersionLevel(), "the feature as kafka-features.sh describe shows it: " + features);
            admin.createTopics(List.of(new NewTopic("clean", 1, (short) 3), new NewTopic("unclean", 1, (short) 3)))
                    .all().get(30, TimeUnit.SECONDS);

            // Kafka's kafka-features.sh turns it off (a safe downgrade) and on again (UpdateFeatures)
            String bootstrap = cluster.bootstrap(4, 5, 6);
            String described = KafkaAdminToolsTest.tool(FEATURES, "--bootstrap-server", bootstrap, "describe");
            assertTrue(described.contains("Feature: eligible.leader.replicas.version")
                    && described.contains("FinalizedVersionLevel: 1"), described);
            // a controller answers the same (its ApiVersions reads its own image)
            String viaController = KafkaAdminToolsTest.tool(FEATURES, "--bootstrap-controller",
                    "localhost:" + cluster.node(1).controllerPort(), "describe");
            assertTrue(viaController.lines().anyMatch(l -> l.contains("Feature: eligible.leader.replicas.version")
                    && l.contains("FinalizedVersionLevel: 1")), viaController);
            KafkaAdminToolsTest.tool(FEATURES, "--bootstrap-server", bootstrap, "downgrade", "--feature",
                    "eligible.leader.replicas.version=0");
            awaitElrLevel(admin, (short) 0);
            // and through a controller listener, as --bootstrap-controller sends it (to the active controller)
            String controllers = "localhost:" + cluster.node(1).controllerPort() + ",localhost:"
                    + cluster.node(2).controllerPort();
            KafkaAdminToolsTest.tool(FEATURES, "--bootstrap-controller", controllers, "upgrade", "--feature",
                    "eligible.leader.replicas.version=1");
            awaitElrLevel(admin, (short) 1);
            KafkaAdminToolsTest.tool(FEATURES, "--bootstrap-controller", controllers, "downgrade", "--feature",
                    "eligible.leader.replicas.version=0");
            awaitElrLevel(admin, (short) 0);
            KafkaAdminToolsTest.tool(FEATURES, "--bootstrap-server", bootstrap, "upgrade", "--feature",
                    "eligible.leader.replicas.version=1");
            awaitElrLevel(admin, (short) 1);
            // the epoch of the finalized features is the offset of the metadata they come from, as Kafka's
            long before = features.finalizedFeaturesEpoch().orElse(-1L);
            long after = admin.describeFeatures().featureMetadata().get(30, TimeUnit.SECONDS)
                    .finalizedFeaturesEpoch().orElse(-1L);
            assertTrue(before > 0 && after > before, "finalized features epoch " + before + ", then " + after);
        }

        // a clean shutdown of each broker in turn: the last two to leave are eligible, the first back leads
        List<Integer> replicas = inSyncReplicas("clean");
        produce("clean", cluster.bootstrap(4, 5, 6));
        int first = replicas.get(2);
        int second = replicas.get(1);
        int leader = replicas.get(0);
        cluster.stop(first);
        awaitPartition("clean", "without " + first + ", which left an ISR at the minimum: not eligible",
                p -> isr(p).equals(List.of(leader, second)) && ids(p.elr()).isEmpty());
        cluster.stop(second);
        awaitPartition("clean", second + " eligible, having left an ISR below the minimum",
                p -> isr(p).equals(List.of(leader)) && ids(p.elr()).equals(List.of(second)));
        cluster.stop(leader); // no broker left to ask; the next one back shows what the controller decided
        cluster.start(second);
        TopicPartitionInfo led = awaitPartition("clean", second + " leading from the eligible replicas",
                p -> p.leader() != null && p.leader().id() == second);
        assertEquals(List.of(second), isr(led));
        assertEquals(List.of(leader), ids(led.elr()), "the other eligible replica stays eligible");
        assertEquals(RECORDS, consume("clean", cluster.bootstrap(second)), "every acknowledged record");

        cluster.start(first);
        cluster.start(leader);
        cluster.awaitInSync("clean", 3, CHANGE);

        // the same, but the second is killed: back from an unclean shutdown, it is no longer eligible
        replicas = inSyncReplicas("unclean");
        produce("unclean", cluster.bootstrap(4, 5, 6));
        int uFirst = replicas.get(2);
        int uSecond = replicas.get(1);
        int uLeader = replicas.get(0);
        cluster.stop(uFirst);
        awaitPartition("unclean", "without " + uFirst, p -> isr(p).equals(List.of(uLeader, uSecond)));
        cluster.kill(uSecond);
        awaitPartition("unclean", uSecond + " eligible once its session ended",
                p -> isr(p).equals(List.of(uLeader)) && ids(p.elr()).equals(List.of(uSecond)));
        cluster.stop(uLeader);
        cluster.start(uSecond);
        awaitPartition("unclean", uSecond + " out of the eligible replicas after its unclean shutdown",
                p -> (p.leader() == null || p.leader().id() < 0) && ids(p.elr()).equals(List.of(uLeader)));
        cluster.start(uLeader);
        awaitPartition("unclean", uLeader + " leading, back from a clean shutdown",
                p -> p.leader() != null && p.leader().id() == uLeader);
        assertEquals(RECORDS, consume("unclean", cluster.bootstrap(uLeader, uSecond)), "every acknowledged record");
        cluster.start(uFirst);
    }

    /** Waits until every broker's ApiVersions finalizes {@code level} (none for 0). */
    private void awaitElrLevel(Admin admin, short level) throws Exception {
        cluster.await("eligible.leader.replicas.version finalized at " + level, CHANGE, () -> {
            var finalized = admin.describeFeatures().featureMetadata().get(10, TimeUnit.SECONDS).finalizedFeatures()
                    .get("eligible.leader.replicas.version");
            return level == 0 ? finalized == null : finalized != null && finalized.maxVersionLevel() == level;
        });
    }

    /** Waits until the topic's partition has three in-sync replicas and a leader; returns the ISR, leader first. */
    private List<Integer> inSyncReplicas(String topic) throws Exception {
        TopicPartitionInfo p = cluster.awaitInSync(topic, 3, CHANGE).get(0);
        List<Integer> isr = new ArrayList<>(List.of(p.leader().id()));
        ids(p.replicas()).stream().filter(id -> id != p.leader().id()).forEach(isr::add);
        return isr;
    }

    private TopicPartitionInfo awaitPartition(String topic, String what, Predicate<TopicPartitionInfo> done)
            throws Exception {
        List<TopicPartitionInfo> seen = new ArrayList<>(List.of());
        if (describer == null) {
            describer = cluster.admin(); // every broker: it asks those that answer
        }
        return cluster.await(topic + "-0: " + what, CHANGE, () -> {
            TopicPartitionInfo p = describer.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(topic).partitions().get(0);
            seen.clear();
            seen.add(p);
            return done.test(p) ? p : null;
        }, () -> "last seen " + seen);
    }

    private static List<Integer> isr(TopicPartitionInfo p) {
        return ids(p.isr());
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private void produce(String topic, String bootstrap) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(bootstrap, Map.of(ProducerConfig.ACKS_CONFIG,
                "all"))) {
            List<Future<?>> sent = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, null,
                        ("record-" + i).getBytes(StandardCharsets.UTF_8))));
            }
            for (Future<?> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    private int consume(String topic, String bootstrap) {
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(bootstrap, Map.of())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            int read = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (read < RECORDS && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    assertTrue(new String(r.value(), StandardCharsets.UTF_8).equals("record-" + r.offset()),
                            "record at offset " + r.offset());
                    read++;
                }
            }
            return read;
        }
    }
}
