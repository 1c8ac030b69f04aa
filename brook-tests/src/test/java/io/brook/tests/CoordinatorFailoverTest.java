package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The group coordinator moves with its {@code __consumer_offsets} partition across three Brook processes (the
 * internal topics with three replicas, as {@code config/cluster} sets them): a consumer group commits, the node
 * coordinating it is SIGKILLed, a follower of the partition becomes its leader and loads it, and the committed
 * offsets are there, served by the new coordinator; the group's consumer finds it, goes on from them and commits
 * again.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CoordinatorFailoverTest {
    /** Fencing a killed broker takes its session timeout; a loaded machine adds to it. */
    private static final Duration FAILOVER = Duration.ofSeconds(90);
    private static final String TOPIC = "rides";
    private static final String GROUP = "riders";
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 300;

    /** The fork's cluster of these settings (shared with other classes), whole at the start of each test. */
    @RegisterExtension
    static final SharedCluster SHARED = new SharedCluster(SharedCluster.REPLICATION);
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;

    /**
     * On demand only ({@code -Dbrook.faults.long=true}, as the long fault schedule): CI runs
     * {@code ReplicationFaultTest.aConsumerGroupKeepsItsCommittedOffsetsThroughACoordinatorKill}, which kills the
     * coordinator of a group that commits throughout and checks the same offsets and more; this one costs 30 s more.
     */
    @Test
    @EnabledIfSystemProperty(named = "brook.faults.long", matches = "true")
    void committedOffsetsSurviveTheDeathOfTheGroupsCoordinator() throws Exception {
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000))) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, null, ("r" + i)
                        .getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }

        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of(
                "group.id", GROUP, "max.poll.records", 20, "session.timeout.ms", 10_000,
                "heartbeat.interval.ms", 1_000, "default.api.timeout.ms", 30_000));
        consumer.subscribe(List.of(TOPIC));
        int read = 0;
        long deadline = System.nanoTime() + FAILOVER.toNanos();
        while (read < RECORDS / 2 && System.nanoTime() < deadline) {
            read += consumer.poll(Duration.ofMillis(500)).count();
        }
        Map<TopicPartition, Long> committed = positions(consumer);
        consumer.commitSync(asCommit(committed), Duration.ofSeconds(60)); // what it read so far, every partition
        assertEquals(read, committed.values().stream().mapToLong(Long::longValue).sum(), "committed " + committed);

        int coordinator = admin.describeConsumerGroups(List.of(GROUP)).all().get(30, TimeUnit.SECONDS).get(GROUP)
                .coordinator().id();
        assertEquals(3, admin.describeTopics(Set.of(Topic.GROUP_METADATA_TOPIC_NAME)).allTopicNames()
                .get(30, TimeUnit.SECONDS).get(Topic.GROUP_METADATA_TOPIC_NAME).partitions().get(0).replicas().size(),
                "the offsets topic has three replicas");
        cluster.kill(coordinator);
        long killedNs = System.nanoTime();

        Admin survivors = cluster.admin(cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray()));
        int next = cluster.await("a new coordinator of the group", FAILOVER, () -> {
            int id = survivors.describeConsumerGroups(List.of(GROUP)).all().get(10, TimeUnit.SECONDS).get(GROUP)
                    .coordinator().id();
            return id != coordinator ? id : null;
        });
        assertNotEquals(coordinator, next);
        Map<TopicPartition, Long> seen = cluster.await("the committed offsets from the new coordinator", FAILOVER,
                () -> {
                    Map<TopicPartition, Long> offsets = new HashMap<>();
                    survivors.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                            .get(10, TimeUnit.SECONDS).forEach((tp, o) -> offsets.put(tp, o.offset()));
                    return offsets.isEmpty() ? null : offsets;
                });
        assertEquals(committed, seen, "every committed offset, served by node " + next);
        System.out.printf("Coordinator failover: node %d SIGKILLed, node %d served the group's committed offsets "
                + "%d ms later%n", coordinator, next, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs));

        // the consumer rides through: it finds the new coordinator, reads the rest and commits it there
        long rest = System.nanoTime() + FAILOVER.toNanos();
        Map<TopicPartition, Long> end = Map.of();
        while (System.nanoTime() < rest) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                read++;
            }
            end = positions(consumer);
            if (end.size() == PARTITIONS && end.values().stream().mapToLong(Long::longValue).sum() == RECORDS) {
                break;
            }
        }
        assertEquals(RECORDS, end.values().stream().mapToLong(Long::longValue).sum(), "positions " + end);
        // group membership is not kept in the offsets topic here (Kafka keeps it): the member rejoins at the new
        // coordinator, and a commit of the old generation is refused until it has, as a rebalance refuses it
        long commitDeadline = System.nanoTime() + FAILOVER.toNanos();
        while (true) {
            try {
                consumer.commitSync(asCommit(end), Duration.ofSeconds(30));
                break;
            } catch (org.apache.kafka.clients.consumer.CommitFailedException
                     | org.apache.kafka.common.errors.RebalanceInProgressException e) {
                if (System.nanoTime() > commitDeadline) {
                    throw e;
                }
                consumer.poll(Duration.ofMillis(500)); // rejoins; the positions stay at the end
                end = positions(consumer);
            }
        }
        Map<TopicPartition, Long> finalOffsets = new HashMap<>();
        survivors.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((tp, o) -> finalOffsets.put(tp, o.offset()));
        assertEquals(end, finalOffsets, "the commit after the failover");
        consumer.close(Duration.ofSeconds(10));
    }

    @Test
    void aTransactionCoordinatedByAnotherNodeThanItsPartitionsLeaderCommits() throws Exception {
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        String topic = "ledger";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        createTransactionState();
        int dataLeader = cluster.await("a leader of " + topic, FAILOVER, () -> {
            var p = admin.describeTopics(Set.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions().get(0);
            return p.leader() != null && p.isr().size() == 3 ? p.leader().id() : null;
        });
        var statePartitions = admin.describeTopics(Set.of(Topic.TRANSACTION_STATE_TOPIC_NAME)).allTopicNames()
                .get(30, TimeUnit.SECONDS).get(Topic.TRANSACTION_STATE_TOPIC_NAME).partitions();
        String transactionalId = null;
        int coordinator = -1;
        for (int i = 0; transactionalId == null && i < 1000; i++) { // Kafka's placement of a transactional id
            String candidate = "ledger-writer-" + i;
            var p = statePartitions.get(org.apache.kafka.common.utils.Utils.abs(candidate.hashCode())
                    % statePartitions.size());
            if (p.leader() != null && p.leader().id() != dataLeader) {
                transactionalId = candidate;
                coordinator = p.leader().id();
            }
        }
        assertNotEquals(-1, coordinator, "a transactional id coordinated away from the data's leader");

        List<String> committed = new java.util.ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId, ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000))) {
            producer.initTransactions();
            for (int t = 0; t < 3; t++) {
                producer.beginTransaction();
                List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String value = "t" + t + "-" + i;
                    sent.add(producer.send(new ProducerRecord<>(topic, 0, null,
                            value.getBytes(StandardCharsets.UTF_8))));
                    if (t != 1) {
                        committed.add(value);
                    }
                }
                for (var f : sent) {
                    f.get(120, TimeUnit.SECONDS); // the leader took each record (through the coordinator's check)
                }
                if (t == 1) {
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
            }
        }
        assertEquals(coordinator, admin.describeTransactions(List.of(transactionalId)).all().get(30, TimeUnit.SECONDS)
                .get(transactionalId).coordinatorId(), "coordinated by node " + coordinator);

        List<String> read = new java.util.ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of(
                "isolation.level", "read_committed"))) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + FAILOVER.toNanos();
            while (read.size() < committed.size() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> read.add(new String(r.value(),
                        StandardCharsets.UTF_8)));
            }
            consumer.poll(Duration.ofSeconds(1)).forEach(r -> read.add(new String(r.value(), StandardCharsets.UTF_8)));
        }
        assertEquals(committed, read, "exactly the committed transactions' records, in order");
    }

    /**
     * A consume-transform-produce loop whose group is coordinated by another node than its transaction: the group
     * coordinator asks the transaction's coordinator over the network whether the offsets partition is in the
     * transaction (it answered INVALID_PRODUCER_ID_MAPPING from its own, empty, transaction table before, and
     * Kafka Streams died at its first commit).
     */
    @Test
    void offsetsSentToATransactionCommitWhenTheGroupIsCoordinatedByAnotherNode() throws Exception {
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        String topic = "receipts";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        String group = "movers"; // as Kafka Streams: the group is the application, each producer's id differs
        String transactionalId = transactionalIdCoordinatedAwayFrom(admin, group, "movers-");

        TopicPartition input = new TopicPartition(topic, 0); // a topic that exists: else UNKNOWN_TOPIC_OR_PARTITION
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId, ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000))) {
            producer.initTransactions();
            for (long position = 10; position <= 30; position += 10) {
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, 0, null, ("at " + position).getBytes(StandardCharsets.UTF_8)))
                        .get(120, TimeUnit.SECONDS);
                producer.sendOffsetsToTransaction(asCommit(Map.of(input, position)),
                        new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group));
                producer.commitTransaction();
            }
        }
        awaitCommitted(admin, group, input, 30); // the offset the last transaction committed
    }

    /**
     * The same with librdkafka (Debian's python3-confluent-kafka), whose transactions are Kafka's protocol 1:
     * AddOffsetsToTxn to the transaction's coordinator, then TxnOffsetCommit v3 to the group's, which verifies over
     * the network that the offsets partition is in the transaction.
     */
    @Test
    @Compat({"librdkafka 2.0.2: transactional offsets of a group coordinated by another node"})
    void librdkafkasTransactionalOffsetsCommitWhenTheGroupIsCoordinatedByAnotherNode() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Processes.librdkafkaPythonAvailable(),
                "python3-confluent-kafka is not installed");
        cluster = SHARED.cluster();
        logsOnFailure.watch(cluster);
        Admin admin = cluster.admin();
        String topic = "librdkafka-receipts";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        String group = "librdkafka-movers";
        String transactionalId = transactionalIdCoordinatedAwayFrom(admin, group, "librdkafka-movers-");
        String output = Processes.run(List.of(Processes.DEBIAN_PYTHON,
                new java.io.File("../compat/librdkafka/txn_offsets.py").getAbsolutePath(), cluster.bootstrap(), topic,
                group, transactionalId, "42"), null);
        assertTrue(output.contains("committed a record and offset 42"), output);
        awaitCommitted(admin, group, new TopicPartition(topic, 0), 42); // the offset the transaction committed
    }

    /**
     * Waits until {@code group}'s committed offset of {@code tp} is {@code offset}: a transaction's offsets count once
     * its commit marker reached the offsets partition, which follows the EndTxn answer.
     */
    private void awaitCommitted(Admin admin, String group, TopicPartition tp, long offset) throws Exception {
        cluster.await("offset " + offset + " of " + tp + " committed for group " + group, FAILOVER, () -> {
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(tp);
            return committed != null && committed.offset() == offset;
        }, () -> String.valueOf(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS)));
    }

    /**
     * A transactional id ({@code prefix} and a number) whose transaction coordinator is another node than the
     * coordinator of {@code group}, both internal topics created first; Kafka's placement of both keys.
     */
    private String transactionalIdCoordinatedAwayFrom(Admin admin, String group, String prefix) throws Exception {
        createTransactionState();
        admin.listConsumerGroupOffsets("probe").partitionsToOffsetAndMetadata() // creates __consumer_offsets
                .get(60, TimeUnit.SECONDS);
        List<Integer> stateLeaders = cluster.await("leaders of " + Topic.TRANSACTION_STATE_TOPIC_NAME, FAILOVER,
                () -> everyLeader(admin, Topic.TRANSACTION_STATE_TOPIC_NAME));
        List<Integer> offsetsLeaders = cluster.await("leaders of " + Topic.GROUP_METADATA_TOPIC_NAME, FAILOVER,
                () -> everyLeader(admin, Topic.GROUP_METADATA_TOPIC_NAME));
        int groupCoordinator = offsetsLeaders.get(partitionFor(group, offsetsLeaders.size()));
        for (int i = 0; i < 1000; i++) {
            String candidate = prefix + i;
            if (stateLeaders.get(partitionFor(candidate, stateLeaders.size())) != groupCoordinator) {
                return candidate;
            }
        }
        throw new AssertionError("no transaction coordinated by another node than group " + group);
    }

    /** A first transactional producer makes the cluster create {@code __transaction_state}. */
    private void createTransactionState() {
        try (KafkaProducer<byte[], byte[]> probe = cluster.producer(cluster.bootstrap(), Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "probe", ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000))) {
            probe.initTransactions();
        }
    }

    /** The leader id of each partition of {@code topic}, by index; null until every partition has one. */
    private static List<Integer> everyLeader(Admin admin, String topic) throws Exception {
        List<Integer> leaders = admin.describeTopics(Set.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(topic).partitions().stream().sorted(java.util.Comparator.comparingInt(p -> p.partition()))
                .map(p -> p.leader() == null ? null : p.leader().id()).toList();
        return leaders.contains(null) ? null : leaders;
    }

    private static int partitionFor(String key, int partitions) {
        return org.apache.kafka.common.utils.Utils.abs(key.hashCode()) % partitions;
    }

    private static Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> asCommit(
            Map<TopicPartition, Long> positions) {
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> commit = new HashMap<>();
        positions.forEach((tp, offset) -> commit.put(tp, new org.apache.kafka.clients.consumer.OffsetAndMetadata(
                offset)));
        return commit;
    }

    /** The consumer's position in each partition it is assigned. */
    private static Map<TopicPartition, Long> positions(KafkaConsumer<byte[], byte[]> consumer) {
        Map<TopicPartition, Long> positions = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            positions.put(tp, consumer.position(tp, Duration.ofSeconds(30)));
        }
        return positions;
    }
}
