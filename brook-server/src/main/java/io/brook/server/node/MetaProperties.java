package io.brook.server.node;

import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Properties;

/**
 * {@code meta.properties} in each log directory, as Kafka writes it: the cluster id and node id
 * the directory belongs to. Created on first start; a later start with another node.id fails
 * instead of mixing two nodes' data.
 */
public record MetaProperties(String clusterId, int nodeId) {
    public static final String FILE_NAME = "meta.properties";

    /**
     * Reads every directory's file; those without one (a first start, a directory added to
     * {@code log.dirs}) get one with the cluster id the others agree on, or a new id.
     */
    public static MetaProperties loadOrCreate(List<File> logDirs, int nodeId) throws IOException {
        MetaProperties found = null;
        File foundIn = null;
        for (File dir : logDirs) {
            MetaProperties meta = load(dir, nodeId);
            if (meta != null && found != null && !meta.clusterId().equals(found.clusterId())) {
                throw new IOException("The log directories " + foundIn + " (cluster " + found.clusterId() + ") and "
                        + dir + " (cluster " + meta.clusterId() + ") belong to different clusters; "
                        + "list only one cluster's directories in log.dirs");
            }
            if (meta != null && found == null) {
                found = meta;
                foundIn = dir;
            }
        }
        MetaProperties meta = found != null ? found : new MetaProperties(Uuid.randomUuid().toString(), nodeId);
        for (File dir : logDirs) {
            if (!new File(dir, FILE_NAME).exists()) {
                write(dir, meta);
            }
        }
        return meta;
    }

    private static MetaProperties load(File logDir, int nodeId) throws IOException {
        Files.createDirectories(logDir.toPath());
        File file = new File(logDir, FILE_NAME);
        if (!file.exists()) {
            return null;
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)) {
            props.load(reader);
        }
        String clusterId = props.getProperty("cluster.id");
        int storedNode = Integer.parseInt(props.getProperty("node.id", String.valueOf(nodeId)));
        if (clusterId == null) {
            throw new IOException(file + " has no cluster.id; remove the file or the directory to start fresh");
        }
        if (storedNode != nodeId) {
            throw new IOException("The log directory " + logDir + " belongs to node " + storedNode
                    + " but this node is node.id=" + nodeId + "; use another log.dirs or the same node.id");
        }
        return new MetaProperties(clusterId, nodeId);
    }

    private static void write(File logDir, MetaProperties meta) throws IOException {
        Properties props = new Properties();
        props.setProperty("version", "1");
        props.setProperty("cluster.id", meta.clusterId());
        props.setProperty("node.id", String.valueOf(meta.nodeId()));
        File tmp = new File(logDir, FILE_NAME + ".tmp");
        try (Writer writer = Files.newBufferedWriter(tmp.toPath(), StandardCharsets.UTF_8)) {
            props.store(writer, "Written by Brook");
        }
        Files.move(tmp.toPath(), new File(logDir, FILE_NAME).toPath(), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }
}
