package io.brook.cli;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The local cluster of {@code brook cluster up}: which role, ports and directories each node gets (combined nodes,
 * or separate controllers and brokers as Kafka's KRaft runs them), the settings it runs with (the example file of its
 * role in {@code config/cluster/}, with this node's id, ports, voters and directories), and the state file that lets
 * {@code brook cluster down} find the processes. Pure apart from {@link State#read} and {@link State#write}.
 */
final class LocalCluster {
    /** The most nodes one machine is asked to run: each is a JVM. */
    static final int MAX_NODES = 9;
    static final int DEFAULT_BASE_PORT = 19092;
    /** Every node takes two consecutive ports: its client listener's and its controller listener's. */
    static final int PORTS_PER_NODE = 2;
    /** The file in the cluster's directory that says which processes run which node. */
    static final String STATE_FILE = "brook-cluster.state";
    static final String CLIENT_LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Replication settings no larger than the number of nodes can serve. */
    private static final List<String> REPLICATION_FACTORS = List.of("default.replication.factor",
            "offsets.topic.replication.factor", "transaction.state.log.replication.factor");
    private static final List<String> MIN_IN_SYNC = List.of("min.insync.replicas", "transaction.state.log.min.isr");
    /**
     * How long a node of a local cluster waits at SIGTERM for the controller to approve its controlled shutdown
     * (Kafka's and Brook's default is 5 minutes): {@code down} stops every node at once, and the last ones have no
     * quorum left to approve it, so they give up after this and exit cleanly well within {@code down}'s deadline.
     */
    static final long CONTROLLED_SHUTDOWN_TIMEOUT_MS = 10_000;

    private LocalCluster() {
    }

    /** What a node runs as: its {@code process.roles} and the example file of {@code config/cluster/} it starts from. */
    enum Role {
        COMBINED("broker,controller", "node1.properties"),
        CONTROLLER("controller", "controller1.properties"),
        BROKER("broker", "broker4.properties");

        final String processRoles;
        final String template;

        Role(String processRoles, String template) {
            this.processRoles = processRoles;
            this.template = template;
        }

        boolean broker() {
            return this != CONTROLLER;
        }

        boolean controller() {
            return this != BROKER;
        }
    }

    /**
     * How many nodes of which roles: {@code controllers} 0 means {@code nodes} combined nodes; otherwise nodes
     * 1..controllers are controllers and the rest brokers (as {@code config/cluster/controller1..3, broker4..6}).
     */
    record Shape(int nodes, int controllers) {
        Role role(int id) {
            return controllers == 0 ? Role.COMBINED : id <= controllers ? Role.CONTROLLER : Role.BROKER;
        }

        int brokers() {
            return nodes - controllers;
        }

        boolean separate() {
            return controllers > 0;
        }

        /** The options that start this shape again. */
        String options() {
            return separate() ? "--controllers " + controllers + " --brokers " + brokers() : "--nodes " + nodes;
        }

        String describe() {
            return separate() ? controllers + " controller" + (controllers == 1 ? "" : "s") + " and " + brokers()
                    + " broker" + (brokers() == 1 ? "" : "s") : nodes + " combined node" + (nodes == 1 ? "" : "s");
        }
    }

    /**
     * The shape {@code up}'s options ask for (each null when not given), else {@code previous} (the directory's),
     * else 3 combined nodes. Mixing {@code --nodes} with the separate-role options, one of {@code --controllers} and
     * {@code --brokers} without the other, a count out of range: refused as bad usage.
     */
    static Shape shape(Integer nodes, Integer controllers, Integer brokers, Shape previous) throws Refusal {
        if (nodes != null && (controllers != null || brokers != null)) {
            throw new Refusal("--nodes starts combined nodes, --controllers and --brokers separate ones: give "
                    + "--nodes or --controllers with --brokers, not both", true);
        }
        if ((controllers == null) != (brokers == null)) {
            throw new Refusal("--controllers and --brokers go together (separate roles); for combined nodes give "
                    + "--nodes", true);
        }
        if (nodes != null) {
            if (nodes < 1 || nodes > MAX_NODES) {
                throw new Refusal("--nodes takes 1 to " + MAX_NODES + ", got " + nodes, true);
            }
            return new Shape(nodes, 0);
        }
        if (controllers != null) {
            if (controllers < 1 || controllers >= MAX_NODES) {
                throw new Refusal("--controllers takes 1 to " + (MAX_NODES - 1) + ", got " + controllers, true);
            }
            if (brokers < 1 || brokers >= MAX_NODES) {
                throw new Refusal("--brokers takes 1 to " + (MAX_NODES - 1) + ", got " + brokers, true);
            }
            if (controllers + brokers > MAX_NODES) {
                throw new Refusal("--controllers " + controllers + " --brokers " + brokers + " make "
                        + (controllers + brokers) + " nodes; one machine runs at most " + MAX_NODES, true);
            }
            return new Shape(controllers + brokers, controllers);
        }
        return previous != null ? previous : new Shape(3, 0);
    }

    /** One node of the local cluster: its id (1..n), role, two ports (a broker uses its client port, a
     * controller its controller port, a combined node both) and its directory. */
    record NodeLayout(int id, Role role, int clientPort, int controllerPort, File dir) {
        File configFile() {
            return new File(dir, "server.properties");
        }

        File dataDir() {
            return new File(dir, "data");
        }

        /** The LOG_DIR of the node: its server.log. */
        File logDir() {
            return new File(dir, "logs");
        }

        /** What the process prints (the listening line, a refusal): appended to on every start. */
        File outputFile() {
            return new File(dir, "server.out");
        }

        String clientAddress() {
            return "localhost:" + clientPort;
        }
    }

    /** A request refused, said in one line; a mistake in how the command was called exits with 2, others 1. */
    static final class Refusal extends Exception {
        final boolean badUsage;

        Refusal(String message) {
            this(message, false);
        }

        Refusal(String message, boolean badUsage) {
            super(message);
            this.badUsage = badUsage;
        }
    }

    /** Nodes 1..n of {@code shape} on consecutive ports from {@code basePort}, each in {@code dir}/node&lt;id&gt;. */
    static List<NodeLayout> layout(Shape shape, int basePort, File dir) throws Refusal {
        int nodes = shape.nodes();
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new Refusal("--nodes takes 1 to " + MAX_NODES + ", got " + nodes, true);
        }
        int last = basePort + nodes * PORTS_PER_NODE - 1;
        if (basePort < 1024 || last > 65535) {
            throw new Refusal("--base-port " + basePort + " leaves ports " + basePort + "-" + last + " for " + nodes
                    + " nodes; give a port from 1024 to " + (65536 - nodes * PORTS_PER_NODE), true);
        }
        List<NodeLayout> layout = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            int client = basePort + (id - 1) * PORTS_PER_NODE;
            layout.add(new NodeLayout(id, shape.role(id), client, client + 1, new File(dir, "node" + id)));
        }
        return layout;
    }

    /**
     * The settings of {@code node}: {@code template} (its role's example file) with this node's id, roles, listeners
     * (a broker's client listener, a controller's quorum listener, both on a combined node), the voters (every
     * controller in {@code all}; a broker-only node names them in {@code controller.quorum.bootstrap.servers} and
     * learns the voters from them), its own data directory, and replication settings capped at the number of brokers
     * (a 1-broker cluster cannot keep 3 replicas).
     */
    static Map<String, String> settings(Map<String, String> template, List<NodeLayout> all, NodeLayout node) {
        Map<String, String> settings = new TreeMap<>(template);
        settings.remove("metadata.log.dir"); // the metadata log goes with the data, in the node's own directory
        settings.put("node.id", String.valueOf(node.id()));
        settings.put("process.roles", node.role().processRoles);
        List<String> listeners = new ArrayList<>();
        if (node.role().broker()) {
            listeners.add(CLIENT_LISTENER + "://localhost:" + node.clientPort());
            settings.put("advertised.listeners", CLIENT_LISTENER + "://localhost:" + node.clientPort());
            settings.put("inter.broker.listener.name", CLIENT_LISTENER);
        } else {
            settings.remove("advertised.listeners");
            settings.remove("inter.broker.listener.name");
        }
        if (node.role().controller()) {
            listeners.add(CONTROLLER_LISTENER + "://localhost:" + node.controllerPort());
        }
        settings.put("listeners", String.join(",", listeners));
        settings.put("controller.listener.names", CONTROLLER_LISTENER);
        if (node.role().controller()) {
            settings.put("controller.quorum.voters", all.stream().filter(n -> n.role().controller())
                    .map(n -> n.id() + "@localhost:" + n.controllerPort()).collect(Collectors.joining(",")));
            settings.remove("controller.quorum.bootstrap.servers");
        } else {
            // a broker-only node names the controllers only (KIP-853, as Kafka 4 recommends): it learns the voters
            settings.remove("controller.quorum.voters");
            settings.put("controller.quorum.bootstrap.servers", all.stream().filter(n -> n.role().controller())
                    .map(n -> "localhost:" + n.controllerPort()).collect(Collectors.joining(",")));
        }
        settings.put("log.dirs", node.dataDir().getAbsolutePath());
        settings.putIfAbsent("brook.controlled.shutdown.timeout.ms", String.valueOf(CONTROLLED_SHUTDOWN_TIMEOUT_MS));
        int replicas = (int) all.stream().filter(n -> n.role().broker()).count();
        for (String key : REPLICATION_FACTORS) {
            capAt(settings, key, replicas);
        }
        for (String key : MIN_IN_SYNC) {
            capAt(settings, key, replicas);
        }
        return settings;
    }

    private static void capAt(Map<String, String> settings, String key, int max) {
        String value = settings.get(key);
        if (value != null) {
            try {
                if (Integer.parseInt(value.trim()) > max) {
                    settings.put(key, String.valueOf(max));
                }
            } catch (NumberFormatException e) {
                // the node's own check names the key
            }
        }
    }

    /** The bootstrap servers of the cluster: every broker's client listener. */
    static String bootstrap(List<NodeLayout> layout) {
        return layout.stream().filter(n -> n.role().broker()).map(NodeLayout::clientAddress)
                .collect(Collectors.joining(","));
    }

    /**
     * What {@link #STATE_FILE} holds: the cluster's id and layout (kept after {@code down}, so the next {@code up}
     * starts the same cluster again) and, while it is up, each node's process id and start time (so a recycled
     * process id is never taken for a node). {@code controllers} is 0 for combined nodes (and in a file written
     * before separate roles).
     */
    record State(String clusterId, int nodes, int controllers, int basePort, Map<Integer, Proc> processes) {
        /** A node's process: its id and when it started (epoch ms, as the system reports it). */
        record Proc(long pid, long startMillis) {
        }

        State withProcesses(Map<Integer, Proc> running) {
            return new State(clusterId, nodes, controllers, basePort, Map.copyOf(running));
        }

        Shape shape() {
            return new Shape(nodes, controllers);
        }

        static State read(File file) throws IOException, Refusal {
            Properties p = new Properties();
            try (Reader reader = Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)) {
                p.load(reader);
            }
            try {
                int nodes = Integer.parseInt(p.getProperty("nodes"));
                Map<Integer, Proc> processes = new TreeMap<>();
                for (int id = 1; id <= nodes; id++) {
                    String pid = p.getProperty("node." + id + ".pid");
                    if (pid != null) {
                        processes.put(id, new Proc(Long.parseLong(pid),
                                Long.parseLong(p.getProperty("node." + id + ".started"))));
                    }
                }
                String clusterId = p.getProperty("cluster.id");
                if (clusterId == null) {
                    throw new NumberFormatException("no cluster.id");
                }
                int controllers = Integer.parseInt(p.getProperty("controllers", "0"));
                if (controllers < 0 || controllers >= nodes && controllers > 0) {
                    throw new NumberFormatException("controllers=" + controllers + " of " + nodes + " nodes");
                }
                return new State(clusterId, nodes, controllers, Integer.parseInt(p.getProperty("base.port")),
                        processes);
            } catch (NumberFormatException | NullPointerException e) {
                throw new Refusal(file + " is damaged (" + e.getMessage() + "); remove the directory or pick "
                        + "another --dir");
            }
        }

        /** Writes the file whole or not at all (a temporary file renamed over it). */
        void write(File file) throws IOException {
            Map<String, String> lines = new LinkedHashMap<>();
            lines.put("cluster.id", clusterId);
            lines.put("nodes", String.valueOf(nodes));
            lines.put("controllers", String.valueOf(controllers));
            lines.put("base.port", String.valueOf(basePort));
            processes.forEach((id, proc) -> {
                lines.put("node." + id + ".pid", String.valueOf(proc.pid()));
                lines.put("node." + id + ".started", String.valueOf(proc.startMillis()));
            });
            File tmp = new File(file.getParentFile(), file.getName() + ".tmp");
            try (Writer writer = Files.newBufferedWriter(tmp.toPath(), StandardCharsets.UTF_8)) {
                writer.write("# The local cluster of bin/brook cluster up in this directory; bin/brook cluster down "
                        + "stops it.\n");
                for (Map.Entry<String, String> e : lines.entrySet()) {
                    writer.write(e.getKey() + "=" + e.getValue() + "\n");
                }
            }
            Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Whether the process the state file recorded still runs: a process with that id, started at that time
     * (within {@code toleranceMs}: the start time is derived from clock ticks), is the node's.
     */
    static boolean sameProcess(State.Proc recorded, Long actualStartMillis, long toleranceMs) {
        return actualStartMillis != null && Math.abs(actualStartMillis - recorded.startMillis()) <= toleranceMs;
    }

    /** Writes a properties file with a comment line first, keys sorted. */
    static void writeSettings(File file, Map<String, String> settings, String comment) throws IOException {
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        new TreeMap<>(settings).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(file.toPath(), text.toString(), StandardCharsets.UTF_8);
    }
}
