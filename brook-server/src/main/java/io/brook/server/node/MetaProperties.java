package io.brook.server.node;

import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * One directory's {@code meta.properties}, in Kafka's format, so Kafka's tools and Brook read each other's:
 * version 1 ({@code version=1}, {@code cluster.id}, {@code node.id}, and {@code directory.id}, the directory's
 * own Uuid of KIP-858) is what Brook writes; version 0 ({@code broker.id} instead of {@code node.id}, as
 * ZooKeeper-era Kafka wrote it) and Brook's earlier version-1 files without a directory id are read too.
 * {@code directoryId} is null when the file has none. The decisions over a node's directories are in
 * {@link MetaDirectories}. Immutable.
 */
public record MetaProperties(int version, String clusterId, int nodeId, Uuid directoryId) {
    public static final String FILE_NAME = "meta.properties";

    /** A version-1 file for a directory of {@code nodeId} in {@code clusterId}. */
    public static MetaProperties of(String clusterId, int nodeId, Uuid directoryId) {
        return new MetaProperties(1, clusterId, nodeId, directoryId);
    }

    /** This file as version 1 with the given directory id (an upgrade of an older or id-less file). */
    public MetaProperties withDirectoryId(Uuid id) {
        return of(clusterId, nodeId, id);
    }

    /** The file of {@code dir}, or null when it has none; a file Brook cannot use is a {@link MetaPropertiesException}. */
    public static MetaProperties read(File dir) throws IOException {
        File file = new File(dir, FILE_NAME);
        Properties props = readProperties(file);
        if (props == null) {
            return null;
        }
        String version = trimmed(props, "version");
        String clusterId = trimmed(props, "cluster.id");
        if (version == null) {
            throw new MetaPropertiesException(file + " has no version; it is not a meta.properties Brook or Kafka "
                    + "wrote (remove it, or the directory, to start fresh)");
        }
        if (clusterId == null || clusterId.isEmpty()) {
            throw new MetaPropertiesException(file + " has no cluster.id; remove the file (or format the "
                    + "directory again) to start fresh");
        }
        switch (version) {
            case "0" -> {
                return new MetaProperties(0, clusterId, intValue(file, props, "broker.id"), null);
            }
            case "1" -> {
                String directoryId = trimmed(props, "directory.id");
                Uuid id = null;
                if (directoryId != null) {
                    try {
                        id = Uuid.fromString(directoryId);
                    } catch (IllegalArgumentException e) {
                        throw new MetaPropertiesException(file + " has an invalid directory.id '" + directoryId
                                + "'; remove that line to give the directory a new id");
                    }
                }
                return new MetaProperties(1, clusterId, intValue(file, props, "node.id"), id);
            }
            default -> throw new MetaPropertiesException(file + " has version " + version
                    + ", which this build does not know (it reads versions 0 and 1)");
        }
    }

    /**
     * Writes this file into {@code dir} (created if missing) as version 1: to a temporary file, forced to
     * disk, renamed over the old one, and the directory forced, so a crash leaves the old file or the new.
     */
    public void write(File dir) throws IOException {
        if (version != 1 || directoryId == null) {
            throw new IllegalStateException("Brook writes version 1 with a directory id, not " + this);
        }
        Properties props = new Properties();
        props.setProperty("version", "1");
        props.setProperty("cluster.id", clusterId);
        props.setProperty("node.id", String.valueOf(nodeId));
        props.setProperty("directory.id", directoryId.toString());
        writeProperties(new File(dir, FILE_NAME), props, "Written by Brook");
    }

    /** The properties of {@code file}, or null when it does not exist. */
    static Properties readProperties(File file) throws IOException {
        if (!file.exists()) {
            return null;
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file.toPath(), StandardCharsets.UTF_8)) {
            props.load(reader);
        }
        return props;
    }

    /**
     * Writes {@code props} to {@code file} (its directory created if missing): to a temporary file, forced to disk,
     * renamed over the old one, and the directory forced, so a crash leaves the old file or the new.
     */
    static void writeProperties(File file, Properties props, String comment) throws IOException {
        File dir = file.getParentFile();
        Files.createDirectories(dir.toPath());
        File tmp = new File(dir, file.getName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Writer writer = Channels.newWriter(channel, StandardCharsets.UTF_8);
            props.store(writer, comment);
            writer.flush();
            channel.force(true);
        }
        Files.move(tmp.toPath(), file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(dir.toPath(), StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // some file systems cannot open a directory for reading; the rename is then as durable as they make it
        }
    }

    private static String trimmed(Properties props, String key) {
        String value = props.getProperty(key);
        return value == null ? null : value.trim();
    }

    private static int intValue(File file, Properties props, String key) throws MetaPropertiesException {
        String value = trimmed(props, key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new MetaPropertiesException(file + (value == null ? " has no " + key : " has an invalid " + key
                    + " '" + value + "'") + "; remove the file (or format the directory again) to start fresh");
        }
    }

    /** A node's directories cannot be used as they are: the message is one line saying why and what to do. */
    public static class MetaPropertiesException extends IOException {
        public MetaPropertiesException(String message) {
            super(message);
        }
    }
}
