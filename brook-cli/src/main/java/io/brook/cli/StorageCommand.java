package io.brook.cli;

import io.brook.server.config.BrokerConfig;
import io.brook.server.node.InitialControllers;
import io.brook.server.node.MetaDirectories;
import io.brook.server.node.MetaProperties;
import io.brook.server.node.MetaProperties.MetaPropertiesException;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code brook storage}: Kafka's kafka-storage for Brook's directories. {@code random-uuid} prints a new
 * cluster id; {@code format} writes {@code meta.properties} (cluster id, node id, a directory id) into every
 * directory a node's configuration names (log.dirs and metadata.log.dir), as each node of a cluster needs
 * before its first start; {@code info} shows what is formatted where. Works on files only: no server runs.
 */
@Command(name = "storage", mixinStandardHelpOptions = true,
        description = "Prepare and inspect a node's directories (Kafka's kafka-storage).",
        subcommands = {StorageCommand.RandomUuid.class, StorageCommand.Format.class, StorageCommand.Info.class},
        footer = {"", "Examples:",
                "  brook storage random-uuid",
                "  brook storage format --cluster-id $(brook storage random-uuid) --config config/cluster/node1.properties",
                "  brook storage info --config config/cluster/node1.properties"})
final class StorageCommand {

    /** The exact format command for a node started with {@code configFile} (may be null) and {@code overrides}. */
    static String formatCommand(String clusterId, File configFile, Map<String, String> overrides) {
        StringBuilder command = new StringBuilder("bin/brook storage format --cluster-id ").append(clusterId);
        if (configFile != null) {
            command.append(" --config ").append(configFile.getPath());
        }
        overrides.forEach((key, value) -> command.append(" --override ").append(key).append('=').append(value));
        return command.toString();
    }

    @Command(name = "random-uuid", mixinStandardHelpOptions = true, description = "Print a new cluster id.",
            footer = {"", "Examples:", "  brook storage random-uuid"})
    static final class RandomUuid implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(Uuid.randomUuid());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** The node configuration both subcommands read, as {@code brook server} reads it. */
    abstract static class ConfigCommand implements Callable<Integer> {
        @Option(names = {"--config", "-c"}, paramLabel = "FILE",
                description = "The node's properties file (Kafka's broker setting names), as given to brook server.")
        File configFile;

        @Option(names = "--override", paramLabel = "KEY=VALUE",
                description = "Set one setting (repeatable); wins over --config, as for brook server.")
        Map<String, String> overrides = new LinkedHashMap<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            BrokerConfig config = ServerCommand.loadConfig(configFile, overrides, err);
            if (config == null) {
                return 2;
            }
            try {
                return run(config, spec.commandLine().getOut());
            } catch (MetaPropertiesException e) {
                err.println("brook: " + e.getMessage());
                err.flush();
                return 1;
            } finally {
                spec.commandLine().getOut().flush();
            }
        }

        abstract int run(BrokerConfig config, PrintWriter out) throws IOException;

