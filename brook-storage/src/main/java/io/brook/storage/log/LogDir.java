package io.brook.storage.log;

import io.brook.storage.checkpoint.OffsetCheckpointFile;
import io.brook.storage.checkpoint.PartitionMetadataFile;
import io.brook.storage.checkpoint.ReplicationOffsetCheckpoint;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * All partition logs of one log directory (the node's directories together are the
 * {@link LogManager}): loading them at start-up (with recovery after an
 * unclean stop), creating and deleting them, background retention and time-based flushes, and
 * the directory-level files ({@code .kafka_cleanshutdown}, {@code recovery-point-offset-checkpoint},
 * {@code log-start-offset-checkpoint}, {@code replication-offset-checkpoint}).
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
    /** A future replica's directory (AlterReplicaLogDirs, see {@link FutureLog}). */
    public static final String FUTURE_DIR_SUFFIX = "-future";
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
    /** Future replica directories found at start-up: the log manager finishes or drops their moves. */
    private final List<File> foundFutures = new ArrayList<>();
    private final OffsetCheckpointFile recoveryPoints;
    private final OffsetCheckpointFile logStarts;
    /** The high watermarks, written by replication (its instance serializes the writes). */
    private final OffsetCheckpointFile highWatermarkFile;
    private final boolean hadCleanShutdown;
    /** The broker epoch the clean-shutdown marker named (-1: none, or no marker). */
    private final long cleanShutdownBrokerEpoch;
    /** The epoch of the broker's registration, written into the clean-shutdown marker at close (-1: unknown). */
    private volatile long brokerEpoch = -1;

    private volatile boolean offline;
    /** Told once, after the directory went offline (the node's reaction: see {@link LogManager#onEveryDirOffline}). */
    private volatile Runnable offlineListener = () -> { };
    /** Durable-mode fsyncs of this directory's logs: one thread per directory, started on first use. */
    private final LogFlusher flusher;

    // background work (see applyRetention and the methods after it)
    private final Set<PartitionLog> retentionChanged = ConcurrentHashMap.newKeySet();
    private final Set<PartitionLog> flushChanged = ConcurrentHashMap.newKeySet();
    private final Set<PartitionLog> checkpointChanged = ConcurrentHashMap.newKeySet();
    private final Set<PartitionLog> producersChanged = ConcurrentHashMap.newKeySet();
    /** Logs that may hold a segment whose file handle is open. */
    private final Set<PartitionLog> maybeOpen = ConcurrentHashMap.newKeySet();
    private final DueQueue<PartitionLog> retentionDue = new DueQueue<>();
    private final DueQueue<PartitionLog> flushDue = new DueQueue<>();
    private final DueQueue<PartitionLog> producerExpiryDue = new DueQueue<>();
    /** Serializes checkpoint writes; guards the three fields after it. */
    private final Object checkpointLock = new Object();
    /** What the checkpoint files hold. */
    private final Map<TopicPartition, Long> checkpointedPoints = new HashMap<>();
    private final Map<TopicPartition, Long> checkpointedStarts = new HashMap<>();
    /** A log came or went since the checkpoints were written. */
    private boolean checkpointMembershipChanged;
    private final AtomicLong retentionVisits = new AtomicLong();
    private final AtomicLong flushVisits = new AtomicLong();
    private final AtomicLong checkpointVisits = new AtomicLong();
    private final AtomicLong checkpointWrites = new AtomicLong();
    private final AtomicLong idleVisits = new AtomicLong();
    private final AtomicLong producerExpiryVisits = new AtomicLong();

    public LogDir(File logDir, Time time, ScheduledExecutorService scheduler) throws IOException {
        this.logDir = logDir;
        this.time = time;
        this.scheduler = scheduler;
        Files.createDirectories(logDir.toPath());
        this.recoveryPoints = new OffsetCheckpointFile(new File(logDir, RECOVERY_POINT_FILE));
        this.logStarts = new OffsetCheckpointFile(new File(logDir, LOG_START_FILE));
        this.highWatermarkFile = ReplicationOffsetCheckpoint.in(logDir);
        File marker = new File(logDir, CLEAN_SHUTDOWN_FILE);
        this.hadCleanShutdown = marker.exists();
        this.cleanShutdownBrokerEpoch = hadCleanShutdown ? readBrokerEpoch(marker) : -1;
        this.flusher = new LogFlusher("brook-flusher-" + logDir.getName());
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
     * The broker epoch this directory's clean-shutdown marker named ({@code {"version":0,"brokerEpoch":E}}, Kafka's
     * format), or -1 when the last shutdown was not clean or named none.
     */
    public long cleanShutdownBrokerEpoch() {
        return cleanShutdownBrokerEpoch;
    }

    /** Sets the epoch the clean-shutdown marker will name (the broker's registration, once it is known). */
    public void brokerEpoch(long epoch) {
        this.brokerEpoch = epoch;
    }

    private static final Pattern BROKER_EPOCH = Pattern.compile("\"brokerEpoch\"\\s*:\\s*(-?\\d+)");

    private static long readBrokerEpoch(File marker) {
        try {
            Matcher m = BROKER_EPOCH.matcher(Files.readString(marker.toPath()));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (IOException | RuntimeException e) {
            return -1; // an empty marker (written before brokers had epochs) or an unreadable one
        }
    }

    /** Kafka's default of {@code num.recovery.threads.per.data.dir}. */
    public static final int DEFAULT_RECOVERY_THREADS = 2;

    /** As {@link #loadLogs(Function, Function, int)} with {@link #DEFAULT_RECOVERY_THREADS} threads. */
    public void loadLogs(Function<String, LogConfig> configFor, Function<String, Uuid> topicIdFor)
            throws IOException {
        loadLogs(configFor, topicIdFor, DEFAULT_RECOVERY_THREADS);
    }

    /**
     * Opens every partition directory found on disk; {@code configFor} gives the config of a
     * topic (or null when the topic no longer exists, in which case the directory is deleted).
     * Partitions are opened (and recovered after an unclean stop) by {@code threads} threads at once
     * ({@code num.recovery.threads.per.data.dir}); each partition is opened by one thread only, and
     * this returns once all are done. A partition whose files cannot be loaded goes offline alone.
     */
    public void loadLogs(Function<String, LogConfig> configFor, Function<String, Uuid> topicIdFor, int threads)
            throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("recovery threads must be at least 1, not " + threads);
        }
        Map<TopicPartition, Long> points = recoveryPoints.read();
        Map<TopicPartition, Long> starts = logStarts.read();
        // logs the cleaner has worked on may have offset gaps, whatever their cleanup.policy is now
        Map<TopicPartition, Long> cleaned = new OffsetCheckpointFile(new File(logDir, CLEANER_CHECKPOINT_FILE)).read();
        File[] dirs = logDir.listFiles(File::isDirectory);
        if (dirs == null) {
            return;
        }
        long startMs = time.milliseconds();
        List<Runnable> opens = new ArrayList<>();
        for (File dir : dirs) {
            if (dir.getName().endsWith(DELETE_DIR_SUFFIX)) {
                deleteRecursively(dir);
                continue;
            }
            if (dir.getName().endsWith(FUTURE_DIR_SUFFIX)) {
                foundFutures.add(dir);
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
            opens.add(() -> open(dir, tp, topicId, config, points.getOrDefault(tp, 0L), starts.getOrDefault(tp, 0L),
                    config.compact() || cleaned.containsKey(tp)));
        }
        runAll(opens, Math.min(threads, opens.size()));
        log.info("Loaded {} partition logs from {} in {} ms with {} threads ({} shutdown)", logs.size(), logDir,
                time.milliseconds() - startMs, Math.max(1, Math.min(threads, opens.size())),
                hadCleanShutdown ? "after a clean" : "recovering from an unclean");
    }

    /** The future replica directories {@link #loadLogs} found (each is handed out once). */
    synchronized List<File> takeFoundFutures() {
        List<File> found = List.copyOf(foundFutures);
        foundFutures.clear();
        return found;
    }

    /**
     * Opens the partition in {@code dir} (a directory of this log directory) as this directory's log of
     * {@code tp}: a future replica whose move a crash interrupted after the old copy was already gone.
     */
    void openMoved(File dir, TopicPartition tp, Uuid topicId, LogConfig config) {
        open(dir, tp, topicId, config, 0L, 0L, config.compact());
    }

    /** Makes {@code partitionLog} (opened in this directory by a finished move) one of this directory's logs. */
    synchronized void adopt(PartitionLog partitionLog) {
        watch(partitionLog);
        logs.put(partitionLog.topicPartition(), partitionLog);
    }

    /** Opens (and recovers) one partition found on disk; a failure takes only this partition offline. */
    private void open(File dir, TopicPartition tp, Uuid topicId, LogConfig config, long recoveryPoint,
                      long logStart, boolean mayHaveGaps) {
        PartitionLog partitionLog;
        try {
            Uuid stored = PartitionMetadataFile.read(dir);
            if (stored != null && !stored.equals(topicId)) {
                log.info("Deleting {}: its topic no longer exists (it belonged to topic id {})", dir, stored);
                deleteRecursively(dir);
                return;
            }
            partitionLog = PartitionLog.open(dir, tp, topicId, config, recoveryPoint, logStart, hadCleanShutdown,
                    mayHaveGaps, time, scheduler);
            partitionLog.releaseIdleSegments(System.nanoTime(), 0); // opened when first used, not all at start
        } catch (IOException | RuntimeException e) {
            // damaged files the recovery cannot repair stop this partition only, not the node's start
            log.error("Partition {} is offline: its files in {} could not be loaded; the other partitions are "
                    + "served. Repair or remove that directory and restart the node", tp, dir, e);
            failures.put(tp, e);
            return;
        }
        watch(partitionLog);
        logs.put(tp, partitionLog);
    }

    /**
     * Runs every task, {@code threads} at a time (the calling thread alone when that is 1), and
     * returns when all are done. The threads live only while loading: nothing is kept after start-up.
     */
    private void runAll(List<Runnable> tasks, int threads) throws IOException {
        if (threads <= 1) {
            tasks.forEach(Runnable::run);
            return;
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "brook-log-recovery-" + logDir.getName() + "-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> done = new ArrayList<>();
            tasks.forEach(task -> done.add(pool.submit(task)));
            for (Future<?> f : done) {
                f.get(); // open() catches what a partition throws; an Error still stops the start
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while loading the logs of " + logDir);
        } catch (ExecutionException e) {
            throw new IllegalStateException("loading the logs of " + logDir + " failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
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
        partitionLog.attachFlusher(flusher);
        track(partitionLog);
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
        offlineListener.run();
    }

    /** Runs {@code listener} once this directory goes offline (on the thread whose I/O failed). */
    void onOffline(Runnable listener) {
        this.offlineListener = listener;
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
        untrack(removed);
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

    // ------------------------------------------------------------------ background work
    //
    // Each job visits only the logs that changed since its last pass (told by PartitionLog.onChange)
    // and those whose due time has come (a DueQueue per job), never every log of the directory:
    // retention by the first segment's largest timestamp + retention.ms, flush.ms by the last flush,
    // producer expiry by the earliest producer's last timestamp; checkpoints rewrite the files only
    // when a recovery point or log start moved; the idle sweep looks at logs holding open segments.

    /** Retention pass: one visit per log that changed or whose first segment may have expired. */
    public int applyRetention() {
        long now = time.milliseconds();
        for (PartitionLog changedLog : drain(retentionChanged)) {
            retentionVisits.incrementAndGet();
            retentionDue.schedule(changedLog, dueOrNow(changedLog.retentionDueMs(), now));
        }
        int deleted = 0;
        for (PartitionLog partitionLog : retentionDue.pollDue(now)) {
            if (!isCurrent(partitionLog)) {
                continue;
            }
            retentionVisits.incrementAndGet();
            try {
                deleted += partitionLog.applyRetention();
            } catch (IOException e) {
                log.error("Retention failed for {}", partitionLog.topicPartition(), e);
            }
            retentionChanged.remove(partitionLog); // its own deletions: the due time is taken just below
            long next = partitionLog.retentionDueMs();
            // due again at once (retention.bytes still exceeded, a failure): the next pass, not this one
            retentionDue.schedule(partitionLog, next <= now ? now + 1 : next);
        }
        return deleted;
    }

    /** Flushes the logs whose {@code flush.ms} has passed: one visit per log changed or due. */
    public void flushByTime() {
        long now = time.milliseconds();
        for (PartitionLog changedLog : drain(flushChanged)) {
            flushVisits.incrementAndGet();
            flushDue.schedule(changedLog, changedLog.flushDueMs());
        }
        for (PartitionLog partitionLog : flushDue.pollDue(now)) {
            if (!isCurrent(partitionLog)) {
                continue;
            }
            flushVisits.incrementAndGet();
            try {
                partitionLog.maybeFlushByTime(now);
            } catch (IOException e) {
                log.error("Flush failed for {}", partitionLog.topicPartition(), e);
            }
            flushChanged.remove(partitionLog);
            long next = partitionLog.flushDueMs();
            flushDue.schedule(partitionLog, next <= now ? now + 1 : next);
        }
    }

    /** Forgets producers idle for {@code expirationMs}: one visit per log changed or due. */
    public void expireProducers(long expirationMs) {
        long now = time.milliseconds();
        for (PartitionLog changedLog : drain(producersChanged)) {
            producerExpiryVisits.incrementAndGet();
            producerExpiryDue.schedule(changedLog, changedLog.producerExpiryDueMs(expirationMs));
        }
        for (PartitionLog partitionLog : producerExpiryDue.pollDue(now)) {
            if (!isCurrent(partitionLog)) {
                continue;
            }
            producerExpiryVisits.incrementAndGet();
            partitionLog.expireProducers(expirationMs);
            long next = partitionLog.producerExpiryDueMs(expirationMs);
            producerExpiryDue.schedule(partitionLog, next <= now ? now + 1 : next);
        }
    }

    /**
     * Releases the file handles and index memory of every segment idle for {@code idleMs}, so the
     * open files and index memory follow the partitions in use, not the partitions held. Visits only
     * logs that may hold an open segment (used since they were last found with none open).
     * Returns the number of segments released.
     */
    public int releaseIdleSegments(long idleMs) {
        long now = System.nanoTime();
        long idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMs);
        int released = 0;
        for (PartitionLog partitionLog : drain(maybeOpen)) {
            if (!isCurrent(partitionLog)) {
                continue;
            }
            idleVisits.incrementAndGet();
            try {
                released += partitionLog.releaseIdleSegments(now, idleNanos);
            } catch (IOException e) {
                log.warn("Releasing idle segments of {} failed", partitionLog.topicPartition(), e);
            }
            if (partitionLog.openSegmentCount() > 0) {
                maybeOpen.add(partitionLog);
            }
        }
        return released;
    }

    /**
     * Writes the recovery-point and log-start checkpoints if a log's recovery point or log start
     * moved, or a log came or went, since the last write; visits only the logs that changed.
     */
    public void checkpoint() throws IOException {
        synchronized (checkpointLock) {
            checkpointChangedLogs();
        }
    }

    private void checkpointChangedLogs() throws IOException {
        boolean moved = checkpointMembershipChanged;
        for (PartitionLog partitionLog : drain(checkpointChanged)) {
            if (!isCurrent(partitionLog)) {
                continue;
            }
            checkpointVisits.incrementAndGet();
            Long point = checkpointedPoints.put(partitionLog.topicPartition(), partitionLog.recoveryPoint());
            Long start = checkpointedStarts.put(partitionLog.topicPartition(), partitionLog.logStartOffset());
            moved |= point == null || point != partitionLog.recoveryPoint()
                    || start == null || start != partitionLog.logStartOffset();
        }
        if (!moved) {
            return;
        }
        checkpointMembershipChanged = false;
        recoveryPoints.write(new HashMap<>(checkpointedPoints));
        logStarts.write(new HashMap<>(checkpointedStarts));
        checkpointWrites.incrementAndGet();
    }

    /**
     * Replaces this directory's {@code replication-offset-checkpoint} with the entries of
     * {@code highWatermarks} whose partition has its log here; returns how many it wrote.
     */
    public int checkpointHighWatermarks(Map<TopicPartition, Long> highWatermarks) throws IOException {
        Map<TopicPartition, Long> here = new HashMap<>();
        highWatermarks.forEach((tp, hw) -> {
            if (logs.containsKey(tp)) {
                here.put(tp, hw);
            }
        });
        highWatermarkFile.write(here);
        return here.size();
    }

    /**
     * The high watermarks in this directory's {@code replication-offset-checkpoint}; empty without one.
     *
     * @throws IOException naming the file and line when the file is malformed
     */
    public Map<TopicPartition, Long> readHighWatermarks() throws IOException {
        return highWatermarkFile.readStrict();
    }

    /** Writes both checkpoints from every log (at close). */
    private void checkpointAll() throws IOException {
        synchronized (checkpointLock) {
            writeAllCheckpoints();
        }
    }

    private void writeAllCheckpoints() throws IOException {
        drain(checkpointChanged);
        checkpointedPoints.clear();
        checkpointedStarts.clear();
        for (PartitionLog partitionLog : logs.values()) {
            checkpointedPoints.put(partitionLog.topicPartition(), partitionLog.recoveryPoint());
            checkpointedStarts.put(partitionLog.topicPartition(), partitionLog.logStartOffset());
        }
        checkpointMembershipChanged = false;
        recoveryPoints.write(new HashMap<>(checkpointedPoints));
        logStarts.write(new HashMap<>(checkpointedStarts));
        checkpointWrites.incrementAndGet();
    }

    /**
     * Logs visited by each background job so far, a visit being a look at one log: to take the due
     * time of one that changed, or to do the work of one that is due (for tests and metrics).
     */
    public BackgroundVisits backgroundVisits() {
        return new BackgroundVisits(retentionVisits.get(), flushVisits.get(), checkpointVisits.get(),
                checkpointWrites.get(), idleVisits.get(), producerExpiryVisits.get());
    }

    /** How many logs each background job visited, and how often the checkpoint files were written. */
    public record BackgroundVisits(long retention, long flush, long checkpoint, long checkpointWrites, long idle,
                                   long producerExpiry) {
    }

    /** Registers a log with the background work: every job looks at it once, then when it changes. */
    private void track(PartitionLog partitionLog) {
        partitionLog.onChange(() -> {
            retentionChanged.add(partitionLog);
            flushChanged.add(partitionLog);
            checkpointChanged.add(partitionLog);
            producersChanged.add(partitionLog);
            maybeOpen.add(partitionLog);
        }, () -> checkpointChanged.add(partitionLog));
        partitionLog.onSegmentOpened(() -> maybeOpen.add(partitionLog));
        retentionChanged.add(partitionLog);
        flushChanged.add(partitionLog);
        checkpointChanged.add(partitionLog);
        producersChanged.add(partitionLog);
        maybeOpen.add(partitionLog);
    }

    /** Forgets a removed log in every job. */
    private void untrack(PartitionLog partitionLog) {
        partitionLog.onChange(() -> { }, () -> { });
        partitionLog.onSegmentOpened(() -> { });
        retentionChanged.remove(partitionLog);
        flushChanged.remove(partitionLog);
        checkpointChanged.remove(partitionLog);
        producersChanged.remove(partitionLog);
        maybeOpen.remove(partitionLog);
        retentionDue.remove(partitionLog);
        flushDue.remove(partitionLog);
        producerExpiryDue.remove(partitionLog);
        synchronized (checkpointLock) {
            checkpointedPoints.remove(partitionLog.topicPartition());
            checkpointedStarts.remove(partitionLog.topicPartition());
            checkpointMembershipChanged = true;
        }
    }

    /** Whether {@code partitionLog} is still this directory's log of its partition (not deleted meanwhile). */
    private boolean isCurrent(PartitionLog partitionLog) {
        return logs.get(partitionLog.topicPartition()) == partitionLog;
    }

    private static long dueOrNow(long dueMs, long nowMs) {
        return dueMs == Long.MIN_VALUE ? nowMs : dueMs;
    }

    /** Takes every element out of {@code set}; elements added meanwhile may stay for the next drain. */
    private static List<PartitionLog> drain(Set<PartitionLog> set) {
        List<PartitionLog> drained = new ArrayList<>();
        for (Iterator<PartitionLog> it = set.iterator(); it.hasNext(); ) {
            drained.add(it.next());
            it.remove();
        }
        return drained;
    }

    /** Flushes and closes every log, writes the checkpoints and the clean-shutdown marker. */
    @Override
    public void close() throws IOException {
        flusher.close();
        if (offline) {
            log.warn("Log directory {} is offline: closing it without flushing or a clean-shutdown marker", logDir);
            return; // the files stay as they are; the next start recovers them
        }
        for (PartitionLog partitionLog : logs.values()) {
            partitionLog.flush();
        }
        checkpointAll();
        for (PartitionLog partitionLog : logs.values()) {
            partitionLog.close();
        }
        writeCleanShutdownMarker();
        log.info("Log directory {} closed cleanly (broker epoch {})", logDir, brokerEpoch);
    }

    /** Kafka's marker, fsynced: the next start knows the shutdown was clean, and for which registration. */
    private void writeCleanShutdownMarker() throws IOException {
        byte[] content = ("{\"version\":0,\"brokerEpoch\":" + brokerEpoch + "}").getBytes(StandardCharsets.UTF_8);
        try (FileChannel channel = FileChannel.open(new File(logDir, CLEAN_SHUTDOWN_FILE).toPath(),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(content));
            channel.force(true);
        }
    }

    public File logDir() {
        return logDir;
    }

    /** The thread running this directory's durable-mode fsyncs. */
    public LogFlusher flusher() {
        return flusher;
    }

    static void deleteRecursively(File dir) {
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
