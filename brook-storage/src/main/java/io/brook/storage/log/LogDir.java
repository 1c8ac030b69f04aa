package io.brook.storage.log;

import io.brook.storage.checkpoint.OffsetCheckpointFile;
import io.brook.storage.checkpoint.PartitionMetadataFile;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * All partition logs of one log directory (the node's directories together are the
 * {@link LogManager}): loading them at start-up (with recovery after an
 * unclean stop), creating and deleting them, background retention and time-based flushes, and
 * the directory-level files ({@code .kafka_cleanshutdown}, {@code recovery-point-offset-checkpoint},
 * {@code log-start-offset-checkpoint}).
 *
 * <p>Thread-safety: safe for concurrent use; the map of logs is concurrent and each log guards
 * its own appends.
 */
public final class LogDir implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogDir.class);

    public static final String CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
    public static final String RECOVERY_POINT_FILE = "recovery-point-offset-checkpoint";
    public static final String LOG_START_FILE = "log-start-offset-checkpoint";
    /** Where the log cleaner keeps how far it cleaned each log (written by {@code LogCleaner}). */
    public static final String CLEANER_CHECKPOINT_FILE = "cleaner-offset-checkpoint";
    public static final String DELETE_DIR_SUFFIX = "-delete";
    /** The longest file name most file systems take (topic names are ASCII: one byte a character). */
    private static final int MAX_FILE_NAME_BYTES = 255;
    /** The metadata log's topic; its directory lives beside the partition logs but is not one of them. */
    public static final String METADATA_TOPIC = "__cluster_metadata";

    private final File logDir;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    /** Partitions found on disk whose files could not be loaded at start-up (offline until a restart). */
    private final Map<TopicPartition, Exception> failures = new ConcurrentHashMap<>();
    private final OffsetCheckpointFile recoveryPoints;
    private final OffsetCheckpointFile logStarts;
    private final boolean hadCleanShutdown;

    private volatile boolean offline;

    public LogDir(File logDir, Time time, ScheduledExecutorService scheduler) throws IOException {
        this.logDir = logDir;
        this.time = time;
        this.scheduler = scheduler;
        Files.createDirectories(logDir.toPath());
        this.recoveryPoints = new OffsetCheckpointFile(new File(logDir, RECOVERY_POINT_FILE));
        this.logStarts = new OffsetCheckpointFile(new File(logDir, LOG_START_FILE));
        File marker = new File(logDir, CLEAN_SHUTDOWN_FILE);
        this.hadCleanShutdown = marker.exists();
        Files.deleteIfExists(marker.toPath());
    }

    /** How many partition logs this directory holds (new partitions go where there are fewest). */
    public int logCount() {
        return logs.size();
    }

    public boolean hadCleanShutdown() {
        return hadCleanShutdown;
    }

    /**
     * Opens every partition directory found on disk; {@code configFor} gives the config of a
     * topic (or null when the topic no longer exists, in which case the directory is deleted).
     */
    public void loadLogs(Function<String, LogConfig> configFor, Function<String, Uuid> topicIdFor)
            throws IOException {
        Map<TopicPartition, Long> points = recoveryPoints.read();
        Map<TopicPartition, Long> starts = logStarts.read();
        // logs the cleaner has worked on may have offset gaps, whatever their cleanup.policy is now
        Map<TopicPartition, Long> cleaned = new OffsetCheckpointFile(new File(logDir, CLEANER_CHECKPOINT_FILE)).read();
        File[] dirs = logDir.listFiles(File::isDirectory);
        if (dirs == null) {
            return;
        }
        long startMs = time.milliseconds();
        for (File dir : dirs) {
            if (dir.getName().endsWith(DELETE_DIR_SUFFIX)) {
                deleteRecursively(dir);
                continue;
            }
            TopicPartition tp = parseDirName(dir.getName());
            if (tp == null || tp.topic().equals(METADATA_TOPIC)) {
                continue;
            }
            LogConfig config = configFor.apply(tp.topic());
            Uuid topicId = topicIdFor.apply(tp.topic());
            if (config == null || topicId == null) {
                log.info("Deleting {}: its topic no longer exists", dir);
                deleteRecursively(dir);
                continue;
            }
            PartitionLog partitionLog;
            try {
                Uuid stored = PartitionMetadataFile.read(dir);
                if (stored != null && !stored.equals(topicId)) {
                    log.info("Deleting {}: its topic no longer exists (it belonged to topic id {})", dir, stored);
                    deleteRecursively(dir);
                    continue;
                }
                partitionLog = PartitionLog.open(dir, tp, topicId, config, points.getOrDefault(tp, 0L),
                        starts.getOrDefault(tp, 0L), hadCleanShutdown, config.compact() || cleaned.containsKey(tp),
                        time, scheduler);
                partitionLog.releaseIdleSegments(System.nanoTime(), 0); // opened when first used, not all at start
            } catch (IOException | RuntimeException e) {
                // damaged files the recovery cannot repair stop this partition only, not the node's start
                log.error("Partition {} is offline: its files in {} could not be loaded; the other partitions are "
                        + "served. Repair or remove that directory and restart the node", tp, dir, e);
                failures.put(tp, e);
                continue;
            }
            watch(partitionLog);
            logs.put(tp, partitionLog);
        }
        log.info("Loaded {} partition logs from {} in {} ms ({} shutdown)", logs.size(), logDir,
                time.milliseconds() - startMs, hadCleanShutdown ? "after a clean" : "recovering from an unclean");
    }

    static TopicPartition parseDirName(String name) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0 || dash == name.length() - 1) {
            return null;
        }
        try {
            return new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1)));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Returns the log of {@code tp}, creating an empty one if it does not exist. */
    public PartitionLog getOrCreate(TopicPartition tp, Uuid topicId, LogConfig config) throws IOException {
        PartitionLog existing = logs.get(tp);
        if (existing != null) {
            return existing;
        }
        synchronized (this) {
            existing = logs.get(tp);
            if (existing != null) {
                return existing;
            }
            if (offline) {
                throw new org.apache.kafka.common.errors.KafkaStorageException("Log directory " + logDir
                        + " is offline after an I/O error");
            }
            checkLoaded(tp);
            PartitionLog created = PartitionLog.open(new File(logDir, PartitionLog.dirName(tp)), tp, topicId, config,
                    0L, 0L, true, time, scheduler);
            created.releaseIdleSegments(System.nanoTime(), 0); // creating many partitions holds no files
            watch(created);
            logs.put(tp, created);
            return created;
        }
    }

    /** Why {@code tp}'s files could not be loaded at start-up, or null when they were (or there were none). */
    public Exception failure(TopicPartition tp) {
        return failures.get(tp);
    }

    /** Refuses to create a partition whose files are on disk but could not be loaded. */
    void checkLoaded(TopicPartition tp) {
        Exception failure = failures.get(tp);
        if (failure != null) {
            throw new org.apache.kafka.common.errors.KafkaStorageException("Partition " + tp + " in " + logDir
                    + " is offline: its files could not be loaded at start-up (" + failure + ")");
        }
    }

    private void watch(PartitionLog partitionLog) {
        partitionLog.onIoFailure(this::markOffline);
        if (offline) {
            partitionLog.markDirOffline();
        }
    }

    /**
     * Takes the log directory offline after an I/O error (a full disk, a failing device): every
     * partition in it answers KAFKA_STORAGE_ERROR from now on, nothing more is written, and the
     * clean-shutdown marker is not written, so the next start recovers the logs. The node keeps
     * serving everything else.
     */
    public synchronized void markOffline(IOException cause) {
        if (offline) {
            return;
        }
        offline = true;
        log.error("Log directory {} is offline after an I/O error; its partitions answer KAFKA_STORAGE_ERROR "
                + "until the node is restarted", logDir, cause);
        logs.values().forEach(PartitionLog::markDirOffline);
    }

    public boolean isOffline() {
        return offline;
    }

    public PartitionLog get(TopicPartition tp) {
        return logs.get(tp);
    }

    public Collection<PartitionLog> all() {
        return logs.values();
    }

    /** Removes the log of {@code tp}: renamed {@code <dir>.<uuid>-delete} at once, deleted in the background. */
    public void delete(TopicPartition tp) throws IOException {
        PartitionLog removed = logs.remove(tp);
        if (removed == null) {
            return;
        }
        File target = new File(logDir, deleteDirName(tp));
        File moved = removed.markForDeletion(target);
        Runnable task = () -> deleteRecursively(moved);
        if (scheduler == null) {
            task.run();
        } else {
            scheduler.schedule(task, removed.config().fileDeleteDelayMs(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * {@code <topic>-<partition>.<uuid>-delete}, the topic name cut short (as Kafka does) so that
     * a topic name of up to 249 characters still gives a file name within 255 bytes.
     */
    static String deleteDirName(TopicPartition tp) {
        String suffix = "-" + tp.partition() + "." + Uuid.randomUuid() + DELETE_DIR_SUFFIX;
        return tp.topic().substring(0, Math.min(tp.topic().length(), MAX_FILE_NAME_BYTES - suffix.length())) + suffix;
    }

    /** One pass of retention over every log; returns the number of segments deleted. */
    public int applyRetention() {
        int deleted = 0;
        for (PartitionLog partitionLog : logs.values()) {
            try {
                deleted += partitionLog.applyRetention();
            } catch (IOException e) {
                log.error("Retention failed for {}", partitionLog.topicPartition(), e);
            }
        }
        return deleted;
    }

    /** Flushes logs whose {@code flush.ms} has passed. */
    public void flushByTime() {
        long now = time.milliseconds();
        for (PartitionLog partitionLog : logs.values()) {
            try {
                partitionLog.maybeFlushByTime(now);
            } catch (IOException e) {
                log.error("Flush failed for {}", partitionLog.topicPartition(), e);
            }
        }
    }

    /**
     * Releases the file handles and index memory of every segment idle for {@code idleMs}, so the
     * open files and index memory follow the partitions in use, not the partitions held.
     * Returns the number of segments released.
     */
    public int releaseIdleSegments(long idleMs) {
        long now = System.nanoTime();
        long idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMs);
        int released = 0;
        for (PartitionLog partitionLog : logs.values()) {
            try {
                released += partitionLog.releaseIdleSegments(now, idleNanos);
            } catch (IOException e) {
                log.warn("Releasing idle segments of {} failed", partitionLog.topicPartition(), e);
            }
        }
        return released;
    }

    /** Writes the recovery-point and log-start checkpoints. */
    public void checkpoint() throws IOException {
        Map<TopicPartition, Long> points = new HashMap<>();
        Map<TopicPartition, Long> starts = new HashMap<>();
        for (PartitionLog partitionLog : logs.values()) {
            points.put(partitionLog.topicPartition(), partitionLog.recoveryPoint());
            starts.put(partitionLog.topicPartition(), partitionLog.logStartOffset());
        }
        recoveryPoints.write(points);
        logStarts.write(starts);
    }

    /** Flushes and closes every log, writes the checkpoints and the clean-shutdown marker. */
    @Override
    public void close() throws IOException {
        if (offline) {
            log.warn("Log directory {} is offline: closing it without flushing or a clean-shutdown marker", logDir);
            return; // the files stay as they are; the next start recovers them
        }
        for (PartitionLog partitionLog : logs.values()) {
            partitionLog.flush();
        }
        checkpoint();
        for (PartitionLog partitionLog : logs.values()) {
            partitionLog.close();
        }
        Files.createFile(new File(logDir, CLEAN_SHUTDOWN_FILE).toPath());
        log.info("Log directory {} closed cleanly", logDir);
    }

    public File logDir() {
        return logDir;
    }

    private static void deleteRecursively(File dir) {
        File[] files = dir.listFiles();
        if (files != null) {
            for (File f : files) {
                if (f.isDirectory()) {
                    deleteRecursively(f);
                } else if (!f.delete()) {
                    log.warn("Could not delete {}", f);
                }
            }
        }
        if (!dir.delete()) {
            log.warn("Could not delete {}", dir);
        }
    }
}
