package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The controller listener as Kafka's tools use it (KIP-919, KIP-853), 3 combined nodes as processes: Kafka's admin
 * client with {@code bootstrap.controllers} and {@code kafka-metadata-quorum --bootstrap-controller} see the same
 * quorum as through a broker listener, the controllers listed as the "brokers".
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DynamicVotersTest {
    private static final Duration ELECTION = Duration.ofSeconds(60);
    private static final String QUORUM_TOOL = "org.apache.kafka.tools.MetadataQuorumCommand";

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
    void bootstrapControllerDescribesTheQuorum() throws Exception {
        cluster = BrookCluster.combined(work, Map.of());
        logsOnFailure.watch(cluster);
        cluster.startAll();
        int active = cluster.awaitActiveController(ELECTION);
        String controllers = "localhost:" + cluster.node(2).controllerPort();

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
            assertEquals(Set.of(1, 2, 3), quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId)
                    .collect(Collectors.toSet()), quorum.toString());
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
        for (int id : cluster.nodeIds()) {
            String role = id == active ? "Leader" : "Follower";
            assertTrue(replication.lines().anyMatch(l -> l.trim().startsWith(id + " ") && l.contains(role)),
                    "node " + id + " is a " + role + ":\n" + replication);
        }
    }

    private static String line(String output, String key) {
        return output.lines().filter(l -> l.startsWith(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " line in:\n" + output)).trim();
    }
}