        static String kind(BrokerConfig config, File dir) {
            return dir.getAbsoluteFile().toPath().normalize().equals(
                    config.metadataLogDir().getAbsoluteFile().toPath().normalize()) ? "metadata directory" : "data directory";
        }
    }

    @Command(name = "format", mixinStandardHelpOptions = true,
            description = "Write meta.properties (cluster id, node id, a directory id) into every directory of a "
                    + "node: log.dirs and metadata.log.dir. A node whose controller.quorum.voters names other "
                    + "nodes needs this before its first start, with the same cluster id on every node; the "
                    + "single-node default does it itself.",
            footer = {"", "A formatted directory is an error (exit 1) unless --ignore-formatted, which skips "
                    + "directories of this cluster and node.", "", "Examples:",
                    "  brook storage format --cluster-id $(brook storage random-uuid) --config node1.properties",
                    "  brook storage format --cluster-id MkU3OEVBNTcwNTJENDM2Qk --config node2.properties "
                            + "--ignore-formatted"})
    static final class Format extends ConfigCommand {
        @Option(names = {"--cluster-id", "-t"}, required = true, paramLabel = "ID",
                description = "The cluster's id (from brook storage random-uuid; the same on every node).")
        String clusterId;

        @Option(names = {"--ignore-formatted", "-g"},
                description = "Skip directories already formatted for this cluster and node instead of failing.")
        boolean ignoreFormatted;

        @Option(names = {"--standalone", "-s"},
                description = "A dynamic quorum (controller.quorum.bootstrap.servers): start it with this controller "
                        + "as its only voter; add the others later with kafka-metadata-quorum add-controller.")
        boolean standalone;

        @Option(names = {"--initial-controllers", "-I"}, paramLabel = "ID@HOST:PORT:DIRECTORY-ID,...",
                description = "A dynamic quorum: start it with these voters (the same list on every node; each "
                        + "directory id from brook storage random-uuid becomes that controller's metadata directory "
                        + "id).")
        String initialControllers;

        @Option(names = {"--no-initial-controllers", "-N"},
                description = "A dynamic quorum: this controller joins a running one as an observer until it is "
                        + "added with kafka-metadata-quorum add-controller.")
        boolean noInitialControllers;

        @Override
        int run(BrokerConfig config, PrintWriter out) throws IOException {
            MetaDirectories directories = MetaDirectories.read(config.metaPropertiesDirs());
            File metadataDir = config.metadataLogDir();
            MetaProperties formatted = directories.fileOf(metadataDir);
            Uuid standaloneId = formatted != null && formatted.directoryId() != null ? formatted.directoryId()
                    : DirectoryId.random();
            BrokerConfig.Listener listener = config.controllerListener().orElse(null);
            InitialControllers.FormattedNode node = new InitialControllers.FormattedNode(config.nodeId(),
                    config.isController(), !config.quorumVoters().isEmpty(),
                    !config.quorumBootstrapServers().isEmpty(), listener == null ? null : listener.advertisedHost(),
                    listener == null ? -1 : listener.advertisedPort(), listener == null ? -1 : listener.port());
            Optional<InitialControllers> initial = InitialControllers.planFormat(node,
                    new InitialControllers.FormatRequest(standalone, initialControllers, noInitialControllers),
                    standaloneId);
            Uuid metadataDirId = initial.flatMap(i -> i.voter(config.nodeId()))
                    .map(InitialControllers.Voter::directoryId).orElse(null);
            MetaDirectories.Plan plan = directories.planFormat(clusterId, config.nodeId(), ignoreFormatted,
                    DirectoryId::random, metadataDir, metadataDirId);
            if (plan.writes().isEmpty()) {
                out.println("All of the log directories are already formatted.");
                return 0;
            }
            for (Map.Entry<File, MetaProperties> e : plan.writes().entrySet()) {
                e.getValue().write(e.getKey());
                out.println("Formatted " + kind(config, e.getKey()) + " " + e.getKey() + " (cluster "
                        + e.getValue().clusterId() + ", node " + e.getValue().nodeId() + ", directory.id "
                        + e.getValue().directoryId() + ").");
            }
            if (initial.isPresent() && formatted == null) { // a formatted metadata directory keeps its voters
                initial.get().write(metadataDir);
                out.println("Wrote the quorum's initial voters " + initial.get() + " to " + new File(metadataDir,
                        InitialControllers.FILE_NAME) + ".");
            }
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Show what is formatted where, and whether the node can start with it (exit 1 if not).",
            footer = {"", "Examples:", "  brook storage info --config config/server.properties",
                    "  brook storage info --config node1.properties"})
    static final class Info extends ConfigCommand {
        @Override
        int run(BrokerConfig config, PrintWriter out) throws IOException {
            List<String> problems = new ArrayList<>();
            Map<File, MetaProperties> files = new LinkedHashMap<>();
            for (File dir : config.metaPropertiesDirs()) {
                try {
                    files.put(dir, MetaProperties.read(dir));
                } catch (MetaPropertiesException e) {
                    problems.add(e.getMessage());
                    out.println(dir + " (" + kind(config, dir) + "): unreadable meta.properties");
                    continue;
                }
                MetaProperties meta = files.get(dir);
                out.println(dir + " (" + kind(config, dir) + "): " + (meta == null ? "not formatted"
                        : "cluster.id=" + meta.clusterId() + " node.id=" + meta.nodeId() + " directory.id="
                        + (meta.directoryId() == null ? "(none)" : meta.directoryId()) + " (version "
                        + meta.version() + ")"));
            }
            if (config.isController() && config.discoversQuorumVoters()) {
                try {
                    InitialControllers initial = InitialControllers.read(config.metadataLogDir());
                    out.println(initial == null ? "Dynamic quorum: no initial voters (this controller joins once added)"
                            : "Dynamic quorum: initial voters " + initial + (initial.voter(config.nodeId()).isPresent()
                            ? "" : " (this controller is not one of them: it joins once added)"));
                } catch (MetaPropertiesException e) {
                    problems.add(e.getMessage());
                }
            }
            if (problems.isEmpty()) {
                try {
                    new MetaDirectories(files).planStart(config.nodeId(), config.isMultiNodeQuorum(),
                            () -> "(new)", DirectoryId::random);
                } catch (MetaDirectories.NotFormattedException e) {
                    problems.add("not formatted: this node's quorum has other nodes, so it needs "
                            + formatCommand("<cluster id>", configFile, overrides));
                } catch (MetaPropertiesException e) {
                    problems.add(e.getMessage());
                }
            }
            problems.forEach(p -> out.println("Found problem: " + p));
            return problems.isEmpty() ? 0 : 1;
        }
    }
}
