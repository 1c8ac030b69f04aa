package io.brook.server.config;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster settings of {@link BrokerConfig}, each rule with a valid and an invalid case: roles, the quorum
 * (static voters, bootstrap servers), the controller listener, several listeners with their security
 * protocols, the inter-broker listener, advertised listeners, rack, metadata.log.dir and the quorum's timeouts.
 */
class BrokerConfigClusterTest {

    /** A combined node 1 of a 3-voter quorum, valid; tests change one setting at a time. */
    private static Map<String, String> combined() {
        Map<String, String> m = new HashMap<>();
        m.put("node.id", "1");
        m.put("process.roles", "broker,controller");
        m.put("listeners", "PLAINTEXT://localhost:19092,CONTROLLER://localhost:19093");
        m.put("controller.listener.names", "CONTROLLER");
        m.put("controller.quorum.voters", "1@localhost:19093,2@localhost:29093,3@localhost:39093");
        m.put("log.dirs", "/tmp/brook-test/node1");
        return m;
    }

    private static Map<String, String> with(Map<String, String> base, String... keyValues) {
        Map<String, String> m = new HashMap<>(base);
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] == null) {
                m.remove(keyValues[i]);
            } else {
                m.put(keyValues[i], keyValues[i + 1]);
            }
        }
        return m;
    }

    private static String refused(Map<String, String> settings) {
        ConfigException e = assertThrows(ConfigException.class, () -> BrokerConfig.fromMap(settings));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String text, String part) {
        assertTrue(text.contains(part), "expected '" + part + "' in: " + text);
    }

    @Test
    void theSingleNodeDefaultNeedsNoClusterSettings() {
        BrokerConfig config = BrokerConfig.defaults();
        assertTrue(config.isBroker() && config.isController());
        assertEquals(Set.of("broker", "controller"), config.processRoles());
        assertEquals(Map.of(), config.quorumVoters());
        assertEquals(List.of(), config.quorumBootstrapServers());
        assertFalse(config.isMultiNodeQuorum());
        assertTrue(config.controllerListener().isEmpty());
        assertEquals("PLAINTEXT", config.interBrokerListener().name());
        assertEquals(List.of("PLAINTEXT"), config.brokerListeners().stream().map(BrokerConfig.Listener::name).toList());
        assertEquals(config.logDir(), config.metadataLogDir());
        assertEquals(List.of(config.logDir()), config.metaPropertiesDirs());
        assertTrue(config.rack().isEmpty());
        assertEquals(9000, config.brokerSessionTimeoutMs());
        assertEquals(2000, config.brokerHeartbeatIntervalMs());
        assertEquals(1000, config.quorumElectionTimeoutMs());
        assertEquals(2000, config.quorumRequestTimeoutMs());
        assertEquals(20971520L, config.metadataMaxBytesBetweenSnapshots());
        assertEquals(3600000L, config.metadataMaxSnapshotIntervalMs());
        // Kafka's default protocol map
        assertEquals(Map.of("PLAINTEXT", SecurityProtocol.PLAINTEXT, "SSL", SecurityProtocol.SSL,
                "SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT, "SASL_SSL", SecurityProtocol.SASL_SSL),
                config.securityProtocols());
    }

    @Test
    void aCombinedNodeOfAThreeVoterQuorum() {
        BrokerConfig config = BrokerConfig.fromMap(combined());
        assertEquals(Map.of(1, InetSocketAddress.createUnresolved("localhost", 19093),
                2, InetSocketAddress.createUnresolved("localhost", 29093),
                3, InetSocketAddress.createUnresolved("localhost", 39093)), config.quorumVoters());
        assertEquals(List.of(1, 2, 3), List.copyOf(config.quorumVoters().keySet()), "in the order given");
        assertTrue(config.isMultiNodeQuorum());
        BrokerConfig.Listener controller = config.controllerListener().orElseThrow();
        assertEquals("CONTROLLER", controller.name());
        assertEquals(19093, controller.port());
        assertEquals(List.of("PLAINTEXT"), config.brokerListeners().stream().map(BrokerConfig.Listener::name).toList(),
                "the controller listener is not a broker listener");
        assertEquals("PLAINTEXT", config.interBrokerListener().name());
        assertEquals(19092, config.listener().port());
        assertEquals(SecurityProtocol.PLAINTEXT, config.securityProtocols().get("CONTROLLER"),
                "controller listeners are PLAINTEXT while the map is not set");
    }

    @Test
    void processRoles() {
        assertContains(refused(with(combined(), "process.roles", "broker,zookeeper")),
                "Invalid value broker,zookeeper for configuration process.roles: the roles are broker, controller");
        assertContains(refused(with(combined(), "process.roles", "broker,broker")), "listed twice");
        assertContains(refused(with(combined(), "process.roles", "")), "give broker, controller, or both");
        BrokerConfig controllerOnly = BrokerConfig.fromMap(with(combined(), "process.roles", "controller",
                "listeners", "CONTROLLER://localhost:19093"));
        assertTrue(controllerOnly.isController() && !controllerOnly.isBroker());
        assertNull(controllerOnly.listener());
        assertNull(controllerOnly.interBrokerListener());
        assertEquals(List.of(), controllerOnly.brokerListeners());
        BrokerConfig brokerOnly = BrokerConfig.fromMap(with(combined(), "process.roles", "broker", "node.id", "4",
                "listeners", "PLAINTEXT://localhost:49092"));
        assertTrue(brokerOnly.isBroker() && !brokerOnly.isController());
        assertTrue(brokerOnly.controllerListener().isEmpty());
    }

    @Test
    void voters() {
        assertContains(refused(with(combined(), "controller.quorum.voters", "1@localhost:19093,1@other:29093")),
                "node id 1 is listed more than once");
        assertContains(refused(with(combined(), "controller.quorum.voters", "1@localhost:19093,localhost:2")),
                "'localhost:2' is not id@host:port");
        assertContains(refused(with(combined(), "controller.quorum.voters", "1@localhost:19093,x@localhost:2")),
                "does not start with a node id");
        assertContains(refused(with(combined(), "controller.quorum.voters", "1@localhost:19093,2@localhost:70000")),
                "'2@localhost:70000' has no valid port");
        assertContains(refused(with(combined(), "controller.quorum.voters", "1@localhost:19093,2@localhost:0")),
                "has no valid port");
        assertContains(refused(with(combined(), "controller.quorum.voters", "1@localhost:19093,2@:29093")),
                "has no host:port");
        assertContains(refused(with(combined(), "controller.quorum.voters", "2@localhost:29093,3@localhost:39093")),
                "this node (node.id=1) has the controller role, so it must be one of the voters");
        assertContains(refused(with(combined(), "process.roles", "broker", "listeners", "PLAINTEXT://localhost:19092")),
                "this node (node.id=1) has only the broker role, so it must not be one of the voters");
        assertContains(refused(with(combined(), "process.roles", "broker", "listeners", "PLAINTEXT://localhost:1",
                "controller.quorum.voters", null)), "needs its controllers: set controller.quorum.voters");
        assertContains(refused(with(combined(), "process.roles", "controller", "listeners", "CONTROLLER://localhost:1",
                "controller.quorum.voters", null)), "needs its controllers");
        // IPv6 voters
        BrokerConfig v6 = BrokerConfig.fromMap(with(combined(), "controller.quorum.voters",
                "1@[::1]:19093,2@[::1]:29093"));
        assertEquals("::1", v6.quorumVoters().get(2).getHostString());
    }

    @Test
    void theOnlyVoterIsTheSingleNodeDefault() {
        BrokerConfig config = BrokerConfig.fromMap(with(combined(), "controller.quorum.voters", "1@localhost:19093"));
        assertFalse(config.isMultiNodeQuorum());
        assertEquals(19093, config.controllerListener().orElseThrow().port());
        // and without a controller listener it is fine too: there is no one to talk to
        BrokerConfig noListener = BrokerConfig.fromMap(with(combined(), "controller.quorum.voters", "1@localhost:19093",
                "controller.listener.names", null, "listeners", "PLAINTEXT://localhost:19092"));
        assertTrue(noListener.controllerListener().isEmpty());
    }

    @Test
    void bootstrapServers() {
        BrokerConfig dynamic = BrokerConfig.fromMap(with(combined(), "controller.quorum.voters", null,
                "controller.quorum.bootstrap.servers", "localhost:19093, localhost:29093"));
        assertEquals(List.of(InetSocketAddress.createUnresolved("localhost", 19093),
                InetSocketAddress.createUnresolved("localhost", 29093)), dynamic.quorumBootstrapServers());
        assertTrue(dynamic.isMultiNodeQuorum());
        assertEquals(Map.of(), dynamic.quorumVoters());
        assertContains(refused(with(combined(), "controller.quorum.bootstrap.servers", "localhost:19093")),
                "set either controller.quorum.voters (a static quorum) or controller.quorum.bootstrap.servers");
        assertContains(refused(with(combined(), "controller.quorum.voters", null,
                "controller.quorum.bootstrap.servers", "localhost")), "'localhost' has no host:port");
        assertContains(refused(with(combined(), "controller.quorum.voters", null,
                "controller.quorum.bootstrap.servers", "localhost:x")), "has no valid port");
        BrokerConfig broker = BrokerConfig.fromMap(with(combined(), "process.roles", "broker", "controller.quorum.voters",
                null, "controller.quorum.bootstrap.servers", "localhost:19093", "listeners", "PLAINTEXT://localhost:1"));
        assertTrue(broker.isMultiNodeQuorum());
    }

    /**
     * KIP-853 as Kafka 4 recommends it: a broker-only node names only {@code controller.quorum.bootstrap.servers} and
     * learns the voters from them at start, as a joining controller does; a combined node still lists the voters.
     */
    @Test
    void aBrokerNamedOnlyByBootstrapServersLearnsTheVoters() {
        Map<String, String> broker = with(combined(), "node.id", "4", "process.roles", "broker",
                "controller.quorum.voters", null, "controller.quorum.bootstrap.servers",
                "localhost:19093,localhost:29093", "listeners", "PLAINTEXT://localhost:19192");
        BrokerConfig config = BrokerConfig.fromMap(broker);
        assertTrue(config.discoversQuorumVoters());
        assertTrue(config.warnings().isEmpty(), "honoured, so not reported: " + config.warnings());
        // a controller that joins: the same discovery
        BrokerConfig joining = BrokerConfig.fromMap(with(combined(), "node.id", "4", "process.roles", "controller",
                "controller.quorum.voters", null, "controller.quorum.bootstrap.servers", "localhost:19093",
                "listeners", "CONTROLLER://localhost:49093"));
        assertTrue(joining.discoversQuorumVoters());
        // static voters: nothing to learn
        BrokerConfig staticBroker = BrokerConfig.fromMap(with(broker, "controller.quorum.bootstrap.servers", null,
                "controller.quorum.voters", "1@localhost:19093"));
        assertFalse(staticBroker.discoversQuorumVoters());
        // both roles with bootstrap servers only (Kafka 4's config/server.properties): a dynamic quorum it starts
        // (formatted --standalone / --initial-controllers) or joins (--no-initial-controllers)
        BrokerConfig combinedDynamic = BrokerConfig.fromMap(with(combined(), "controller.quorum.voters", null,
                "controller.quorum.bootstrap.servers", "localhost:19093"));
        assertTrue(combinedDynamic.discoversQuorumVoters());
        assertTrue(combinedDynamic.isMultiNodeQuorum(), "formatted first");
        // a broker with neither setting has no controllers to talk to
        assertContains(refused(with(broker, "controller.quorum.bootstrap.servers", null)),
                "a node with process.roles=broker needs its controllers: set controller.quorum.voters (1@host:port,...) "
                        + "or controller.quorum.bootstrap.servers");
        assertContains(refused(with(broker, "controller.quorum.bootstrap.servers", " , ")),
                "needs its controllers");
    }

    @Test
    void controllerListener() {
        assertContains(refused(with(combined(), "controller.listener.names", null)),
                "Invalid value  for configuration controller.listener.names: a controller in a quorum of more than one");
        assertContains(refused(with(combined(), "controller.listener.names", "QUORUM")),
                "none of these listeners is in listeners");
        assertContains(refused(with(combined(), "listeners", "PLAINTEXT://localhost:19092,CONTROLLER://localhost:19094")),
                "the controller listener CONTROLLER has port 19094 but this node's entry in controller.quorum.voters "
                        + "has port 19093");
        assertContains(refused(with(combined(), "listeners", "PLAINTEXT://localhost:19092,CONTROLLER://localhost:0")),
                "has port 0");
        // the first of the names found in listeners is the controller's
        BrokerConfig two = BrokerConfig.fromMap(with(combined(), "controller.listener.names", "QUORUM,CONTROLLER"));
        assertEquals("CONTROLLER", two.controllerListener().orElseThrow().name());
        // a controller-only node has only controller listeners
        assertContains(refused(with(combined(), "process.roles", "controller")),
                "a node with process.roles=controller has only controller listeners (CONTROLLER), not PLAINTEXT");
        // a broker-only node names the controllers' listener, and does not have it
        Map<String, String> broker = with(combined(), "process.roles", "broker", "node.id", "4",
                "listeners", "PLAINTEXT://localhost:49092");
        assertContains(refused(with(broker, "controller.listener.names", null)),
                "a broker-only node needs the name of its controllers' listener");
        assertContains(refused(with(broker, "listeners", "PLAINTEXT://localhost:49092,CONTROLLER://localhost:49093")),
                "a node with process.roles=broker must not have the controller listener CONTROLLER");
    }

    @Test
    void severalListenersAndTheirProtocols() {
        BrokerConfig config = BrokerConfig.fromMap(with(combined(),
                "listeners", "INTERNAL://0.0.0.0:19094,PLAINTEXT://localhost:19092,CONTROLLER://localhost:19093",
                "listener.security.protocol.map", "INTERNAL:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "advertised.listeners", "INTERNAL://node1.example:19094"));
        assertEquals(List.of("INTERNAL", "PLAINTEXT"),
                config.brokerListeners().stream().map(BrokerConfig.Listener::name).toList());
        BrokerConfig.Listener internal = config.brokerListeners().get(0);
        assertEquals("0.0.0.0", internal.bindHost());
        assertEquals("node1.example", internal.advertisedHost());
        assertEquals("localhost", config.brokerListeners().get(1).advertisedHost(), "not advertised: its own address");
        assertEquals("INTERNAL", config.interBrokerListener().name(), "default: the first broker listener");

        assertContains(refused(with(combined(), "listeners", "PLAINTEXT://localhost:19092,EXTERNAL://localhost:19095,"
                + "CONTROLLER://localhost:19093")), "no security protocol is defined for the listener EXTERNAL");
        assertEquals(List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT"), BrokerConfig.fromMap(with(combined(), "listeners",
                "PLAINTEXT://localhost:19092,SSL://localhost:19095,SASL_PLAINTEXT://localhost:19096,"
                        + "CONTROLLER://localhost:19093", "sasl.enabled.mechanisms", "SCRAM-SHA-512"))
                .brokerListeners().stream().map(BrokerConfig.Listener::name).toList());
        assertEquals(List.of("PLAINTEXT", "SASL_SSL"), BrokerConfig.fromMap(with(combined(), "listeners",
                "PLAINTEXT://localhost:19092,SASL_SSL://localhost:19095,CONTROLLER://localhost:19093",
                "sasl.enabled.mechanisms", "SCRAM-SHA-512")).brokerListeners().stream()
                .map(BrokerConfig.Listener::name).toList());
        assertContains(refused(with(combined(), "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL")), "the controller listener CONTROLLER");
        assertContains(refused(with(combined(), "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:SSL")),
                "the controller listener CONTROLLER is SSL, but the quorum's transport (Apache Ratis) is PLAINTEXT "
                        + "only");
        assertContains(refused(with(combined(), "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT")),
                "no security protocol is defined for the listener CONTROLLER");
        assertContains(refused(with(combined(), "listener.security.protocol.map", "PLAINTEXT:PIGEON")),
                "'PIGEON' is not a security protocol");
        assertContains(refused(with(combined(), "listener.security.protocol.map", "PLAINTEXT")),
                "'PLAINTEXT' is not NAME:PROTOCOL");
        assertContains(refused(with(combined(), "listeners", "PLAINTEXT://localhost:19092,PLAINTEXT://localhost:19095,"
                + "CONTROLLER://localhost:19093")), "the listener name PLAINTEXT is used twice");
        assertContains(refused(with(combined(), "listeners", "PLAINTEXT://localhost:19093,CONTROLLER://localhost:19093")),
                "the listeners PLAINTEXT and CONTROLLER both use port 19093");
        assertContains(refused(with(combined(), "listeners", "CONTROLLER://localhost:19093")),
                "no client listener is configured");
    }

    @Test
    void interBrokerListener() {
        Map<String, String> two = with(combined(), "listeners",
                "PLAINTEXT://localhost:19092,REPLICATION://localhost:19094,CONTROLLER://localhost:19093",
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,REPLICATION:PLAINTEXT,CONTROLLER:PLAINTEXT");
        assertEquals("REPLICATION", BrokerConfig.fromMap(with(two, "inter.broker.listener.name", "REPLICATION"))
                .interBrokerListener().name());
        assertContains(refused(with(two, "inter.broker.listener.name", "CONTROLLER")),
                "the controller listener cannot carry traffic between brokers");
        assertContains(refused(with(two, "inter.broker.listener.name", "ELSEWHERE")),
                "must be one of the listeners (PLAINTEXT,REPLICATION)");
    }

    @Test
    void advertisedListeners() {
        BrokerConfig config = BrokerConfig.fromMap(with(combined(), "advertised.listeners",
                "PLAINTEXT://broker1.example:9092"));
        assertEquals("broker1.example", config.listener().advertisedHost());
        assertEquals(9092, config.listener().advertisedPort());
        assertEquals("localhost", config.listener().bindHost());
        assertEquals(19092, config.listener().port());
        assertContains(refused(with(combined(), "advertised.listeners", "PLAINTEXT://0.0.0.0:19092")),
                "cannot use the non-routable meta-address 0.0.0.0 for PLAINTEXT");
        // as in Kafka 4 (KIP-853): a controller may list its own controller listener, for the other controllers;
        // clients are never given it
        BrokerConfig withController = BrokerConfig.fromMap(with(combined(), "advertised.listeners",
                "PLAINTEXT://broker1.example:19092,CONTROLLER://controller1.example:19093"));
        assertEquals("controller1.example", withController.controllerListener().orElseThrow().advertisedHost());
        assertEquals("localhost", withController.controllerListener().orElseThrow().bindHost());
        assertEquals(List.of("PLAINTEXT"), withController.brokerListeners().stream()
                .map(BrokerConfig.Listener::name).toList());
        assertEquals("broker1.example", withController.listener().advertisedHost());
        assertContains(refused(with(combined(), "controller.quorum.voters", null, "controller.listener.names",
                "CONTROLLER,OTHER", "listeners", "PLAINTEXT://localhost:19092,CONTROLLER://localhost:19093,"
                        + "OTHER://localhost:19094", "advertised.listeners", "OTHER://localhost:19094")),
                "the controller listener OTHER cannot be advertised by this node");
        assertContains(refused(with(combined(), "process.roles", "broker", "node.id", "4", "listeners",
                "PLAINTEXT://localhost:49092", "advertised.listeners", "CONTROLLER://localhost:19093")),
                "the controller listener CONTROLLER cannot be advertised by this node");
        assertContains(refused(with(combined(), "advertised.listeners", "CONTROLLER://0.0.0.0:19093")),
                "non-routable meta-address 0.0.0.0 for CONTROLLER");
        assertContains(refused(with(combined(), "advertised.listeners", "OTHER://localhost:19092")),
                "the listener OTHER is not in listeners");
        assertContains(refused(with(combined(), "advertised.listeners", "PLAINTEXT//localhost:19092")),
                "expected NAME://host:port");
    }

    @Test
    void rackMetadataDirAndTimeouts() {
        assertEquals("rack-a", BrokerConfig.fromMap(with(combined(), "broker.rack", "rack-a")).rack().orElseThrow());
        assertContains(refused(with(combined(), "broker.rack", " ")), "is blank");

        BrokerConfig separate = BrokerConfig.fromMap(with(combined(), "log.dirs", "/d/a,/d/b",
                "metadata.log.dir", "/d/meta"));
        assertEquals(new File("/d/meta"), separate.metadataLogDir());
        assertEquals(List.of(new File("/d/a"), new File("/d/b"), new File("/d/meta")), separate.metaPropertiesDirs());
        BrokerConfig shared = BrokerConfig.fromMap(with(combined(), "log.dirs", "/d/a,/d/b", "metadata.log.dir", "/d/b/"));
        assertEquals(List.of(new File("/d/a"), new File("/d/b")), shared.metaPropertiesDirs(),
                "a metadata.log.dir that is one of log.dirs is listed once");
        assertContains(refused(with(combined(), "metadata.log.dir", " ")), "names no directory");

        BrokerConfig timeouts = BrokerConfig.fromMap(with(combined(), "broker.session.timeout.ms", "18000",
                "broker.heartbeat.interval.ms", "3000", "controller.quorum.election.timeout.ms", "1500",
                "controller.quorum.request.timeout.ms", "2500",
                "metadata.log.max.record.bytes.between.snapshots", "1048576",
                "metadata.log.max.snapshot.interval.ms", "0"));
        assertEquals(18000, timeouts.brokerSessionTimeoutMs());
        assertEquals(3000, timeouts.brokerHeartbeatIntervalMs());
        assertEquals(1500, timeouts.quorumElectionTimeoutMs());
        assertEquals(2500, timeouts.quorumRequestTimeoutMs());
        assertEquals(1048576L, timeouts.metadataMaxBytesBetweenSnapshots());
        assertEquals(0L, timeouts.metadataMaxSnapshotIntervalMs());
        assertContains(refused(with(combined(), "broker.heartbeat.interval.ms", "9000")),
                "must be less than broker.session.timeout.ms (9000)");
        assertContains(refused(with(combined(), "controller.quorum.election.timeout.ms", "0")),
                "controller.quorum.election.timeout.ms");
        assertContains(refused(with(combined(), "metadata.log.max.record.bytes.between.snapshots", "0")),
                "metadata.log.max.record.bytes.between.snapshots");
        assertContains(refused(with(combined(), "metadata.log.max.snapshot.interval.ms", "-1")),
                "metadata.log.max.snapshot.interval.ms");
    }

    @Test
    void kafka4sOwnServerPropertiesRunAsTheyAre() {
        // the settings of Kafka 4's config/server.properties (its quickstart node, formatted --standalone)
        BrokerConfig config = BrokerConfig.fromMap(Map.ofEntries(Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", "1"), Map.entry("controller.quorum.bootstrap.servers", "localhost:9093"),
                Map.entry("listeners", "PLAINTEXT://:9092,CONTROLLER://:9093"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("advertised.listeners", "PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093"),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
                        + "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"),
                Map.entry("num.network.threads", "3"), Map.entry("num.io.threads", "8"),
                Map.entry("socket.send.buffer.bytes", "102400"), Map.entry("socket.receive.buffer.bytes", "102400"),
                Map.entry("socket.request.max.bytes", "104857600"), Map.entry("log.dirs", "/tmp/kraft-combined-logs"),
                Map.entry("num.partitions", "1"), Map.entry("num.recovery.threads.per.data.dir", "1"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"), Map.entry("log.retention.hours", "168"),
                Map.entry("log.segment.bytes", "1073741824"), Map.entry("log.retention.check.interval.ms", "300000")));
        assertEquals(102400, config.getInt("socket.send.buffer.bytes"));
        assertEquals(102400, config.getInt("socket.receive.buffer.bytes"));
        assertTrue(config.discoversQuorumVoters());
        assertEquals("localhost", config.controllerListener().orElseThrow().advertisedHost());
        // only the share groups' settings are reported: Brook serves no share groups
        List<String> warnings = config.warnings();
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().allMatch(w -> w.contains("share.coordinator.state.topic.")
                && w.contains("share groups (KIP-932) are not served")), warnings.toString());
        // Brook's default: the OS's autotuned buffers
        assertEquals(-1, BrokerConfig.fromMap(combined()).getInt("socket.send.buffer.bytes"));
    }

    @Test
    void clusterSettingsWithoutEffectYetAreReported() {
        BrokerConfig config = BrokerConfig.fromMap(with(combined(), "controller.quorum.voters", "1@localhost:19093",
                "broker.session.timeout.ms", "18000", "metadata.log.dir", "/d/meta",
                "controller.quorum.fetch.timeout.ms", "3000"));
        List<String> warnings = config.warnings();
        assertTrue(warnings.stream().noneMatch(w -> w.startsWith("The setting broker.session.timeout.ms")),
                "honoured in a cluster: " + warnings);
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(
                "The setting controller.quorum.fetch.timeout.ms has no effect")), warnings.toString());
        assertTrue(warnings.stream().noneMatch(w -> w.startsWith("The setting controller.quorum.voters")),
                "honoured: " + warnings);
        assertTrue(warnings.stream().noneMatch(w -> w.contains("metadata.log.dir")), "honoured: " + warnings);
        assertTrue(warnings.stream().noneMatch(w -> w.contains("process.roles")), warnings.toString());
    }
}
