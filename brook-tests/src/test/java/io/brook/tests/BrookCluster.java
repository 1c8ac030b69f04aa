package io.brook.tests;

import io.brook.cli.BrookCli;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A cluster of real {@code bin/brook server} processes on loopback, each from a property file generated from
 * {@code config/cluster/node<N>.properties}: every port the files name (client and controller listeners, the
 * voters) is replaced by a free one, the same everywhere, and every node gets its own data directory; all are
 * formatted with one cluster id before the first start ({@code bin/brook storage format}). Nodes run with small
 * heaps; their output goes to {@code target/server-logs/cluster-<n>/}, and into the failure message of every wait
 * that runs out of time. Ports are kept across restarts, so clients can ride through them.
 *
 * <p>Not thread-safe: one test drives it. Every wait has a deadline.
 */
final class BrookCluster implements AutoCloseable {
    /** The example files the cluster is generated from. */
    static final File TEMPLATES = new File(BrookFixture.ROOT, "config/cluster");
    private static final File LOGS = new File("target/server-logs").getAbsoluteFile();
    private static final AtomicInteger CLUSTERS = new AtomicInteger();
    /** A node's JVM: small, so three fit on a loaded 2-core machine next to the tests. */
    static final String NODE_JAVA_OPTS = "-Xms32m -Xmx256m -XX:+ExitOnOutOfMemoryError";
    private static final long START_TIMEOUT_MS = 120_000;
    private static final long STOP_TIMEOUT_S = 60;
    /** How many lines of each node's output a failure message shows. */
    private static final int TAIL_LINES = 40;
    private static final int LOWEST_PORT = 10_000;
    private static final int DEFAULT_EPHEMERAL_LOW = 32_768;
    private static final Pattern LISTENING = Pattern.compile("Brook listening on [^:]+:(\\d+) \\(cluster ([^,]+),");
    /** A port in a listener, voter or bootstrap entry: {@code host:port}. */
    private static final Pattern PORT = Pattern.compile("(?<=:)(\\d{1,5})\\b");
    private static final Set<String> ADDRESS_KEYS = Set.of("listeners", "advertised.listeners",
            "controller.quorum.voters", "controller.quorum.bootstrap.servers");
    /**
     * An override that makes a cluster of combined nodes whose inter-node traffic goes through {@link NetworkFaults}
     * (see {@link #isolate}); not a node setting.
     */
    static final String NETWORK_FAULTS = "test.network.faults";
    /**
     * A per-node setting that is no node setting: the arguments {@code brook storage format} gets besides the cluster
     * id and the file, space-separated, ports as in the templates (for example {@code --standalone}, or {@code
     * --initial-controllers 1@localhost:19093:<id>,...}). A controller of a dynamic quorum without it is formatted
     * with {@code --no-initial-controllers} (it joins).
     */
    static final String FORMAT_ARGS = "test.format.args";
    /** The listener the brokers replicate over in a cluster with {@link #NETWORK_FAULTS}. */
    private static final String INTERNAL_LISTENER = "INTERNAL";
    /**
     * Settings of every node beyond the files': small internal topics, as {@link BrookFixture}'s, and a SIGTERMed
     * node that finds no quorum to approve its controlled shutdown gives up after 10 s instead of Kafka's 5 minutes
     * (the last nodes of a cluster stopped whole have none left).
     */
    private static final Map<String, String> HARNESS_DEFAULTS = Map.of(
            "brook.controlled.shutdown.timeout.ms", "10000",
            "num.io.threads", "4",
            "num.network.threads", "2",
            "offsets.topic.num.partitions", "5",
            "transaction.state.log.num.partitions", "5");

    /** One node: its generated file, directories and process (null while not running). */
    final class Node {
        final int id;
        final File configFile;
        final File dataDir;
        final File output;
        final File logDir;
        final Map<String, String> settings;
        /** JVM options of this node's own, after the harness's. */
        final String javaOpts;
        /** What {@code brook storage format} gets besides the cluster id and the file ({@link #FORMAT_ARGS}). */
        private List<String> formatArgs = List.of();
        private Process process;
        private Thread killOnExit;
        private boolean paused;
        /** Where the output of a start not yet seen listening begins, or null. */
        private Long pendingFrom;

