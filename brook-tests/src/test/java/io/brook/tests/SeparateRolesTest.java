package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
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
import java.util.TreeMap;
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
 * SIGKILLed, another takes over and a topic is created after it; a broker SIGSTOPped past its session timeout is
 * fenced (DescribeCluster, also with fenced brokers, and {@code bin/brook cluster} show it; its leaderships move) and
 * unfenced once SIGCONTed and caught up; a broker SIGTERMed while it leads partitions under idempotent acks=all writes
 * hands its leaderships over before it exits (controlled shutdown) and no acknowledged record is lost; restarted, it
 * registers a new incarnation that replaces the old registration; a broker stopped while a topic is created learns it
 * once restarted (its metadata comes from a snapshot plus the tail: the controllers snapshot after every change) and
 * keeps its partition logs (they are loaded once the metadata has caught up).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class SeparateRolesTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final Duration CLIENT = Duration.ofSeconds(45);
    private static final int RECORDS = 50;
    /** The topic of the lifecycle checks: a partition led by each broker (leaders are balanced at creation). */
    private static final String LIFECYCLE = "lifecycle";
    private static final int LIFECYCLE_PARTITIONS = 3;
    /** Default broker.session.timeout.ms (9 s) plus room for a loaded machine. */
    private static final Duration FENCING = Duration.ofSeconds(60);

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

        createTopic(admin, LIFECYCLE, LIFECYCLE_PARTITIONS, 3);
        cluster.awaitInSync(LIFECYCLE, 3, CLIENT);
        fencedWhilePausedUnfencedOnceResumed(admin, 5);

        // broker 6 holds a replica of orders: a restart loads it against the metadata it caught up with first
        java.nio.file.Path segment = new File(cluster.node(6).dataDir, "orders-0/00000000000000000000.log").toPath();
        Object fileBefore = Files.readAttributes(segment, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        controlledShutdownUnderAcksAllWrites(admin, 6); // the broker misses what comes next
        createTopic(cluster.admin(cluster.bootstrap(4)), "while-away", 2);
        cluster.start(6);
        // the restarted broker registers a new incarnation, which replaces the old registration: listed, unfenced
        List<String> incarnations = incarnations(6);
        assertEquals(2, incarnations.size(), "broker 6 registered once per start: " + incarnations);
        assertNotEquals(incarnations.get(0), incarnations.get(1), "a restart registers a new incarnation");
        cluster.await("broker 6 listed unfenced after its restart", CLIENT, () -> fencedState(admin).equals(
                Map.of(4, false, 5, false, 6, false)));
        MetadataResponseData.MetadataResponseTopic learned = topicAsSeenBy(6, "while-away");
        assertEquals(Errors.NONE.code(), learned.errorCode(), "broker 6 knows the topic created while it was away");
        assertEquals(1, learned.partitions().size());
        String log6 = Files.readString(new File(cluster.node(6).logDir, "server.log").toPath());
        assertTrue(log6.contains("loaded the snapshot"), "the restarted broker started from a snapshot");
        cluster.awaitInSync("orders", 3, CLIENT); // and rejoined the replicas of its partitions
        assertEquals(fileBefore, Files.readAttributes(segment, java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey(), "broker 6 kept its log of orders-0 (not deleted as an unknown topic and fetched again)");
    }

    /**
     * Fencing (KRaft's broker lifecycle): broker {@code id} SIGSTOPped past {@code broker.session.timeout.ms} is
     * fenced: DescribeCluster leaves it out, lists it fenced when asked for fenced brokers (v2), the partitions it led
     * get other leaders, {@code bin/brook cluster} shows it fenced. SIGCONT: it heartbeats again, catches up, is
     * unfenced and rejoins the ISR of every partition.
     */
    private void fencedWhilePausedUnfencedOnceResumed(Admin admin, int id) throws Exception {
        Set<Integer> led = ledBy(id);
        assertTrue(!led.isEmpty(), "broker " + id + " leads a partition of " + LIFECYCLE + " (leaders are balanced)");
        long paused = System.nanoTime();
        cluster.pause(id);
        Map<Integer, Boolean> fencedView = cluster.await("broker " + id + " fenced", FENCING, () -> {
            Map<Integer, Boolean> state = fencedState(admin);
            return Boolean.TRUE.equals(state.get(id)) ? state : null;
        });
        System.out.printf("broker %d fenced %d ms after SIGSTOP%n", id,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - paused));
        assertEquals(Map.of(4, id == 4, 5, id == 5, 6, id == 6), fencedView, "only the paused broker is fenced");
        Set<Integer> listed = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                .map(org.apache.kafka.common.Node::id).collect(Collectors.toSet());
        assertTrue(!listed.contains(id), "a fenced broker is not listed without includeFencedBrokers: " + listed);
        cluster.await("the partitions broker " + id + " led under other leaders", CLIENT, () -> {
            for (TopicPartitionInfo p : cluster.partitions(LIFECYCLE, Duration.ofSeconds(10))) {
                if (p.leader() == null || p.leader().isEmpty() || p.leader().id() == id) {
                    return false;
                }
            }
            return true;
        });
        Processes.Output status = brookCli("cluster", "--bootstrap-server", cluster.bootstrap(4));
        assertEquals(0, status.exitCode(), status.all());
        assertTrue(status.stdout().lines().anyMatch(l -> l.startsWith("Node " + id + "\t") && l.endsWith("\tfenced")),
                "bin/brook cluster shows the broker fenced: " + status.stdout());
        assertTrue(status.stdout().lines().noneMatch(l -> l.startsWith("Node ") && !l.startsWith("Node " + id + "\t")
                && l.endsWith("fenced")), "and only it: " + status.stdout());

        cluster.resume(id);
        cluster.await("broker " + id + " unfenced after SIGCONT", FENCING, () -> fencedState(admin).equals(
                Map.of(4, false, 5, false, 6, false)));
        cluster.awaitInSync(LIFECYCLE, 3, CLIENT); // it caught up and is back in every ISR
        assertTrue(cluster.serverLog(id).contains("Broker " + id + " is unfenced"), "the broker logged its unfencing");
    }

    /**
     * Controlled shutdown: SIGTERM to broker {@code id}, which leads partitions, while an idempotent acks=all
     * producer writes to them: its leaderships have moved by the time the process is gone (the admin client asked
     * right then, no waiting), its server.log says the controller allowed the shutdown, every acknowledged record
     * is there and the producer saw no error.
     */
    private void controlledShutdownUnderAcksAllWrites(Admin admin, int id) throws Exception {
        assertTrue(!ledBy(id).isEmpty(), "broker " + id + " leads a partition of " + LIFECYCLE);
        KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.bootstrap(),
                Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000));
        java.util.concurrent.ConcurrentLinkedQueue<String> acked = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.ConcurrentLinkedQueue<Exception> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            for (int i = 0; writing.get() && errors.isEmpty(); i++) {
                String value = "w-" + i;
                producer.send(new ProducerRecord<>(LIFECYCLE, i % LIFECYCLE_PARTITIONS, null,
                        value.getBytes(StandardCharsets.UTF_8)), (metadata, e) -> {
                    if (e != null) {
                        errors.add(e);
                    } else {
                        acked.add(value);
                    }
                });
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "lifecycle-writer");
        writer.start();
        try {
            cluster.await("records acknowledged before the shutdown", CLIENT, () -> acked.size() >= 200);
            cluster.stop(id); // SIGTERM; returns once the process is gone
            List<TopicPartitionInfo> right = cluster.partitions(LIFECYCLE, CLIENT);
            for (TopicPartitionInfo p : right) {
                assertTrue(p.leader() != null && !p.leader().isEmpty() && p.leader().id() != id,
                        "partition " + p.partition() + " led elsewhere once broker " + id + " exited: " + right);
            }
            String log = cluster.serverLog(id);
            assertTrue(log.contains("Broker " + id + " asks the controller for a controlled shutdown"), log);
            assertTrue(log.contains("Broker " + id + ": the controller allows its controlled shutdown"), log);
            int atExit = acked.size();
            cluster.await("records acknowledged after the shutdown", CLIENT, () -> acked.size() >= atExit + 200);
        } finally {
            writing.set(false);
            writer.join(CLIENT.toMillis());
        }
        producer.flush();
        assertEquals(List.of(), List.copyOf(errors), "the producer saw no error");
        Set<String> read = new java.util.HashSet<>();
        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), Map.of());
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < LIFECYCLE_PARTITIONS; p++) {
            all.add(new TopicPartition(LIFECYCLE, p));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        long deadline = System.nanoTime() + CLIENT.toNanos();
        while (!read.containsAll(acked) && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                read.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        List<String> lost = acked.stream().filter(v -> !read.contains(v)).toList();
        assertEquals(List.of(), lost, "no acknowledged record lost (" + acked.size() + " acknowledged)");
        System.out.printf("controlled shutdown of broker %d under writes: %d records acknowledged, none lost%n", id,
                acked.size());
    }

    /** The partitions of the lifecycle topic that broker {@code id} leads now. */
    private Set<Integer> ledBy(int id) throws Exception {
        return cluster.partitions(LIFECYCLE, CLIENT).stream()
                .filter(p -> p.leader() != null && p.leader().id() == id).map(TopicPartitionInfo::partition)
                .collect(Collectors.toSet());
    }

    /** Every registered broker and whether it is fenced, as DescribeCluster v2 with fenced brokers answers. */
    private static Map<Integer, Boolean> fencedState(Admin admin) throws Exception {
        return admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true)).nodes()
                .get(10, TimeUnit.SECONDS).stream().collect(Collectors.toMap(org.apache.kafka.common.Node::id,
                        org.apache.kafka.common.Node::isFenced, (a, b) -> a, TreeMap::new));
    }

    /** The incarnation ids broker {@code id} registered with, in order, from its server.log over every start. */
    private List<String> incarnations(int id) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Broker " + id
                + " registered with the controller: incarnation (\\S+),").matcher(cluster.serverLog(id));
        List<String> ids = new ArrayList<>();
        while (m.find()) {
            if (ids.isEmpty() || !ids.get(ids.size() - 1).equals(m.group(1))) {
                ids.add(m.group(1)); // a registration retried by the same process keeps its incarnation
            }
        }
        return ids;
    }

    /** {@code bin/brook} in this JVM (a status command needs no process of its own). */
    private static Processes.Output brookCli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.brook.cli.BrookCli.commandLine().setOut(new java.io.PrintWriter(out))
                .setErr(new java.io.PrintWriter(err)).execute(args);
        return new Processes.Output(code, out.toString(), err.toString());
    }

    private void createTopic(Admin admin, String name, int replicationFactor) throws Exception {
        createTopic(admin, name, 1, replicationFactor);
    }

    /** Creates a topic through a broker, retrying while the controllers are between leaders. */
    private void createTopic(Admin admin, String name, int partitions, int replicationFactor) throws Exception {
        cluster.await("topic " + name + " created", CLIENT, () -> {
            try {
                admin.createTopics(List.of(new NewTopic(name, partitions, (short) replicationFactor))).all()
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
