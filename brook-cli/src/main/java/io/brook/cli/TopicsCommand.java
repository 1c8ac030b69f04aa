package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/** {@code brook topics}: create, list, describe, alter and delete topics. */
@Command(name = "topics", description = "Create, list, describe, alter and delete topics.",
        mixinStandardHelpOptions = true,
        subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class, TopicsCommand.Describe.class,
                TopicsCommand.Alter.class, TopicsCommand.Delete.class},
        footer = {"", "Examples:",
                "  brook topics create --topic quickstart-events --partitions 3",
                "  brook topics list",
                "  brook topics describe --topic quickstart-events",
                "  brook topics alter --topic quickstart-events --config retention.ms=3600000",
                "  brook topics delete --topic quickstart-events"})
final class TopicsCommand {

    /** Shared by the subcommands: client options, output, and the admin client. */
    abstract static class AdminCommand implements Callable<Integer>, ErrorReporter.HasClientOptions {
        /** Output formats of the commands that print tables. */
        enum Output { table, json }

        @Mixin
        ClientOptions client;
        @Spec
        CommandSpec spec;
        @Option(names = "--output", defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
        Output output;

        @Override
        public ClientOptions clientOptions() {
            return client;
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        boolean json() {
            return output == Output.json;
        }

        @Override
        public Integer call() throws Exception {
            try (Admin admin = Admin.create(client.properties())) {
                return run(admin);
            }
        }

        abstract Integer run(Admin admin) throws Exception;
    }

    static Map<String, String> parseConfigs(List<String> pairs) {
        Map<String, String> configs = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ErrorReporter.UsageError("--config takes KEY=VALUE, got '" + pair + "'");
            }
            configs.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return configs;
    }

    @Command(name = "create", description = "Create a topic.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook topics create --topic orders --partitions 6", "  brook topics create --topic users --config cleanup.policy=compact --if-not-exists"})
    static final class Create extends AdminCommand {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;
        @Option(names = "--partitions", description = "Partition count (default: the server's num.partitions).")
        Integer partitions;
        @Option(names = "--replication-factor", description = "Replicas per partition (default: the server's).")
        Short replicationFactor;
        @Option(names = "--config", paramLabel = "KEY=VALUE", description = "A topic config (repeatable).")
        List<String> configs = new ArrayList<>();
        @Option(names = "--if-not-exists", description = "Succeed quietly when the topic exists.")
        boolean ifNotExists;

