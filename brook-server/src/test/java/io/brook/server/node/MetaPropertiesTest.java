package io.brook.server.node;

import io.brook.server.node.MetaDirectories.NotFormattedException;
import io.brook.server.node.MetaProperties.MetaPropertiesException;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.properties.MetaPropertiesVersion;
import org.apache.kafka.metadata.properties.PropertiesUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code meta.properties}: Kafka's v1 format written and read (Kafka's own parser reads Brook's files and Brook
 * reads Kafka's, v0 included), and the decisions over a node's directories at start and at format.
 */
class MetaPropertiesTest {
    private static final String CLUSTER = "MkU3OEVBNTcwNTJENDM2Qg";
    @TempDir
    File tmp;

    private File dir(String name) {
        return new File(tmp, name);
    }

    private static void writeFile(File dir, String content) throws Exception {
        Files.createDirectories(dir.toPath());
        Files.writeString(new File(dir, MetaProperties.FILE_NAME).toPath(), content);
    }

    @Test
    void writtenInKafkasV1FormatAndReadBackByKafka() throws Exception {
        Uuid directoryId = DirectoryId.random();
        MetaProperties.of(CLUSTER, 3, directoryId).write(dir("a"));
        assertEquals(MetaProperties.of(CLUSTER, 3, directoryId), MetaProperties.read(dir("a")));
        assertFalse(new File(dir("a"), "meta.properties.tmp").exists());

        // Kafka's own parser (kafka-metadata) reads what Brook wrote
        Properties props = PropertiesUtils.readPropertiesFile(new File(dir("a"), "meta.properties").getPath());
        org.apache.kafka.metadata.properties.MetaProperties kafka =
                new org.apache.kafka.metadata.properties.MetaProperties.Builder(props).build();
        assertEquals(MetaPropertiesVersion.V1, kafka.version());
        assertEquals(CLUSTER, kafka.clusterId().orElseThrow());
        assertEquals(3, kafka.nodeId().orElseThrow());
        assertEquals(directoryId, kafka.directoryId().orElseThrow());
    }

    @Test
    void readsWhatKafkaWritesV0AndV1() throws Exception {
        Uuid directoryId = DirectoryId.random();
        org.apache.kafka.metadata.properties.MetaProperties v1 =
                new org.apache.kafka.metadata.properties.MetaProperties.Builder().setVersion(MetaPropertiesVersion.V1)
                        .setClusterId(CLUSTER).setNodeId(2).setDirectoryId(directoryId).build();
        Files.createDirectories(dir("v1").toPath());
        PropertiesUtils.writePropertiesFile(v1.toProperties(), new File(dir("v1"), "meta.properties").getPath(), true);
        assertEquals(MetaProperties.of(CLUSTER, 2, directoryId), MetaProperties.read(dir("v1")));

        org.apache.kafka.metadata.properties.MetaProperties v0 =
                new org.apache.kafka.metadata.properties.MetaProperties.Builder().setVersion(MetaPropertiesVersion.V0)
                        .setClusterId(CLUSTER).setNodeId(5).build();
        Files.createDirectories(dir("v0").toPath());
        PropertiesUtils.writePropertiesFile(v0.toProperties(), new File(dir("v0"), "meta.properties").getPath(), true);
        assertEquals(new MetaProperties(0, CLUSTER, 5, null), MetaProperties.read(dir("v0")));

        // Brook's earlier files: version 1 without a directory id
        writeFile(dir("old"), "#Written by Brook\nversion=1\ncluster.id=" + CLUSTER + "\nnode.id=1\n");
        assertEquals(new MetaProperties(1, CLUSTER, 1, null), MetaProperties.read(dir("old")));
        assertNull(MetaProperties.read(dir("none")));
        assertFalse(dir("none").exists(), "reading creates nothing");
    }

    @Test
    void filesBrookCannotUseAreOneLineErrors() throws Exception {
        writeFile(dir("a"), "version=1\nnode.id=1\n");
        assertTrue(message(dir("a")).endsWith("meta.properties has no cluster.id; remove the file (or format the "
                + "directory again) to start fresh"));
        writeFile(dir("a"), "cluster.id=x\nnode.id=1\n");
        assertTrue(message(dir("a")).contains("has no version"));
        writeFile(dir("a"), "version=2\ncluster.id=x\nnode.id=1\n");
        assertTrue(message(dir("a")).contains("has version 2, which this build does not know"));
        writeFile(dir("a"), "version=1\ncluster.id=x\nnode.id=one\n");
        assertTrue(message(dir("a")).contains("has an invalid node.id 'one'"));
        writeFile(dir("a"), "version=0\ncluster.id=x\n");
        assertTrue(message(dir("a")).contains("has no broker.id"));
        writeFile(dir("a"), "version=1\ncluster.id=x\nnode.id=1\ndirectory.id=nope\n");
        assertTrue(message(dir("a")).contains("has an invalid directory.id 'nope'"));
    }

