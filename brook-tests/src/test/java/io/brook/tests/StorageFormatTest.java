package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/brook storage random-uuid|format|info} and the start-up rules on formatted directories, with the
 * real command (separate processes): a node of a multi-voter quorum refuses an unformatted start with the exact
 * format command; a formatted one stops with the one line saying this build has no such quorum yet; a wrong
 * node.id or directories of two clusters stop the start; every refusal is one line and writes nothing.
 */
class StorageFormatTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final File NODE1 = new File(BrookFixture.ROOT, "config/cluster/node1.properties");
    private static final File BROKER4 = new File(BrookFixture.ROOT, "config/cluster/broker4.properties");
    @TempDir
    File work;

    private static Processes.Output brook(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(new File(BrookFixture.ROOT, "bin/brook").getPath()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(BrookFixture.ROOT);
        builder.environment().put("BROOK_JAVA_OPTS", "-Xms32m -Xmx256m");
        builder.environment().put("BROOK_CDS", "off"); // these starts stop before serving: no archive needed
        builder.environment().put("LOG_DIR", new File("target/server-logs/storage-format").getAbsolutePath());
        return Processes.exec(builder, null, TIMEOUT);
    }

    /** Every file under {@code dir} with its content: what a refused command must leave unchanged. */
    private static Map<String, String> snapshot(File dir) throws Exception {
        Map<String, String> files = new TreeMap<>();
        if (!dir.exists()) {
            return files;
        }
        try (Stream<Path> paths = Files.walk(dir.toPath())) {
            for (Path p : paths.toList()) {
                files.put(dir.toPath().relativize(p).toString(),
                        Files.isDirectory(p) ? "<dir>" : Files.readString(p));
            }
        }
        return files;
    }

    private static String oneLine(Processes.Output output) {
        String err = output.stderr().strip();
        assertEquals(1, err.lines().count(), "one line: " + output.all());
        return err;
    }

    @Test
    void randomUuidFormatAndInfo() throws Exception {
        Processes.Output uuid = brook("storage", "random-uuid");
        assertEquals(0, uuid.exitCode(), uuid.all());
        String clusterId = uuid.stdout().strip();
        assertTrue(clusterId.matches("[A-Za-z0-9_-]{22}"), clusterId);
        assertFalse(clusterId.equals(brook("storage", "random-uuid").stdout().strip()), "a new id each time");

        File a = new File(work, "a");
        File b = new File(work, "b");
        File meta = new File(work, "meta");
        String[] dirs = {"--override", "log.dirs=" + a + "," + b, "--override", "metadata.log.dir=" + meta};
        Processes.Output formatted = brook(concat(new String[]{"storage", "format", "--cluster-id", clusterId,
                "--config", NODE1.getPath()}, dirs));
        assertEquals(0, formatted.exitCode(), formatted.all());
        assertTrue(formatted.stdout().contains("Formatted data directory " + a + " (cluster " + clusterId
                + ", node 1, directory.id "), formatted.stdout());
        assertTrue(formatted.stdout().contains("Formatted metadata directory " + meta), formatted.stdout());
        List<String> directoryIds = new ArrayList<>();
        for (File dir : List.of(a, b, meta)) {
            String file = Files.readString(new File(dir, "meta.properties").toPath());
            assertTrue(file.contains("version=1") && file.contains("cluster.id=" + clusterId)
                    && file.contains("node.id=1"), file);
            directoryIds.add(file.lines().filter(l -> l.startsWith("directory.id=")).findFirst().orElseThrow());
        }
        assertEquals(3, directoryIds.stream().distinct().count(), "one directory id per directory: " + directoryIds);

        // formatted already: one line, exit 1, nothing changed; --ignore-formatted skips what is this node's
        Map<String, String> before = snapshot(work);
        Processes.Output again = brook(concat(new String[]{"storage", "format", "--cluster-id", clusterId,
                "--config", NODE1.getPath()}, dirs));
        assertEquals(1, again.exitCode(), again.all());
        assertEquals("brook: Log directory " + a + " is already formatted (cluster " + clusterId + ", node 1). Use "
                + "--ignore-formatted to ignore this directory and format the others.", oneLine(again));
        Processes.Output otherCluster = brook(concat(new String[]{"storage", "format", "--cluster-id",
                brook("storage", "random-uuid").stdout().strip(), "--config", NODE1.getPath(), "--ignore-formatted"},
                dirs));
        assertEquals(1, otherCluster.exitCode(), otherCluster.all());
        assertTrue(oneLine(otherCluster).startsWith("brook: Log directory " + a + " is already formatted for cluster "
                + clusterId + " and node 1, not for cluster "), otherCluster.all());
        assertEquals(before, snapshot(work), "a refused format writes nothing");
        Processes.Output ignored = brook(concat(new String[]{"storage", "format", "--cluster-id", clusterId,
                "--config", NODE1.getPath(), "--ignore-formatted"}, dirs));
        assertEquals(0, ignored.exitCode(), ignored.all());
        assertEquals("All of the log directories are already formatted.", ignored.stdout().strip());

        Processes.Output info = brook(concat(new String[]{"storage", "info", "--config", NODE1.getPath()}, dirs));
        assertEquals(0, info.exitCode(), info.all());
        assertTrue(info.stdout().contains(meta + " (metadata directory): cluster.id=" + clusterId + " node.id=1 "
                + "directory.id="), info.stdout());

        Processes.Output badId = brook(concat(new String[]{"storage", "format", "--cluster-id", "not-a-uuid",
                "--config", NODE1.getPath()}, dirs));
        assertEquals(1, badId.exitCode(), badId.all());
        assertTrue(oneLine(badId).startsWith("brook: Cluster ID string not-a-uuid does not appear to be a valid UUID"));
        Processes.Output badConfig = brook("storage", "format", "--cluster-id", clusterId, "--config",
                NODE1.getPath(), "--override", "controller.quorum.voters=2@localhost:29093");
        assertEquals(2, badConfig.exitCode(), badConfig.all());
        assertTrue(oneLine(badConfig).startsWith("brook: invalid setting: Invalid value 2@localhost:29093 for "
                + "configuration controller.quorum.voters: this node (node.id=1) has the controller role"));
    }

    @Test
    void aNodeOfAThreeVoterQuorumStartsOnlyFormatted() throws Exception {
        File data = new File(work, "node1");
        // unformatted: the exact command to run, exit 1, nothing written (not even the directory)
        Processes.Output unformatted = brook("server", "--config", NODE1.getPath(), "--override",
                "log.dirs=" + data);
        assertEquals(1, unformatted.exitCode(), unformatted.all());
        assertEquals("brook: the server could not start: no meta.properties in " + data + ": a node whose quorum has "
                + "other nodes needs its directories formatted with the cluster's id first; run bin/brook storage "
                + "random-uuid once, then on every node: bin/brook storage format --cluster-id <that id> --config "
                + NODE1.getPath() + " --override log.dirs=" + data, oneLine(unformatted));
        assertFalse(data.exists(), "nothing written");

        // the command it names works (the formatted node then waits for its quorum: ClusterTest runs three)
        String clusterId = brook("storage", "random-uuid").stdout().strip();
        Processes.Output format = brook("storage", "format", "--cluster-id", clusterId, "--config", NODE1.getPath(),
                "--override", "log.dirs=" + data);
        assertEquals(0, format.exitCode(), format.all());
        Map<String, String> formatted = snapshot(data);

        // a broker-only node is formatted the same way (it then follows its controllers: SeparateRolesTest)
        File brokerData = new File(work, "broker4");
        Processes.Output formatBroker = brook("storage", "format", "--cluster-id", clusterId, "--config",
                BROKER4.getPath(), "--override", "log.dirs=" + brokerData);
        assertEquals(0, formatBroker.exitCode(), formatBroker.all());
        assertTrue(Files.readString(new File(brokerData, "meta.properties").toPath()).contains("node.id=4"),
                "the broker's own id");

        // a wrong node.id: one line, nothing written
        Processes.Output wrongNode = brook("server", "--config", NODE1.getPath(), "--override", "log.dirs=" + data,
                "--override", "node.id=2", "--override", "listeners=PLAINTEXT://localhost:29092,"
                        + "CONTROLLER://localhost:29093");
        assertEquals(1, wrongNode.exitCode(), wrongNode.all());
        assertTrue(oneLine(wrongNode).startsWith("brook: the server could not start: The log directory " + data
                + " belongs to node 1 but this node is node.id=2"), wrongNode.all());
        assertEquals(formatted, snapshot(data));

        // a metadata.log.dir of another cluster: one line, nothing written
        File otherMeta = new File(work, "other-meta");
        String otherCluster = brook("storage", "random-uuid").stdout().strip();
        assertEquals(0, brook("storage", "format", "--cluster-id", otherCluster, "--override",
                "log.dirs=" + otherMeta).exitCode());
        Map<String, String> otherBefore = snapshot(otherMeta);
        Processes.Output twoClusters = brook("server", "--config", NODE1.getPath(), "--override", "log.dirs=" + data,
                "--override", "metadata.log.dir=" + otherMeta);
        assertEquals(1, twoClusters.exitCode(), twoClusters.all());
        assertTrue(oneLine(twoClusters).startsWith("brook: the server could not start: The log directories " + data
                + " (cluster " + clusterId + ") and " + otherMeta + " (cluster " + otherCluster
                + ") belong to different clusters"), twoClusters.all());
        assertEquals(formatted, snapshot(data));
        assertEquals(otherBefore, snapshot(otherMeta));
    }

    @Test
    void theSingleNodeDefaultFormatsItselfWithASeparateMetadataLogDirAndUpgradesBrooksEarlierFiles() throws Exception {
        File data = new File(work, "data");
        File meta = new File(work, "metadata");
        // a directory as earlier Brook builds left it: version 1 without a directory id
        Files.createDirectories(data.toPath());
        Files.writeString(new File(data, "meta.properties").toPath(), "version=1\nnode.id=1\ncluster.id=" + "MkU3OEVBNTcwNTJENDM2Qg\n");
        try (BrookFixture brook = new BrookFixture(data, Map.of("metadata.log.dir", meta.getPath()));
             Admin admin = brook.admin()) {
            assertEquals("MkU3OEVBNTcwNTJENDM2Qg", brook.clusterId(), "the existing cluster id is kept");
            admin.createTopics(List.of(new NewTopic("kept", 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
            brook.stop();
            for (File dir : List.of(data, meta)) {
                String file = Files.readString(new File(dir, "meta.properties").toPath());
                assertTrue(file.contains("version=1") && file.contains("cluster.id=MkU3OEVBNTcwNTJENDM2Qg")
                        && file.contains("node.id=1") && file.contains("directory.id="), dir + ": " + file);
            }
            assertTrue(new File(meta, "__cluster_metadata-0").isDirectory(), "the metadata log is in metadata.log.dir");
            assertFalse(new File(data, "__cluster_metadata-0").exists());
            brook.start();
            assertEquals(Set.of("kept"), admin.listTopics().names().get(30, TimeUnit.SECONDS),
                    "the topic is read back from metadata.log.dir");
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
