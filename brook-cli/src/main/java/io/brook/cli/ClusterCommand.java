package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code brook cluster}: nodes, controller, topic and partition counts, unhealthy partitions; {@code up} and
 * {@code down} start and stop a local cluster for development ({@link LocalClusterCommands}).
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Show the cluster: nodes, controller, topics, partitions, offline and under-replicated ones. "
                + "Its subcommands up and down start and stop a local cluster for development; add-controller and "
                + "remove-controller change the metadata quorum's voters (KIP-853).",
        subcommands = {LocalClusterCommands.Up.class, LocalClusterCommands.Down.class, ControllerCommands.Add.class,
                ControllerCommands.Remove.class},
        footer = {"", "Examples:", "  brook cluster --bootstrap-server localhost:9092",
                "  brook cluster up --nodes 3", "  brook cluster down",
                "  brook cluster add-controller --bootstrap-controller localhost:19093 --config controller4.properties"})
final class ClusterCommand extends TopicsCommand.AdminCommand {

    @Override
    Integer run(Admin admin) throws Exception {
        // fenced brokers too (DescribeCluster v2): a broker silent past its session timeout shows as fenced; a
        // server without v2 (Kafka before 4.0) is asked for the unfenced ones only
        DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true));
        Node controller;
        try {
            controller = cluster.controller().get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnsupportedVersionException)) {
                throw e;
            }
            cluster = admin.describeCluster();
            controller = cluster.controller().get();
        }
        List<Node> nodes = cluster.nodes().get().stream().sorted(Comparator.comparingInt(Node::id)).toList();
        Map<String, TopicDescription> topics = admin.describeTopics(
                admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get()).allTopicNames().get();
        int partitions = 0;
        int offline = 0;
        int underReplicated = 0;
        for (TopicDescription t : topics.values()) {
            for (TopicPartitionInfo p : t.partitions()) {
                partitions++;
                if (p.leader() == null || p.leader().isEmpty()) {
                    offline++;
                }
                if (p.isr().size() < p.replicas().size()) {
                    underReplicated++;
                }
            }
        }
        if (json()) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("clusterId", cluster.clusterId().get());
            result.put("controller", controller == null ? null : controller.id());
            List<Map<String, Object>> nodeList = new ArrayList<>();
            for (Node node : nodes) {
                Map<String, Object> n = new LinkedHashMap<>();
                n.put("id", node.id());
                n.put("host", node.host());
                n.put("port", node.port());
                n.put("rack", node.rack());
                n.put("fenced", node.isFenced());
                nodeList.add(n);
            }
            result.put("nodes", nodeList);
            result.put("topics", topics.size());
            result.put("partitions", partitions);
            result.put("offlinePartitions", offline);
            result.put("underReplicatedPartitions", underReplicated);
            out().println(Json.value(result));
            return 0;
        }
        out().println("Cluster: " + cluster.clusterId().get());
        out().println("Controller: " + (controller == null ? "none" : controller.id()));
        for (Node node : nodes) {
            out().printf("Node %d\t%s:%d%s%s%n", node.id(), node.host(), node.port(),
                    node.hasRack() ? "\track " + node.rack() : "", node.isFenced() ? "\tfenced" : "");
        }
        out().printf("Topics: %d\tPartitions: %d\tOffline: %d\tUnder-replicated: %d%n", topics.size(), partitions,
                offline, underReplicated);
        return 0;
    }
}