        Node(int id, File configFile, File dataDir, File output, File logDir, Map<String, String> settings,
             String javaOpts) {
            this.id = id;
            this.javaOpts = javaOpts;
            this.configFile = configFile;
            this.dataDir = dataDir;
            this.output = output;
            this.logDir = logDir;
            this.settings = settings;
        }

        /** Whether {@code process.roles} names controller. */
        boolean isController() {
            return List.of(settings.getOrDefault("process.roles", "broker,controller").split("\\s*,\\s*"))
                    .contains("controller");
        }

        /** Whether this node serves clients ({@code process.roles} names broker; a controller-only node does not). */
        boolean isBroker() {
            return List.of(settings.getOrDefault("process.roles", "broker,controller").split("\\s*,\\s*"))
                    .contains("broker");
        }

        /** The port of this node's client listener (the first one that is not a controller listener). */
        int clientPort() {
            return portOf(settings.get("listeners"), false);
        }

        /** The port of this node's controller listener. */
        int controllerPort() {
            return portOf(settings.get("listeners"), true);
        }

        String bootstrap() {
            return "localhost:" + clientPort();
        }

        boolean running() {
            return process != null && process.isAlive();
        }

        boolean paused() {
            return paused;
        }

        /** The exit status of a process that ended by itself, or null while it runs (or never ran). */
        Integer exitValue() {
            return process == null || process.isAlive() ? null : process.exitValue();
        }

        /** The JVM's process id (bin/brook execs java). */
        long pid() {
            return process.pid();
        }

        private int portOf(String listeners, boolean controller) {
            Set<String> controllerNames = Set.of(settings.getOrDefault("controller.listener.names", "CONTROLLER")
                    .split("\\s*,\\s*"));
            for (String entry : listeners.split("\\s*,\\s*")) {
                String name = entry.substring(0, entry.indexOf("://"));
                if (controllerNames.contains(name) == controller) {
                    return Integer.parseInt(entry.substring(entry.lastIndexOf(':') + 1));
                }
            }
            throw new IllegalStateException("node " + id + " has no " + (controller ? "controller" : "client")
                    + " listener: " + listeners);
        }
    }

    private final Map<Integer, Node> nodes = new TreeMap<>();
    private final File logs;
    private final String clusterId = Uuid.randomUuid().toString();
    private final List<AutoCloseable> clients = new ArrayList<>();
    /** The proxies between the nodes, with {@link #NETWORK_FAULTS}; else null. */
    private NetworkFaults network;
    /** The admin client of {@link #partitions}, made on first use. */
    private Admin metadataAdmin;
    /** Settings every client of the harness gets (security, for a cluster whose client listener needs a login). */
    private Map<String, Object> clientSettings = Map.of();

    /**
     * A cluster of the nodes {@code config/cluster/<prefix>1..count.properties} describe (prefix "node": the combined
     * nodes), rooted in {@code workDir}, with {@code overrides} on every node; formatted, not started.
     */
    BrookCluster(File workDir, String prefix, int count, Map<String, String> overrides) throws Exception {
        this(workDir, numbered(prefix, 1, count), overrides, Map.of());
    }

    /**
     * As {@link #BrookCluster(File, String, int, Map)}, and {@code perNode} (by node id) on single nodes after the
     * common overrides: a rack per node, say.
     */
    BrookCluster(File workDir, String prefix, int count, Map<String, String> overrides,
                 Map<Integer, Map<String, String>> perNode) throws Exception {
        this(workDir, numbered(prefix, 1, count), overrides, perNode);
    }

