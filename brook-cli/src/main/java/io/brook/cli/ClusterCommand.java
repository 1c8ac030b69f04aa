package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.Command;

import java.util.Comparator;
import java.util.Map;

/** {@code brook cluster}: nodes, controller, topic and partition counts, unhealthy partitions. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Show the cluster: nodes, controller, topics, partitions, offline and under-replicated ones.",
        footer = {"", "Example:", "  brook cluster --bootstrap-server localhost:9092"})
final class ClusterCommand extends TopicsCommand.AdminCommand {

    @Override
    Integer run(Admin admin) throws Exception {
        DescribeClusterResult cluster = admin.describeCluster();
        Node controller = cluster.controller().get();
        out().println("Cluster: " + cluster.clusterId().get());
        out().println("Controller: " + (controller == null ? "none" : controller.id()));
        for (Node node : cluster.nodes().get().stream().sorted(Comparator.comparingInt(Node::id)).toList()) {
            out().printf("Node %d\t%s:%d%s%n", node.id(), node.host(), node.port(),
                    node.hasRack() ? "\track " + node.rack() : "");
        }
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
        out().printf("Topics: %d\tPartitions: %d\tOffline: %d\tUnder-replicated: %d%n", topics.size(), partitions,
                offline, underReplicated);
        return 0;
    }
}
