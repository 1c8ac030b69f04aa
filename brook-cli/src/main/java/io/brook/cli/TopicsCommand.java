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

    @Command(name = "describe", description = "Describe a topic: partitions, leaders, replicas, offsets, size.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook topics describe --topic orders"})
    static final class Describe extends AdminCommand {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;

        @Override
        Integer run(Admin admin) throws Exception {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, topic)))
                    .all().get().values().iterator().next();
            String overrides = config.entries().stream()
                    .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                    .map(e -> e.name() + "=" + e.value()).collect(Collectors.joining(","));
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicPartitionInfo p : d.partitions()) {
                earliest.put(new TopicPartition(topic, p.partition()), OffsetSpec.earliest());
                latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
            }
            var starts = admin.listOffsets(earliest).all().get();
            var ends = admin.listOffsets(latest).all().get();
            Map<TopicPartition, Long> sizes = new HashMap<>();
            List<Integer> brokers = d.partitions().stream().flatMap(p -> p.replicas().stream()).map(Node::id)
                    .distinct().toList();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> e : dir.replicaInfos().entrySet()) {
                        sizes.merge(e.getKey(), e.getValue().size(), Long::sum);
                    }
                }
            }
            if (json()) {
                List<Map<String, Object>> parts = new ArrayList<>();
                for (TopicPartitionInfo p : d.partitions()) {
                    TopicPartition tp = new TopicPartition(topic, p.partition());
                    Map<String, Object> part = new LinkedHashMap<>();
                    part.put("partition", p.partition());
                    part.put("leader", p.leader() == null ? null : p.leader().id());
                    part.put("replicas", p.replicas().stream().map(Node::id).toList());
                    part.put("isr", p.isr().stream().map(Node::id).toList());
                    part.put("startOffset", starts.get(tp).offset());
                    part.put("endOffset", ends.get(tp).offset());
                    part.put("sizeBytes", sizes.getOrDefault(tp, 0L));
                    parts.add(part);
                }
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("topic", topic);
                result.put("topicId", d.topicId().toString());
                result.put("configs", overrides);
                result.put("partitions", parts);
                out().println(Json.value(result));
                return 0;
            }
            out().printf("Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s%n", topic,
                    d.topicId(), d.partitions().size(), d.partitions().get(0).replicas().size(), overrides);
            for (TopicPartitionInfo p : d.partitions()) {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                out().printf("\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\tOffsets: %d-%d\tSize: %d bytes%n",
                        p.partition(), p.leader() == null ? "none" : p.leader().id(), ids(p.replicas()), ids(p.isr()),
                        starts.get(tp).offset(), ends.get(tp).offset(), sizes.getOrDefault(tp, 0L));
            }
            return 0;
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
