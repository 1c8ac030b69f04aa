package io.brook.cli;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AddRaftVoterOptions;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RaftVoterEndpoint;
import org.apache.kafka.clients.admin.RemoveRaftVoterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.DuplicateVoterException;
import org.apache.kafka.common.errors.InconsistentClusterIdException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.VoterNotFoundException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
    /** How much longer than the admin client's own timeout the command waits for its answer. */
    static final int CLIENT_MARGIN_MS = 5_000;
    /** How long closing the admin client may wait for a call still in flight. */
    static final int CLOSE_TIMEOUT_MS = 5_000;

    private ControllerCommands() {
    }

    abstract static class VoterCommand implements Callable<Integer> {
        @Option(names = "--bootstrap-controller", paramLabel = "HOST:PORT", required = true,
                description = "A controller listener of the cluster (host:port, comma-separated for several).")
        String bootstrapController;
        @Option(names = "--timeout-ms", paramLabel = "MS", defaultValue = "" + CHANGE_TIMEOUT_MS,
                description = "How long to wait for a controller and for the change to commit (default: "
                        + "${DEFAULT-VALUE}).")
        int timeoutMs;
        @Option(names = "--verbose", description = "Print the full error (stack trace) when the command fails.")
        boolean verbose;
        @Spec
        CommandSpec spec;

        /**
         * Makes {@code change} through the controllers; a failure becomes one line saying what went wrong and what to
         * do ({@link #explain}).
         */
        void change(String what, Function<Admin, KafkaFuture<Void>> change) throws InterruptedException {
            if (timeoutMs <= 0) {
                throw new ErrorReporter.UsageError("--timeout-ms must be positive, got " + timeoutMs);
            }
            Admin admin;
            try {
                admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_CONTROLLERS_CONFIG, bootstrapController,
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs));
            } catch (KafkaException e) {
                Throwable cause = e.getCause() instanceof ConfigException ? e.getCause() : e;
                throw new ErrorReporter.UsageError("--bootstrap-controller takes host:port of a controller listener "
                        + "(comma-separated for several), got '" + bootstrapController + "': " + cause.getMessage());
            }
            try {
                // the admin client gives up at timeoutMs; the margin lets its own answer come first
                change.apply(admin).get(timeoutMs + CLIENT_MARGIN_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new Failure(explain(e.getCause(), bootstrapController, what));
            } catch (java.util.concurrent.TimeoutException e) {
                throw new Failure(explain(new TimeoutException("Timed out waiting for the admin client"),
                        bootstrapController, what));
            } finally {
                admin.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
            }
        }
    }

    /** A voter change that failed, described in one line (exit code 1). */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /**
     * One line for why {@code what} failed, from the error the admin client reports (Kafka's error code of the
     * controller's answer, or its own timeout when no controller answered), with what to do about it.
     */
    static String explain(Throwable error, String bootstrap, String what) {
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        String status = "kafka-metadata-quorum --bootstrap-controller " + bootstrap + " describe --status";
        if (error instanceof TimeoutException && message.startsWith("Timed out waiting")) {
            return what + " failed: no controller answered at " + bootstrap + " (" + message + "). Is the "
                    + "controller running, and is that its controller listener (controller.listener.names)?";
        }
        if (error instanceof TimeoutException) {
            return what + " did not complete in time: " + message + ". Check that the new controller runs and "
                    + "reaches the quorum, then retry (" + status + " shows the voters).";
        }
        if (error instanceof DuplicateVoterException) {
            return what + " failed: it is already a voter (" + message + "); " + status + " shows the voters.";
        }
        if (error instanceof VoterNotFoundException) {
            return what + " failed: no such voter, or it is the last one (" + message + "). Check "
                    + "--controller-id and --controller-directory-id against " + status + ".";
        }
        if (error instanceof NotLeaderOrFollowerException || error instanceof NotControllerException) {
            return what + " failed: no active controller right now (" + message + "); retry once the quorum has "
                    + "elected one.";
        }
        if (error instanceof InconsistentClusterIdException) {
            return what + " failed: " + bootstrap + " belongs to another cluster (" + message + ").";
        }
        if (error instanceof UnsupportedVersionException) {
            return what + " failed: " + bootstrap + " does not take voter changes (" + message + "). Name a "
                    + "controller listener of a Brook or Kafka 3.9+ quorum.";
        }
        if (error instanceof InvalidRequestException) {
            return what + " failed: the controller refused it (" + message + ").";
        }
        return what + " failed: " + message;
    }

    @Command(name = "add-controller", mixinStandardHelpOptions = true,
            description = "Add a controller to the metadata quorum's voters (KIP-853). It must be running, started "
                    + "with controller.quorum.bootstrap.servers, and formatted (brook storage format "
                    + "--no-initial-controllers).",
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
            change("adding controller " + voter.id(), admin -> admin.addRaftVoter(voter.id(), voter.directoryId(),
                    Set.of(voter.endpoint()), new AddRaftVoterOptions().timeoutMs(timeoutMs)).all());
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
            if (controllerId < 0) {
                throw new ErrorReporter.UsageError("--controller-id takes the controller's node.id (0 or more), got "
                        + controllerId);
            }
            Uuid directory;
            try {
                directory = Uuid.fromString(directoryId);
            } catch (IllegalArgumentException e) {
                throw new ErrorReporter.UsageError("--controller-directory-id takes a directory id (22 characters of "
                        + "base64, as in meta.properties), got '" + directoryId + "'");
            }
            change("removing controller " + controllerId, admin -> admin.removeRaftVoter(controllerId, directory,
                    new RemoveRaftVoterOptions().timeoutMs(timeoutMs)).all());
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
            if (id < 0) {
                throw new ErrorReporter.UsageError(file + ": node.id must be 0 or more, got " + id);
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
