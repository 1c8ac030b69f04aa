package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.utils.Time;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/**
 * Every log directory of the node ({@code log.dirs}): a new partition goes to the online
 * directory holding the fewest partitions (Kafka's rule), a partition's log is found wherever it
 * lives, and the background work runs over all of them. A directory that goes offline after an
 * I/O error stops only its own partitions; the others keep serving.
 *
 * <p>Thread-safety: safe for concurrent use; creation is serialized so a partition lands in one
 * directory only.
 */
public final class LogManager implements AutoCloseable {
    private final List<LogDir> dirs;

    public LogManager(List<File> logDirs, Time time, ScheduledExecutorService scheduler) throws IOException {
        Set<File> distinct = new HashSet<>();
        List<LogDir> opened = new ArrayList<>();
        for (File dir : logDirs) {
            if (!distinct.add(dir.getCanonicalFile())) {
                throw new IllegalArgumentException("log directory " + dir + " is listed twice in log.dirs");
            }
            opened.add(new LogDir(dir, time, scheduler));
        }
        if (opened.isEmpty()) {
            throw new IllegalArgumentException("no log directory given");
        }
        this.dirs = List.copyOf(opened);
    }

    /** One log directory. */
    public LogManager(File logDir, Time time, ScheduledExecutorService scheduler) throws IOException {
        this(List.of(logDir), time, scheduler);
    }

    public List<LogDir> dirs() {
        return dirs;
    }

    /** Whether every directory was closed cleanly the last time. */
    public boolean hadCleanShutdown() {
        return dirs.stream().allMatch(LogDir::hadCleanShutdown);
    }

    /** As {@link #loadLogs(Function, Function, int)} with Kafka's default of two threads per directory. */
    public void loadLogs(Function<String, LogConfig> configFor, Function<String, Uuid> topicIdFor)
            throws IOException {
        loadLogs(configFor, topicIdFor, LogDir.DEFAULT_RECOVERY_THREADS);
    }

    /**
     * Opens the partition logs of every directory (see {@link LogDir#loadLogs}), {@code threadsPerDir}
     * partitions of a directory at once ({@code num.recovery.threads.per.data.dir}). A partition found
     * in two directories stops the start: one of them is a stale copy an operator must remove.
     */
    public void loadLogs(Function<String, LogConfig> configFor, Function<String, Uuid> topicIdFor, int threadsPerDir)
            throws IOException {
        Map<TopicPartition, File> seen = new HashMap<>();
        for (LogDir dir : dirs) {
            dir.loadLogs(configFor, topicIdFor, threadsPerDir);
            for (PartitionLog partitionLog : dir.all()) {
                File other = seen.put(partitionLog.topicPartition(), dir.logDir());
                if (other != null) {
                    throw new IllegalStateException("partition " + partitionLog.topicPartition() + " is in both "
                            + other + " and " + dir.logDir() + "; remove the stale copy and start again");
                }
            }
        }
    }

    /** Returns the log of {@code tp}, creating it in the online directory with the fewest partitions. */
    public PartitionLog getOrCreate(TopicPartition tp, Uuid topicId, LogConfig config) throws IOException {
        PartitionLog existing = get(tp);
        if (existing != null) {
            return existing;
        }
        synchronized (this) {
            existing = get(tp);
            if (existing != null) {
                return existing;
            }
            dirs.forEach(dir -> dir.checkLoaded(tp)); // not a fresh copy elsewhere of a partition that did not load
            LogDir target = dirs.stream().filter(dir -> !dir.isOffline())
                    .min(Comparator.comparingInt(LogDir::logCount))
                    .orElseThrow(() -> new KafkaStorageException("Every log directory is offline after an I/O "
                            + "error; restart the node once the disks are fixed"));
            return target.getOrCreate(tp, topicId, config);
        }
    }

    public PartitionLog get(TopicPartition tp) {
        for (LogDir dir : dirs) {
            PartitionLog found = dir.get(tp);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** Every partition log of every directory. */
    public List<PartitionLog> all() {
        List<PartitionLog> all = new ArrayList<>();
        dirs.forEach(dir -> all.addAll(dir.all()));
        return all;
    }

    /** The directory holding {@code tp}'s log, or null. */
    public LogDir dirOf(TopicPartition tp) {
        for (LogDir dir : dirs) {
            if (dir.get(tp) != null) {
                return dir;
            }
        }
        return null;
    }

    /** Removes the log of {@code tp} (see {@link LogDir#delete}). */
    public void delete(TopicPartition tp) throws IOException {
        LogDir dir = dirOf(tp);
        if (dir != null) {
            dir.delete(tp);
        }
    }

    /** One pass of retention over every log; returns the number of segments deleted. */
    public int applyRetention() {
        return dirs.stream().mapToInt(LogDir::applyRetention).sum();
    }

    /** Flushes logs whose {@code flush.ms} has passed. */
    public void flushByTime() {
        dirs.forEach(LogDir::flushByTime);
    }

    /** See {@link LogDir#releaseIdleSegments}. */
    public int releaseIdleSegments(long idleMs) {
        return dirs.stream().mapToInt(dir -> dir.releaseIdleSegments(idleMs)).sum();
    }

    /** Forgets producers idle for {@code expirationMs} (see {@link LogDir#expireProducers}). */
    public void expireProducers(long expirationMs) {
        dirs.forEach(dir -> dir.expireProducers(expirationMs));
    }

    /** Writes each directory's recovery-point and log-start checkpoints. */
    public void checkpoint() throws IOException {
        for (LogDir dir : dirs) {
            if (!dir.isOffline()) {
                dir.checkpoint();
            }
        }
    }

    /**
     * Writes each online directory's {@code replication-offset-checkpoint} with the high watermarks of
     * {@code highWatermarks} whose partition lives there (Kafka's periodic high-watermark checkpoint).
     * A directory whose write fails goes offline (as for any I/O error, see {@link LogDir#markOffline});
     * the others are still written.
     */
    public void checkpointHighWatermarks(Map<TopicPartition, Long> highWatermarks) {
        for (LogDir dir : dirs) {
            if (dir.isOffline()) {
                continue;
            }
            try {
                dir.checkpointHighWatermarks(highWatermarks);
            } catch (IOException e) {
                dir.markOffline(e);
            }
        }
    }

    /**
     * The high watermarks checkpointed in every online directory (read at start-up, before the
     * partitions take their roles); a partition without an entry has none (Kafka starts it at 0).
     *
     * @throws IOException naming the file and line when a directory's checkpoint is malformed
     */
    public Map<TopicPartition, Long> highWatermarkCheckpoints() throws IOException {
        Map<TopicPartition, Long> all = new HashMap<>();
        for (LogDir dir : dirs) {
            if (!dir.isOffline()) {
                all.putAll(dir.readHighWatermarks());
            }
        }
        return all;
    }

    /** Closes every directory (see {@link LogDir#close}); the first failure is thrown after all were tried. */
    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (LogDir dir : dirs) {
            try {
                dir.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
