package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The controller listener as Kafka's tools use it (KIP-919, KIP-853), 3 combined nodes as processes: Kafka's admin
 * client with {@code bootstrap.controllers} and {@code kafka-metadata-quorum --bootstrap-controller} see the same
 * quorum as through a broker listener, the controllers listed as the "brokers". A fourth controller started with only
 * {@code controller.quorum.bootstrap.servers} is added with {@code kafka-metadata-quorum add-controller}, the old active
 * controller is killed and metadata changes go on with the new voter set, a restarted node keeps that voter set
 * (from its log, not its {@code controller.quorum.voters}), and the fourth is removed with {@code remove-controller}.
 * Broker 7 names only {@code controller.quorum.bootstrap.servers} too (as Kafka 4 recommends for brokers): it learns
 * the voters from them, registers and serves, and keeps following the metadata through the voter changes.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DynamicVotersTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final Duration TOOL = Duration.ofSeconds(90);
    private static final String QUORUM_TOOL = "org.apache.kafka.tools.MetadataQuorumCommand";
    /** The broker that names only controller.quorum.bootstrap.servers (config/cluster/broker7.properties). */
    private static final int BROKER = 7;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    File work;
    @RegisterExtension
    final BrookCluster.LogsOnFailure logsOnFailure = new BrookCluster.LogsOnFailure();
    BrookCluster cluster;
    private final Map<String, Admin> admins = new HashMap<>();

    @AfterEach
    void stopTheCluster() throws Exception {
        for (Admin admin : admins.values()) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aFourthControllerIsAddedTakesOverAndIsRemoved() throws Exception {
        // 3 combined nodes, controller 4, which names only controller.quorum.bootstrap.servers (an observer), and
        // broker 7, which names only them too
        cluster = new BrookCluster(work, List.of("node1", "node2", "node3", "controller4", "broker7"), Map.of(),
                Map.of());
        logsOnFailure.watch(cluster);
        cluster.startAll();
        int active = cluster.awaitActiveController(ELECTION);
        String controllers = "localhost:" + cluster.node(2).controllerPort();
        assertTrue(cluster.serverLog(BROKER).contains("Broker 7 follows the metadata quorum of the voters 1@"),
                "broker 7 learned the voters from its bootstrap servers");
        servesOnBroker7("at-start");

        // the admin client bootstrapped from one controller: the controllers as nodes, the active one as controller
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, controllers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            var described = admin.describeCluster(new DescribeClusterOptions().timeoutMs(30_000));
            assertEquals(cluster.clusterId(), described.clusterId().get(30, TimeUnit.SECONDS));
            Set<Integer> listed = described.nodes().get(30, TimeUnit.SECONDS).stream().map(Node::id)
                    .collect(Collectors.toSet());
            assertEquals(Set.of(1, 2, 3), listed);
            for (Node node : described.nodes().get(30, TimeUnit.SECONDS)) {
                assertEquals(cluster.node(node.id()).controllerPort(), node.port(), "controller endpoint of " + node);
            }
            assertEquals(active, described.controller().get(30, TimeUnit.SECONDS).id());
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
            assertEquals(active, quorum.leaderId(), quorum.toString());
            assertEquals(Set.of(1, 2, 3), voters(quorum), quorum.toString());
        }

        // kafka-metadata-quorum: the same quorum through a controller as through a broker
        String viaController = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers,
                "describe", "--status");
        String viaBroker = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-server", cluster.bootstrap(),
                "describe", "--status");
        for (String key : new String[] {"ClusterId:", "LeaderId:", "CurrentVoters:"}) {
            assertEquals(line(viaBroker, key), line(viaController, key), viaBroker + "\n---\n" + viaController);
        }
        assertTrue(line(viaController, "LeaderId:").matches("LeaderId:\\s+" + active), viaController);
        String replication = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers,
                "describe", "--replication");
        for (int id : List.of(1, 2, 3)) { // controller 4 is no voter yet
            String role = id == active ? "Leader" : "Follower";
            assertTrue(replication.lines().anyMatch(l -> l.trim().startsWith(id + " ") && l.contains(role)),
                    "node " + id + " is a " + role + ":\n" + replication);
        }
        // controller 4 asked to observe the quorum before it is added (Kafka's unadded controller fetches as one)
        cluster.await("controller 4 listed as an observer by kafka-metadata-quorum", ELECTION, () -> KafkaAdminToolsTest
                .tool(QUORUM_TOOL, "--bootstrap-controller", controllers, "describe", "--replication").lines()
                .anyMatch(l -> l.trim().startsWith("4 ") && l.contains("Observer")));

        addAndRemoveTheFourthController(controllers, active);
    }

    private void addAndRemoveTheFourthController(String controllers, int active) throws Exception {
        String directoryId = directoryId(cluster.node(4).dataDir);
        // removing a controller that is no voter: Kafka's VOTER_NOT_FOUND, one line
        Processes.Output notVoter = Processes.exec(KafkaAdminToolsTest.toolCommand(QUORUM_TOOL,
                "--bootstrap-controller", controllers,
                "remove-controller", "--controller-id", "4", "--controller-directory-id", directoryId), null, TOOL);
        assertTrue(notVoter.exitCode() != 0 && notVoter.all().contains("VoterNotFoundException"), notVoter.all());

        String added = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", controllers,
                "--command-config", cluster.node(4).configFile.getPath(), "add-controller");
        assertTrue(added.contains("Added controller 4 with directory id " + directoryId), added);
        assertEquals(Set.of(1, 2, 3, 4), voters(controllerAdmin(controllers)), "after add-controller");
        // adding it again: DUPLICATE_VOTER
        Processes.Output again = Processes.exec(KafkaAdminToolsTest.toolCommand(QUORUM_TOOL,
                "--bootstrap-controller", controllers,
                "--command-config", cluster.node(4).configFile.getPath(), "add-controller"), null, TOOL);
        assertTrue(again.exitCode() != 0 && again.all().contains("DuplicateVoterException"), again.all());

        // the old active controller killed: the new voter set (4 voters, 3 alive) elects one and takes changes
        cluster.kill(active);
        List<Integer> survivors = cluster.liveNodes();
        int next = cluster.awaitActiveController(ELECTION);
        assertTrue(next != active, "a new active controller: " + next);
        Admin admin = cluster.admin(cluster.bootstrap(survivors.stream().filter(id -> id != 4)
                .mapToInt(i -> i).toArray()));
        admin.createTopics(List.of(new NewTopic("after-failover", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        servesOnBroker7("after-failover-on-7");
        String survivor = "localhost:" + cluster.node(survivors.get(0)).controllerPort();
        assertEquals(Set.of(1, 2, 3, 4), voters(controllerAdmin(survivor)), "after the failover");

        // the killed node restarts with controller.quorum.voters=1,2,3 and keeps the voter set of its log
        cluster.start(active);
        String restarted = "localhost:" + cluster.node(active).controllerPort();
        assertEquals(Set.of(1, 2, 3, 4), localVoters(restarted), "node " + active + " after its restart");

        String removed = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", survivor,
                "remove-controller", "--controller-id", "4", "--controller-directory-id", directoryId);
        assertTrue(removed.contains("controller 4 with directory id " + directoryId), removed);
        assertEquals(Set.of(1, 2, 3), voters(controllerAdmin(survivor)), "after remove-controller");
        admin.createTopics(List.of(new NewTopic("after-removal", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        servesOnBroker7("after-removal-on-7");

        // the removed controller goes on as an observer, and is added again while it runs
        cluster.await("controller 4 an observer after its removal", ELECTION, () -> controllerAdmin(survivor)
                .describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).observers().stream()
                .anyMatch(o -> o.replicaId() == 4));
        String addedAgain = KafkaAdminToolsTest.tool(QUORUM_TOOL, "--bootstrap-controller", survivor,
                "--command-config", cluster.node(4).configFile.getPath(), "add-controller");
        assertTrue(addedAgain.contains("Added controller 4"), addedAgain);
        assertEquals(Set.of(1, 2, 3, 4), voters(controllerAdmin(survivor)), "after adding it again");
    }

    /**
     * Broker 7 (bootstrap servers only) follows the metadata and serves: a topic created through the other brokers,
     * with its one replica on broker 7, is known to broker 7 and takes records there; broker 7 is registered and not
     * fenced (its heartbeats reach the active controller, whichever it is now).
     */
    private void servesOnBroker7(String topic) throws Exception {
        List<Integer> others = cluster.liveNodes().stream().filter(id -> id != 4 && id != BROKER).toList();
        Admin viaOthers = cluster.admin(cluster.bootstrap(others.stream().mapToInt(i -> i).toArray()));
        viaOthers.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(BROKER))))).all()
                .get(60, TimeUnit.SECONDS);
        String broker7 = cluster.bootstrap(BROKER);
        Admin viaBroker7 = cluster.admin(broker7);
        cluster.await("broker 7 knows topic " + topic + " and is unfenced", ELECTION, () -> {
            var leader = viaBroker7.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS)
                    .get(topic).partitions().get(0).leader();
            boolean unfenced = viaBroker7.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true))
                    .nodes().get(15, TimeUnit.SECONDS).stream().anyMatch(n -> n.id() == BROKER && !n.isFenced());
            return leader != null && leader.id() == BROKER && unfenced;
        });
        var producer = cluster.producer(broker7, Map.of());
        var sent = producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic,
                topic.getBytes(java.nio.charset.StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
        assertEquals(0, sent.offset(), "the first record of " + topic);
    }

    private Admin controllerAdmin(String controllers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, controllers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return admins.computeIfAbsent(controllers, c -> Admin.create(props));
    }

    private static Set<Integer> voters(Admin admin) throws Exception {
        return voters(admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS));
    }

    private static Set<Integer> voters(QuorumInfo quorum) {
        return quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toSet());
    }

    /** The voters one controller knows (its own Raft configuration): the "brokers" its controller listener lists. */
    private Set<Integer> localVoters(String controller) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, controller,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            return admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream().map(Node::id)
                    .collect(Collectors.toSet());
        }
    }

    /** The directory id in {@code logDir}/meta.properties. */
    static String directoryId(File logDir) throws Exception {
        Properties meta = new Properties();
        try (var in = Files.newInputStream(new File(logDir, "meta.properties").toPath())) {
            meta.load(in);
        }
        return meta.getProperty("directory.id");
    }

    private static String line(String output, String key) {
        return output.lines().filter(l -> l.startsWith(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " line in:\n" + output)).trim();
    }
}
