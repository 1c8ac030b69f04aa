package io.brook.server.config;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The example files in {@code config/cluster/} parse and validate, and each set makes one consistent cluster:
 * distinct node ids, ports and directories, the same voters everywhere, each voter's address the controller
 * listener of that node, and the single-node {@code config/server.properties} still needs no cluster setting.
 */
class ClusterConfigFilesTest {
    private static final File DIR = new File("../config/cluster");

    private static BrokerConfig load(String name) throws Exception {
        File file = new File(DIR, name);
        assertTrue(file.isFile(), file + " exists");
        return BrokerConfig.fromMap(BrokerConfig.readProperties(file));
    }

    @Test
    void threeCombinedNodes() throws Exception {
        List<BrokerConfig> nodes = new ArrayList<>();
        for (String name : List.of("node1.properties", "node2.properties", "node3.properties")) {
            BrokerConfig node = load(name);
            assertTrue(node.isBroker() && node.isController(), name);
            nodes.add(node);
        }
        checkCluster(nodes, 3);
    }

    @Test
    void threeControllersAndThreeBrokers() throws Exception {
        List<BrokerConfig> nodes = new ArrayList<>();
        for (String name : List.of("controller1.properties", "controller2.properties", "controller3.properties")) {
            BrokerConfig node = load(name);
            assertTrue(node.isController() && !node.isBroker(), name);
            nodes.add(node);
        }
        for (String name : List.of("broker4.properties", "broker5.properties", "broker6.properties")) {
            BrokerConfig node = load(name);
            assertTrue(node.isBroker() && !node.isController(), name);
            nodes.add(node);
        }
        checkCluster(nodes, 3);
    }

    private static void checkCluster(List<BrokerConfig> nodes, int voterCount) {
        Map<Integer, InetSocketAddress> voters = nodes.get(0).quorumVoters();
        assertEquals(voterCount, voters.size());
        Set<Integer> ids = new HashSet<>();
        Set<Integer> ports = new HashSet<>();
        Set<File> dirs = new HashSet<>();
        for (BrokerConfig node : nodes) {
            assertTrue(ids.add(node.nodeId()), "node ids differ: " + node.nodeId());
            assertEquals(voters, node.quorumVoters(), "every node has the same voters");
            assertTrue(node.isMultiNodeQuorum());
            node.brokerListeners().forEach(l -> assertTrue(ports.add(l.port()), "ports differ: " + l.port()));
            node.controllerListener().ifPresent(l -> {
                assertTrue(ports.add(l.port()), "ports differ: " + l.port());
                assertEquals(voters.get(node.nodeId()), InetSocketAddress.createUnresolved(l.advertisedHost(), l.port()),
                        "the voter entry of node " + node.nodeId() + " is its controller listener");
            });
            assertEquals(node.isController(), node.controllerListener().isPresent());
            node.metaPropertiesDirs().forEach(d -> assertTrue(dirs.add(d), "directories differ: " + d));
            if (node.isBroker()) {
                assertFalse(node.interBrokerListener().advertisedHost().equals("0.0.0.0"));
            }
        }
        assertTrue(ids.containsAll(voters.keySet()), "every voter is one of the nodes");
    }

    @Test
    void theSingleNodeFileNeedsNoClusterSetting() throws Exception {
        BrokerConfig single = BrokerConfig.fromMap(BrokerConfig.readProperties(new File("../config/server.properties")));
        assertFalse(single.isMultiNodeQuorum());
        assertTrue(single.isBroker() && single.isController());
    }
}
