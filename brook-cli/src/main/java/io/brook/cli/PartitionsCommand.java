package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code brook partitions}: move partition replicas between brokers (KIP-455 reassignments, as
 * {@code kafka-reassign-partitions.sh} does through the same Admin calls), list the reassignments in progress, plan a
 * reassignment that evens out the brokers' load, and elect leaders (as {@code kafka-leader-election.sh}).
 */
@Command(name = "partitions", description = "Reassign partition replicas, plan a balanced reassignment, list "
        + "reassignments in progress, elect leaders.",
        mixinStandardHelpOptions = true,
        subcommands = {PartitionsCommand.Reassign.class, PartitionsCommand.Reassignments.class,
                PartitionsCommand.Plan.class, PartitionsCommand.ElectLeaders.class},
        footer = {"", "Examples:",
                "  brook partitions reassign --topic orders --partition 0 --replicas 2,3,1",
                "  brook partitions reassign --topic orders --partition 0 --cancel",
                "  brook partitions reassignments",
                "  brook partitions plan --brokers 1,2,3,4 --execute",
                "  brook partitions elect-leaders --topic orders"})
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
            Map<TopicPartition, PartitionReassignment> ongoing = new TreeMap<>(ReassignmentPlan.ORDER);
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

    @Command(name = "plan", description = "Propose a reassignment that spreads the replicas, then the preferred "
            + "leaders, evenly over the brokers, moving as few replicas and bytes as it can (replicas on brokers not "
            + "named move off them). Prints the load before and after and the plan as Kafka's reassignment JSON "
            + "(for kafka-reassign-partitions --execute); --execute starts it.",
            mixinStandardHelpOptions = true,
            footer = {"", "Examples:", "  brook partitions plan", "  brook partitions plan --brokers 1,2,3,4 --execute",
                    "  brook partitions plan --topic orders --output json > plan.json"})
    static final class Plan extends TopicsCommand.AdminCommand {
        @Option(names = "--brokers", split = ",", paramLabel = "ID[,ID...]",
                description = "The brokers to spread the replicas over (default: every broker of the cluster).")
        List<Integer> brokers;
        @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic (repeatable; default: every "
                + "topic but the internal ones).")
        List<String> topics;
        @Option(names = "--execute", description = "Start the reassignment planned.")
        boolean execute;

        @Override
        Integer run(Admin admin) throws Exception {
            Map<Integer, String> racks = new HashMap<>();
            Set<Integer> live = new TreeSet<>();
            for (Node n : admin.describeCluster().nodes().get()) {
                live.add(n.id());
                if (n.rack() != null) {
                    racks.put(n.id(), n.rack());
                }
            }
            Set<Integer> target = brokers == null ? live : new TreeSet<>(brokers);
            if (!live.containsAll(target)) {
                Set<Integer> unknown = new TreeSet<>(target);
                unknown.removeAll(live);
                throw new ErrorReporter.UsageError("--brokers names " + unknown + ", not brokers of this cluster "
                        + live);
            }
            Collection<String> names = topics != null ? topics
                    : admin.listTopics().listings().get().stream().map(TopicListing::name).toList();
            // a partition being reassigned lists its target and leaving replicas together: planned from that, its
            // replication factor would grow; it is left out until its reassignment ends
            Set<TopicPartition> moving = admin.listPartitionReassignments().reassignments().get().keySet();
            Map<TopicPartition, List<Integer>> current = new HashMap<>();
            int leftOut = 0;
            for (TopicDescription d : admin.describeTopics(names).allTopicNames().get().values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    TopicPartition tp = new TopicPartition(d.name(), p.partition());
                    if (moving.contains(tp)) {
                        leftOut++;
                    } else {
                        current.put(tp, p.replicas().stream().map(Node::id).toList());
                    }
                }
            }
            List<String> warnings = new ArrayList<>();
            if (leftOut > 0) {
                warnings.add(leftOut + " partitions being reassigned are left out ('brook partitions reassignments' "
                        + "lists them); plan again once they are done");
            }
            boolean rackAware = racks.keySet().containsAll(target);
            if (!rackAware && !racks.isEmpty()) {
                warnings.add("only some of the brokers have a broker.rack: racks are not taken into account");
            }
            ReassignmentPlan plan = ReassignmentPlan.of(current, target, rackAware ? racks : Map.of(),
                    sizes(admin, live));
            if (!plan.unplaceable().isEmpty()) {
                warnings.add(plan.unplaceable().size() + " partitions have more replicas than the " + target.size()
                        + " brokers named and are left as they are (first: " + plan.unplaceable().get(0) + ")");
            }
            warnings.forEach(w -> spec.commandLine().getErr().println("Warning: " + w + "."));
            Map<String, Object> proposed = ReassignmentPlan.json(plan.changes());
            if (execute && !plan.changes().isEmpty()) {
                Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new LinkedHashMap<>();
                plan.changes().forEach((tp, replicas) -> moves.put(tp, Optional.of(new NewPartitionReassignment(replicas))));
                admin.alterPartitionReassignments(moves).all().get();
            }
            if (json()) {
                out().println(Json.value(proposed));
                return 0;
            }
            out().println("Broker\tReplicas (now -> planned)\tPreferred leader of (now -> planned)");
            Map<Integer, int[]> now = plan.load(false);
            Map<Integer, int[]> then = plan.load(true);
            Set<Integer> ids = new TreeSet<>(target);
            ids.addAll(now.keySet());
            for (int id : ids) {
                int[] a = now.getOrDefault(id, new int[2]);
                int[] b = then.getOrDefault(id, new int[2]);
                out().println(id + "\t" + a[0] + " -> " + b[0] + "\t" + a[1] + " -> " + b[1]);
            }
            if (plan.changes().isEmpty()) {
                out().println("Balanced already: nothing to move.");
                return 0;
            }
            out().println("Plan: " + plan.changes().size() + " partitions change, " + plan.replicasMoved()
                    + " replicas move (" + plan.bytesMoved() + " bytes to copy).");
            out().println(Json.value(proposed));
            out().println(execute ? "Reassignment started ('brook partitions reassignments' shows its progress; "
                    + "'brook partitions elect-leaders' then moves leadership to the preferred leaders)."
                    : "Not started: run again with --execute, or give the JSON to kafka-reassign-partitions --execute.");
            return 0;
        }

        /** Each partition's size: the largest of its replicas' (what a new replica copies). */
        private static Map<TopicPartition, Long> sizes(Admin admin, Set<Integer> brokers) throws Exception {
            Map<TopicPartition, Long> sizes = new HashMap<>();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (LogDirDescription dir : dirs.values()) {
                    for (Map.Entry<TopicPartition, ReplicaInfo> r : dir.replicaInfos().entrySet()) {
                        sizes.merge(r.getKey(), r.getValue().size(), Math::max);
                    }
                }
            }
            return sizes;
        }
    }

    @Command(name = "elect-leaders", description = "Move leadership to each partition's preferred replica (the "
            + "first; --type preferred, the default), or elect a leader outside the in-sync replicas for partitions "
            + "that have none (--type unclean: records only the old leader had are lost). Without --topic, every "
            + "partition.", mixinStandardHelpOptions = true,
            footer = {"", "Examples:", "  brook partitions elect-leaders",
                    "  brook partitions elect-leaders --topic orders --partition 0 --type unclean"})
    static final class ElectLeaders extends TopicsCommand.AdminCommand {
        enum Type { preferred, unclean }

        @Option(names = "--type", defaultValue = "preferred", description = "preferred or unclean (default: "
                + "${DEFAULT-VALUE}).")
        Type type;
        @Option(names = "--topic", description = "Only this topic.")
        String topic;
        @Option(names = "--partition", description = "Only this partition of --topic.")
        Integer partition;

        @Override
        Integer run(Admin admin) throws Exception {
            if (partition != null && topic == null) {
                throw new ErrorReporter.UsageError("--partition needs --topic");
            }
            Set<TopicPartition> partitions = null; // every partition
            if (topic != null) {
                partitions = new HashSet<>();
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                for (TopicPartitionInfo p : d.partitions()) {
                    if (partition == null || p.partition() == partition) {
                        partitions.add(new TopicPartition(topic, p.partition()));
                    }
                }
                if (partitions.isEmpty()) {
                    throw new ErrorReporter.UsageError("topic " + topic + " has no partition " + partition);
                }
            }
            ElectionType election = type == Type.unclean ? ElectionType.UNCLEAN : ElectionType.PREFERRED;
            Map<TopicPartition, Optional<Throwable>> results = new TreeMap<>(ReassignmentPlan.ORDER);
            results.putAll(admin.electLeaders(election, partitions).partitions().get());
            int failed = 0;
            List<Object> rows = new ArrayList<>();
            for (Map.Entry<TopicPartition, Optional<Throwable>> e : results.entrySet()) {
                Throwable error = e.getValue().orElse(null);
                String outcome = error == null ? "elected"
                        : error instanceof ElectionNotNeededException ? "not needed" : "failed";
                if ("failed".equals(outcome)) {
                    failed++;
                }
                if (json()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("topic", e.getKey().topic());
                    row.put("partition", e.getKey().partition());
                    row.put("outcome", outcome);
                    row.put("error", "failed".equals(outcome) ? reason(error) : null);
                    rows.add(row);
                } else if (error == null) {
                    out().println("Elected a " + type + " leader for " + e.getKey() + ".");
                } else if (error instanceof ElectionNotNeededException) {
                    out().println(e.getKey() + ": not needed (" + (type == Type.preferred
                            ? "the preferred replica leads already" : "it has a leader") + ").");
                } else {
                    out().println(e.getKey() + ": failed: " + reason(error));
                }
            }
            if (json()) {
                out().println(Json.value(rows));
            } else if (results.isEmpty()) {
                out().println("No partition needed an election.");
            }
            return failed == 0 ? 0 : 1;
        }

        private static String reason(Throwable error) {
            return error.getMessage() != null ? error.getMessage() : error.getClass().getSimpleName();
        }
    }
}
