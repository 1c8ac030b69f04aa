package io.brook.metadata.quorum;

import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The snapshots Ratis knows of, in Ratis's state-machine directory ({@code <storage>/<group>/sm}): one
 * directory {@code snapshot.<term>_<index>} per snapshot holding the owner's files (hard links when the
 * file system allows, else copies). A directory appears by an atomic rename, so a directory with that name
 * is complete. A snapshot received from the leader arrives the same way: Ratis writes its files under
 * a temporary directory and renames it to the state-machine directory (plus {@code .md5} files it adds).
 *
 * <p>Thread-safety: {@link #save} and {@link #reload} are called on the listener thread or while the
 * state machine is paused; {@link #getLatestSnapshot} may be read from any thread.
 */
final class SnapshotStore implements StateMachineStorage {
    private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);
    private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
    private static final String STAGING = ".staging-";
    private static final String MD5 = ".md5";

    private volatile File dir;
    private volatile FileListSnapshotInfo latest;

    @Override
    public void init(RaftStorage raftStorage) throws IOException {
        dir = raftStorage.getStorageDir().getStateMachineDir();
        Files.createDirectories(dir.toPath());
        reload();
    }

    @Override
    public File getSnapshotDir() {
        return dir;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return latest;
    }

    /** The newest complete snapshot, or null. */
    QuorumSnapshot latest() {
        FileListSnapshotInfo info = latest;
        if (info == null) {
            return null;
        }
        return new QuorumSnapshot(info.getIndex(), info.getTerm(),
                info.getFiles().stream().map(FileInfo::getPath).toList());
    }

    /** Re-reads the directory: after start-up and after Ratis installed a snapshot from the leader. */
    void reload() throws IOException {
        Path root = dir.toPath();
        Files.createDirectories(root);
        FileListSnapshotInfo newest = null;
        for (Path candidate : snapshotDirs(root)) {
            Matcher m = NAME.matcher(candidate.getFileName().toString());
            if (!m.matches()) {
                continue;
            }
            long term = Long.parseLong(m.group(1));
            long index = Long.parseLong(m.group(2));
            if (newest == null || index > newest.getIndex()) {
                newest = new FileListSnapshotInfo(filesOf(candidate), term, index);
            }
        }
        latest = newest;
    }

    /**
     * Makes the owner's files the newest snapshot: links (or copies) them into a staging directory, then
     * renames it into place.
     */
    void save(long index, long term, List<Path> ownerFiles) throws IOException {
        if (ownerFiles.isEmpty()) {
            throw new IOException("the owner's snapshot at index " + index + " has no files");
        }
        Path root = dir.toPath();
        Path target = root.resolve("snapshot." + term + "_" + index);
        if (Files.isDirectory(target)) {
            reload();
            return;
        }
        Path staging = root.resolve(STAGING + term + "_" + index);
        deleteRecursively(staging);
        Files.createDirectories(staging);
        Set<String> names = new HashSet<>();
        for (Path file : ownerFiles) {
            String name = file.getFileName().toString();
            if (!names.add(name) || name.endsWith(MD5)) {
                throw new IOException("snapshot file name " + name + " is repeated or ends with " + MD5);
            }
            Path link = staging.resolve(name);
            try {
                Files.createLink(link, file);
            } catch (UnsupportedOperationException | IOException e) {
                if (e instanceof FileAlreadyExistsException) {
                    throw (IOException) e;
                }
                Files.copy(file, link, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        reload();
        log.debug("snapshot {} saved with {} files", target.getFileName(), ownerFiles.size());
    }

    @Override
    public void format() {
    }

    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
        int keep = policy.getNumSnapshotsRetained();
        if (keep <= 0 || dir == null) {
            return;
        }
        Path root = dir.toPath();
        List<Path> complete = new ArrayList<>();
        for (Path candidate : snapshotDirs(root)) {
            String name = candidate.getFileName().toString();
            if (name.startsWith(STAGING)) {
                // Ratis cleans up right after a snapshot was saved on the thread that waited for it:
                // no save is running, so a staging directory is a leftover of a crash
                deleteRecursively(candidate);
            } else if (NAME.matcher(name).matches()) {
                complete.add(candidate);
            }
        }
        complete.sort(Comparator.comparingLong(SnapshotStore::indexOf).reversed());
        for (Path old : complete.subList(Math.min(keep, complete.size()), complete.size())) {
            deleteRecursively(old);
        }
    }

    private static long indexOf(Path snapshotDir) {
        Matcher m = NAME.matcher(snapshotDir.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(2)) : -1;
    }

    private static List<Path> snapshotDirs(Path root) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, Files::isDirectory)) {
            entries.forEach(dirs::add);
        }
        return dirs;
    }

    private static List<FileInfo> filesOf(Path snapshotDir) throws IOException {
        List<FileInfo> files = new ArrayList<>();
        try (Stream<Path> entries = Files.list(snapshotDir)) {
            for (Path file : entries.sorted().toList()) {
                if (Files.isRegularFile(file) && !file.getFileName().toString().endsWith(MD5)) {
                    // absolute paths: the leader sends each file relative to the state-machine directory
                    files.add(new FileInfo(file.toAbsolutePath(), null));
                }
            }
        }
        return files;
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
