package io.brook.storage.log;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.LogDirNotFoundException;
import org.apache.kafka.common.errors.ReplicaNotAvailableException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
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
    private static final Logger log = LoggerFactory.getLogger(LogManager.class);
    /** How much of the current log {@link #promote} copies per read while it finishes a move. */
    private static final int PROMOTE_CHUNK_BYTES = 1 << 20;
    private final List<LogDir> dirs;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    /** Partitions being moved to another directory (AlterReplicaLogDirs), by partition. */
    private final Map<TopicPartition, FutureLog> futures = new ConcurrentHashMap<>();
    private volatile Runnable everyDirOffline = () -> { };
    private volatile Consumer<LogDir> dirOffline = dir -> { };
    private final AtomicBoolean everyDirOfflineTold = new AtomicBoolean();

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
        this.time = time;
        this.scheduler = scheduler;
        dirs.forEach(dir -> dir.onOffline(() -> dirWentOffline(dir)));
    }

    /**
     * Runs {@code listener} once, when the last online directory goes offline: the node then holds no partition it
     * can serve (Kafka's brokers shut down then, so that leaderships move to the other replicas).
     */
    public void onEveryDirOffline(Runnable listener) {
        this.everyDirOffline = listener;
    }

    /** Runs {@code listener} with each directory that goes offline, on the thread whose I/O failed. */
    public void onDirOffline(Consumer<LogDir> listener) {
        this.dirOffline = listener;
    }

    private void dirWentOffline(LogDir dir) {
        dirOffline.accept(dir);
        if (dirs.stream().allMatch(LogDir::isOffline) && everyDirOfflineTold.compareAndSet(false, true)) {
            everyDirOffline.run();
        }
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

    /**
     * The broker epoch the last clean shutdown named, when every directory is online and names the same one (Kafka's
     * {@code readBrokerEpochFromCleanShutdownFiles}); else -1: the controller then treats the restart as unclean.
     */
    public long cleanShutdownBrokerEpoch() {
        long epoch = -1;
        for (LogDir dir : dirs) {
            long e = dir.cleanShutdownBrokerEpoch();
            if (dir.isOffline() || e < 0 || epoch >= 0 && e != epoch) {
                return -1;
            }
            epoch = e;
        }
        return epoch;
    }

    /** Sets the broker epoch the clean-shutdown markers will name at {@link #close}. */
    public void brokerEpoch(long epoch) {
        dirs.forEach(dir -> dir.brokerEpoch(epoch));
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
        for (LogDir dir : dirs) {
            for (File future : dir.takeFoundFutures()) {
                finishOrDropMove(dir, future, seen, configFor, topicIdFor);
            }
        }
    }

    /**
     * A future replica found at start-up: a move a stop or crash interrupted. While the current log is still
     * there the move resumes from what the copy holds (as Kafka does: the mover picks it up once the partition
     * is hosted again; a partition that is no longer this node's drops it with its log, see {@link #delete}).
     * Once the current log was renamed away (the copy was complete and synced before that) the copy becomes
     * the partition's log. A copy whose topic is gone, whose current log could not be loaded, or that is a
     * second copy of one partition is dropped. So a crash at any point of a move leaves the old or the new
     * replica, never neither.
     */
    private void finishOrDropMove(LogDir dir, File future, Map<TopicPartition, File> seen,
                                  Function<String, LogConfig> configFor, Function<String, Uuid> topicIdFor)
            throws IOException {
        TopicPartition tp = FutureLog.parseDirName(future.getName());
        if (tp == null) {
            return;
        }
        LogConfig config = configFor.apply(tp.topic());
        Uuid topicId = topicIdFor.apply(tp.topic());
        boolean failed = dirs.stream().anyMatch(d -> d.failure(tp) != null);
        if (config == null || topicId == null || failed || futures.containsKey(tp)
                || dir.logDir().equals(seen.get(tp))) {
            log.info("Dropping {}: an unfinished move of {} to {} ({})", future, tp, dir.logDir(),
                    config == null || topicId == null ? "its topic no longer exists"
                            : failed ? "the current replica could not be loaded"
                            : futures.containsKey(tp) ? "another copy of it resumes" : "the replica is there already");
            LogDir.deleteRecursively(future);
            return;
        }
        if (seen.containsKey(tp)) {
            resumeMove(dir, future, tp, topicId, config);
            return;
        }
        File dest = new File(dir.logDir(), PartitionLog.dirName(tp));
        Files.move(future.toPath(), dest.toPath(), StandardCopyOption.ATOMIC_MOVE);
        Utils.flushDir(dir.logDir().toPath());
        log.warn("Finished the move of {} to {} that a stop interrupted after the old replica was removed", tp,
                dir.logDir());
        dir.openMoved(dest, tp, topicId, config);
        seen.put(tp, dir.logDir());
    }

    /**
     * Opens the copy of an interrupted move as the running move of {@code tp}, recovered in full (it is only a
     * copy: whatever a crash tore off its tail is copied again). A copy that does not open, or belongs to an
     * older topic of that name, is dropped and the partition stays where it is.
     */
    private void resumeMove(LogDir target, File future, TopicPartition tp, Uuid topicId, LogConfig config) {
        PartitionLog current = get(tp);
        PartitionLog copy;
        try {
            copy = PartitionLog.open(future, tp, topicId, config, 0L, 0L, false, true, time, scheduler);
        } catch (IOException | RuntimeException e) {
            log.warn("Dropping {}: the copy of an interrupted move of {} could not be opened", future, tp, e);
            LogDir.deleteRecursively(future);
            return;
        }
        copy.onIoFailure(target::markOffline);
        futures.put(tp, new FutureLog(tp, target, current, copy));
        log.info("Resuming the move of {} to {} from offset {} (the current log ends at {})", tp, target.logDir(),
                copy.logEndOffset(), current.logEndOffset());
    }

    // ------------------------------------------------------------------ moves between directories

    /**
     * Starts moving {@code tp}'s log to the log directory {@code path} (AlterReplicaLogDirs): an empty
     * future replica is created there and {@link #copyStep} fills it. Asking again for the same
     * directory keeps the running move; another directory replaces it.
     *
     * @return the move, or null when the log already lives in {@code path} (nothing to do)
     * @throws LogDirNotFoundException when {@code path} is not one of {@code log.dirs}
     * @throws KafkaStorageException when the target or the current directory is offline
     * @throws ReplicaNotAvailableException when this node has no log of {@code tp}
     */
    public synchronized FutureLog startMove(TopicPartition tp, String path) throws IOException {
        LogDir target = dirs.stream().filter(d -> d.logDir().getAbsolutePath().equals(path)).findFirst()
                .orElseThrow(() -> new LogDirNotFoundException("Log dir " + path + " is not found in the config"));
        if (target.isOffline()) {
            throw new KafkaStorageException("Log directory " + path + " is offline");
        }
        PartitionLog current = get(tp);
        LogDir source = dirOf(tp);
        if (current == null || source == null) {
            throw new ReplicaNotAvailableException("Partition " + tp + " has no replica on this broker");
        }
        if (source.isOffline()) {
            throw new KafkaStorageException("Log directory " + source.logDir() + " of " + tp + " is offline");
        }
        FutureLog running = futures.get(tp);
        if (running != null) {
            if (running.target() == target) {
                return running;
            }
            abortMove(tp);
        }
        if (source == target) {
            return null;
        }
        File dir = new File(target.logDir(), FutureLog.dirName(tp));
        PartitionLog copy = PartitionLog.open(dir, tp, current.topicId(), current.config(), 0L, 0L, true,
                current.config().compact(), time, scheduler);
        copy.onIoFailure(target::markOffline);
        FutureLog move = new FutureLog(tp, target, current, copy);
        futures.put(tp, move);
        log.info("Moving {} from {} to {}", tp, source.logDir(), target.logDir());
        return move;
    }

    /** The running move of {@code tp}, or null. */
    public FutureLog future(TopicPartition tp) {
        return futures.get(tp);
    }

    /** Every running move. */
    public Collection<FutureLog> futures() {
        return List.copyOf(futures.values());
    }

    /**
     * Copies about {@code maxBytes} more of a move (see {@link FutureLog}); returns true when the copy
     * has caught up, false when it has not or the move ended meanwhile (its partition was deleted).
     */
    public boolean copyStep(FutureLog move, int maxBytes) throws IOException {
        if (futures.get(move.topicPartition()) != move) {
            return false;
        }
        if (get(move.topicPartition()) != move.source()) {
            abortMove(move.topicPartition());
            return false;
        }
        return move.copy(maxBytes);
    }

    /**
     * Finishes a move: copies what the current log gained since the last step, syncs the copy, renames
     * the current log away ({@code -delete}, removed in the background), renames the copy to the
     * partition's name in the target directory and opens it there. The caller holds the partition's
     * append lock, so nothing is written meanwhile; it then serves the returned log instead of the old one.
     * A crash between the two renames leaves only the complete copy, which the next start takes.
     *
     * @return the partition's log in its new directory, or null when the move ended meanwhile
     */
    public synchronized PartitionLog promote(FutureLog move) throws IOException {
        TopicPartition tp = move.topicPartition();
        LogDir source = dirOf(tp);
        if (futures.get(tp) != move || get(tp) != move.source() || source == null) {
            return null;
        }
        PartitionLog copy = move.log();
        while (!move.copy(PROMOTE_CHUNK_BYTES)) {
            // the rest of the current log: what producers wrote since the mover's last step
        }
        PartitionLog old = move.source();
        if (old.logStartOffset() > copy.logStartOffset()) {
            copy.advanceLogStartOffset(old.logStartOffset());
        }
        copy.flush();
        copy.close();
        old.flush(); // whoever waits for an fsync of the old log is answered before it closes
        futures.remove(tp);
        source.delete(tp);
        Utils.flushDir(source.logDir().toPath());
        LogDir target = move.target();
        File dest = new File(target.logDir(), PartitionLog.dirName(tp));
        Files.move(copy.dir().toPath(), dest.toPath(), StandardCopyOption.ATOMIC_MOVE);
        Utils.flushDir(target.logDir().toPath());
        PartitionLog moved = PartitionLog.open(dest, tp, copy.topicId(), old.config(), copy.logEndOffset(),
                copy.logStartOffset(), true, old.config().compact(), time, scheduler);
        target.adopt(moved);
        log.info("Moved {} from {} to {} (log end {})", tp, source.logDir(), target.logDir(), moved.logEndOffset());
        return moved;
    }

    /** Stops the move of {@code tp}, if one runs, and deletes its copy. */
    public synchronized void abortMove(TopicPartition tp) {
        FutureLog move = futures.remove(tp);
        if (move == null) {
            return;
        }
        try {
            move.log().delete();
        } catch (IOException e) {
            log.warn("Could not delete the copy {} of an ended move", move.log().dir(), e);
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
    public synchronized void delete(TopicPartition tp) throws IOException {
        abortMove(tp);
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
        for (FutureLog move : futures()) {
            try {
                move.log().close(); // left on disk: the next start resumes the move from there
            } catch (IOException e) {
                failure = e;
            }
        }
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
