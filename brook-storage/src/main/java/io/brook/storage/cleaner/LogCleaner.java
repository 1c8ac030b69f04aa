package io.brook.storage.cleaner;

import io.brook.storage.checkpoint.OffsetCheckpointFile;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The log cleaner of one log directory: {@code log.cleaner.threads} threads that repeatedly pick
 * the compacted log most in need of cleaning (highest dirty ratio among those due, see
 * {@link CleaningPlanner#isDue}) and clean it. Where each log's last cleaning stopped is kept in
 * {@value #CHECKPOINT_FILE} (Kafka's name and format), so a restart resumes there.
 *
 * <p>Thread-safety: the threads share this object; a log is cleaned by one thread at a time.
 */
public final class LogCleaner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogCleaner.class);
    public static final String CHECKPOINT_FILE = LogDir.CLEANER_CHECKPOINT_FILE;

    private final CleanerConfig config;
    private final LogManager logs;
    private final Time time;
    private final Throttler throttler;
    private final Map<TopicPartition, Long> checkpoints;
    private final Map<TopicPartition, Long> tombstoneExpiry = new ConcurrentHashMap<>();
    private final Set<TopicPartition> inProgress = ConcurrentHashMap.newKeySet();
    private final Set<TopicPartition> uncleanable = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private final Object wakeup = new Object();
    private volatile boolean stopped;

    public LogCleaner(CleanerConfig config, LogManager logs, Time time) throws IOException {
        this.config = config;
        this.logs = logs;
        this.time = time;
        this.throttler = new Throttler(config.maxIoBytesPerSecond(), time);
        this.checkpoints = new ConcurrentHashMap<>();
        for (LogDir dir : logs.dirs()) { // each directory checkpoints its own logs
            checkpoints.putAll(checkpointFile(dir).read());
        }
    }

    /** Starts the cleaner threads. */
    public void start() {
        for (int i = 0; i < config.threads(); i++) {
            Thread thread = new Thread(this::run, "brook-log-cleaner-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    private void run() {
        Cleaner cleaner = null; // its offset map is allocated on first use: no memory until a log is compacted
        while (!stopped) {
            PartitionLog filthiest = grabFilthiest();
            if (filthiest == null) {
                synchronized (wakeup) {
                    if (!stopped) {
                        try {
                            wakeup.wait(config.backoffMs());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                continue;
            }
            if (cleaner == null) {
                cleaner = newCleaner();
            }
            clean(cleaner, filthiest);
        }
    }

    /** A cleaner with one thread's share of the offset map and I/O buffers. */
    public Cleaner newCleaner() {
        return new Cleaner(new OffsetMap(config.dedupeBytesPerThread(), config.loadFactor()),
                config.ioBufferBytesPerThread(), throttler, time);
    }

    /**
     * Picks the log to clean next and marks it in progress, or returns null when none is due.
     * The caller must pass it to {@link #clean}.
     */
    public PartitionLog grabFilthiest() {
        long nowMs = time.milliseconds();
        synchronized (inProgress) {
            PartitionLog best = null;
            double bestRatio = -1;
            for (PartitionLog candidate : logs.all()) {
                TopicPartition tp = candidate.topicPartition();
                if (!candidate.config().compact() || inProgress.contains(tp) || uncleanable.contains(tp)) {
                    continue;
                }
                CleaningPlanner.Plan plan = CleaningPlanner.plan(candidate, checkpoints.getOrDefault(tp, -1L), nowMs);
                boolean due = CleaningPlanner.isDue(plan, candidate.config().minCleanableDirtyRatio(),
                        tombstoneExpiry.getOrDefault(tp, Long.MAX_VALUE), nowMs);
                if (due && plan.dirtyRatio() > bestRatio) {
                    best = candidate;
                    bestRatio = plan.dirtyRatio();
                }
            }
            if (best != null) {
                inProgress.add(best.topicPartition());
            }
            return best;
        }
    }

    /** Cleans a log returned by {@link #grabFilthiest}; failures are logged, not thrown. */
    public Cleaner.Result clean(Cleaner cleaner, PartitionLog partitionLog) {
        TopicPartition tp = partitionLog.topicPartition();
        try {
            long startMs = time.milliseconds();
            if (!checkpoints.containsKey(tp)) {
                // recorded before the first swap: from now on recovery allows gaps in this log
                checkpoints.put(tp, partitionLog.logStartOffset());
                writeCheckpoints();
            }
            CleaningPlanner.Plan plan = CleaningPlanner.plan(partitionLog, checkpoints.get(tp), startMs);
            Cleaner.Result result = cleaner.clean(partitionLog, plan);
            if (result.aborted()) {
                log.info("Cleaning of {} stopped: the log changed while it was cleaned", tp);
                return result;
            }
            checkpoints.put(tp, result.endOffset());
            tombstoneExpiry.put(tp, result.tombstonesExpireAtMs());
            writeCheckpoints();
            long elapsedMs = Math.max(1, time.milliseconds() - startMs);
            log.info("Cleaned {} up to offset {} in {} ms: {} -> {} bytes ({} MB/s read), {} -> {} records, "
                            + "{} -> {} segments", tp, result.endOffset(), elapsedMs, result.bytesRead(),
                    result.bytesWritten(), String.format("%.1f", result.bytesRead() / 1e3 / elapsedMs),
                    result.recordsRead(), result.recordsRetained(), result.segmentsBefore(), result.segmentsAfter());
            return result;
        } catch (IOException | RuntimeException e) {
            if (logs.get(tp) == partitionLog) {
                uncleanable.add(tp);
                log.error("Cleaning {} failed; it is left uncleaned until the next restart", tp, e);
            }
            return null;
        } finally {
            inProgress.remove(tp);
        }
    }

    private synchronized void writeCheckpoints() throws IOException {
        Set<TopicPartition> live = new HashSet<>();
        for (LogDir dir : logs.dirs()) {
            Map<TopicPartition, Long> ofDir = new HashMap<>();
            checkpoints.forEach((tp, offset) -> {
                if (dir.get(tp) != null) {
                    ofDir.put(tp, offset);
                }
            });
            live.addAll(ofDir.keySet());
            if (!dir.isOffline()) {
                checkpointFile(dir).write(ofDir);
            }
        }
        checkpoints.keySet().retainAll(live);
    }

    private static OffsetCheckpointFile checkpointFile(LogDir dir) {
        return new OffsetCheckpointFile(new File(dir.logDir(), CHECKPOINT_FILE));
    }

    /** Partitions whose cleaning failed (Kafka's uncleanable partitions). */
    public Set<TopicPartition> uncleanablePartitions() {
        return Set.copyOf(uncleanable);
    }

    @Override
    public void close() {
        stopped = true;
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
        for (Thread thread : threads) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
