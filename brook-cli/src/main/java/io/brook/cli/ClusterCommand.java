package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.QuorumInfo;
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
 * {@code brook cluster}: nodes with their roles, controller, the metadata quorum's state (leader, epoch, high
 * watermark, each voter's and observer's lag: {@code kafka-metadata-quorum describe --status/--replication}),
 * topic and partition counts, unhealthy partitions; {@code up} and
 * {@code down} start and stop a local cluster for development ({@link LocalClusterCommands}).
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Show the cluster: nodes and their roles, controller, the metadata quorum (leader, epoch, high "
                + "watermark, each replica's lag), topics, partitions, offline and under-replicated ones. "
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
        List<Node> brokers = cluster.nodes().get().stream().sorted(Comparator.comparingInt(Node::id)).toList();
        // the metadata quorum (DescribeQuorum): the controllers among the nodes, its leader, epoch and lags
        QuorumInfo quorumInfo = null;
        String quorumMissing = null;
        try {
            quorumInfo = admin.describeMetadataQuorum().quorumInfo().get();
        } catch (java.util.concurrent.ExecutionException e) {
            quorumMissing = e.getCause() == null ? e.toString() : e.getCause().getClass().getSimpleName() + ": "
                    + e.getCause().getMessage();
        }
        List<ClusterView.NodeRow> nodes = ClusterView.nodes(brokers, quorumInfo);
        ClusterView.Quorum quorum = quorumInfo == null ? null
                : ClusterView.quorum(quorumInfo, System.currentTimeMillis());
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
            for (ClusterView.NodeRow node : nodes) {
                Map<String, Object> n = new LinkedHashMap<>();
                n.put("id", node.id());
                n.put("host", node.host());
                n.put("port", node.host() == null ? null : node.port());
                n.put("roles", node.roles());
                n.put("rack", node.rack());
                n.put("fenced", node.fenced());
                nodeList.add(n);
            }
            result.put("nodes", nodeList);
            result.put("quorum", quorum == null ? null : quorumJson(quorum));
            result.put("topics", topics.size());
            result.put("partitions", partitions);
            result.put("offlinePartitions", offline);
            result.put("underReplicatedPartitions", underReplicated);
            out().println(Json.value(result));
            return 0;
        }
        out().println("Cluster: " + cluster.clusterId().get());
        out().println("Controller: " + (controller == null ? "none" : controller.id()));
        for (ClusterView.NodeRow node : nodes) {
            out().println(ClusterView.line(node));
        }
        if (quorum == null) {
            out().println("Quorum: not reported (" + quorumMissing + ")");
        } else {
            out().println(ClusterView.line(quorum));
            quorum.replicas().forEach(r -> out().println(ClusterView.line(r)));
        }
        out().printf("Topics: %d\tPartitions: %d\tOffline: %d\tUnder-replicated: %d%n", topics.size(), partitions,
                offline, underReplicated);
        return 0;
    }

    private static Map<String, Object> quorumJson(ClusterView.Quorum quorum) {
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("leaderId", quorum.leaderId());
        q.put("leaderEpoch", quorum.leaderEpoch());
        q.put("highWatermark", quorum.highWatermark());
        q.put("maxFollowerLag", quorum.maxFollowerLag());
        q.put("maxFollowerLagTimeMs", quorum.maxFollowerLagTimeMs());
        List<Map<String, Object>> replicas = new ArrayList<>();
        for (ClusterView.ReplicaRow r : quorum.replicas()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.id());
            m.put("status", r.status());
            m.put("logEndOffset", r.logEndOffset());
            m.put("lag", r.lag());
            m.put("lastFetchAgoMs", r.lastFetchAgoMs());
            m.put("lastCaughtUpAgoMs", r.lastCaughtUpAgoMs());
            replicas.add(m);
        }
        q.put("replicas", replicas);
        return q;
    }
}
