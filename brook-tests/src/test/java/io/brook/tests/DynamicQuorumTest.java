package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dynamic metadata quorum set up the way Kafka 4 sets one up (KIP-853), as processes: nodes that name their quorum
 * only by {@code controller.quorum.bootstrap.servers}, formatted with {@code brook storage format --standalone} (Kafka
 * 4's quickstart: one combined node, grown by a combined node formatted {@code --no-initial-controllers} and added
 * with {@code kafka-metadata-quorum add-controller}) or with {@code --initial-controllers
 * id@host:port:directory-id,...} (three combined nodes that start the quorum together).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DynamicQuorumTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final String QUORUM_TOOL = "org.apache.kafka.tools.MetadataQuorumCommand";
    private static final String BOOTSTRAP_SERVERS = "controller.quorum.bootstrap.servers";

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
    void aStandaloneNodeGrowsByACombinedNodeThatKeepsTheVotersAndGoesOnAsAnObserverOnceRemoved() throws Exception {
        // config/cluster/standalone.properties formatted --standalone; node 4, both broker and controller, formatted
        // --no-initial-controllers (config/cluster/controller4.properties with a broker listener too)
        cluster = new BrookCluster(work, List.of("standalone", "controller4"), Map.of(), Map.of(
                1, Map.of(BrookCluster.FORMAT_ARGS, "--standalone"),
                4, Map.of("process.roles", "broker,controller", "listeners",
                        "PLAINTEXT://localhost:49092,CONTROLLER://localhost:49093", "inter.broker.listener.name",
                        "PLAINTEXT")));
        logsOnFailure.watch(cluster);
        String formatted = Files.readString(new File(cluster.node(1).dataDir, "quorum-bootstrap.properties").toPath());
        assertTrue(formatted.contains("initial.controllers=1@localhost\\:" + cluster.node(1).controllerPort() + "\\:"
                + DynamicVotersTest.directoryId(cluster.node(1).dataDir)), formatted);
        cluster.start(1);
        assertEquals(1, cluster.awaitActiveController(ELECTION));
        String controllers = "localhost:" + cluster.node(1).controllerPort();
        assertEquals(Set.of(1), voters(controllers));
        roundTrip("before-growing", 1);

        // node 4 learns the voters and observes the quorum before it is added: its broker serves already
        cluster.launch(4);
        cluster.await("node 4 joining as an observer", ELECTION, () -> cluster.serverLog(4)
                .contains("Controller 4 joins the metadata quorum of the voters 1@"));
        cluster.startAll(); // node 4 now listens
        assertEquals(Set.of(1), voters(controllers), "node 4 serves before it is added");
        assertTrue(observers(controllers).contains(4), "node 4 observes the quorum");
        roundTrip("observer-serves", 2);
        String added = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers,
                "--command-config", cluster.node(4).configFile.getPath(), "add-controller");
        assertTrue(added.contains("Added controller 4 with directory id " + DynamicVotersTest.directoryId(cluster.node(4).dataDir)),
                added);
        assertEquals(Set.of(1, 4), voters(controllers));
        roundTrip("after-adding", 2);

        // restarted, node 1 keeps the voter set of its log, not the one it was formatted with
        cluster.stop(1);
        cluster.start(1);
        cluster.awaitActiveController(ELECTION);
        assertEquals(Set.of(1, 4), voters(controllers), "node 1 after its restart");
        roundTrip("after-restart", 2);

        // removed with Kafka's tool, the combined node goes on as an observer (Kafka's removed voter does): its
        // broker follows the metadata, so an RF-2 topic created afterwards is served by both nodes
        String directoryId = DynamicVotersTest.directoryId(cluster.node(4).dataDir);
        String removed = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers,
                "remove-controller", "--controller-id", "4", "--controller-directory-id", directoryId);
        assertTrue(removed.contains("Removed") && removed.contains("controller 4 with directory id " + directoryId),
                removed);
        assertEquals(Set.of(1), voters(controllers), "after the removal");
        cluster.await("node 4 listed as an observer", ELECTION, () -> observers(controllers).contains(4));
        roundTrip("after-removal", 2);

        // killed and started again, it comes back as an observer; then it is added again while it runs
        cluster.kill(4);
        cluster.start(4);
        roundTrip("observer-restarted", 2);
        String addedAgain = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers,
                "--command-config", cluster.node(4).configFile.getPath(), "add-controller");
        assertTrue(addedAgain.contains("Added controller 4"), addedAgain);
        assertEquals(Set.of(1, 4), voters(controllers), "after adding it again");
        roundTrip("added-again", 2);

        // removed again, shut down and unregistered (Kafka's way to retire a broker): it is no observer any more
        KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers, "remove-controller",
                "--controller-id", "4", "--controller-directory-id", directoryId);
        cluster.await("node 4 listed as an observer again", ELECTION, () -> observers(controllers).contains(4));
        cluster.stop(4);
        cluster.admin(cluster.bootstrap(1)).unregisterBroker(4).all().get(60, TimeUnit.SECONDS);
        cluster.await("node 4 gone from the observers", ELECTION, () -> !observers(controllers).contains(4));
        assertEquals(Set.of(1), voters(controllers));
    }

    @Test
    void threeNodesFormattedWithTheSameInitialControllersFormOneQuorumThatSurvivesItsLeader() throws Exception {
        // the combined nodes of config/cluster/node1..3 with Kafka 4's dynamic settings instead of static voters
        String initial = "1@localhost:19093:MvDxzVmcRsaTz33bUuRiZg,2@localhost:29093:K1nR0VhMRWO7C1sByqwD0A,"
                + "3@localhost:39093:gJjUw6Wy2RmU1VfQ9DyRmQ";
        Map<String, String> overrides = new HashMap<>();
        overrides.put("controller.quorum.voters", null);
        overrides.put(BOOTSTRAP_SERVERS, "localhost:19093,localhost:29093,localhost:39093");
        overrides.put(BrookCluster.FORMAT_ARGS, "--initial-controllers " + initial);
        cluster = new BrookCluster(work, List.of("node1", "node2", "node3"), overrides, Map.of());
        logsOnFailure.watch(cluster);
        assertEquals("MvDxzVmcRsaTz33bUuRiZg", DynamicVotersTest.directoryId(cluster.node(1).dataDir),
                "the metadata directory's id is the one --initial-controllers gives it");
        assertEquals("gJjUw6Wy2RmU1VfQ9DyRmQ", DynamicVotersTest.directoryId(cluster.node(3).dataDir));
        cluster.startAll();
        int active = cluster.awaitActiveController(ELECTION);
        String controllers = String.join(",", List.of(1, 2, 3).stream()
                .map(id -> "localhost:" + cluster.node(id).controllerPort()).toList());
        assertEquals(Set.of(1, 2, 3), voters(controllers));
        roundTrip("three-replicas", 3);

        cluster.kill(active);
        int next = cluster.awaitActiveController(ELECTION);
        assertNotEquals(active, next);
        List<Integer> survivors = cluster.liveNodes();
        Admin admin = cluster.admin(cluster.bootstrap(survivors.stream().mapToInt(i -> i).toArray()));
        admin.createTopics(List.of(new NewTopic("after-failover", 1, (short) 2))).all().get(60, TimeUnit.SECONDS);
        cluster.start(active);
        cluster.awaitActiveController(ELECTION);
        assertEquals(Set.of(1, 2, 3), voters("localhost:" + cluster.node(active).controllerPort()),
                "node " + active + " after its restart");
    }

    /**
     * A topic of {@code replicas} replicas takes an acks=all record through the cluster and gives it back (the
     * clients are closed with the cluster).
     */
    private void roundTrip(String topic, int replicas) throws Exception {
        cluster.admin().createTopics(List.of(new NewTopic(topic, 1, (short) replicas))).all()
                .get(60, TimeUnit.SECONDS);
        long offset = cluster.producer(cluster.bootstrap(), Map.of(ProducerConfig.ACKS_CONFIG, "all"))
                .send(new ProducerRecord<>(topic, topic.getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS)
                .offset();
        assertEquals(0, offset, "the first record of " + topic);
        var consumer = cluster.consumer(cluster.bootstrap(), Map.of());
        consumer.assign(List.of(new TopicPartition(topic, 0)));
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (values.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        assertEquals(List.of(topic), values, "what " + topic + " holds");
    }

    private Set<Integer> voters(String controllers) throws Exception {
        return ids(describeQuorum(controllers).voters());
    }

    private Set<Integer> observers(String controllers) throws Exception {
        return ids(describeQuorum(controllers).observers());
    }

    private static QuorumInfo describeQuorum(String controllers) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, controllers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(props)) {
            return admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
        }
    }

    private static Set<Integer> ids(List<QuorumInfo.ReplicaState> replicas) {
        return replicas.stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toSet());
    }
}
