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
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class, GroupsCommand.Delete.class},
        footer = {"", "Examples:",
                "  brook groups list",
                "  brook groups describe --group billing",
                "  brook groups delete --group billing"})
final class GroupsCommand {

    @Command(name = "list", description = "List consumer groups and their states.", mixinStandardHelpOptions = true)
    static final class ListGroups extends TopicsCommand.AdminCommand {
        @Override
        Integer run(Admin admin) throws Exception {
            admin.listGroups().all().get().stream()
                    .sorted(Comparator.comparing(g -> g.groupId()))
                    .forEach(g -> out().println(g.groupId() + "\t" + g.groupState().map(Object::toString).orElse("")));
            return 0;
        }
    }

    @Command(name = "describe", description = "State, members, assignment and lag per partition.",
            mixinStandardHelpOptions = true)
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
            out().printf("Group: %s\tState: %s\tProtocol: %s\tMembers: %d%n", group, d.groupState(),
                    d.partitionAssignor(), d.members().size());
            out().println("TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tOWNER");
            Map<TopicPartition, Long> lags = new TreeMap<>(Comparator.comparing(TopicPartition::topic)
                    .thenComparingInt(TopicPartition::partition));
            latest.keySet().forEach(tp -> lags.put(tp, 0L));
            long total = 0;
            for (TopicPartition tp : lags.keySet()) {
                OffsetAndMetadata c = committed.get(tp);
                long end = ends.get(tp).offset();
                long lag = c == null ? end : Math.max(0, end - c.offset());
                total += lag;
                out().printf("%s\t%d\t%s\t%d\t%d\t%s%n", tp.topic(), tp.partition(), c == null ? "-" : c.offset(),
                        end, lag, owners.getOrDefault(tp, "-"));
            }
            out().println("Total lag: " + total);
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete an empty group and its offsets.", mixinStandardHelpOptions = true)
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
}
