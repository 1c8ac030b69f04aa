package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/brook cluster up|down} as a developer runs them (separate processes): up starts the nodes (combined,
 * or separate controllers and brokers) in the background and prints them, clients use the printed bootstrap servers, down stops every node, up again starts
 * the same cluster with its data; bad input (a directory in use, ports taken, a cluster already up, bad numbers)
 * is one line and starts nothing.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterCliTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(180);
    private static final Pattern NODE_LINE = Pattern.compile("(?m)^Node (\\d+): pid (\\d+), client localhost:(\\d+), "
            + "controller localhost:(\\d+), data (\\S+), log (\\S+) \\(output (\\S+)\\)$");
    private static final Pattern CONTROLLER_LINE = Pattern.compile("(?m)^Node (\\d+) \\(controller\\): pid (\\d+), "
            + "controller localhost:(\\d+), data (\\S+), log (\\S+) \\(output (\\S+)\\)$");
    private static final Pattern BROKER_LINE = Pattern.compile("(?m)^Node (\\d+) \\(broker\\): pid (\\d+), "
            + "client localhost:(\\d+), data (\\S+), log (\\S+) \\(output (\\S+)\\)$");
    private static final Pattern BOOTSTRAP = Pattern.compile("(?m)^Bootstrap servers: (\\S+)$");

    @TempDir
    File work;
    /** The cluster directories a test brought up: down at the end whatever happened. */
    private final List<File> upDirs = new ArrayList<>();

    @AfterEach
    void down() throws Exception {
        for (File dir : upDirs) {
            if (new File(dir, "brook-cluster.state").exists()) {
                inProcess("cluster", "down", "--dir", dir.getPath());
            }
        }
    }

    private static Processes.Output brook(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(new File(BrookFixture.ROOT, "bin/brook").getPath()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(BrookFixture.ROOT);
        builder.environment().put("BROOK_JAVA_OPTS", BrookCluster.NODE_JAVA_OPTS); // the command's and its nodes'
        return Processes.exec(builder, null, TIMEOUT);
    }

    /**
     * The command in this JVM: the refusals need no process of their own (nodes it starts are this JVM's children,
     * with the default heap of {@code cluster up}).
     */
    private static Processes.Output inProcess(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.brook.cli.BrookCli.commandLine().setOut(new java.io.PrintWriter(out))
                .setErr(new java.io.PrintWriter(err)).execute(args);
        return new Processes.Output(code, out.toString(), err.toString());
    }

    private Processes.Output upInProcess(File dir, String... args) {
        upDirs.add(dir);
        List<String> all = new ArrayList<>(List.of("cluster", "up", "--dir", dir.getPath()));
        all.addAll(List.of(args));
        return inProcess(all.toArray(String[]::new));
    }

    private Processes.Output up(File dir, String... args) throws Exception {
        upDirs.add(dir);
        List<String> all = new ArrayList<>(List.of("cluster", "up", "--dir", dir.getPath()));
        all.addAll(List.of(args));
        return brook(all.toArray(String[]::new));
    }

    /** A first port of {@code count} consecutive ports nothing listens on now. */
    private static int freePorts(int count) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int base;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                base = s.getLocalPort();
            }
            if (base + count > 65535) {
                continue;
            }
            boolean free = true;
            for (int p = base; p < base + count && free; p++) {
                try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                    s.getLocalPort();
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new AssertionError("no " + count + " consecutive free ports");
    }

    private static String oneLine(Processes.Output output) {
        String err = output.stderr().strip();
        assertEquals(1, err.lines().count(), "one line: " + output.all());
        return err;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static List<Long> pids(String upOutput) {
        List<Long> pids = new ArrayList<>();
        Matcher m = NODE_LINE.matcher(upOutput);
        while (m.find()) {
            pids.add(Long.parseLong(m.group(2)));
        }
        return pids;
    }

    @Test
    void upPrintsTheNodesClientsUseThemDownStopsThemAndUpAgainKeepsTheData() throws Exception {
        File dir = new File(work, "dev");
        int base = freePorts(6);
        Processes.Output up = up(dir, "--nodes", "3", "--base-port", String.valueOf(base));
        assertEquals(0, up.exitCode(), up.all());
        Matcher node = NODE_LINE.matcher(up.stdout());
        for (int id = 1; id <= 3; id++) {
            assertTrue(node.find(), up.stdout());
            assertEquals(id, Integer.parseInt(node.group(1)));
            assertTrue(alive(Long.parseLong(node.group(2))), "node " + id + " runs: " + up.stdout());
            assertEquals(base + 2 * (id - 1), Integer.parseInt(node.group(3)));
            assertEquals(base + 2 * (id - 1) + 1, Integer.parseInt(node.group(4)));
            assertEquals(new File(dir, "node" + id + "/data").getPath(), node.group(5));
            assertTrue(new File(node.group(5), "meta.properties").isFile(), "formatted");
            assertTrue(new File(node.group(7)).isFile(), "its output file");
        }
        Matcher bootstrapLine = BOOTSTRAP.matcher(up.stdout());
        assertTrue(bootstrapLine.find(), up.stdout());
        String bootstrap = bootstrapLine.group(1);
        assertEquals("localhost:" + base + ",localhost:" + (base + 2) + ",localhost:" + (base + 4), bootstrap);
        List<Long> pids = pids(up.stdout());

        // clients of the printed bootstrap servers create a topic, produce and consume
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic("dev-events", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
                produce(bootstrap, "dev-events", 5);
        assertEquals(List.of("event-0", "event-1", "event-2", "event-3", "event-4"), consume(bootstrap, "dev-events", 5));
        // bin/brook cluster: every node a broker and a controller, three voters, one leader
        String status = clusterStatus(bootstrap, List.of(1, 2, 3), List.of());
        for (int id = 1; id <= 3; id++) {
            assertTrue(status.contains("Node " + id + "\tlocalhost:" + (base + 2 * (id - 1)) + "\tbroker,controller\n"),
                    status);
        }

        Processes.Output down = brook("cluster", "down", "--dir", dir.getPath());
        assertEquals(0, down.exitCode(), down.all());
        for (int i = 0; i < 3; i++) {
            assertTrue(down.stdout().contains("Stopped node " + (i + 1) + " (pid " + pids.get(i) + ")."), down.stdout());
            assertFalse(alive(pids.get(i)), "node " + (i + 1) + " stopped");
        }

        // up on the same directory starts the same cluster: same ports, the topic and its records kept
        Processes.Output again = up(dir);
        assertEquals(0, again.exitCode(), again.all());
        assertTrue(again.stdout().contains("Bootstrap servers: " + bootstrap), again.stdout());
        assertEquals(List.of("event-0", "event-1", "event-2", "event-3", "event-4"), consume(bootstrap, "dev-events", 5));
        Processes.Output downAgain = brook("cluster", "down", "--dir", dir.getPath());
        assertEquals(0, downAgain.exitCode(), downAgain.all());
        pids(again.stdout()).forEach(pid -> assertFalse(alive(pid), "stopped: " + pid));
    }

    /**
     * {@code --controllers 1 --brokers 2} (the smallest separate-roles cluster: three JVMs instead of six keep CI
     * short; the node count is only a loop bound): a controller-only and two broker-only processes (ids 1 and 2-3,
     * each printed with its role, port and directory); clients of the printed bootstrap servers (the brokers only)
     * see the two brokers and write a replicated topic; down stops all three.
     */
    @Test
    void upWithSeparateRolesStartsControllersAndBrokersAndDownStopsThemAll() throws Exception {
        int controllers = 1;
        int brokers = 2;
        int nodes = controllers + brokers;
        File dir = new File(work, "roles");
        int base = freePorts(2 * nodes);
        Processes.Output up = up(dir, "--controllers", String.valueOf(controllers), "--brokers",
                String.valueOf(brokers), "--base-port", String.valueOf(base));
        assertEquals(0, up.exitCode(), up.all());
        List<Long> pids = new ArrayList<>();
        Matcher controller = CONTROLLER_LINE.matcher(up.stdout());
        for (int id = 1; id <= controllers; id++) {
            assertTrue(controller.find(), up.stdout());
            assertEquals(id, Integer.parseInt(controller.group(1)));
            pids.add(Long.parseLong(controller.group(2)));
            assertEquals(base + 2 * (id - 1) + 1, Integer.parseInt(controller.group(3)), "its quorum port");
            assertEquals(new File(dir, "node" + id + "/data").getPath(), controller.group(4));
            assertTrue(new File(controller.group(4), "meta.properties").isFile(), "formatted");
            String settings = Files.readString(new File(dir, "node" + id + "/server.properties").toPath());
            assertTrue(settings.contains("process.roles=controller\n"), settings);
        }
        assertFalse(controller.find(), "only " + controllers + " controller(s): " + up.stdout());
        Matcher broker = BROKER_LINE.matcher(up.stdout());
        List<String> brokerAddresses = new ArrayList<>();
        java.util.Set<Integer> brokerIds = new java.util.TreeSet<>();
        for (int id = controllers + 1; id <= nodes; id++) {
            assertTrue(broker.find(), up.stdout());
            assertEquals(id, Integer.parseInt(broker.group(1)));
            pids.add(Long.parseLong(broker.group(2)));
            assertEquals(base + 2 * (id - 1), Integer.parseInt(broker.group(3)), "its client port");
            assertTrue(new File(broker.group(4), "meta.properties").isFile(), "formatted");
            String settings = Files.readString(new File(dir, "node" + id + "/server.properties").toPath());
            assertTrue(settings.contains("process.roles=broker\n"), settings);
            // a broker names the controllers only by controller.quorum.bootstrap.servers (KIP-853) and learns the voters
            assertTrue(settings.contains("controller.quorum.bootstrap.servers=localhost:" + (base + 1) + "\n")
                    && !settings.contains("controller.quorum.voters"), settings);
            brokerAddresses.add("localhost:" + (base + 2 * (id - 1)));
            brokerIds.add(id);
        }
        assertFalse(broker.find(), "only " + brokers + " brokers: " + up.stdout());
        assertFalse(NODE_LINE.matcher(up.stdout()).find(), "no combined node: " + up.stdout());
        pids.forEach(pid -> assertTrue(alive(pid), "runs: " + pid + "\n" + up.stdout()));
        Matcher bootstrapLine = BOOTSTRAP.matcher(up.stdout());
        assertTrue(bootstrapLine.find(), up.stdout());
        String bootstrap = bootstrapLine.group(1);
        assertEquals(String.join(",", brokerAddresses), bootstrap, "the brokers are the bootstrap servers");

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            java.util.Set<Integer> listed = java.util.Set.of();
            while (listed.size() < brokers && System.nanoTime() < deadline) {
                listed = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).stream()
                        .map(org.apache.kafka.common.Node::id).collect(java.util.stream.Collectors.toSet());
                Thread.sleep(listed.size() < brokers ? 200 : 0);
            }
            assertEquals(brokerIds, listed, "the brokers, not the controllers");
            admin.createTopics(List.of(new NewTopic("roles-events", 1, (short) brokers))).all()
                    .get(60, TimeUnit.SECONDS);
        }
        produce(bootstrap, "roles-events", 3);
        assertEquals(List.of("event-0", "event-1", "event-2"), consume(bootstrap, "roles-events", 3));
        // bin/brook cluster: the controller at its controller listener (DescribeQuorum's Nodes), the brokers, and the
        // quorum (voter 1 leads, the brokers fetch the metadata log as observers)
        String status = clusterStatus(bootstrap, List.of(1), new ArrayList<>(brokerIds));
        assertTrue(status.contains("Node 1\tlocalhost:" + (base + 1) + "\tcontroller\n"), status);
        for (int id : brokerIds) {
            assertTrue(status.contains("Node " + id + "\tlocalhost:" + (base + 2 * (id - 1)) + "\tbroker\n"), status);
        }

        Processes.Output down = brook("cluster", "down", "--dir", dir.getPath());
        assertEquals(0, down.exitCode(), down.all());
        for (int i = 0; i < nodes; i++) {
            assertTrue(down.stdout().contains("Stopped node " + (i + 1) + " (pid " + pids.get(i) + ")."), down.stdout());
            assertFalse(alive(pids.get(i)), "node " + (i + 1) + " stopped");
        }
    }

    @Test
    void badInputIsOneLineAndStartsNothing() throws Exception {
        // numbers out of range: bad usage, nothing written
        File fresh = new File(work, "fresh");
        Processes.Output tooMany = inProcess("cluster", "up", "--nodes", "10", "--dir", fresh.getPath());
        assertEquals(2, tooMany.exitCode(), tooMany.all());
        assertEquals("brook: --nodes takes 1 to 9, got 10", oneLine(tooMany));
        Processes.Output badPort = inProcess("cluster", "up", "--nodes", "3", "--base-port", "65534", "--dir",
                fresh.getPath());
        assertEquals(2, badPort.exitCode(), badPort.all());
        assertTrue(oneLine(badPort).startsWith("brook: --base-port 65534 leaves ports 65534-65539 for 3 nodes"));
        // combined and separate roles mixed, half of the separate roles, too many: bad usage
        Processes.Output mixed = inProcess("cluster", "up", "--nodes", "3", "--controllers", "3", "--dir",
                fresh.getPath());
        assertEquals(2, mixed.exitCode(), mixed.all());
        assertEquals("brook: --nodes starts combined nodes, --controllers and --brokers separate ones: give --nodes "
                + "or --controllers with --brokers, not both", oneLine(mixed));
        Processes.Output half = inProcess("cluster", "up", "--controllers", "3", "--dir", fresh.getPath());
        assertEquals(2, half.exitCode(), half.all());
        assertEquals("brook: --controllers and --brokers go together (separate roles); for combined nodes give "
                + "--nodes", oneLine(half));
        Processes.Output tooManyRoles = inProcess("cluster", "up", "--controllers", "5", "--brokers", "5", "--dir",
                fresh.getPath());
        assertEquals(2, tooManyRoles.exitCode(), tooManyRoles.all());
        assertEquals("brook: --controllers 5 --brokers 5 make 10 nodes; one machine runs at most 9",
                oneLine(tooManyRoles));
        Processes.Output noBrokers = inProcess("cluster", "up", "--controllers", "3", "--brokers", "0", "--dir",
                fresh.getPath());
        assertEquals(2, noBrokers.exitCode(), noBrokers.all());
        assertEquals("brook: --brokers takes 1 to 8, got 0", oneLine(noBrokers));
        assertFalse(fresh.exists(), "a refused up leaves no directory");

        // a directory with files of something else
        File used = new File(work, "used");
        Files.createDirectories(used.toPath());
        Files.writeString(new File(used, "notes.txt").toPath(), "mine");
        Processes.Output inUse = upInProcess(used, "--nodes", "1");
        assertEquals(1, inUse.exitCode(), inUse.all());
        assertEquals("brook: " + used + " is in use: it holds files but no brook-cluster.state of brook cluster up; "
                + "pick another --dir", oneLine(inUse));
        assertEquals("mine", Files.readString(new File(used, "notes.txt").toPath()));

        // one node up; up again is refused, and so are its ports for another directory
        File one = new File(work, "one");
        int base = freePorts(2);
        Processes.Output up = upInProcess(one, "--nodes", "1", "--base-port", String.valueOf(base));
        assertEquals(0, up.exitCode(), up.all());
        long pid = pids(up.stdout()).get(0);
        Processes.Output already = upInProcess(one);
        assertEquals(1, already.exitCode(), already.all());
        assertEquals("brook: a cluster is already up in " + one + " (node 1 pid " + pid + "); stop it first with "
                + "bin/brook cluster down --dir " + one, oneLine(already));
        File other = new File(work, "other");
        Processes.Output portTaken = upInProcess(other, "--nodes", "1", "--base-port", String.valueOf(base));
        assertEquals(1, portTaken.exitCode(), portTaken.all());
        assertEquals("brook: port " + base + " (node 1's client listener) is in use; pick another --base-port or stop "
                + "what listens there", oneLine(portTaken));
        assertFalse(other.exists());
        Processes.Output downOne = inProcess("cluster", "down", "--dir", one.getPath());
        assertEquals(0, downOne.exitCode(), downOne.all());
        Processes.Output wrongCount = upInProcess(one, "--nodes", "3");
        assertEquals(2, wrongCount.exitCode(), wrongCount.all());
        assertEquals("brook: " + one + " holds a 1-node cluster; start it with --nodes 1, or pick another --dir for "
                + "3 nodes", oneLine(wrongCount));
        Processes.Output wrongRoles = upInProcess(one, "--controllers", "1", "--brokers", "1");
        assertEquals(2, wrongRoles.exitCode(), wrongRoles.all());
        assertEquals("brook: " + one + " holds a cluster of 1 combined node; start it with --nodes 1, or pick another "
                + "--dir for 1 controller and 1 broker", oneLine(wrongRoles));

        // down of a stopped cluster says so; down of no cluster is one line
        Processes.Output downStopped = inProcess("cluster", "down", "--dir", one.getPath());
        assertEquals(0, downStopped.exitCode(), downStopped.all());
        assertTrue(downStopped.stdout().contains("Node 1 was not running."), downStopped.stdout());
        Processes.Output nothing = inProcess("cluster", "down", "--dir", new File(work, "none").getPath());
        assertEquals(1, nothing.exitCode(), nothing.all());
        assertEquals("brook: no cluster in " + new File(work, "none") + " (no such directory): nothing to stop",
                oneLine(nothing));
    }

    /**
     * {@code bin/brook cluster} (in this JVM) against {@code bootstrap}, checked against {@code voters} and
     * {@code observers}, as {@code kafka-metadata-quorum describe --status/--replication} reports them: one leader of
     * the voters with its epoch and high watermark, each replica with its status, log end offset and lag (the
     * observers' fetches are seen within a while: the wait has a deadline); the JSON output has the same quorum.
     */
    private static String clusterStatus(String bootstrap, List<Integer> voters, List<Integer> observers)
            throws Exception {
        Pattern quorum = Pattern.compile("(?m)^Quorum: leader (\\d+), epoch (\\d+), high watermark (\\d+), voters "
                + Pattern.quote(voters.toString()) + ", max follower lag (\\d+) \\((\\d+) ms\\)$");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Processes.Output status = inProcess("cluster", "--bootstrap-server", bootstrap);
            assertEquals(0, status.exitCode(), status.all());
            last = status.stdout();
            Matcher m = quorum.matcher(last);
            // (the "Controller:" line is DescribeCluster's, which a broker answers with a broker as Kafka's do, KIP-590)
            if (m.find() && voters.contains(Integer.parseInt(m.group(1)))
                    && Long.parseLong(m.group(3)) > 0 && replicaLines(last, m.group(1), voters, observers)) {
                Processes.Output json = inProcess("cluster", "--bootstrap-server", bootstrap, "--output", "json");
                assertEquals(0, json.exitCode(), json.all());
                assertTrue(json.stdout().contains("\"quorum\":{\"leaderId\":" + m.group(1) + ",\"leaderEpoch\":")
                        && json.stdout().contains("\"status\":\"Leader\""), json.stdout());
                return last;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("bin/brook cluster did not show voters " + voters + " and observers " + observers
                + " with their lags:\n" + last);
    }

    /** Whether every voter and observer has its line: the leader's lag 0, everyone's log end offset and fetch age. */
    private static boolean replicaLines(String status, String leader, List<Integer> voters, List<Integer> observers) {
        List<Integer> all = new ArrayList<>(voters);
        all.addAll(observers);
        for (int id : all) {
            String role = String.valueOf(id).equals(leader) ? "Leader" : voters.contains(id) ? "Follower" : "Observer";
            Pattern line = Pattern.compile("(?m)^Replica " + id + "\t" + role + "\tlog end offset (\\d+)\tlag (\\d+)"
                    + "\tlast fetch (\\d+ ms ago|unknown)\tlast caught up (\\d+ ms ago|unknown)$");
            Matcher m = line.matcher(status);
            if (!m.find() || (role.equals("Leader") && !m.group(2).equals("0"))
                    || (!role.equals("Leader") && m.group(3).equals("unknown"))) {
                return false;
            }
        }
        return true;
    }

    private static void produce(String bootstrap, String topic, int count) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, ("event-" + i).getBytes(StandardCharsets.UTF_8)))
                        .get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static List<String> consume(String bootstrap, String topic, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }
}
