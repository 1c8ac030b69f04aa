package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code brook groups}: list, describe (with lag) and delete consumer groups. */
@Command(name = "groups", description = "List, describe and delete consumer groups.", mixinStandardHelpOptions = true,
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class, GroupsCommand.ResetOffsets.class,
                GroupsCommand.Delete.class},
        footer = {"", "Examples:",
                "  brook groups list",
                "  brook groups describe --group billing",
                "  brook groups reset-offsets --group billing --topic orders --to-earliest --execute",
                "  brook groups delete --group billing"})
final class GroupsCommand {

    @Command(name = "list", description = "List consumer groups and their states.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook groups list"})
    static final class ListGroups extends TopicsCommand.AdminCommand {
        @Override
        Integer run(Admin admin) throws Exception {
            List<Map<String, Object>> groups = new java.util.ArrayList<>();
            admin.listGroups().all().get().stream()
                    .sorted(Comparator.comparing(g -> g.groupId()))
                    .forEach(g -> {
                        Map<String, Object> row = new java.util.LinkedHashMap<>();
                        row.put("group", g.groupId());
                        row.put("state", g.groupState().map(Object::toString).orElse(""));
                        groups.add(row);
                    });
            if (json()) {
                out().println(Json.value(groups));
            } else {
                groups.forEach(g -> out().println(g.get("group") + "\t" + g.get("state")));
            }
            return 0;
        }
    }

    @Command(name = "describe", description = "State, members, assignment and lag per partition.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook groups describe --group billing"})
    static final class Describe extends TopicsCommand.AdminCommand {
        @Option(names = "--group", required = true, description = "Group id.")
        String group;

        @Override
        Integer run(Admin admin) throws Exception {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, String> owners = new HashMap<>();
            for (MemberDescription m : d.members()) {
                m.assignment().topicPartitions().forEach(tp -> owners.put(tp, m.consumerId() + " (" + m.clientId()
                        + m.host() + ")"));
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            owners.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            Map<TopicPartition, Long> lags = new TreeMap<>(Comparator.comparing(TopicPartition::topic)
                    .thenComparingInt(TopicPartition::partition));
            latest.keySet().forEach(tp -> lags.put(tp, 0L));
            long total = 0;
            List<Map<String, Object>> rows = new java.util.ArrayList<>();
            for (TopicPartition tp : lags.keySet()) {
                OffsetAndMetadata c = committed.get(tp);
                long end = ends.get(tp).offset();
                long lag = c == null ? end : Math.max(0, end - c.offset());
                total += lag;
                Map<String, Object> row = new java.util.LinkedHashMap<>();
                row.put("topic", tp.topic());
                row.put("partition", tp.partition());
                row.put("committed", c == null ? null : c.offset());
                row.put("end", end);
                row.put("lag", lag);
                row.put("owner", owners.get(tp));
                rows.add(row);
            }
            if (json()) {
                Map<String, Object> result = new java.util.LinkedHashMap<>();
                result.put("group", group);
                result.put("state", d.groupState().toString());
                result.put("protocol", d.partitionAssignor());
                result.put("members", d.members().size());
                result.put("partitions", rows);
                result.put("totalLag", total);
                out().println(Json.value(result));
                return 0;
            }
            out().printf("Group: %s\tState: %s\tProtocol: %s\tMembers: %d%n", group, d.groupState(),
                    d.partitionAssignor(), d.members().size());
            out().println("TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tOWNER");
            for (Map<String, Object> row : rows) {
                out().printf("%s\t%s\t%s\t%s\t%s\t%s%n", row.get("topic"), row.get("partition"),
                        row.get("committed") == null ? "-" : row.get("committed"), row.get("end"), row.get("lag"),
                        row.get("owner") == null ? "-" : row.get("owner"));
            }
            out().println("Total lag: " + total);
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete an empty group and its offsets.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook groups delete --group billing"})
    static final class Delete extends TopicsCommand.AdminCommand {
        @Option(names = "--group", required = true, description = "Group id.")
        String group;

        @Override
        Integer run(Admin admin) throws Exception {
            admin.deleteConsumerGroups(List.of(group)).all().get();
            out().println("Deleted group " + group + ".");
            return 0;
        }
    }

    @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
            description = "Move a group's committed offsets. Shows the plan unless --execute is given; "
                    + "refuses while the group has members.",
        footer = {"", "Examples:", "  brook groups reset-offsets --group billing --topic orders --to-earliest", "  brook groups reset-offsets --group billing --topic orders --by-duration PT1H --execute"})
    static final class ResetOffsets extends TopicsCommand.AdminCommand {
        @Option(names = "--group", required = true, description = "Group id.")
        String group;
        @Option(names = "--topic", required = true, description = "Topic whose partitions to reset (repeatable).")
        List<String> topics;
        @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
        Target target;
        @Option(names = "--execute", description = "Apply the new offsets (default: only show them).")
        boolean execute;
        @Option(names = "--dry-run", description = "Only show the new offsets (the default).")
        boolean dryRun;

        static final class Target {
            @Option(names = "--to-earliest", description = "The earliest offset.")
            boolean earliest;
            @Option(names = "--to-latest", description = "The latest offset.")
            boolean latest;
            @Option(names = "--to-offset", paramLabel = "N", description = "This offset (clamped to the log).")
            Long offset;
            @Option(names = "--shift-by", paramLabel = "N", description = "The committed offset plus N (may be negative).")
            Long shift;
            @Option(names = "--to-datetime", paramLabel = "ISO-8601",
                    description = "The first offset at or after this time, e.g. 2026-11-25T10:00:00Z.")
            String datetime;
            @Option(names = "--by-duration", paramLabel = "DURATION",
                    description = "The first offset at or after now minus this ISO-8601 duration, e.g. PT1H.")
            String duration;
        }

        @Override
        Integer run(Admin admin) throws Exception {
            if (execute && dryRun) {
                throw new ErrorReporter.UsageError("give either --execute or --dry-run");
            }
            var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            if (!description.members().isEmpty()) {
                throw new ErrorReporter.UsageError("group " + group + " has " + description.members().size()
                        + " active member(s); stop its consumers before resetting offsets");
            }
            List<TopicPartition> partitions = new java.util.ArrayList<>();
            admin.describeTopics(topics).allTopicNames().get().forEach((name, d) ->
                    d.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
            Map<TopicPartition, Long> earliest = offsets(admin, partitions, OffsetSpec.earliest());
            Map<TopicPartition, Long> latest = offsets(admin, partitions, OffsetSpec.latest());
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> byTime = null;
            if (target.datetime != null || target.duration != null) {
                byTime = offsets(admin, partitions, OffsetSpec.forTimestamp(targetTimestamp()));
            }
            Map<TopicPartition, OffsetAndMetadata> plan = new java.util.LinkedHashMap<>();
            out().println("TOPIC\tPARTITION\tCURRENT\tNEW");
            for (TopicPartition tp : partitions) {
                long low = earliest.get(tp);
                long high = latest.get(tp);
                OffsetAndMetadata current = committed.get(tp);
                long next;
                if (target.earliest) {
                    next = low;
                } else if (target.latest) {
                    next = high;
                } else if (target.offset != null) {
                    next = target.offset;
                } else if (target.shift != null) {
                    next = (current == null ? high : current.offset()) + target.shift;
                } else {
                    long found = byTime.get(tp);
                    next = found < 0 ? high : found;
                }
                next = Math.max(low, Math.min(high, next));
                plan.put(tp, new OffsetAndMetadata(next));
                out().printf("%s\t%d\t%s\t%d%n", tp.topic(), tp.partition(), current == null ? "-" : current.offset(),
                        next);
            }
            if (execute) {
                admin.alterConsumerGroupOffsets(group, plan).all().get();
                out().println("Reset the offsets of group " + group + ".");
            } else {
                out().println("Dry run: add --execute to apply.");
            }
            return 0;
        }

        /** The time --to-datetime or --by-duration names, in epoch milliseconds. */
        private long targetTimestamp() {
            try {
                return target.datetime != null ? java.time.Instant.parse(target.datetime).toEpochMilli()
                        : System.currentTimeMillis() - java.time.Duration.parse(target.duration).toMillis();
            } catch (java.time.format.DateTimeParseException e) {
                throw new ErrorReporter.UsageError(target.datetime != null
                        ? "--to-datetime '" + target.datetime + "' is not an ISO-8601 time such as 2026-11-25T10:00:00Z"
                        : "--by-duration '" + target.duration + "' is not an ISO-8601 duration such as PT1H or P1D");
            }
        }

        private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec)
                throws Exception {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            partitions.forEach(tp -> request.put(tp, spec));
            Map<TopicPartition, Long> result = new HashMap<>();
            admin.listOffsets(request).all().get().forEach((tp, info) -> result.put(tp, info.offset()));
            return result;
        }
    }
}