    /**
     * A cluster of the nodes the files {@code config/cluster/<template>.properties} describe, rooted in
     * {@code workDir}, with {@code overrides} on every node and {@code perNode} (by node id) on single ones;
     * formatted, not started.
     */
    BrookCluster(File workDir, List<String> templates, Map<String, String> overrides,
                 Map<Integer, Map<String, String>> perNode) throws Exception {
        this.logs = new File(LOGS, "cluster-" + ProcessHandle.current().pid() + "-" + CLUSTERS.incrementAndGet());
        Files.createDirectories(logs.toPath());
        Map<Integer, Integer> ports = new HashMap<>(); // a template's port -> a free one, the same in every file
        boolean networkFaults = Boolean.parseBoolean(overrides.get(NETWORK_FAULTS));
        Map<Integer, List<Integer>> interNodePorts = new TreeMap<>();
        Set<Integer> ids = new java.util.TreeSet<>();
        for (String template : templates) {
            ids.add(Integer.parseInt(readTemplate(new File(TEMPLATES, template + ".properties")).get("node.id")));
        }
        for (String template : templates) {
            Map<String, String> settings = new LinkedHashMap<>(readTemplate(new File(TEMPLATES, template
                    + ".properties")));
            int id = Integer.parseInt(settings.get("node.id"));
            File nodeDir = new File(workDir, "node" + id);
            File dataDir = new File(nodeDir, "data");
            settings.put("log.dirs", dataDir.getAbsolutePath());
            if (settings.containsKey("metadata.log.dir")) {
                settings.put("metadata.log.dir", new File(nodeDir, "metadata").getAbsolutePath());
            }
            settings.putAll(HARNESS_DEFAULTS);
            settings.putAll(overrides);
            settings.remove(NETWORK_FAULTS);
            settings.putAll(perNode.getOrDefault(id, Map.of()));
            settings.values().removeIf(v -> v == null); // an override of null unsets the template's setting
            for (String key : ADDRESS_KEYS) { // the templates' ports, and those overrides give, the same everywhere
                if (settings.containsKey(key)) {
                    settings.put(key, replacePorts(settings.get(key), ports));
                }
            }
            String formatArgs = settings.remove(FORMAT_ARGS);
            Files.createDirectories(nodeDir.toPath());
            String javaOpts = "";
            if (networkFaults) {
                interNodePorts.put(id, throughProxies(settings, id, ports));
                Path hosts = new File(nodeDir, "hosts").toPath();
                NetworkFaults.writeHostsFile(hosts, id, ids);
                javaOpts = "-Djdk.net.hosts.file=" + hosts;
            }
            File configFile = new File(nodeDir, "server.properties");
            writeProperties(configFile, settings, "generated by BrookCluster from " + template + ".properties");
            Node node = new Node(id, configFile, dataDir, new File(logs, "node" + id + ".out"),
                    new File(logs, "node" + id), settings, javaOpts);
            node.formatArgs = formatArgs != null ? List.of(replacePorts(formatArgs, ports).trim().split("\\s+"))
                    : node.isController() && settings.containsKey("controller.quorum.bootstrap.servers")
                    ? List.of("--no-initial-controllers") : List.of();
            nodes.put(id, node);
        }
        if (networkFaults) {
            network = new NetworkFaults(interNodePorts);
        }
        for (Node node : nodes.values()) {
            format(node);
        }
    }

    /**
     * Rewrites a combined node's {@code settings} for {@link #NETWORK_FAULTS}: the brokers replicate over an
     * {@code INTERNAL} listener, which with the controller listener binds {@link NetworkFaults#listenAddress} and is
     * known to the other nodes by {@link NetworkFaults#hostName} (the voters too); clients keep the first listener.
     * Returns the ports the other nodes connect to on this one.
     */
    private static List<Integer> throughProxies(Map<String, String> settings, int id, Map<Integer, Integer> ports)
            throws IOException {
        String controllerName = settings.getOrDefault("controller.listener.names", "CONTROLLER");
        int internalPort = freePort(ports.values());
        ports.put(-id, internalPort); // taken: no later node may draw it
        String bind = NetworkFaults.listenAddress(id);
        List<String> listeners = new ArrayList<>();
        int controllerPort = -1;
        for (String entry : settings.get("listeners").split("\\s*,\\s*")) {
            String name = entry.substring(0, entry.indexOf("://"));
            int port = Integer.parseInt(entry.substring(entry.lastIndexOf(':') + 1));
            if (name.equals(controllerName)) {
                controllerPort = port;
                listeners.add(name + "://" + bind + ":" + port);
            } else {
                listeners.add(entry);
            }
        }
        listeners.add(INTERNAL_LISTENER + "://" + bind + ":" + internalPort);
        settings.put("listeners", String.join(",", listeners));
        settings.put("advertised.listeners", settings.get("advertised.listeners") + "," + INTERNAL_LISTENER + "://"
                + NetworkFaults.hostName(id) + ":" + internalPort);
        settings.put("inter.broker.listener.name", INTERNAL_LISTENER);
        settings.putIfAbsent("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + INTERNAL_LISTENER
                + ":PLAINTEXT," + controllerName + ":PLAINTEXT");
        settings.put("controller.quorum.voters", settings.get("controller.quorum.voters")
                .replaceAll("(\\d+)@localhost:", "$1@node$1.brook:"));
        return List.of(internalPort, controllerPort);
    }

