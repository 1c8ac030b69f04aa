package io.brook.server.node;

import io.brook.server.node.MetaProperties.MetaPropertiesException;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code meta.properties} of all of a node's directories (log directories and the metadata log's), read
 * once, and the decisions over them, made without I/O: what a start may write ({@link #planStart}) and what
 * {@code bin/brook storage format} writes ({@link #planFormat}). Every refusal is a
 * {@link MetaPropertiesException} with one line of explanation, raised before anything is written, so a
 * refused start or format leaves the directories as they were. Kafka's rules (its MetaPropertiesEnsemble and
 * kafka-storage): every directory belongs to one cluster and one node, directory ids are distinct, a
 * directory added to a formatted node is formatted like the others at start. Immutable.
 */
public final class MetaDirectories {
    private final Map<File, MetaProperties> files;

    /** {@code files}: every directory, in order, to its meta.properties or null when it has none. */
    public MetaDirectories(Map<File, MetaProperties> files) {
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /** Reads the meta.properties of each directory (writing and creating nothing). */
    public static MetaDirectories read(List<File> dirs) throws IOException {
        Map<File, MetaProperties> files = new LinkedHashMap<>();
        for (File dir : dirs) {
            files.put(dir, MetaProperties.read(dir));
        }
        return new MetaDirectories(files);
    }

    /** Every directory to its meta.properties, or to null when it has none. */
    public Map<File, MetaProperties> files() {
        return files;
    }

    /** The meta.properties of {@code dir} (however its path is spelled), or null when it has none or is not listed. */
    public MetaProperties fileOf(File dir) {
        return files.entrySet().stream().filter(e -> sameDir(e.getKey(), dir)).map(Map.Entry::getValue)
                .filter(m -> m != null).findFirst().orElse(null);
    }

    /** What a start or format decided: the node's cluster id and the files to write (directory to content). */
    public record Plan(String clusterId, Map<File, MetaProperties> writes) {
        public Plan {
            writes = Collections.unmodifiableMap(new LinkedHashMap<>(writes));
        }

        /** Writes the planned files. */
        public void write() throws IOException {
            for (Map.Entry<File, MetaProperties> e : writes.entrySet()) {
                e.getValue().write(e.getKey());
            }
        }
    }

    /**
     * A start of node {@code nodeId}: the files must agree with each other and with the node. When none
     * exists, a node that is its own quorum gets a new cluster id ({@code newClusterId}), and one whose quorum
     * names other nodes ({@code formatRequired}) is refused with {@link NotFormattedException}: its cluster id
     * must come from {@code bin/brook storage format}, the same on every node. Directories without a file (a
     * directory added to log.dirs) and files without a directory id (Brook's earlier ones) get one.
     */
    public Plan planStart(int nodeId, boolean formatRequired, Supplier<String> newClusterId,
                          Supplier<Uuid> newDirectoryId) throws MetaPropertiesException {
        String clusterId = checkConsistent(nodeId);
        if (clusterId == null) {
            if (formatRequired) {
                throw new NotFormattedException(new ArrayList<>(files.keySet()));
            }
            clusterId = newClusterId.get();
        }
        Map<File, MetaProperties> writes = new LinkedHashMap<>();
        List<Uuid> taken = new ArrayList<>(files.values().stream().filter(m -> m != null && m.directoryId() != null)
                .map(MetaProperties::directoryId).toList());
        for (Map.Entry<File, MetaProperties> e : files.entrySet()) {
            MetaProperties meta = e.getValue();
            if (meta == null) {
                writes.put(e.getKey(), MetaProperties.of(clusterId, nodeId, freshId(taken, newDirectoryId)));
            } else if (meta.version() == 1 && meta.directoryId() == null) {
                writes.put(e.getKey(), meta.withDirectoryId(freshId(taken, newDirectoryId)));
            }
        }
        return new Plan(clusterId, writes);
    }

    /**
     * {@code bin/brook storage format --cluster-id clusterId}: every directory without a file gets one. A
     * formatted directory is refused (as Kafka's kafka-storage) unless {@code ignoreFormatted}, which skips it
     * if it belongs to this cluster and node and still refuses one of another cluster or node (the node could
     * not start with it).
     */
    public Plan planFormat(String clusterId, int nodeId, boolean ignoreFormatted, Supplier<Uuid> newDirectoryId)
            throws MetaPropertiesException {
        return planFormat(clusterId, nodeId, ignoreFormatted, newDirectoryId, null, null);
    }

    /**
     * {@link #planFormat(String, int, boolean, Supplier)} where directory {@code fixedDir} (the metadata log's, of a
     * controller named in the quorum's initial voters) must get the directory id {@code fixedId}; refused when it
     * already has another, or another directory has that one.
     */
    public Plan planFormat(String clusterId, int nodeId, boolean ignoreFormatted, Supplier<Uuid> newDirectoryId,
                           File fixedDir, Uuid fixedId) throws MetaPropertiesException {
        Uuid parsed;
        try {
            parsed = Uuid.fromString(clusterId);
        } catch (IllegalArgumentException e) {
            throw new MetaPropertiesException("Cluster ID string " + clusterId + " does not appear to be a valid "
                    + "UUID (22 characters of URL-safe base64); make one with bin/brook storage random-uuid");
        }
        if (parsed.equals(Uuid.ZERO_UUID) || parsed.equals(Uuid.METADATA_TOPIC_ID)) {
            throw new MetaPropertiesException("Cluster ID string " + clusterId + " is reserved; make one with "
                    + "bin/brook storage random-uuid");
        }
        List<Uuid> taken = new ArrayList<>(files.values().stream().filter(m -> m != null && m.directoryId() != null)
                .map(MetaProperties::directoryId).toList());
        if (fixedId != null && fileOf(fixedDir) == null) {
            if (taken.contains(fixedId)) {
                throw new MetaPropertiesException("Another directory of node " + nodeId + " already has the "
                        + "directory id " + fixedId + " that --initial-controllers gives its metadata directory");
            }
            taken.add(fixedId); // no other directory draws it
        }
        Map<File, MetaProperties> writes = new LinkedHashMap<>();
        for (Map.Entry<File, MetaProperties> e : files.entrySet()) {
            MetaProperties meta = e.getValue();
            boolean fixed = fixedId != null && sameDir(e.getKey(), fixedDir);
            if (meta != null && fixed && ignoreFormatted && !fixedId.equals(meta.directoryId())) {
                throw new MetaPropertiesException("Log directory " + e.getKey() + " is already formatted with the "
                        + "directory id " + meta.directoryId() + ", not " + fixedId + " as --initial-controllers "
                        + "gives node " + nodeId + "; give its own id there");
            }
            if (meta == null && fixed) {
                writes.put(e.getKey(), MetaProperties.of(clusterId, nodeId, fixedId));
            } else if (meta == null) {
                writes.put(e.getKey(), MetaProperties.of(clusterId, nodeId, freshId(taken, newDirectoryId)));
            } else if (!ignoreFormatted) {
                throw new MetaPropertiesException("Log directory " + e.getKey() + " is already formatted (cluster "
                        + meta.clusterId() + ", node " + meta.nodeId() + "). Use --ignore-formatted to ignore this "
                        + "directory and format the others.");
            } else if (!meta.clusterId().equals(clusterId) || meta.nodeId() != nodeId) {
                throw new MetaPropertiesException("Log directory " + e.getKey() + " is already formatted for "
                        + "cluster " + meta.clusterId() + " and node " + meta.nodeId() + ", not for cluster "
                        + clusterId + " and node " + nodeId + "; a node's directories must all belong to one "
                        + "cluster and node (remove its meta.properties, and its data, to reuse it)");
            }
        }
        return new Plan(clusterId, writes);
    }

    /** The cluster id the existing files agree on, or null when there are none; refuses files that disagree. */
    private String checkConsistent(int nodeId) throws MetaPropertiesException {
        File clusterFrom = null;
        String clusterId = null;
        Map<Uuid, File> directoryIds = new HashMap<>();
        for (Map.Entry<File, MetaProperties> e : files.entrySet()) {
            MetaProperties meta = e.getValue();
            if (meta == null) {
                continue;
            }
            if (meta.nodeId() != nodeId) {
                throw new MetaPropertiesException("The log directory " + e.getKey() + " belongs to node "
                        + meta.nodeId() + " but this node is node.id=" + nodeId + " (stored in " + e.getKey()
                        + "/" + MetaProperties.FILE_NAME + "); use the same node.id, or other directories for a "
                        + "new node");
            }
            if (clusterId != null && !clusterId.equals(meta.clusterId())) {
                throw new MetaPropertiesException("The log directories " + clusterFrom + " (cluster " + clusterId
                        + ") and " + e.getKey() + " (cluster " + meta.clusterId() + ") belong to different clusters; "
                        + "list only one cluster's directories in log.dirs and metadata.log.dir");
            }
            if (clusterId == null) {
                clusterId = meta.clusterId();
                clusterFrom = e.getKey();
            }
            if (meta.directoryId() != null) {
                File other = directoryIds.putIfAbsent(meta.directoryId(), e.getKey());
                if (other != null) {
                    throw new MetaPropertiesException("The log directories " + other + " and " + e.getKey()
                            + " have the same directory.id " + meta.directoryId() + " (was one copied from the "
                            + "other?); remove the directory.id line from one's meta.properties to give it a new id");
                }
                if (DirectoryId.reserved(meta.directoryId())) {
                    throw new MetaPropertiesException("The log directory " + e.getKey() + " has the reserved "
                            + "directory.id " + meta.directoryId() + "; remove that line to give it a new id");
                }
            }
        }
        return clusterId;
    }

    private static boolean sameDir(File a, File b) {
        return a.getAbsoluteFile().toPath().normalize().equals(b.getAbsoluteFile().toPath().normalize());
    }

    private static Uuid freshId(List<Uuid> taken, Supplier<Uuid> newDirectoryId) {
        Uuid id;
        do {
            id = newDirectoryId.get();
        } while (taken.contains(id) || DirectoryId.reserved(id));
        taken.add(id);
        return id;
    }

    /**
     * A node whose quorum names other nodes found none of its directories formatted: it must not make up a
     * cluster id of its own. {@link #directories()} are the ones it looked in.
     */
    public static final class NotFormattedException extends MetaPropertiesException {
        private final List<File> directories;

        NotFormattedException(List<File> directories) {
            super("no meta.properties in " + String.join(", ", directories.stream().map(File::getPath).toList())
                    + ": a node whose quorum has other nodes needs its directories formatted with the cluster's id "
                    + "first");
            this.directories = List.copyOf(directories);
        }

        public List<File> directories() {
            return directories;
        }
    }
}