        @Override
        Integer run(Admin admin) throws Exception {
            NewTopic newTopic = new NewTopic(topic, Optional.ofNullable(partitions), Optional.ofNullable(replicationFactor))
                    .configs(parseConfigs(configs));
            try {
                admin.createTopics(List.of(newTopic)).all().get();
                out().println("Created topic " + topic + ".");
            } catch (ExecutionException e) {
                if (ifNotExists && e.getCause() instanceof TopicExistsException) {
                    return 0;
                }
                throw e;
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List topics.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook topics list", "  brook topics list --internal --output json"})
    static final class ListTopics extends AdminCommand {
        @Option(names = "--internal", description = "Include internal topics such as __consumer_offsets.")
        boolean internal;

        @Override
        Integer run(Admin admin) throws Exception {
            var options = new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(internal);
            TreeSet<String> names = new TreeSet<>(admin.listTopics(options).names().get());
            if (json()) {
                out().println(Json.value(names));
            } else {
                names.forEach(out()::println);
            }
            return 0;
        }
    }

    @Command(name = "describe", description = "Describe topics: partitions, leaders, replicas, offsets, size; "
            + "or only their under-replicated or unavailable partitions.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook topics describe --topic orders",
                "  brook topics describe --under-replicated-partitions",
                "  brook topics describe --unavailable-partitions"})
    static final class Describe extends AdminCommand {
        @Option(names = "--topic", description = "Topic name (default: every topic).")
        String topic;
        @Option(names = "--under-replicated-partitions",
                description = "Only partitions with fewer in-sync replicas than replicas.")
        boolean underReplicated;
        @Option(names = "--unavailable-partitions",
                description = "Only partitions without a leader, or led by a broker that is not live.")
        boolean unavailable;

        @Override
        Integer run(Admin admin) throws Exception {
            List<String> topics = topic != null ? List.of(topic)
                    : new ArrayList<>(new TreeSet<>(admin.listTopics().names().get()));
            java.util.Set<Integer> live = admin.describeCluster().nodes().get().stream().map(Node::id)
                    .collect(Collectors.toSet());
            boolean filtered = underReplicated || unavailable;
            List<Object> results = new ArrayList<>();
            for (String name : topics) {
                Map<String, Object> result = describe(admin, name, live, filtered);
                if (result != null) {
                    results.add(result);
                }
            }
            if (json()) {
                out().println(Json.value(topic != null && !results.isEmpty() ? results.get(0) : results));
            }
            return 0;
        }

        /** Whether the partition is shown: every one, or those matching a filter given. */
        private boolean shown(TopicPartitionInfo p, java.util.Set<Integer> live) {
            if (!underReplicated && !unavailable) {
                return true;
            }
            boolean under = p.isr().size() < p.replicas().size();
            boolean noLeader = p.leader() == null || p.leader().id() < 0 || !live.contains(p.leader().id());
            return (underReplicated && under) || (unavailable && noLeader);
        }

        /** Prints one topic (table) or returns it (json); null when a filter leaves none of its partitions. */
        private Map<String, Object> describe(Admin admin, String name, java.util.Set<Integer> live, boolean filtered)
                throws Exception {
            TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get().get(name);
            List<TopicPartitionInfo> partitions = d.partitions().stream().filter(p -> shown(p, live)).toList();
            if (filtered && partitions.isEmpty()) {
                return null;
            }
            Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, name)))
                    .all().get().values().iterator().next();
            String overrides = config.entries().stream()
                    .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                    .map(e -> e.name() + "=" + e.value()).collect(Collectors.joining(","));
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicPartitionInfo p : partitions) {
                if (p.leader() == null || !live.contains(p.leader().id())) {
                    continue; // no leader to ask: the offsets stay unknown rather than waiting for one
                }
                earliest.put(new TopicPartition(name, p.partition()), OffsetSpec.earliest());
                latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest());
            }
            var starts = offsets(admin, earliest);
            var ends = offsets(admin, latest);
            Map<TopicPartition, Long> sizes = new HashMap<>();
            List<Integer> brokers = partitions.stream().flatMap(p -> p.replicas().stream()).map(Node::id)
                    .filter(live::contains).distinct().toList();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> e : dir.replicaInfos().entrySet()) {
                        sizes.merge(e.getKey(), e.getValue().size(), Long::sum);
                    }
                }
            }
            if (json()) {
                List<Map<String, Object>> parts = new ArrayList<>();
                for (TopicPartitionInfo p : partitions) {
                    TopicPartition tp = new TopicPartition(name, p.partition());
                    Map<String, Object> part = new LinkedHashMap<>();
                    part.put("partition", p.partition());
                    part.put("leader", p.leader() == null || p.leader().id() < 0 ? null : p.leader().id());
                    part.put("replicas", p.replicas().stream().map(Node::id).toList());
                    part.put("isr", p.isr().stream().map(Node::id).toList());
                    part.put("elr", p.elr() == null ? null : p.elr().stream().map(Node::id).toList());
                    part.put("lastKnownElr",
                            p.lastKnownElr() == null ? null : p.lastKnownElr().stream().map(Node::id).toList());
                    part.put("offline", p.replicas().stream().map(Node::id).filter(id -> !live.contains(id)).toList());
                    part.put("startOffset", starts.get(tp));
                    part.put("endOffset", ends.get(tp));
                    part.put("sizeBytes", sizes.getOrDefault(tp, 0L));
                    parts.add(part);
                }
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("topic", name);
                result.put("topicId", d.topicId().toString());
                result.put("configs", overrides);
                result.put("partitions", parts);
                return result;
            }
            out().printf("Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s%n", name,
                    d.topicId(), d.partitions().size(), d.partitions().get(0).replicas().size(), overrides);
            for (TopicPartitionInfo p : partitions) {
                TopicPartition tp = new TopicPartition(name, p.partition());
                List<Node> offline = p.replicas().stream().filter(n -> !live.contains(n.id())).toList();
                // Elr and LastKnownElr as kafka-topics prints them (N/A when the broker did not say)
                out().printf("\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\tElr: %s\tLastKnownElr: %s%s"
                                + "\tOffsets: %s-%s\tSize: %d bytes%n",
                        p.partition(), p.leader() == null || p.leader().id() < 0 ? "none" : p.leader().id(),
                        ids(p.replicas()), ids(p.isr()), p.elr() == null ? "N/A" : ids(p.elr()),
                        p.lastKnownElr() == null ? "N/A" : ids(p.lastKnownElr()),
                        offline.isEmpty() ? "" : "\tOffline: " + ids(offline),
                        orUnknown(starts.get(tp)), orUnknown(ends.get(tp)), sizes.getOrDefault(tp, 0L));
            }
            return Map.of();
        }

        /** The offsets listed, by partition; a partition whose listing failed (no leader) is left out. */
        private static Map<TopicPartition, Long> offsets(Admin admin, Map<TopicPartition, OffsetSpec> specs)
                throws InterruptedException {
            Map<TopicPartition, Long> offsets = new HashMap<>();
            var result = admin.listOffsets(specs);
            for (TopicPartition tp : specs.keySet()) {
                try {
                    offsets.put(tp, result.partitionResult(tp).get().offset());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
                        throw new IllegalStateException("listing the offsets of " + tp + " failed: "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            return offsets;
        }

        private static String orUnknown(Long offset) {
            return offset == null ? "?" : String.valueOf(offset);
        }

        private static String ids(List<Node> nodes) {
            return nodes.stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(","));
        }
    }

    @Command(name = "alter", description = "Add partitions or change topic configs.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook topics alter --topic orders --partitions 12", "  brook topics alter --topic orders --config retention.ms=86400000 --delete-config segment.bytes"})
    static final class Alter extends AdminCommand {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;
        @Option(names = "--partitions", description = "New (larger) partition count.")
        Integer partitions;
        @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a topic config (repeatable).")
        List<String> configs = new ArrayList<>();
        @Option(names = "--delete-config", paramLabel = "KEY", description = "Remove a topic config (repeatable).")
        List<String> deleteConfigs = new ArrayList<>();

        @Override
        Integer run(Admin admin) throws Exception {
            if (partitions == null && configs.isEmpty() && deleteConfigs.isEmpty()) {
                throw new ErrorReporter.UsageError("nothing to change: give --partitions, --config or --delete-config");
            }
            if (partitions != null) {
                admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(partitions))).all().get();
                out().println("Topic " + topic + " now has " + partitions + " partitions.");
            }
            List<AlterConfigOp> ops = new ArrayList<>();
            parseConfigs(configs).forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v),
                    AlterConfigOp.OpType.SET)));
            deleteConfigs.forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, null),
                    AlterConfigOp.OpType.DELETE)));
            if (!ops.isEmpty()) {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops))
                        .all().get();
                out().println("Updated the configs of topic " + topic + ".");
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a topic and its data.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook topics delete --topic orders --if-exists"})
    static final class Delete extends AdminCommand {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;
        @Option(names = "--if-exists", description = "Succeed quietly when the topic does not exist.")
        boolean ifExists;

        @Override
        Integer run(Admin admin) throws Exception {
            try {
                admin.deleteTopics(List.of(topic)).all().get();
                out().println("Deleted topic " + topic + ".");
            } catch (ExecutionException e) {
                if (ifExists && e.getCause() instanceof UnknownTopicOrPartitionException) {
                    return 0;
                }
                throw e;
            }
            return 0;
        }
    }
}
