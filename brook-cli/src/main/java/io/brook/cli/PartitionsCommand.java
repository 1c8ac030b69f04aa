package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code brook partitions}: move partition replicas between brokers (KIP-455 reassignments, as
 * {@code kafka-reassign-partitions.sh} does through the same Admin calls) and list the reassignments in progress.
 */
@Command(name = "partitions", description = "Reassign partition replicas and list reassignments in progress.",
        mixinStandardHelpOptions = true,
        subcommands = {PartitionsCommand.Reassign.class, PartitionsCommand.Reassignments.class},
        footer = {"", "Examples:",
                "  brook partitions reassign --topic orders --partition 0 --replicas 2,3,1",
                "  brook partitions reassign --topic orders --partition 0 --cancel",
                "  brook partitions reassignments"})
final class PartitionsCommand {

    @Command(name = "reassign", description = "Move a partition to the replicas given (the first is preferred "
            + "leader), or cancel its reassignment in progress. Returns once the controller accepted it; the "
            + "new replicas then catch up ('brook partitions reassignments' shows those still in progress).",
            mixinStandardHelpOptions = true,
            footer = {"", "Examples:", "  brook partitions reassign --topic orders --partition 0 --replicas 2,3,1",
                    "  brook partitions reassign --topic orders --partition 0 --cancel"})
    static final class Reassign extends TopicsCommand.AdminCommand {
        @Option(names = "--topic", required = true, description = "Topic name.")
        String topic;
        @Option(names = "--partition", required = true, description = "Partition index.")
        int partition;
        @Option(names = "--replicas", split = ",", paramLabel = "ID[,ID...]",
                description = "The target broker ids, comma-separated, preferred leader first.")
        List<Integer> replicas;
        @Option(names = "--cancel", description = "Cancel the reassignment in progress (back to the replicas before it).")
        boolean cancel;

        @Override
        Integer run(Admin admin) throws Exception {
            if (cancel == (replicas != null)) {
                throw new ErrorReporter.UsageError("give either --replicas or --cancel");
            }
            TopicPartition tp = new TopicPartition(topic, partition);
            Optional<NewPartitionReassignment> target = cancel ? Optional.empty()
                    : Optional.of(new NewPartitionReassignment(replicas));
            admin.alterPartitionReassignments(Map.of(tp, target)).all().get();
            out().println(cancel ? "Cancelled the reassignment of " + tp + "."
                    : "Reassignment of " + tp + " to replicas " + replicas + " started.");
            return 0;
        }
    }

    @Command(name = "reassignments", description = "List the partition reassignments in progress.",
            mixinStandardHelpOptions = true,
            footer = {"", "Examples:", "  brook partitions reassignments", "  brook partitions reassignments --output json"})
    static final class Reassignments extends TopicsCommand.AdminCommand {
        @Override
        Integer run(Admin admin) throws Exception {
            Map<TopicPartition, PartitionReassignment> ongoing = new TreeMap<>(
                    java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
            ongoing.putAll(admin.listPartitionReassignments().reassignments().get());
            if (json()) {
                List<Object> rows = new ArrayList<>();
                ongoing.forEach((tp, r) -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("topic", tp.topic());
                    row.put("partition", tp.partition());
                    row.put("replicas", r.replicas());
                    row.put("adding", r.addingReplicas());
                    row.put("removing", r.removingReplicas());
                    rows.add(row);
                });
                out().println(Json.value(rows));
            } else if (ongoing.isEmpty()) {
                out().println("No partition reassignments in progress.");
            } else {
                ongoing.forEach((tp, r) -> out().println("Topic: " + tp.topic() + "\tPartition: " + tp.partition()
                        + "\tReplicas: " + join(r.replicas()) + "\tAdding: " + join(r.addingReplicas())
                        + "\tRemoving: " + join(r.removingReplicas())));
            }
            return 0;
        }

        private static String join(List<Integer> ids) {
            return ids.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
        }
    }
}
