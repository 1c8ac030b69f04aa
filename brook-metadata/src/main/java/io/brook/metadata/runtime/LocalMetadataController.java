package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.LegacyMetadataLog;
import io.brook.metadata.log.MetadataLog;
import io.brook.metadata.log.MetadataSnapshots;
import io.brook.metadata.log.MetadataSnapshots.Snapshot;
import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The active controller of a single-node quorum: runs decisions one at a time on its own thread,
 * writes their records to the metadata log, applies them to a new image and publishes it.
 *
 * <p>Decisions are pure functions of the controller's <em>proposed</em> image
 * ({@link io.brook.metadata.controller}): the committed image plus the records it has decided but
 * not yet seen committed. Publishers and {@link #image()} only ever see <em>committed</em> images,
 * which a record joins once the metadata log has it. With a single node's synchronous log the two
 * differ only while a decision is being written; a Raft log (many records in flight) keeps the
 * split, and a failed write drops the proposed state back to the committed one.
 *
 * <p>A decision that throws, or whose records the image rejects, writes nothing and fails its
 * future with that exception.
 *
 * <p>Snapshots: when the {@link SnapshotPolicy} says one is due (checked after every write and on a
 * timer), the controller rolls the log to a new segment and hands the committed image, which is
 * immutable, to a snapshot thread that writes it ({@link MetadataSnapshots}); decisions go on
 * meanwhile. Once written, the oldest snapshots beyond {@link SnapshotPolicy#KEPT} and the segments
 * wholly below the oldest kept one are deleted. Start-up loads the latest readable snapshot (a
 * damaged one is skipped with a WARN) and replays the log from its end.
 *
 * <p>This is the single-node default: no Raft quorum, so start-up needs no election (the
 * {@link QuorumMetadataController} serves configs with {@code controller.quorum.voters}).
 *
 * <p>Thread-safety: {@link #submit} and {@link #image} may be called from any thread.
 */
public final class LocalMetadataController implements MetadataController {
    private static final Logger log = LoggerFactory.getLogger(LocalMetadataController.class);
    /** The Raft epoch of a single node's metadata log, until the quorum supplies real ones. */
    public static final int SINGLE_NODE_EPOCH = 1;
    /** Longest pause between two checks of the snapshot interval. */
    private static final long MAX_SNAPSHOT_CHECK_MS = 60_000;

    private final ScheduledExecutorService thread;
    private final ExecutorService snapshotThread;
    private final File dir;
    private final MetadataLog metadataLog;
    private final SnapshotPolicy policy;
    private final LongSupplier clock;
    private final List<MetadataPublisher> publishers = new CopyOnWriteArrayList<>();
    /** The committed image: what brokers serve. */
    private volatile MetadataImage image;
    /** The image decisions are made against; only touched on the controller thread. */
    private MetadataImage proposed;
    /** Epoch of the last batch in the log; controller thread only. */
    private int lastEpoch;
    /** Timestamp of the last batch written; controller thread only. */
    private long lastBatchTimestamp;
    /** Batch bytes written since the last snapshot was started (or replayed since the loaded one). */
    private long bytesSinceSnapshot;
    private long lastSnapshotMs;
    private boolean snapshotInFlight;
    private volatile SnapshotId latestSnapshot;
    /** This node's id, reported as the (always active) controller's id; -1 when not given. */
    private final int nodeId;

    private LocalMetadataController(File dir, MetadataLog metadataLog, MetadataImage image, int lastEpoch,
                                    long bytesSinceSnapshot, SnapshotId latestSnapshot, SnapshotPolicy policy,
                                    LongSupplier clock, int nodeId) {
        this.nodeId = nodeId;
        this.dir = dir;
        this.metadataLog = metadataLog;
        this.image = image;
        this.proposed = image;
        this.lastEpoch = lastEpoch;
        this.bytesSinceSnapshot = bytesSinceSnapshot;
        this.latestSnapshot = latestSnapshot;
        this.policy = policy;
        this.clock = clock;
        this.lastSnapshotMs = clock.getAsLong();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-controller");
            t.setDaemon(true);
            return t;
        });
        this.snapshotThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "brook-metadata-snapshot");
            t.setDaemon(true);
            return t;
        });
        thread.execute(this::cleanUp); // a snapshot finished while the previous run was closing
        if (policy.maxIntervalMs() > 0) {
            long period = Math.min(policy.maxIntervalMs(), MAX_SNAPSHOT_CHECK_MS);
            thread.scheduleWithFixedDelay(this::maybeSnapshot, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /** Opens the metadata log in {@code dir} with the default snapshot policy. */
    public static LocalMetadataController open(File dir) throws IOException {
        return open(dir, SnapshotPolicy.DEFAULT);
    }

    /**
     * Opens the metadata log in {@code dir}: converts a legacy {@code metadata.log} once, loads the
     * latest readable snapshot and replays the log after it into the first image.
     *
     * @throws IOException if the log cannot be recovered or replayed, or no snapshot covers the offsets
     *                     the log no longer holds
     */
    public static LocalMetadataController open(File dir, SnapshotPolicy policy) throws IOException {
        return open(dir, policy, System::currentTimeMillis, -1);
    }

    /** As {@link #open(File, SnapshotPolicy)}, reporting {@code nodeId} as the active controller's id. */
    public static LocalMetadataController open(File dir, SnapshotPolicy policy, int nodeId) throws IOException {
        return open(dir, policy, System::currentTimeMillis, nodeId);
    }

    static LocalMetadataController open(File dir, SnapshotPolicy policy, LongSupplier clock) throws IOException {
        return open(dir, policy, clock, -1);
    }

    static LocalMetadataController open(File dir, SnapshotPolicy policy, LongSupplier clock, int nodeId)
            throws IOException {
        Files.createDirectories(dir.toPath());
        LegacyMetadataLog.migrateIfPresent(dir, SINGLE_NODE_EPOCH, clock.getAsLong());
        MetadataSnapshots.deletePartial(dir);
        MetadataLog metadataLog = MetadataLog.open(dir);
        try {
            SnapshotId loaded = null;
            MetadataImage start = MetadataImage.EMPTY;
            List<SnapshotId> ids = MetadataSnapshots.list(dir);
            for (int i = ids.size() - 1; i >= 0 && loaded == null; i--) {
                SnapshotId id = ids.get(i);
                if (id.endOffset() < metadataLog.startOffset()) {
                    log.warn("Cannot use the metadata snapshot {}: the log after it starts only at offset {}",
                            id.fileName(), metadataLog.startOffset());
                    continue;
                }
                try {
                    Snapshot snapshot = MetadataSnapshots.read(dir, id);
                    start = MetadataImage.EMPTY.apply(snapshot.records(), id.endOffset() - 1);
                    loaded = id;
                } catch (IOException | RuntimeException e) {
                    log.warn("Skipping the damaged metadata snapshot {}: {}", id.fileName(), e.getMessage());
                }
            }
            if (loaded == null && metadataLog.startOffset() > 0) {
                throw new IOException(dir + ": the metadata log starts at offset " + metadataLog.startOffset()
                        + " and no readable snapshot covers the offsets before it; restore a snapshot from a backup");
            }
            if (loaded != null && loaded.endOffset() > metadataLog.nextOffset()) {
                log.warn("The metadata snapshot {} reaches past the end of the metadata log (offset {}): restarting "
                        + "the log after the snapshot", loaded.fileName(), metadataLog.nextOffset());
                metadataLog.restartAt(loaded.endOffset());
            }
            MetadataImage[] replayed = {start};
            long[] bytes = {0};
            int[] epoch = {loaded == null ? SINGLE_NODE_EPOCH : loaded.epoch()};
            metadataLog.replay(loaded == null ? 0 : loaded.endOffset(), batch -> {
                if (batch.epoch() < epoch[0]) {
                    throw new IOException(dir + ": the batch at offset " + batch.baseOffset() + " has epoch "
                            + batch.epoch() + ", below the epoch " + epoch[0] + " before it");
                }
                try {
                    replayed[0] = replayed[0].apply(batch.records(), batch.lastOffset());
                } catch (IllegalStateException e) {
                    throw new IOException(dir + ": the metadata batch at offset " + batch.baseOffset()
                            + " does not apply: " + e.getMessage(), e);
                }
                bytes[0] += batch.sizeInBytes();
                epoch[0] = batch.epoch();
            });
            log.info("Loaded the metadata {} and replayed the log up to offset {}: {} topics",
                    loaded == null ? "without a snapshot" : "snapshot " + loaded.fileName(), replayed[0].offset(),
                    replayed[0].topicsByName().size());
            return new LocalMetadataController(dir, metadataLog, replayed[0], epoch[0], bytes[0], loaded, policy, clock,
                    nodeId);
        } catch (IOException | RuntimeException e) {
            metadataLog.close();
            throw e;
        }
    }

    @Override
    public MetadataImage image() {
        return image;
    }

    /** Always: a single node is its own active controller. */
    @Override
    public boolean isActive() {
        return true;
    }

    /** This node's id when {@link #open(File, SnapshotPolicy, int)} was given it, else -1. */
    @Override
    public int leaderId() {
        return nodeId;
    }

    /**
     * A single node is active from the start and stays so: {@code listener} runs once, on the
     * controller thread, before any decision submitted after this call.
     */
    @Override
    public void addActivationListener(Consumer<MetadataImage> listener) {
        thread.execute(() -> listener.accept(proposed));
    }

    /** The latest snapshot written or loaded, or null. */
    public SnapshotId latestSnapshot() {
        return latestSnapshot;
    }

    /** Registers a listener called (on the controller thread) with every committed delta and its image. */
    @Override
    public void addPublisher(MetadataPublisher publisher) {
        publishers.add(publisher);
    }

    /**
     * Runs a decision against the latest image; completes once its records are durable and
     * applied. With {@code validateOnly} the decision is made the same way but nothing is written.
     */
    @Override
    public <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision,
                                           boolean validateOnly) {
        if (!validateOnly) {
            return submit(decision);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                future.complete(decision.apply(proposed).response());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    /** Runs a decision against the latest image; completes once its records are durable and applied. */
    @Override
    public <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision) {
        CompletableFuture<T> future = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                ControllerResult<T> result = decision.apply(proposed);
                if (!result.records().isEmpty()) {
                    // replayed before written: records the image rejects must not reach the log, where
                    // they would fail every later replay
                    MetadataDelta delta = new MetadataDelta(proposed);
                    result.records().forEach(delta::replay);
                    MetadataImage next = delta.apply(metadataLog.nextOffset() + result.records().size() - 1);
                    proposed = next;
                    long before = metadataLog.appendedBytes();
                    long now = clock.getAsLong();
                    try {
                        metadataLog.append(result.records(), lastEpoch, now);
                    } catch (Throwable t) {
                        proposed = image; // never committed: later decisions must not build on it
                        throw t;
                    }
                    bytesSinceSnapshot += metadataLog.appendedBytes() - before;
                    lastBatchTimestamp = now;
                    image = next;
                    for (MetadataPublisher publisher : publishers) {
                        publisher.onMetadataUpdate(delta, next);
                    }
                }
                future.complete(result.response());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
            maybeSnapshot();
        });
        return future;
    }

    /** Starts a snapshot of the committed image if the policy says one is due; controller thread only. */
    private void maybeSnapshot() {
        long now = clock.getAsLong();
        if (snapshotInFlight || !policy.due(bytesSinceSnapshot, now - lastSnapshotMs)) {
            return;
        }
        MetadataImage snapshotImage = image;
        SnapshotId id = new SnapshotId(snapshotImage.offset() + 1, lastEpoch);
        long timestamp = lastBatchTimestamp;
        try {
            metadataLog.roll();
        } catch (IOException e) {
            log.warn("Could not start a new metadata log segment for the snapshot {}", id.fileName(), e);
        }
        snapshotInFlight = true;
        bytesSinceSnapshot = 0;
        lastSnapshotMs = now;
        try {
            snapshotThread.execute(() -> writeSnapshot(id, timestamp, snapshotImage));
        } catch (RejectedExecutionException e) {
            snapshotInFlight = false; // closing
        }
    }

    /** On the snapshot thread: writes the snapshot, then has the controller thread clean up after it. */
    private void writeSnapshot(SnapshotId id, long timestamp, MetadataImage snapshotImage) {
        long started = System.nanoTime();
        boolean written = false;
        try {
            MetadataSnapshots.write(dir, id, timestamp, snapshotImage.records());
            written = true;
            log.info("Wrote the metadata snapshot {} ({} topics) in {} ms", id.fileName(),
                    snapshotImage.topicsById().size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        } catch (IOException | RuntimeException e) {
            log.warn("Could not write the metadata snapshot {}", id.fileName(), e);
        }
        boolean success = written;
        try {
            thread.execute(() -> afterSnapshot(id, success));
        } catch (RejectedExecutionException e) {
            // closing: the next start-up cleans up
        }
    }

    /** On the controller thread, after a snapshot was written (or failed): cleans up, and snapshots again if due. */
    private void afterSnapshot(SnapshotId id, boolean written) {
        snapshotInFlight = false;
        if (written) {
            latestSnapshot = id;
            cleanUp();
        }
        maybeSnapshot(); // writes that came while this one was written may have made the next one due
    }

    /** Keeps the latest snapshots and drops the log segments below the oldest kept; controller thread only. */
    private void cleanUp() {
        try {
            List<SnapshotId> ids = MetadataSnapshots.list(dir);
            for (SnapshotId old : SnapshotPolicy.toDelete(ids)) {
                MetadataSnapshots.delete(dir, old);
            }
            long retainFrom = SnapshotPolicy.retainFrom(ids);
            int deleted = metadataLog.deleteSegmentsBelow(retainFrom);
            if (deleted > 0) {
                log.info("Deleted {} metadata log segments below offset {}", deleted, retainFrom);
            }
        } catch (IOException e) {
            log.warn("Could not delete old metadata snapshots or log segments in {}", dir, e);
        }
    }

    @Override
    public void close() throws IOException {
        thread.shutdown();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
            snapshotThread.shutdown();
            snapshotThread.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metadataLog.close();
    }
}