    /**
     * Cuts node {@code id} off from the other nodes, both ways (a cluster made with {@link #NETWORK_FAULTS}): what
     * they send each other is dropped, clients still reach every node. {@link #healNetwork} ends it.
     */
    void isolate(int id) {
        requireNetwork().isolate(id);
    }

    /**
     * Cuts the link between nodes {@code a} and {@code b} only, both ways (a partial partition, in a cluster made with
     * {@link #NETWORK_FAULTS}): each still reaches the third node, and clients reach all. {@link #healNetwork} ends it.
     */
    void cut(int a, int b) {
        requireNetwork().cut(a, b);
    }

    /**
     * Cuts only the connections node {@code from} opens to node {@code to} (an asymmetric partition, in a cluster made
     * with {@link #NETWORK_FAULTS}); those {@code to} opens to {@code from} still work. {@link #healNetwork} ends it.
     */
    void cutOneWay(int from, int to) {
        requireNetwork().cutOneWay(from, to);
    }

    /**
     * Slows every link between node {@code id} and the others (in a cluster made with {@link #NETWORK_FAULTS}): each
     * byte arrives {@code latency} after it was sent, in order, none lost. {@link #healNetwork} ends it.
     */
    void slow(int id, Duration latency) {
        requireNetwork().slow(id, latency.toMillis());
    }

    /**
     * Ends every network partition {@link #isolate}, {@link #cut} and {@link #cutOneWay} made, and every slow link
     * (nothing to do without proxies).
     */
    void healNetwork() {
        if (network != null) {
            network.healAll();
        }
    }

    private NetworkFaults requireNetwork() {
        if (network == null) {
            throw new IllegalStateException("this cluster was not made with " + NETWORK_FAULTS);
        }
        return network;
    }

    /** The three combined nodes of {@code config/cluster/node1..3.properties}. */
    static BrookCluster combined(File workDir, Map<String, String> overrides) throws Exception {
        return new BrookCluster(workDir, "node", 3, overrides);
    }

    /** The three combined nodes with {@code overrides} on all and {@code perNode} (by node id) on single ones. */
    static BrookCluster combined(File workDir, Map<String, String> overrides,
                                 Map<Integer, Map<String, String>> perNode) throws Exception {
        return new BrookCluster(workDir, "node", 3, overrides, perNode);
    }

    /**
     * The three controllers of {@code config/cluster/controller1..3.properties} (nodes 1-3) and {@code brokers} of
     * the brokers of {@code broker4..6.properties} (nodes 4 on): Kafka's separate roles.
     */
    static BrookCluster separated(File workDir, int brokers, Map<String, String> overrides) throws Exception {
        List<String> templates = new ArrayList<>(numbered("controller", 1, 3));
        templates.addAll(numbered("broker", 4, 3 + brokers));
        return new BrookCluster(workDir, templates, overrides, Map.of());
    }