    private static String message(File dir) {
        MetaPropertiesException e = assertThrows(MetaPropertiesException.class, () -> MetaProperties.read(dir));
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    private static java.util.function.Supplier<Uuid> ids(Uuid... uuids) {
        Iterator<Uuid> it = List.of(uuids).iterator();
        return it::next;
    }

    private MetaDirectories dirs(Object... dirAndMeta) {
        Map<File, MetaProperties> files = new LinkedHashMap<>();
        for (int i = 0; i < dirAndMeta.length; i += 2) {
            files.put(dir((String) dirAndMeta[i]), (MetaProperties) dirAndMeta[i + 1]);
        }
        return new MetaDirectories(files);
    }

    @Test
    void aFirstStartOfTheSingleNodeDefaultCreatesTheFiles() throws Exception {
        Uuid a = Uuid.randomUuid();
        Uuid b = Uuid.randomUuid();
        MetaDirectories.Plan plan = dirs("a", null, "b", null).planStart(1, false, () -> CLUSTER, ids(a, b));
        assertEquals(CLUSTER, plan.clusterId());
        assertEquals(Map.of(dir("a"), MetaProperties.of(CLUSTER, 1, a), dir("b"), MetaProperties.of(CLUSTER, 1, b)),
                plan.writes());
        plan.write();
        assertEquals(MetaProperties.of(CLUSTER, 1, b), MetaProperties.read(dir("b")));
    }

    @Test
    void aMultiNodeQuorumRefusesToStartUnformattedAndWritesNothing() throws Exception {
        NotFormattedException e = assertThrows(NotFormattedException.class,
                () -> MetaDirectories.read(List.of(dir("a"), dir("m"))).planStart(1, true, () -> CLUSTER,
                        DirectoryId::random));
        assertEquals("no meta.properties in " + dir("a") + ", " + dir("m") + ": a node whose quorum has other nodes "
                + "needs its directories formatted with the cluster's id first", e.getMessage());
        assertEquals(List.of(dir("a"), dir("m")), e.directories());
        assertFalse(dir("a").exists() || dir("m").exists());
    }

    @Test
    void formattedDirectoriesDecideAndNewOnesFollow() throws Exception {
        Uuid a = Uuid.randomUuid();
        Uuid fresh = Uuid.randomUuid();
        // a directory added to log.dirs of a formatted node is formatted like the others, also in a cluster
        MetaDirectories.Plan plan = dirs("a", MetaProperties.of(CLUSTER, 2, a), "b", null)
                .planStart(2, true, () -> "unused", ids(a, fresh));
        assertEquals(CLUSTER, plan.clusterId());
        assertEquals(Map.of(dir("b"), MetaProperties.of(CLUSTER, 2, fresh)), plan.writes(),
                "a new directory id, never one in use");
        // Brook's earlier files get a directory id; Kafka's v0 files are left as they are
        Uuid added = Uuid.randomUuid();
        MetaDirectories.Plan upgrade = dirs("old", new MetaProperties(1, CLUSTER, 2, null),
                "v0", new MetaProperties(0, CLUSTER, 2, null)).planStart(2, false, () -> "unused", ids(added));
        assertEquals(Map.of(dir("old"), MetaProperties.of(CLUSTER, 2, added)), upgrade.writes());
        // nothing to do on a normal restart
        assertEquals(Map.of(), dirs("a", MetaProperties.of(CLUSTER, 2, a)).planStart(2, true, () -> "x",
                DirectoryId::random).writes());
    }

    @Test
    void disagreeingDirectoriesAreRefused() {
        Uuid a = Uuid.randomUuid();
        Uuid b = Uuid.randomUuid();
        String wrongNode = refusedStart(dirs("a", MetaProperties.of(CLUSTER, 2, a)), 1);
        assertEquals("The log directory " + dir("a") + " belongs to node 2 but this node is node.id=1 (stored in "
                + dir("a") + "/meta.properties); use the same node.id, or other directories for a new node", wrongNode);
        String twoClusters = refusedStart(dirs("a", MetaProperties.of(CLUSTER, 1, a), "b",
                MetaProperties.of("other", 1, b)), 1);
        assertTrue(twoClusters.startsWith("The log directories " + dir("a") + " (cluster " + CLUSTER + ") and "
                + dir("b") + " (cluster other) belong to different clusters"), twoClusters);
        String copied = refusedStart(dirs("a", MetaProperties.of(CLUSTER, 1, a), "b", MetaProperties.of(CLUSTER, 1, a)), 1);
        assertTrue(copied.contains("have the same directory.id " + a), copied);
        String reserved = refusedStart(dirs("a", MetaProperties.of(CLUSTER, 1, DirectoryId.LOST)), 1);
        assertTrue(reserved.contains("has the reserved directory.id"), reserved);
    }

    private static String refusedStart(MetaDirectories dirs, int nodeId) {
        MetaPropertiesException e = assertThrows(MetaPropertiesException.class,
                () -> dirs.planStart(nodeId, false, () -> CLUSTER, DirectoryId::random));
        assertFalse(e.getMessage().contains("\n"));
        return e.getMessage();
    }

    @Test
    void format() throws Exception {
        Uuid a = Uuid.randomUuid();
        Uuid b = Uuid.randomUuid();
        assertEquals(Map.of(dir("a"), MetaProperties.of(CLUSTER, 4, a), dir("b"), MetaProperties.of(CLUSTER, 4, b)),
                dirs("a", null, "b", null).planFormat(CLUSTER, 4, false, ids(a, b)).writes());

        MetaDirectories half = dirs("a", MetaProperties.of(CLUSTER, 4, a), "b", null);
        MetaPropertiesException formatted = assertThrows(MetaPropertiesException.class,
                () -> half.planFormat(CLUSTER, 4, false, DirectoryId::random));
        assertEquals("Log directory " + dir("a") + " is already formatted (cluster " + CLUSTER + ", node 4). Use "
                + "--ignore-formatted to ignore this directory and format the others.", formatted.getMessage());
        assertEquals(Map.of(dir("b"), MetaProperties.of(CLUSTER, 4, b)),
                half.planFormat(CLUSTER, 4, true, ids(a, b)).writes(), "the used directory id is skipped");
        MetaPropertiesException otherCluster = assertThrows(MetaPropertiesException.class,
                () -> half.planFormat("RWx0ZXJuYXRpdmVDbHVzdA", 4, true, DirectoryId::random));
        assertTrue(otherCluster.getMessage().startsWith("Log directory " + dir("a") + " is already formatted for "
                + "cluster " + CLUSTER + " and node 4, not for cluster RWx0ZXJuYXRpdmVDbHVzdA and node 4"),
                otherCluster.getMessage());
        assertThrows(MetaPropertiesException.class, () -> half.planFormat(CLUSTER, 5, true, DirectoryId::random));
        assertEquals(Map.of(), dirs("a", MetaProperties.of(CLUSTER, 4, a)).planFormat(CLUSTER, 4, true,
                DirectoryId::random).writes());

        MetaPropertiesException badId = assertThrows(MetaPropertiesException.class,
                () -> dirs("a", null).planFormat("not-a-uuid", 1, false, DirectoryId::random));
        assertTrue(badId.getMessage().startsWith("Cluster ID string not-a-uuid does not appear to be a valid UUID"),
                badId.getMessage());
        assertThrows(MetaPropertiesException.class,
                () -> dirs("a", null).planFormat(Uuid.ZERO_UUID.toString(), 1, false, DirectoryId::random));
    }

    @Test
    void directoryIdsAreFreshAndNotReserved() throws Exception {
        Uuid used = Uuid.randomUuid();
        Uuid fresh = Uuid.randomUuid();
        List<Uuid> offered = new ArrayList<>(List.of(DirectoryId.UNASSIGNED, used, DirectoryId.LOST, fresh));
        MetaDirectories.Plan plan = dirs("a", MetaProperties.of(CLUSTER, 1, used), "b", null)
                .planStart(1, false, () -> CLUSTER, () -> offered.remove(0));
        assertEquals(fresh, plan.writes().get(dir("b")).directoryId());
    }
}
