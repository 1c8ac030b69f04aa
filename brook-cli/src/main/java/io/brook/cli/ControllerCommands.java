package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RaftVoterEndpoint;
import org.apache.kafka.common.Uuid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code brook cluster add-controller} / {@code remove-controller}: KIP-853's dynamic voters, as Kafka's
 * {@code kafka-metadata-quorum add-controller / remove-controller}, sent to a controller listener
 * ({@code --bootstrap-controller}). The controller to add is described by its own properties file: its
 * {@code node.id}, its endpoint on the controller listener, and the directory id in the meta.properties of its
 * {@code metadata.log.dir} (or first {@code log.dirs}), so it must be formatted first.
 */
final class ControllerCommands {
    /** How long a voter change may take: the new voter must catch up first. */
    static final int CHANGE_TIMEOUT_MS = 60_000;

    private ControllerCommands() {
    }

    abstract static class VoterCommand implements Callable<Integer> {
        @Option(names = "--bootstrap-controller", paramLabel = "HOST:PORT", required = true,
                description = "A controller listener of the cluster (host:port, comma-separated for several).")
        String bootstrapController;
        @Option(names = "--verbose", description = "Print the full error (stack trace) when the command fails.")
        boolean verbose;
        @Spec
        CommandSpec spec;

        Admin admin() {
            return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, bootstrapController,
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, CHANGE_TIMEOUT_MS,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, CHANGE_TIMEOUT_MS));
        }
    }

    @Command(name = "add-controller", mixinStandardHelpOptions = true,
            description = "Add a controller to the metadata quorum's voters (KIP-853). It must be running, started "
                    + "with controller.quorum.bootstrap.servers, and formatted (brook storage format).",
            footer = {"", "Examples:",
                    "  brook cluster add-controller --bootstrap-controller localhost:19093 "
                            + "--config config/cluster/controller4.properties"})
    static final class Add extends VoterCommand {
        @Option(names = "--config", paramLabel = "FILE", required = true,
                description = "The new controller's server properties.")
        File config;

        @Override
        public Integer call() throws Exception {
            NewVoter voter = NewVoter.read(config);
            try (Admin admin = admin()) {
                admin.addRaftVoter(voter.id(), voter.directoryId(), Set.of(voter.endpoint())).all()
                        .get(CHANGE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            spec.commandLine().getOut().printf("Added controller %d (directory %s, %s://%s:%d) to the voters.%n",
                    voter.id(), voter.directoryId(), voter.endpoint().listener(), voter.endpoint().host(),
                    voter.endpoint().port());
            return 0;
        }
    }

    @Command(name = "remove-controller", mixinStandardHelpOptions = true,
            description = "Remove a controller from the metadata quorum's voters (KIP-853).",
            footer = {"", "Examples:",
                    "  brook cluster remove-controller --bootstrap-controller localhost:19093 --controller-id 4 "
                            + "--controller-directory-id <directory.id of its meta.properties>"})
    static final class Remove extends VoterCommand {
        @Option(names = "--controller-id", required = true, description = "The node id of the controller.")
        int controllerId;
        @Option(names = "--controller-directory-id", required = true,
                description = "The directory.id in the meta.properties of its metadata log directory.")
        String directoryId;

        @Override
        public Integer call() throws Exception {
            Uuid directory;
            try {
                directory = Uuid.fromString(directoryId);
            } catch (IllegalArgumentException e) {
                throw new ErrorReporter.UsageError("--controller-directory-id takes a directory id (22 characters of "
                        + "base64, as in meta.properties), got '" + directoryId + "'");
            }
            try (Admin admin = admin()) {
                admin.removeRaftVoter(controllerId, directory).all().get(CHANGE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            spec.commandLine().getOut().printf("Removed controller %d from the voters.%n", controllerId);
            return 0;
        }
    }

    /** The controller to add, as its properties file and meta.properties describe it. */
    record NewVoter(int id, Uuid directoryId, RaftVoterEndpoint endpoint) {
        static NewVoter read(File file) {
            Properties p = load(file, "--config");
            String nodeId = p.getProperty("node.id");
            if (nodeId == null) {
                throw new ErrorReporter.UsageError(file + " has no node.id");
            }
            int id;
            try {
                id = Integer.parseInt(nodeId.trim());
            } catch (NumberFormatException e) {
                throw new ErrorReporter.UsageError(file + ": node.id must be a number, got '" + nodeId + "'");
            }
            String names = p.getProperty("controller.listener.names", "").trim();
            if (names.isEmpty()) {
                throw new ErrorReporter.UsageError(file + " names no controller listener (controller.listener.names)");
            }
            String listener = names.split("\\s*,\\s*")[0];
            String address = endpoint(p.getProperty("advertised.listeners", ""), listener);
            if (address == null) {
                address = endpoint(p.getProperty("listeners", ""), listener);
            }
            if (address == null) {
                throw new ErrorReporter.UsageError(file + ": listeners has no " + listener + "://host:port entry");
            }
            int colon = address.lastIndexOf(':');
            String host = address.substring(0, colon);
            int port = Integer.parseInt(address.substring(colon + 1));
            String dir = p.getProperty("metadata.log.dir");
            if (dir == null || dir.isBlank()) {
                dir = p.getProperty("log.dirs", p.getProperty("log.dir", "")).split("\\s*,\\s*")[0];
            }
            File meta = new File(dir.trim(), "meta.properties");
            String directoryId = load(meta, "the new controller's meta.properties").getProperty("directory.id");
            if (directoryId == null) {
                throw new ErrorReporter.UsageError(meta + " has no directory.id: format the controller with brook "
                        + "storage format first");
            }
            return new NewVoter(id, Uuid.fromString(directoryId.trim()),
                    new RaftVoterEndpoint(listener, host.isEmpty() ? "localhost" : host, port));
        }

        /** The host:port of {@code listener} in a Kafka listeners list, or null. */
        private static String endpoint(String listeners, String listener) {
            for (String entry : listeners.split("\\s*,\\s*")) {
                int sep = entry.indexOf("://");
                if (sep > 0 && entry.substring(0, sep).equalsIgnoreCase(listener)) {
                    return entry.substring(sep + 3);
                }
            }
            return null;
        }

        private static Properties load(File file, String what) {
            Properties p = new Properties();
            try (Reader reader = Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)) {
                p.load(reader);
            } catch (IOException e) {
                throw new ErrorReporter.UsageError("cannot read " + what + " " + file + " ("
                        + e.getClass().getSimpleName() + ")");
            }
            return p;
        }
    }
}