    private static List<String> numbered(String prefix, int from, int to) {
        List<String> names = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            names.add(prefix + i);
        }
        return names;
    }

    private static Map<String, String> readTemplate(File file) throws IOException {
        Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> settings = new TreeMap<>();
        properties.stringPropertyNames().forEach(name -> settings.put(name, properties.getProperty(name).trim()));
        return settings;
    }

    private static String replacePorts(String value, Map<Integer, Integer> ports) throws IOException {
        Matcher m = PORT.matcher(value);
        StringBuilder replaced = new StringBuilder();
        while (m.find()) {
            int template = Integer.parseInt(m.group(1));
            Integer free = ports.get(template);
            if (free == null) {
                free = freePort(ports.values());
                ports.put(template, free);
            }
            m.appendReplacement(replaced, String.valueOf(free));
        }
        m.appendTail(replaced);
        return replaced.toString();
    }

    /**
     * A port nothing listens on now, not among {@code taken}, below the kernel's ephemeral range: a node is
     * restarted on its ports, and a port in that range may meanwhile be taken by any outgoing connection (the
     * other nodes reconnecting to it, for one), which no listener can then bind.
     */
    private static int freePort(java.util.Collection<Integer> taken) throws IOException {
        int below = ephemeralLow();
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = java.util.concurrent.ThreadLocalRandom.current().nextInt(LOWEST_PORT, below);
            if (taken.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IOException("no free port in [" + LOWEST_PORT + ", " + below + ")");
    }

    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > LOWEST_PORT + 1_000 ? low : DEFAULT_EPHEMERAL_LOW;
        } catch (IOException | RuntimeException notLinux) {
            return DEFAULT_EPHEMERAL_LOW;
        }
    }

    private static void writeProperties(File file, Map<String, String> settings, String comment) throws IOException {
        StringBuilder text = new StringBuilder("# ").append(comment).append('\n');
        settings.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Files.writeString(file.toPath(), text.toString(), StandardCharsets.UTF_8);
    }

    /** {@code brook storage format --cluster-id <the cluster's> --config <the node's file>}, in this JVM. */
    private void format(Node node) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(List.of("storage", "format", "--cluster-id", clusterId, "--config",
                node.configFile.getPath()));
        args.addAll(node.formatArgs);
        int code = BrookCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args.toArray(String[]::new));
        if (code != 0) {
            throw new AssertionError("brook storage format of node " + node.id + " failed (" + code + "): " + out
                    + err);
        }
    }

    String clusterId() {
        return clusterId;
    }

    Node node(int id) {
        Node node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("no node " + id + " in " + nodes.keySet());
        }
        return node;
    }

    Set<Integer> nodeIds() {
        return nodes.keySet();
    }

    /** The ids of the nodes whose process runs and is not paused. */
    List<Integer> liveNodes() {
        return nodes.values().stream().filter(n -> n.running() && !n.paused).map(n -> n.id).toList();
    }

    /**
     * Starts every node that is not running, all at once, and waits until each listens (those started with
     * {@link #launch} too).
     */
    BrookCluster startAll() throws Exception {
        for (Node node : nodes.values()) {
            if (!node.running()) {
                launch(node);
            }
        }
        for (Node node : nodes.values()) {
            if (node.pendingFrom != null) {
                awaitListening(node, node.pendingFrom);
            }
        }
        return this;
    }

    /** Starts one node and waits until it listens. */
    void start(int id) throws Exception {
        Node node = node(id);
        if (node.running()) {
            throw new IllegalStateException("node " + id + " runs already");
        }
        awaitListening(node, launch(node));
    }

    /** Starts one node's process without waiting for it to listen ({@link #startAll} waits for it). */
    void launch(int id) throws Exception {
        Node node = node(id);
        if (node.running()) {
            throw new IllegalStateException("node " + id + " runs already");
        }
        launch(node);
    }

    /** Starts the node's process; returns where its output of this start begins. */
    private long launch(Node node) throws Exception {
        long from = node.output.length();
        ProcessBuilder builder = new ProcessBuilder(new File(BrookFixture.ROOT, "bin/brook").getPath(), "server",
                "--config", node.configFile.getPath()).directory(BrookFixture.ROOT).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.output))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // -Dbrook.cluster.java.opts adds JVM options to every node (-Xlog:exceptions=info to find a throw site)
        builder.environment().put("BROOK_JAVA_OPTS", (NODE_JAVA_OPTS + " " + node.javaOpts + " "
                + System.getProperty("brook.cluster.java.opts", "")).strip());
        builder.environment().put("LOG_DIR", node.logDir.getPath());
        node.process = builder.start();
        node.paused = false;
        node.pendingFrom = from;
        Process started = node.process;
        node.killOnExit = new Thread(started::destroyForcibly, "brook-node-" + node.id + "-kill");
        Runtime.getRuntime().addShutdownHook(node.killOnExit);
        // the first start after a build trains the class-data archive (bin/brook): one node at a time does it
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (started.isAlive() && !started.info().command().map(c -> c.endsWith("/java")).orElse(true)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        return from;
    }

    private void awaitListening(Node node, long from) throws Exception {
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (true) {
            Matcher listening = LISTENING.matcher(read(node.output, from));
            if (listening.find()) {
                node.pendingFrom = null;
                if (!listening.group(2).equals(clusterId)) {
                    throw new AssertionError("node " + node.id + " runs in cluster " + listening.group(2)
                            + ", formatted for " + clusterId + "\n" + logTails());
                }
                return;
            }
            if (!node.process.isAlive() || System.currentTimeMillis() > deadline) {
                boolean alive = node.process.isAlive();
                node.pendingFrom = null;
                node.process.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
                forget(node);
                throw new AssertionError("node " + node.id + " did not start (" + (alive ? "no listening line "
                        + "within " + START_TIMEOUT_MS / 1000 + " s" : "exit " + node.process.exitValue()) + "):\n"
                        + logTails());
            }
            Thread.sleep(50);
        }
    }

    /** SIGTERM, as an operator stops a node: a clean shutdown; fails if it does not exit in time. */
    void stop(int id) throws Exception {
        Node node = node(id);
        resumeIfPaused(node);
        node.process.destroy();
        boolean exited = node.process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
        forget(node);
        if (!exited) {
            node.process.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            throw new AssertionError("node " + id + " did not stop within " + STOP_TIMEOUT_S + " s\n" + logTails());
        }
    }

    /** SIGKILL: the node dies at once, without a clean shutdown. */
    void kill(int id) throws Exception {
        Node node = node(id);
        if (!node.process.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS)) {
            throw new AssertionError("node " + id + " survived SIGKILL for " + STOP_TIMEOUT_S + " s");
        }
        node.paused = false;
        forget(node);
    }

    /** SIGSTOP: the node freezes (no heartbeats, no answers, sockets stay open) until {@link #resume}. */
    void pause(int id) throws Exception {
        Node node = node(id);
        signal(node, "STOP");
        node.paused = true;
    }

    /** SIGCONT: a paused node goes on where it stopped. */
    void resume(int id) throws Exception {
        Node node = node(id);
        signal(node, "CONT");
        node.paused = false;
    }

    /** Stops the node cleanly and starts it again on the same files and ports. */
    void restart(int id) throws Exception {
        stop(id);
        start(id);
    }

    private void resumeIfPaused(Node node) throws Exception {
        if (node.paused && node.running()) {
            resume(node.id);
        }
    }

    private static void signal(Node node, String signal) throws Exception {
        if (!node.running()) {
            throw new IllegalStateException("node " + node.id + " does not run");
        }
        Processes.run(new ProcessBuilder("kill", "-" + signal, String.valueOf(node.pid())), null,
                Duration.ofSeconds(30));
    }

    private static void forget(Node node) {
        try {
            Runtime.getRuntime().removeShutdownHook(node.killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /** The client addresses of every broker, running or not (clients skip the ones that do not answer). */
    String bootstrap() {
        return nodes.values().stream().filter(Node::isBroker).map(Node::bootstrap).collect(Collectors.joining(","));
    }

    /** The client addresses of the given nodes only. */
    String bootstrap(int... ids) {
        List<String> addresses = new ArrayList<>();
        for (int id : ids) {
            addresses.add(node(id).bootstrap());
        }
        return String.join(",", addresses);
    }

    /** Gives every client the harness makes from now on {@code settings} (a SASL login, say). */
    BrookCluster clientSettings(Map<String, Object> settings) {
        this.clientSettings = Map.copyOf(settings);
        return this;
    }

    /** An admin client of every node, with short timeouts so a dead node fails a call instead of stalling it. */
    Admin admin() {
        return admin(bootstrap());
    }

    /** An admin client that talks to {@code bootstrap} (see {@link #bootstrap(int...)}); closed with the cluster. */
    Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.putAll(clientSettings);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 500);
        return track(Admin.create(props));
    }

    KafkaProducer<byte[], byte[]> producer(String bootstrap, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.putAll(clientSettings);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        props.putAll(extra);
        return track(new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer()));
    }

    KafkaConsumer<byte[], byte[]> consumer(String bootstrap, Map<String, Object> extra) {
        Map<String, Object> props = new HashMap<>();
        props.putAll(clientSettings);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        props.putAll(extra);
        return track(new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
    }

    private <T extends AutoCloseable> T track(T client) {
        clients.add(client);
        return client;
    }

    /**
     * The active controller (the metadata quorum's leader) as the live brokers see it: waits until every live
     * broker's DescribeQuorum names the same leader, a live node. Fails after {@code timeout} with the answers seen.
     */
    int awaitActiveController(Duration timeout) throws Exception {
        Map<Integer, Object> seen = new TreeMap<>();
        return await("an active controller that every live node names", timeout, () -> {
            seen.clear();
            Integer leader = null;
            boolean agreed = true;
            for (int id : liveNodes()) {
                if (!node(id).isBroker()) {
                    continue; // a controller-only node has no client listener to ask
                }
                Object answer;
                Map<String, Object> props = new HashMap<>(clientSettings);
                props.putAll(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node(id).bootstrap(),
                        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000,
                        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3_000));
                try (Admin admin = Admin.create(props)) {
                    answer = admin.describeMetadataQuorum().quorumInfo().get(5, TimeUnit.SECONDS).leaderId();
                } catch (Exception e) {
                    answer = e.getClass().getSimpleName() + ": " + e.getMessage();
                }
                seen.put(id, answer);
                if (!(answer instanceof Integer id2) || (leader != null && !leader.equals(id2))) {
                    agreed = false;
                } else {
                    leader = id2;
                }
            }
            return agreed && leader != null && liveNodes().contains(leader) ? leader : null;
        }, () -> "each live node's answer: " + seen);
    }

    /**
     * The partitions of {@code topic} (leader, replicas, ISR) as the cluster's metadata shows them now (a fresh
     * Metadata request to any node that answers); fails when none answers within {@code timeout}.
     */
    List<TopicPartitionInfo> partitions(String topic, Duration timeout) throws Exception {
        if (metadataAdmin == null) {
            metadataAdmin = admin();
        }
        return metadataAdmin.describeTopics(List.of(topic)).allTopicNames().get(timeout.toMillis(),
                TimeUnit.MILLISECONDS).get(topic).partitions();
    }

    /** The live node that leads partition {@code partition} of {@code topic}; waits up to {@code timeout} for one. */
    int leaderOf(String topic, int partition, Duration timeout) throws Exception {
        return await("a live leader of " + topic + "-" + partition, timeout, () -> {
            org.apache.kafka.common.Node leader = partitions(topic, Duration.ofSeconds(10)).get(partition).leader();
            return leader != null && !leader.isEmpty() && liveNodes().contains(leader.id()) ? leader.id() : null;
        });
    }

    /**
     * Waits until every partition of {@code topic} has a live leader and {@code inSync} live replicas in its ISR
     * (after a fault: the cluster whole again); returns the partitions seen, fails after {@code timeout} with them.
     */
    List<TopicPartitionInfo> awaitInSync(String topic, int inSync, Duration timeout) throws Exception {
        List<List<TopicPartitionInfo>> seen = new ArrayList<>(List.of(List.of()));
        return await("every partition of " + topic + " led by a live node with " + inSync + " live in-sync replicas",
                timeout, () -> {
                    List<TopicPartitionInfo> partitions = partitions(topic, Duration.ofSeconds(10));
                    seen.set(0, partitions);
                    List<Integer> live = liveNodes();
                    for (TopicPartitionInfo p : partitions) {
                        if (p.leader() == null || p.leader().isEmpty() || !live.contains(p.leader().id())
                                || p.isr().stream().filter(r -> live.contains(r.id())).count() < inSync) {
                            return null;
                        }
                    }
                    return partitions;
                }, () -> "live nodes " + liveNodes() + ", partitions " + seen.get(0));
    }

    /**
     * Polls {@code probe} every 100 ms until it returns a value other than null or false (an exception counts as
     * not yet); fails after {@code timeout} with the last exception, {@code state} and every node's log tail.
     */
    <T> T await(String what, Duration timeout, Callable<T> probe, Callable<String> state) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                T value = probe.call();
                if (value != null && !Boolean.FALSE.equals(value)) {
                    return value;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                AssertionError failure = new AssertionError("no " + what + " within " + timeout.toSeconds() + " s"
                        + (last == null ? "" : "; last error: " + last) + "; " + state.call() + "\n" + logTails());
                if (last != null) {
                    failure.addSuppressed(last);
                }
                throw failure;
            }
            Thread.sleep(100);
        }
    }

    <T> T await(String what, Duration timeout, Callable<T> probe) throws Exception {
        return await(what, timeout, probe, () -> "");
    }

    /** Everything node {@code id} wrote to its server.log, over all its starts. */
    String serverLog(int id) throws IOException {
        return read(new File(node(id).logDir, "server.log"), 0);
    }

    /** The last lines of every node's output and server.log, for failure messages. */
    String logTails() {
        StringBuilder tails = new StringBuilder();
        for (Node node : nodes.values()) {
            tails.append("---- node ").append(node.id).append(node.running() ? node.paused ? " (paused)" : "" :
                    " (not running)").append(": ").append(node.output).append('\n').append(tail(node.output));
            File serverLog = new File(node.logDir, "server.log");
            tails.append("---- node ").append(node.id).append(" ").append(serverLog).append('\n')
                    .append(tail(serverLog));
        }
        return tails.toString();
    }

    private static String tail(File file) {
        try {
            if (!file.exists()) {
                return "(none)\n";
            }
            List<String> lines = Files.readAllLines(file.toPath(), StandardCharsets.UTF_8);
            return lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()).stream()
                    .map(l -> l + "\n").collect(Collectors.joining());
        } catch (IOException e) {
            return "(unreadable: " + e + ")\n";
        }
    }

    private static String read(File file, long from) throws IOException {
        if (!file.exists()) {
            return "";
        }
        byte[] all = Files.readAllBytes(file.toPath());
        int start = (int) Math.min(from, all.length);
        return new String(all, start, all.length - start, StandardCharsets.UTF_8);
    }

    /**
     * Closes the clients made so far ({@link #admin}, {@link #producer}, {@link #consumer}) and leaves the nodes
     * running: the end of a class that shares the cluster ({@link SharedCluster}).
     */
    void closeClients() {
        for (AutoCloseable client : clients) {
            try {
                if (client instanceof Admin admin) {
                    admin.close(Duration.ofSeconds(5));
                } else if (client instanceof KafkaProducer<?, ?> producer) {
                    producer.close(Duration.ofSeconds(5));
                } else if (client instanceof KafkaConsumer<?, ?> consumer) {
                    consumer.close(Duration.ofSeconds(5));
                } else {
                    client.close();
                }
            } catch (Exception e) {
                // closed already, or its node is gone: nothing to keep
            }
        }
        clients.clear();
        metadataAdmin = null;
    }

    /** Closes the clients it made, then stops every running node (SIGTERM, all at once; SIGKILL past the deadline). */
    @Override
    public void close() throws Exception {
        closeClients();
        if (network != null) {
            network.healAll(); // the nodes' controlled shutdowns need their links, so the proxies go last
        }
        List<Node> running = nodes.values().stream().filter(Node::running).toList();
        for (Node node : running) {
            resumeIfPaused(node);
            node.process.destroy();
        }
        List<Integer> stuck = new ArrayList<>();
        for (Node node : running) {
            if (!node.process.waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS)) {
                stuck.add(node.id);
                node.process.destroyForcibly().waitFor(STOP_TIMEOUT_S, TimeUnit.SECONDS);
            }
            forget(node);
        }
        if (network != null) {
            network.close();
        }
        if (!stuck.isEmpty()) {
            throw new AssertionError("nodes " + stuck + " did not stop within " + STOP_TIMEOUT_S + " s\n"
                    + logTails());
        }
    }

    /**
     * Prints every node's log tail when a test fails (before {@code @AfterEach} stops the nodes). Register it with
     * {@code @RegisterExtension} and point it at the test's cluster.
     */
    static final class LogsOnFailure implements AfterTestExecutionCallback {
        private volatile BrookCluster cluster;

        void watch(BrookCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public void afterTestExecution(ExtensionContext context) {
            BrookCluster watched = cluster;
            if (watched != null && context.getExecutionException().isPresent()) {
                System.err.println("[" + context.getDisplayName() + " failed] the cluster's logs:\n"
                        + watched.logTails());
            }
        }
    }
}
