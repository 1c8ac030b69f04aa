package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
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
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three combined Brook nodes, each a separate process formed from {@code config/cluster/node1..3.properties}
 * (ports and directories substituted, see {@link BrookCluster}): the metadata quorum as Kafka's admin client and
 * {@code kafka-metadata-quorum.sh} see it, every node listing every broker; topics created through any node and served by their leader; the active
 * controller killed with SIGKILL (a new one is elected and metadata changes go on; the time is printed); two of
 * the three nodes down (metadata changes refused with a retriable error while a partition of the survivor keeps
 * serving; the quorum back resumes them, the survivor not restarted); every node stopped and restarted (topics
 * and records kept). Topics have replication factor 1: replicating partitions is issue 19.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterTest {
    /** An election on a loaded 2-core machine; Raft's own timeouts are far shorter. */
    private static final Duration ELECTION = Duration.ofSeconds(60);
    /** A metadata change after an election, generous for the same reason; the measured time is printed. */
    private static final Duration METADATA_CHANGE = Duration.ofSeconds(45);
    private static final Duration CLIENT = Duration.ofSeconds(30);
    /**
     * The deadline of the CreateTopics sent while the quorum is lost: the refusal is a timeout of the client (it finds
     * no controller to send the change to) or NOT_CONTROLLER until then; the admin's 15 s default only waits longer.
     */
    private static final Duration REFUSAL = Duration.ofSeconds(5);
    /** How long a node waits alone for its quorum: past BrookNode's progress line (every 10 s) of that wait. */
    private static final Duration ALONE = Duration.ofSeconds(13);

    /** Kept when a test fails, to start a node by hand on what the test left. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    File work;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;
    private final Map<Integer, Admin> nodeAdmins = new java.util.HashMap<>();

    @AfterEach
    void stopTheCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One admin client per node, talking to that node only (closed with the cluster). */
    private Admin adminOf(int id) {
        return nodeAdmins.computeIfAbsent(id, i -> cluster.admin(cluster.node(i).bootstrap()));
    }

    private BrookCluster startCluster() throws Exception {
        cluster = BrookCluster.combined(work, Map.of());
        logsOnFailure.watch(cluster);
        cluster.startAll();
        return cluster;
    }

    @Test
    void formsFromThePropertyFilesSurvivesItsActiveControllerAndAFullRestart() throws Exception {
        startCluster();
        int active = cluster.awaitActiveController(ELECTION);

        // the quorum as Kafka's admin client sees it, asked through each node
        for (int id : cluster.nodeIds()) {
            Admin admin = adminOf(id);
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
            assertEquals(active, quorum.leaderId(), "node " + id + ": " + quorum);
            assertEquals(Set.of(1, 2, 3), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                    .collect(Collectors.toSet()), "node " + id + ": " + quorum);
            assertTrue(quorum.observers().isEmpty(), "combined nodes are all voters: " + quorum);
            assertTrue(quorum.leaderEpoch() >= 1, quorum.toString());
            DescribeClusterResult described = admin.describeCluster();
            assertEquals(cluster.clusterId(), described.clusterId().get(30, TimeUnit.SECONDS));
            // Kafka's KRaft brokers name a random live broker as "controller" (clients cannot reach the quorum
            // itself, KIP-590): any node of the cluster, not necessarily the active one
            Node controller = described.controller().get(30, TimeUnit.SECONDS);
            assertTrue(controller != null && Set.of(1, 2, 3).contains(controller.id()),
                    "node " + id + " names a broker of the cluster as controller: " + controller);
            // every node lists every broker (the cluster as a client's bootstrap sees it, whichever node it asks)
            Set<Integer> listed = ids(described.nodes().get(30, TimeUnit.SECONDS));
            assertEquals(Set.of(1, 2, 3), listed, "node " + id + " lists every broker");
            assertTrue(listed.contains(controller.id()), "node " + id + " names a listed broker as controller");
        }
        String status = KafkaAdminToolsTest.tool("org.apache.kafka.tools.MetadataQuorumCommand", "--bootstrap-server",
                cluster.bootstrap(), "describe", "--status");
        assertTrue(status.lines().anyMatch(l -> l.matches("LeaderId:\\s+" + active)), status);
        assertTrue(status.lines().anyMatch(l -> l.matches("CurrentVoters:.*\"id\":\\s*1\\b.*")
                && l.matches(".*\"id\":\\s*2\\b.*") && l.matches(".*\"id\":\\s*3\\b.*")), status);
        // DescribeQuorum v2's Nodes (KIP-853): each voter with its controller listener; no directory id (Uuid.ZERO_UUID,
        // which the 4.3.1 tool leaves out, as for Kafka's static voters)
        String voters = status.lines().filter(l -> l.startsWith("CurrentVoters:")).findFirst().orElse(status);
        for (int id : cluster.nodeIds()) {
            String voter = "{\"id\": " + id + ", \"endpoints\": [\"CONTROLLER://localhost:"
                    + cluster.node(id).controllerPort() + "\"]}";
            assertTrue(voters.contains(voter), voter + " in " + voters);
        }
        assertFalse(voters.contains("directoryId"), voters);
        String replication = KafkaAdminToolsTest.tool("org.apache.kafka.tools.MetadataQuorumCommand",
                "--bootstrap-server", cluster.bootstrap(), "describe", "--replication");
        for (int id : cluster.nodeIds()) {
            String role = id == active ? "Leader" : "Follower";
            assertTrue(replication.lines().anyMatch(l -> l.trim().startsWith(id + " ") && l.contains(role)),
                    "node " + id + " is a " + role + ":\n" + replication);
        }

        // a topic created through a node that is not the active controller (forwarded), served by its leader
        int other = cluster.nodeIds().stream().filter(id -> id != active).findFirst().orElseThrow();
        createTopic(adminOf(other), "first", 2);
        produceAndConsume("first", 2, "before-failover", 20);

        // SIGKILL the active controller: a new one is elected and metadata changes go on
        long killed = System.nanoTime();
        cluster.kill(active);
        Admin survivors = cluster.admin(cluster.bootstrap(cluster.liveNodes().stream().mapToInt(i -> i).toArray()));
        // placed on a survivor: the controller cannot know the killed broker is gone before its session ends (a new
        // active controller even gives every broker a fresh session, as Kafka's), and with one replica a partition
        // placed there would be offline until it returns
        int survivor = cluster.liveNodes().get(0);
        cluster.await("a topic created after the active controller died", METADATA_CHANGE, () -> {
            try {
                survivors.createTopics(List.of(new NewTopic("after-failover", Map.of(0, List.of(survivor)))
                        .configs(Map.of("min.insync.replicas", "1")))).all().get(20, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw e;
                }
            }
            return true;
        });
        long created = System.nanoTime();
        cluster.await("a topic config altered after the active controller died", METADATA_CHANGE, () -> {
            survivors.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, "first"),
                    List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET))))
                    .all().get(20, TimeUnit.SECONDS);
            return true;
        });
        long altered = System.nanoTime();
        int next = cluster.awaitActiveController(ELECTION);
        assertNotEquals(active, next, "a new active controller");
        System.out.printf("[cluster] active controller %d killed: topic created after %d ms, config altered after "
                + "%d ms, new active controller %d%n", active, TimeUnit.NANOSECONDS.toMillis(created - killed),
                TimeUnit.NANOSECONDS.toMillis(altered - killed), next);
        assertEquals("3600000", survivors.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC,
                "first"))).all().get(30, TimeUnit.SECONDS).values().iterator().next().get("retention.ms").value());
        produceAndConsume("after-failover", 1, "after-failover", 10);

        // the killed node rejoins without repair and learns what it missed
        cluster.start(active);
        cluster.awaitActiveController(ELECTION);
        cluster.await("the restarted node " + active + " knowing the topic created while it was down", ELECTION,
                () -> adminOf(active).listTopics().names().get(10, TimeUnit.SECONDS)
                        .contains("after-failover"));

        // a controlled shutdown of the node holding a partition's only replica: nothing can take that leadership
        // over, yet the node exits, and the partition has no leader until it is back
        TopicPartition single = new TopicPartition("after-failover", 0);
        int owner = leaderOf(single);
        long stopNs = System.nanoTime();
        cluster.stop(owner);
        System.out.printf("controlled shutdown of node %d, the only replica of %s: %d ms%n", owner, single,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopNs));
        int witness = cluster.liveNodes().get(0);
        cluster.await(single + " without a leader while its only replica is down", ELECTION, () -> {
            Node leader = adminOf(witness).describeTopics(List.of(single.topic())).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(single.topic()).partitions().get(0).leader();
            return leader == null || leader.isEmpty();
        });

        // every node stopped and started again: the topics and their records are still there. The first one
        // started waits alone for its quorum past the node's 10 s progress line, and keeps waiting
        for (int id : cluster.liveNodes()) {
            cluster.stop(id);
        }
        cluster.launch(1);
        Thread.sleep(ALONE.toMillis());
        assertTrue(cluster.node(1).running(), "a node without its quorum waits for it:\n" + cluster.logTails());
        cluster.startAll();
        cluster.awaitActiveController(ELECTION);
        Admin admin = cluster.admin();
        cluster.await("the topics after a full restart", CLIENT, () -> admin.listTopics().names()
                .get(10, TimeUnit.SECONDS).containsAll(Set.of("first", "after-failover")));
        assertEquals(20, readAll("first", 2, 20).size(), "the records of before the failover");
        assertEquals(10, readAll("after-failover", 1, 10).size());
        // no start loaded its logs before its voter re-applied the topics (that deleted them as strays)
        for (int id : cluster.nodeIds()) {
            assertFalse(cluster.serverLog(id).contains("its topic no longer exists"),
                    "node " + id + " deleted a log of a live topic at a restart:\n" + cluster.logTails());
        }
    }

    @Test
    void losingTheQuorumRefusesMetadataChangesWhileTheSurvivorServesAndItsReturnResumesThem() throws Exception {
        startCluster();
        int active = cluster.awaitActiveController(ELECTION);
        // the survivor is a follower: the active controller and the third node go down
        int survivor = cluster.nodeIds().stream().filter(id -> id != active).findFirst().orElseThrow();
        List<Integer> down = cluster.nodeIds().stream().filter(id -> id != survivor).toList();
        Admin admin = adminOf(survivor);
        admin.createTopics(List.of(new NewTopic("survivor-data", Map.of(0, List.of(survivor)))
                .configs(Map.of("min.insync.replicas", "1")))).all().get(30, TimeUnit.SECONDS);
        TopicPartition tp = new TopicPartition("survivor-data", 0);
        awaitLeader(admin, tp, survivor);

        KafkaProducer<byte[], byte[]> producer = cluster.producer(cluster.node(survivor).bootstrap(), Map.of(
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000));
        send(producer, tp, "before", 10);
        long pid = cluster.node(survivor).pid();

        for (int id : down) {
            cluster.kill(id);
        }
        // metadata changes are refused with a retriable error (no quorum: a timeout or NOT_CONTROLLER)
        long refusedAt = System.nanoTime();
        ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> admin.createTopics(List.of(new NewTopic("refused", 1, (short) 1)),
                        new CreateTopicsOptions().timeoutMs((int) REFUSAL.toMillis())).all()
                        .get(60, TimeUnit.SECONDS));
        assertTrue(refused.getCause() instanceof RetriableException, "a retriable error: " + refused.getCause());
        System.out.printf("[cluster] without a quorum CreateTopics was refused after %d ms: %s%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refusedAt), refused.getCause());

        // the data path of the survivor goes on: produce and fetch its partition
        send(producer, tp, "during", 10);
        List<String> read = readValues(cluster.node(survivor).bootstrap(), tp, 20);
        assertEquals(10, read.stream().filter(v -> v.startsWith("during-")).count(), read.toString());

        // the quorum back: metadata changes resume, the survivor not restarted
        for (int id : down) {
            cluster.start(id);
        }
        int next = cluster.awaitActiveController(ELECTION);
        cluster.await("a topic created through the survivor after the quorum came back", METADATA_CHANGE, () -> {
            createTopic(admin, "after-quorum", 1);
            return true;
        });
        assertEquals(pid, cluster.node(survivor).pid(), "the survivor was not restarted");
        System.out.printf("[cluster] quorum restored (active controller %d)%n", next);
        send(producer, tp, "after", 10);
        assertEquals(30, readValues(cluster.node(survivor).bootstrap(), tp, 30).size());
    }

    /** Creates {@code topic} (replication factor 1, min.insync.replicas 1) or finds it created by an earlier try. */
    private static void createTopic(Admin admin, String topic, int partitions) throws Exception {
        try {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)
                    .configs(Map.of("min.insync.replicas", "1")))).all().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                throw e;
            }
        }
    }

    /** The node that leads {@code tp}, once every live node's metadata agrees on one. */
    private void awaitLeader(Admin admin, TopicPartition tp, int expected) throws Exception {
        cluster.await("node " + expected + " leading " + tp, CLIENT, () -> admin.describeTopics(List.of(tp.topic()))
                .allTopicNames().get(10, TimeUnit.SECONDS).get(tp.topic()).partitions().get(tp.partition()).leader()
                .id() == expected);
    }

    /** The leader of {@code tp} as the first live node that knows it says (a node may list only itself). */
    private int leaderOf(TopicPartition tp) throws Exception {
        return cluster.await("a leader of " + tp, CLIENT, () -> {
            for (int id : cluster.liveNodes()) {
                try {
                    Node leader = adminOf(id).describeTopics(List.of(tp.topic()))
                            .allTopicNames().get(10, TimeUnit.SECONDS).get(tp.topic()).partitions()
                            .get(tp.partition()).leader();
                    if (leader != null && !leader.isEmpty()) {
                        return leader.id();
                    }
                } catch (ExecutionException e) {
                    // not known there yet: ask the next node
                }
            }
            return null;
        });
    }

    /** Sends {@code count} records to each partition through its leader, then reads them back there. */
    private void produceAndConsume(String topic, int partitions, String prefix, int count) throws Exception {
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            String leader = cluster.node(leaderOf(tp)).bootstrap();
            send(cluster.producer(leader, Map.of()), tp, prefix, count / partitions);
            List<String> values = readValues(leader, tp, count / partitions);
            assertEquals(count / partitions, values.stream().filter(v -> v.startsWith(prefix + "-")).count(),
                    values.toString());
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, TopicPartition tp, String prefix, int count)
            throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sent.add(producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), null,
                    (prefix + "-" + i).getBytes(StandardCharsets.UTF_8))));
        }
        for (var f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    /** Every record of the topic's partitions, read from each partition's leader. */
    private List<String> readAll(String topic, int partitions, int expected) throws Exception {
        List<String> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            all.addAll(readValues(cluster.node(leaderOf(tp)).bootstrap(), tp, expected / partitions));
        }
        return all;
    }

    /** Reads {@code tp} from the beginning until {@code expected} records, within a deadline. */
    private List<String> readValues(String bootstrap, TopicPartition tp, int expected) throws Exception {
        KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(bootstrap, Map.of());
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + CLIENT.toNanos();
        while (values.size() < expected && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        consumer.close(Duration.ofSeconds(5));
        assertEquals(expected, values.size(), "records of " + tp + " read from " + bootstrap + ": " + values);
        return values;
    }

    private static Set<Integer> ids(Collection<Node> nodes) {
        return nodes.stream().map(Node::id).collect(Collectors.toCollection(TreeSet::new));
    }
}
