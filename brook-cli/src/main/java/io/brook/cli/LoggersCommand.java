package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code brook loggers}: a running node's logger levels, read and changed (Kafka's broker-loggers). */
@Command(name = "loggers", description = "Show and change a running node's logger levels.",
        mixinStandardHelpOptions = true, subcommands = {LoggersCommand.Describe.class, LoggersCommand.Set.class},
        footer = {"", "Examples:",
                "  brook loggers describe",
                "  brook loggers describe --logger io.brook.storage",
                "  brook loggers set --logger kafka.request.logger --level DEBUG",
                "  brook loggers set --logger io.brook.storage --reset"})
final class LoggersCommand {

    @Command(name = "describe", description = "List loggers with their levels.", mixinStandardHelpOptions = true,
            footer = {"", "Examples:", "  brook loggers describe", "  brook loggers describe --logger io.brook"})
    static final class Describe extends TopicsCommand.AdminCommand {
        @Option(names = "--broker", paramLabel = "ID", description = "The node (default 1).", defaultValue = "1")
        String broker;
        @Option(names = "--logger", paramLabel = "PREFIX", description = "Only loggers whose name starts with this.")
        String prefix;

        @Override
        Integer run(Admin admin) throws Exception {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, broker);
            List<ConfigEntry> loggers = admin.describeConfigs(List.of(resource)).all().get().get(resource).entries()
                    .stream().filter(e -> prefix == null || e.name().startsWith(prefix))
                    .sorted(Comparator.comparing(ConfigEntry::name)).toList();
            if (json()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (ConfigEntry e : loggers) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("logger", e.name());
                    row.put("level", e.value());
                    rows.add(row);
                }
                out().println(Json.value(rows));
                return 0;
            }
            loggers.forEach(e -> out().printf("%s=%s%n", e.name(), e.value()));
            return 0;
        }
    }

    @Command(name = "set", description = "Set a logger's level, or reset it to its parent's.",
            mixinStandardHelpOptions = true,
            footer = {"", "Levels: TRACE, DEBUG, INFO, WARN, ERROR, FATAL. The change lasts until the node stops.",
                    "", "Examples:", "  brook loggers set --logger kafka.request.logger --level DEBUG",
                    "  brook loggers set --logger root --level WARN", "  brook loggers set --logger io.brook --reset"})
    static final class Set extends TopicsCommand.AdminCommand {
        @Option(names = "--broker", paramLabel = "ID", description = "The node (default 1).", defaultValue = "1")
        String broker;
        @Option(names = "--logger", required = true, paramLabel = "NAME", description = "A logger (or package) name.")
        String logger;
        @Option(names = "--level", paramLabel = "LEVEL", description = "The new level.")
        String level;
        @Option(names = "--reset", description = "Remove the logger's own level: it inherits its parent's.")
        boolean reset;

        @Override
        Integer run(Admin admin) throws Exception {
            if ((level == null) == !reset) {
                spec.commandLine().getErr().println("brook: give either --level LEVEL or --reset");
                return 2;
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER_LOGGER, broker);
            AlterConfigOp op = reset
                    ? new AlterConfigOp(new ConfigEntry(logger, null), AlterConfigOp.OpType.DELETE)
                    : new AlterConfigOp(new ConfigEntry(logger, level.toUpperCase(java.util.Locale.ROOT)),
                    AlterConfigOp.OpType.SET);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all().get();
            out().println(reset ? "Logger " + logger + " now inherits its parent's level."
                    : "Logger " + logger + " is now at " + level.toUpperCase(java.util.Locale.ROOT) + ".");
            return 0;
        }
    }
}
