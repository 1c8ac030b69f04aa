package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka's separate roles as processes: three controller-only nodes ({@code config/cluster/controller1..3}) and three
 * broker-only nodes ({@code broker4..6}) that follow the committed metadata log from the active controller. Through a
 * broker: DescribeCluster lists the brokers only, DescribeQuorum the three voters; a topic of replication factor 3
 * created with Kafka's admin client takes acks=all records that a consumer reads back; the active controller
 * SIGKILLed, another takes over and a topic is created after it; a broker stopped while a topic is created learns it
 * once restarted (its metadata comes from a snapshot plus the tail: the controllers snapshot after every change) and
 * keeps its partition logs (they are loaded once the metadata has caught up).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SeparateRolesTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final Duration CLIENT = Duration.ofSeconds(45);
    private static final int RECORDS = 50;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    File work;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;

    @AfterEach
    void stopTheCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeControllersAndThreeBrokers() throws Exception {
        // a snapshot after every metadata change: a restarted broker starts behind the controllers' log start
        cluster = BrookCluster.separated(work, 3, Map.of("metadata.log.max.record.bytes.between.snapshots", "1"));
        logsOnFailure.watch(cluster);
        long started = System.nanoTime();
        cluster.startAll();
        System.out.printf("3 controllers + 3 brokers listening after %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        int active = cluster.awaitActiveController(ELECTION);
        assertTrue(Set.of(1, 2, 3).contains(active), "a controller leads: " + active);

        Admin admin = cluster.admin(cluster.bootstrap(4));
        Set<Integer> brokers = cluster.await("the three brokers in DescribeCluster", CLIENT, () -> {
            Set<Integer> ids = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                    .map(org.apache.kafka.common.Node::id).collect(Collectors.toCollection(TreeSet::new));
            return ids.size() == 3 ? ids : null;
        });
        assertEquals(Set.of(4, 5, 6), brokers, "DescribeCluster lists the brokers only");
        QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(10, TimeUnit.SECONDS);
        assertEquals(Set.of(1, 2, 3), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                .collect(Collectors.toSet()), "the voters are the controllers");
        assertEquals(active, quorum.leaderId());
        assertEquals(Set.of(4, 5, 6), quorum.observers().stream().map(QuorumInfo.ReplicaState::replicaId)
                .collect(Collectors.toSet()), "the brokers fetching the metadata log are the observers");

        createTopic(admin, "orders", 3);
        cluster.awaitInSync("orders", 3, CLIENT);
        List<String> sent = new ArrayList<>();
        KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(),
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000));
        for (int i = 0; i < RECORDS; i++) {
            String value = "order-" + i;
            producer.send(new ProducerRecord<>("orders", value.getBytes(StandardCharsets.UTF_8)))
                    .get(CLIENT.toSeconds(), TimeUnit.SECONDS);
            sent.add(value);
        }
        assertEquals(sent, consume("orders", RECORDS), "the acks=all records read back in order");

        cluster.kill(active);
        int next = cluster.awaitActiveController(ELECTION);
        assertNotEquals(active, next);
        assertTrue(Set.of(1, 2, 3).contains(next));
        createTopic(admin, "after-failover", 3);
        cluster.awaitInSync("after-failover", 3, CLIENT);
        cluster.start(active); // back as a voter; it catches up from the new leader

        // broker 6 holds a replica of orders: a restart loads it against the metadata it caught up with first
        java.nio.file.Path segment = new File(cluster.node(6).dataDir, "orders-0/00000000000000000000.log").toPath();
        Object fileBefore = Files.readAttributes(segment, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        cluster.stop(6); // a controlled shutdown; the broker misses what comes next
        createTopic(cluster.admin(cluster.bootstrap(4)), "while-away", 2);
        cluster.start(6);
        MetadataResponseData.MetadataResponseTopic learned = topicAsSeenBy(6, "while-away");
        assertEquals(Errors.NONE.code(), learned.errorCode(), "broker 6 knows the topic created while it was away");
        assertEquals(1, learned.partitions().size());
        String log6 = Files.readString(new File(cluster.node(6).logDir, "server.log").toPath());
        assertTrue(log6.contains("loaded the snapshot"), "the restarted broker started from a snapshot");
        cluster.awaitInSync("orders", 3, CLIENT); // and rejoined the replicas of its partitions
        assertEquals(fileBefore, Files.readAttributes(segment, java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey(), "broker 6 kept its log of orders-0 (not deleted as an unknown topic and fetched again)");
    }

    /** Creates a one-partition topic through a broker, retrying while the controllers are between leaders. */
    private void createTopic(Admin admin, String name, int replicationFactor) throws Exception {
        cluster.await("topic " + name + " created", CLIENT, () -> {
            try {
                admin.createTopics(List.of(new NewTopic(name, 1, (short) replicationFactor))).all()
                        .get(20, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
                    return true; // an earlier attempt's answer was lost
                }
                throw e;
            }
        });
    }

    private List<String> consume(String topic, int count) throws Exception {
        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of());
        consumer.assign(List.of(new TopicPartition(topic, 0)));
        consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + CLIENT.toNanos();
        while (values.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    /** The topic as one broker's own Metadata answer shows it (a bare request to that broker only). */
    private MetadataResponseData.MetadataResponseTopic topicAsSeenBy(int broker, String topic) throws Exception {
        return cluster.await("broker " + broker + " answering Metadata for " + topic, CLIENT, () -> {
            try (RawConnection connection = new RawConnection(cluster.node(broker).bootstrap())) {
                MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(false);
                request.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
                MetadataResponseData response = (MetadataResponseData) connection.call(ApiKeys.METADATA, (short) 12,
                        request);
                return response.topics().find(topic);
            }
        });
    }
}
