package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** {@code brook configs}: show and change topic and broker configs. */
@Command(name = "configs", description = "Describe and alter topic and broker configs.", mixinStandardHelpOptions = true,
        subcommands = {ConfigsCommand.Describe.class, ConfigsCommand.Alter.class},
        footer = {"", "Examples:",
                "  brook configs describe --topic orders",
                "  brook configs describe --broker 1",
                "  brook configs alter --topic orders --add-config retention.ms=86400000 --delete-config segment.ms"})
final class ConfigsCommand {

    /** A topic or a broker. */
    static final class Entity {
        @Option(names = "--topic", description = "A topic.")
        String topic;
        @Option(names = "--broker", description = "A broker id.")
        String broker;

        ConfigResource resource() {
            return topic != null ? new ConfigResource(ConfigResource.Type.TOPIC, topic)
                    : new ConfigResource(ConfigResource.Type.BROKER, broker);
        }
    }

    @Command(name = "describe", description = "Show configs with their values and sources.",
            mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook configs describe --topic orders", "  brook configs describe --broker 1 --all"})
    static final class Describe extends TopicsCommand.AdminCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Entity entity;
        @Option(names = "--all", description = "Show every config, not only those set explicitly.")
        boolean all;

        @Override
        Integer run(Admin admin) throws Exception {
            ConfigResource resource = entity.resource();
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            List<ConfigEntry> shown = config.entries().stream().sorted(Comparator.comparing(ConfigEntry::name))
                    .filter(e -> all || e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG
                            || e.source() == ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG
                            || e.source() == ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG
                            || e.source() == ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
                    .toList();
            if (json()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (ConfigEntry e : shown) {
                    Map<String, Object> row = new java.util.LinkedHashMap<>();
                    row.put("name", e.name());
                    row.put("value", e.isSensitive() ? null : e.value());
                    row.put("source", e.source().toString());
                    rows.add(row);
                }
                out().println(Json.value(rows));
                return 0;
            }
            shown.forEach(e -> out().printf("%s=%s\t(%s)%n", e.name(), e.isSensitive() ? "[hidden]" : e.value(),
                    e.source()));
            return 0;
        }
    }

    @Command(name = "alter", description = "Set or remove configs.", mixinStandardHelpOptions = true,
        footer = {"", "Examples:", "  brook configs alter --topic orders --add-config retention.ms=3600000", "  brook configs alter --topic orders --delete-config retention.ms"})
    static final class Alter extends TopicsCommand.AdminCommand {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Entity entity;
        @Option(names = "--add-config", paramLabel = "KEY=VALUE", description = "Set a config (repeatable).")
        List<String> add = new ArrayList<>();
        @Option(names = "--delete-config", paramLabel = "KEY", description = "Remove a config (repeatable).")
        List<String> delete = new ArrayList<>();

        @Override
        Integer run(Admin admin) throws Exception {
            if (add.isEmpty() && delete.isEmpty()) {
                throw new ErrorReporter.UsageError("nothing to change: give --add-config or --delete-config");
            }
            List<AlterConfigOp> ops = new ArrayList<>();
            TopicsCommand.parseConfigs(add).forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v),
                    AlterConfigOp.OpType.SET)));
            delete.forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE)));
            admin.incrementalAlterConfigs(Map.of(entity.resource(), ops)).all().get();
            out().println("Updated the configs of " + entity.resource().type().name().toLowerCase() + " "
                    + entity.resource().name() + ".");
            return 0;
        }
    }
}
