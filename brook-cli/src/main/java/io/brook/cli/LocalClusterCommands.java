package io.brook.cli;

import io.brook.cli.LocalCluster.NodeLayout;
import io.brook.cli.LocalCluster.Refusal;
import io.brook.cli.LocalCluster.State;
import io.brook.server.config.BrokerConfig;
import io.brook.server.node.MetaDirectories;
import io.brook.server.node.MetaProperties;
import io.brook.server.node.MetaProperties.MetaPropertiesException;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code brook cluster up} and {@code brook cluster down}: a local cluster for development, of combined nodes or of
 * separate controllers and brokers,
 * each a {@code bin/brook server} process in the background with its own ports and directory, all in one
 * directory whose {@link LocalCluster#STATE_FILE} says which processes they are. {@code up} on a directory of a
 * stopped cluster starts the same cluster again (same id, ports and data).
 */
final class LocalClusterCommands {
    /** How long a node may take to listen (the first start after a build also prepares the class-data archive). */
    static final long START_TIMEOUT_MS = 120_000;
    /** How long {@code down} waits after SIGTERM before it sends SIGKILL. */
    static final long STOP_TIMEOUT_MS = 30_000;
    /** How far apart two readings of one process's start time may be (derived from clock ticks). */
    static final long START_TIME_TOLERANCE_MS = 1_000;
    static final String DEFAULT_DIR = "data/local-cluster";
    /** The heap of each node unless BROOK_JAVA_OPTS says otherwise: several nodes share one machine. */
    static final String NODE_JAVA_OPTS = "-Xms64m -Xmx512m";
    private static final String LOCK_FILE = ".brook-cluster.lock";
    private static final Pattern LISTENING = Pattern.compile("Brook listening on [^:]+:(\\d+) \\(cluster ([^,]+),");

    private LocalClusterCommands() {
    }

    /** The shared part: the directory, its lock, and one line for every refusal. */
    abstract static class DirCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", defaultValue = DEFAULT_DIR,
                description = "The cluster's directory: one subdirectory per node (default: ${DEFAULT-VALUE}).")
        File dir;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            File absolute = dir.getAbsoluteFile().toPath().normalize().toFile();
            boolean created = false;
            try {
                if (!absolute.isDirectory()) {
                    if (!createsDir()) {
                        throw new Refusal("no cluster in " + absolute + " (no such directory): nothing to stop");
                    }
                    try {
                        Files.createDirectories(absolute.toPath());
                        created = true;
                    } catch (IOException e) {
                        throw new Refusal("cannot create " + absolute + " (" + e + ")");
                    }
                }
                try (FileChannel channel = new RandomAccessFile(new File(absolute, LOCK_FILE), "rw").getChannel();
                     FileLock lock = channel.tryLock()) {
                    if (lock == null) {
                        throw new Refusal("another brook cluster command is working on " + absolute);
                    }
                    return run(absolute, out);
                }
            } catch (Refusal r) {
                if (created && Arrays.equals(absolute.list(), new String[] {LOCK_FILE})) {
                    // refused before anything was written: leave no directory behind
                    Files.deleteIfExists(new File(absolute, LOCK_FILE).toPath());
                    Files.deleteIfExists(absolute.toPath());
                }
                err.println("brook: " + r.getMessage());
                return r.badUsage ? 2 : 1;
            } finally {
                out.flush();
                err.flush();
            }
        }

        abstract int run(File dir, PrintWriter out) throws Exception;

        /** Whether a missing directory is made (up) or is an error (down). */
        abstract boolean createsDir();
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start a local cluster for development, of combined nodes (broker and controller) or of "
                    + "separate controllers and brokers, each a bin/brook server process in the background, and print "
                    + "their ids, roles, process ids, ports, directories and logs. On the directory of a stopped "
                    + "cluster it starts that cluster again.",
            footer = {"", "Node N listens for clients on BASE+2(N-1) and for its quorum on BASE+2(N-1)+1 (a broker "
                    + "only on the first, a controller only on the second). With --controllers C --brokers B, nodes "
                    + "1..C are the controllers and C+1..C+B the brokers. Each node runs with BROOK_JAVA_OPTS "
                    + "(default " + NODE_JAVA_OPTS + ").", "", "Examples:",
                    "  brook cluster up --nodes 3",
                    "  brook cluster up --controllers 3 --brokers 3",
                    "  brook cluster up --nodes 3 --dir /tmp/brook-dev --base-port 29092",
                    "  brook cluster down --dir /tmp/brook-dev"})
    static final class Up extends DirCommand {
        @Override
        boolean createsDir() {
            return true;
        }

        @Option(names = "--nodes", paramLabel = "N",
                description = "How many combined nodes (1 to " + LocalCluster.MAX_NODES + "; default 3, or the "
                        + "directory's).")
        Integer nodes;

        @Option(names = "--controllers", paramLabel = "C",
                description = "How many controller-only nodes (with --brokers: separate roles, as KRaft in production).")
        Integer controllers;

        @Option(names = "--brokers", paramLabel = "B", description = "How many broker-only nodes (with --controllers).")
        Integer brokers;

        @Option(names = "--base-port", paramLabel = "PORT", description = "The first node's client port (default "
                + LocalCluster.DEFAULT_BASE_PORT + ", or the directory's).")
        Integer basePort;

        @Override
        int run(File dir, PrintWriter out) throws Exception {
            LocalCluster.Shape asked = LocalCluster.shape(nodes, controllers, brokers, null);
            boolean given = nodes != null || controllers != null;
            File home = brookHome();
            File stateFile = new File(dir, LocalCluster.STATE_FILE);
            State previous = stateFile.exists() ? State.read(stateFile) : null;
            if (previous == null) {
                String[] entries = dir.list((d, name) -> !name.equals(LOCK_FILE));
                if (entries != null && entries.length > 0) {
                    throw new Refusal(dir + " is in use: it holds files but no " + LocalCluster.STATE_FILE
                            + " of brook cluster up; pick another --dir");
                }
            } else {
                Map<Integer, State.Proc> running = running(previous);
                if (!running.isEmpty()) {
                    throw new Refusal("a cluster is already up in " + dir + " (" + describe(running)
                            + "); stop it first with bin/brook cluster down --dir " + dir);
                }
                if (given && !asked.equals(previous.shape())) {
                    throw new Refusal(previous.shape().separate() || asked.separate()
                            ? dir + " holds a cluster of " + previous.shape().describe() + "; start it with "
                                    + previous.shape().options() + ", or pick another --dir for " + asked.describe()
                            : dir + " holds a " + previous.nodes() + "-node cluster; start it with --nodes "
                                    + previous.nodes() + ", or pick another --dir for " + nodes + " nodes", true);
                }
                if (basePort != null && basePort != previous.basePort()) {
                    throw new Refusal(dir + " holds a cluster on ports from " + previous.basePort()
                            + "; start it with --base-port " + previous.basePort() + ", or pick another --dir", true);
                }
            }
            LocalCluster.Shape shape = given ? asked : LocalCluster.shape(null, null, null,
                    previous != null ? previous.shape() : null);
            int base = basePort != null ? basePort : previous != null ? previous.basePort()
                    : LocalCluster.DEFAULT_BASE_PORT;
            List<NodeLayout> layout = LocalCluster.layout(shape, base, dir);
            for (NodeLayout node : layout) {
                if (node.role().broker()) {
                    requireFree(node.clientPort(), "node " + node.id() + "'s client listener");
                }
                if (node.role().controller()) {
                    requireFree(node.controllerPort(), "node " + node.id() + "'s controller listener");
                }
            }
            Map<LocalCluster.Role, Map<String, String>> templates = new java.util.EnumMap<>(LocalCluster.Role.class);
            for (NodeLayout node : layout) {
                if (!templates.containsKey(node.role())) {
                    File template = new File(home, "config/cluster/" + node.role().template);
                    try {
                        templates.put(node.role(), BrokerConfig.readProperties(template));
                    } catch (IOException e) {
                        throw new Refusal("cannot read " + template + " (" + e + ")");
                    }
                }
            }
            State state = new State(previous != null ? previous.clusterId() : Uuid.randomUuid().toString(),
                    shape.nodes(), shape.controllers(), base, Map.of());
            state.write(new File(dir, LocalCluster.STATE_FILE)); // from here on, the directory is this cluster's
            for (NodeLayout node : layout) {
                prepare(node, LocalCluster.settings(templates.get(node.role()), layout, node), state.clusterId());
            }
            start(home, dir, layout, state, out);
            return 0;
        }

        /** Writes the node's file and formats its directories (again: a formatted one of this cluster is kept). */
        private static void prepare(NodeLayout node, Map<String, String> settings, String clusterId)
                throws IOException, Refusal {
            BrokerConfig config;
            try {
                config = BrokerConfig.fromMap(settings);
            } catch (ConfigException e) {
                throw new Refusal("invalid setting for node " + node.id() + ": " + e.getMessage());
            }
            Files.createDirectories(node.dir().toPath());
            LocalCluster.writeSettings(node.configFile(), settings, "Node " + node.id()
                    + " of the local cluster of bin/brook cluster up (from config/cluster/" + node.role().template
                    + ")");
            try {
                MetaDirectories.Plan plan = MetaDirectories.read(config.metaPropertiesDirs())
                        .planFormat(clusterId, config.nodeId(), true, DirectoryId::random);
                for (Map.Entry<File, MetaProperties> e : plan.writes().entrySet()) {
                    e.getValue().write(e.getKey());
                }
            } catch (MetaPropertiesException e) {
                throw new Refusal("node " + node.id() + ": " + e.getMessage());
            }
        }

        /** Starts every node in the background and waits until each listens; stops them all if one does not. */
        private static void start(File home, File dir, List<NodeLayout> layout, State state, PrintWriter out)
                throws Exception {
            Map<Integer, Process> processes = new LinkedHashMap<>();
            Map<Integer, Long> outputFrom = new LinkedHashMap<>();
            Map<Integer, State.Proc> recorded = new TreeMap<>();
            try {
                for (NodeLayout node : layout) {
                    outputFrom.put(node.id(), node.outputFile().length());
                    Process process = launch(home, node);
                    processes.put(node.id(), process);
                    recorded.put(node.id(), new State.Proc(process.pid(), startMillis(process.toHandle())
                            .orElse(0L)));
                    state.withProcesses(recorded).write(new File(dir, LocalCluster.STATE_FILE));
                    if (processes.size() == 1) {
                        awaitExec(process); // the first start after a build prepares the class-data archive alone
                    }
                }
                long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
                for (NodeLayout node : layout) {
                    awaitListening(node, processes.get(node.id()), outputFrom.get(node.id()), state.clusterId(),
                            deadline);
                }
            } catch (Refusal | RuntimeException | IOException | InterruptedException e) {
                stopAll(processes);
                state.write(new File(dir, LocalCluster.STATE_FILE));
                throw e;
            }
            for (NodeLayout node : layout) {
                long pid = processes.get(node.id()).pid();
                File log = new File(node.logDir(), "server.log");
                switch (node.role()) {
                    case COMBINED -> out.printf("Node %d: pid %d, client %s, controller localhost:%d, data %s, "
                            + "log %s (output %s)%n", node.id(), pid, node.clientAddress(), node.controllerPort(),
                            node.dataDir(), log, node.outputFile());
                    case CONTROLLER -> out.printf("Node %d (controller): pid %d, controller localhost:%d, data %s, "
                            + "log %s (output %s)%n", node.id(), pid, node.controllerPort(), node.dataDir(), log,
                            node.outputFile());
                    case BROKER -> out.printf("Node %d (broker): pid %d, client %s, data %s, log %s (output %s)%n",
                            node.id(), pid, node.clientAddress(), node.dataDir(), log, node.outputFile());
                }
            }
            out.println("Cluster " + state.clusterId() + " is up.");
            out.println("Bootstrap servers: " + LocalCluster.bootstrap(layout));
            out.println("Stop it with: bin/brook cluster down --dir " + dir);
        }

        private static Process launch(File home, NodeLayout node) throws IOException {
            Files.createDirectories(node.logDir().toPath());
            ProcessBuilder builder = new ProcessBuilder(new File(home, "bin/brook").getPath(), "server", "--config",
                    node.configFile().getPath()).directory(node.dir()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(node.outputFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().put("LOG_DIR", node.logDir().getPath());
            if (System.getenv("BROOK_JAVA_OPTS") == null) {
                builder.environment().put("BROOK_JAVA_OPTS", NODE_JAVA_OPTS);
            }
            return builder.start();
        }

        /** Waits (bounded) until bin/brook has exec'd java: it trains the class-data archive first, once per build. */
        private static void awaitExec(Process process) throws InterruptedException {
            long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
            while (process.isAlive() && System.currentTimeMillis() < deadline
                    && !process.info().command().map(c -> c.endsWith("/java")).orElse(true)) {
                Thread.sleep(50);
            }
        }

        private static void awaitListening(NodeLayout node, Process process, long from, String clusterId,
                                           long deadline) throws Exception {
            while (true) {
                String output = readFrom(node.outputFile(), from);
                Matcher listening = LISTENING.matcher(output);
                if (listening.find()) {
                    if (!listening.group(2).equals(clusterId)) {
                        throw new Refusal("node " + node.id() + " started in cluster " + listening.group(2)
                                + ", not " + clusterId + "; see " + node.outputFile());
                    }
                    return;
                }
                if (!process.isAlive()) {
                    throw new Refusal("node " + node.id() + " did not start (exit " + process.exitValue() + "): "
                            + lastLine(output) + " (its output: " + node.outputFile() + ")");
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new Refusal("node " + node.id() + " did not listen within " + START_TIMEOUT_MS / 1000
                            + " s; its output: " + node.outputFile());
                }
                Thread.sleep(100);
            }
        }

        private static void stopAll(Map<Integer, Process> processes) throws InterruptedException {
            processes.values().forEach(Process::destroy);
            long deadline = System.currentTimeMillis() + STOP_TIMEOUT_MS;
            for (Process p : processes.values()) {
                if (!p.waitFor(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
            }
        }

        private static void requireFree(int port, String what) throws Refusal {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.getLocalPort();
            } catch (IOException e) {
                throw new Refusal("port " + port + " (" + what + ") is in use; pick another --base-port or stop "
                        + "what listens there");
            }
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop the local cluster that brook cluster up started in a directory: SIGTERM to every "
                    + "node, SIGKILL to those still running " + STOP_TIMEOUT_MS / 1000 + " s later. The data stays; "
                    + "brook cluster up on the same directory starts the cluster again.",
            footer = {"", "Examples:", "  brook cluster down", "  brook cluster down --dir /tmp/brook-dev"})
    static final class Down extends DirCommand {
        @Override
        boolean createsDir() {
            return false;
        }

        @Override
        int run(File dir, PrintWriter out) throws Exception {
            File stateFile = new File(dir, LocalCluster.STATE_FILE);
            if (!stateFile.exists()) {
                throw new Refusal("no cluster in " + dir + " (no " + LocalCluster.STATE_FILE + "): nothing to stop");
            }
            State state = State.read(stateFile);
            Map<Integer, State.Proc> running = running(state);
            for (int id = 1; id <= state.nodes(); id++) {
                if (!running.containsKey(id)) {
                    out.println("Node " + id + " was not running.");
                }
            }
            Map<Integer, ProcessHandle> stopping = new TreeMap<>();
            running.forEach((id, proc) -> ProcessHandle.of(proc.pid()).ifPresent(h -> {
                h.destroy();
                stopping.put(id, h);
            }));
            long deadline = System.currentTimeMillis() + STOP_TIMEOUT_MS;
            List<Integer> killed = new ArrayList<>();
            for (Map.Entry<Integer, ProcessHandle> e : stopping.entrySet()) {
                if (!waitForExit(e.getValue(), Math.max(0, deadline - System.currentTimeMillis()))) {
                    e.getValue().destroyForcibly();
                    waitForExit(e.getValue(), STOP_TIMEOUT_MS);
                    killed.add(e.getKey());
                }
            }
            stopping.forEach((id, h) -> out.println(killed.contains(id)
                    ? "Node " + id + " (pid " + h.pid() + ") did not stop within " + STOP_TIMEOUT_MS / 1000
                            + " s: killed (SIGKILL)."
                    : "Stopped node " + id + " (pid " + h.pid() + ")."));
            state.withProcesses(Map.of()).write(stateFile);
            out.println("The cluster in " + dir + " is down; its data stays (bin/brook cluster up --dir " + dir
                    + " starts it again).");
            return 0;
        }

        private static boolean waitForExit(ProcessHandle handle, long timeoutMs) throws InterruptedException {
            try {
                handle.onExit().get(timeoutMs, TimeUnit.MILLISECONDS);
                return true;
            } catch (java.util.concurrent.TimeoutException e) {
                return !handle.isAlive();
            } catch (java.util.concurrent.ExecutionException e) {
                return !handle.isAlive();
            }
        }
    }

    /** The recorded processes that still run (the same process id and start time). */
    static Map<Integer, State.Proc> running(State state) {
        Map<Integer, State.Proc> running = new TreeMap<>();
        state.processes().forEach((id, proc) -> {
            Optional<ProcessHandle> handle = ProcessHandle.of(proc.pid()).filter(ProcessHandle::isAlive);
            if (handle.isPresent() && LocalCluster.sameProcess(proc, startMillis(handle.get()).orElse(null),
                    START_TIME_TOLERANCE_MS)) {
                running.put(id, proc);
            }
        });
        return running;
    }

    private static Optional<Long> startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli);
    }

    private static String describe(Map<Integer, State.Proc> running) {
        List<String> parts = new ArrayList<>();
        running.forEach((id, proc) -> parts.add("node " + id + " pid " + proc.pid()));
        return String.join(", ", parts);
    }

    /**
     * Where Brook is installed: BROOK_HOME, else the checkout this command's jar (or classes) was built in, the
     * directory with {@code bin/brook} above it.
     */
    static File brookHome() throws Refusal {
        String env = System.getenv("BROOK_HOME");
        if (env != null && new File(env, "bin/brook").isFile()) {
            return new File(env).getAbsoluteFile();
        }
        try {
            File location = new File(LocalClusterCommands.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI()).getAbsoluteFile();
            for (File dir = location; dir != null; dir = dir.getParentFile()) {
                if (new File(dir, "bin/brook").isFile() && new File(dir, "config/cluster").isDirectory()) {
                    return dir;
                }
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // said below
        }
        throw new Refusal("cannot find Brook's bin/brook and config/cluster; set BROOK_HOME to the directory "
                + "that holds them");
    }

    private static String readFrom(File file, long from) throws IOException {
        if (!file.exists()) {
            return "";
        }
        byte[] all = Files.readAllBytes(file.toPath());
        int start = (int) Math.min(from, all.length);
        return new String(all, start, all.length - start, StandardCharsets.UTF_8);
    }

    private static String lastLine(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).strip();
    }
}
