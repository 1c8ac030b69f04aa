package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataBatches;
import io.brook.metadata.log.MetadataBatches.Batch;
import io.brook.metadata.log.MetadataLog;
import io.brook.metadata.log.MetadataSnapshots;
import io.brook.metadata.log.MetadataSnapshots.Snapshot;
import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import io.brook.metadata.quorum.Committed;
import io.brook.metadata.quorum.ForwardedRequestHandler;
import io.brook.metadata.quorum.QuorumConfig;
import io.brook.metadata.quorum.QuorumListener;
import io.brook.metadata.quorum.QuorumSnapshot;
import io.brook.metadata.quorum.RaftQuorum;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The metadata controller of one voter of a Raft quorum ({@link RaftQuorum}), with KRaft's semantics:
 *
 * <ul>
 *   <li><b>Every voter applies every committed entry, in order.</b> An entry is one Kafka record batch
 *       ({@link MetadataBatches}); each voter appends its records to its own {@code __cluster_metadata-0}
 *       log with metadata offsets assigned in commit order and the batch's epoch set to the entry's Raft
 *       term, replays them into a delta, and publishes the new committed image. Voters start from the
 *       same state and apply the same entries, so they end with the same logs, offsets and images. An
 *       entry the committed image cannot take (a proposal that timed out, committed later, and clashes
 *       with what was decided meanwhile) is skipped, with a WARN, by every voter alike.</li>
 *   <li><b>Only the active controller decides</b>: the voter the quorum announced as ready leader. Its
 *       decisions run against the <em>proposed</em> image (committed plus its own entries in flight); a
 *       decision's future completes once its entry is committed and applied here. Elsewhere decisions fail
 *       with Kafka's {@link NotControllerException} (retriable) naming the leader when known. A failed or
 *       timed-out proposal, or losing leadership, fails every in-flight decision the same way and drops the
 *       proposed image back to the committed one (a timed-out entry may still commit later: it is applied
 *       then, as any entry).</li>
 *   <li><b>Snapshots</b>: when the quorum asks ({@code takeSnapshot}: every {@link QuorumConfig#snapshotThreshold()}
 *       entries, or this controller's own {@link SnapshotPolicy} timer and byte count), the committed image
 *       is written as Kafka's {@code <offset>-<epoch>.checkpoint} plus a {@code <offset>-<epoch>.quorum} sidecar
 *       holding the Raft index and term it covers; both files go to the quorum, which sends them to a
 *       lagging voter ({@code installSnapshot}: the image is replaced, publishers get one image-to-image
 *       delta, and the local log restarts at the snapshot's end).</li>
 *   <li><b>Restart</b>: the latest snapshot with its sidecar is loaded and the local log, a derived copy,
 *       restarts at its end; the quorum re-delivers every entry after the snapshot, which are re-appended.</li>
 * </ul>
 *
 * <p>Threads: everything that reads or changes the state runs on the controller thread
 * ({@code brook-controller-<id>}); the quorum's listener callbacks hand their work to it and wait for it
 * (at most {@link #LISTENER_WAIT}), so the quorum's order and back-pressure are kept and the entry bytes
 * stay valid. Decisions never block: a proposal completes asynchronously.
 *
 * <p>Thread-safety: every public method may be called from any thread.
 */
public final class QuorumMetadataController implements MetadataController, QuorumListener, MetadataLogSource {
    private static final Logger log = LoggerFactory.getLogger(QuorumMetadataController.class);
    /** Suffix of the sidecar that maps a {@code .checkpoint} to the Raft index and term it covers. */
    public static final String QUORUM_SUFFIX = ".quorum";
    /** Longest a quorum callback waits for the controller thread before the voter gives up. */
    static final Duration LISTENER_WAIT = Duration.ofSeconds(60);
    /** Longest pause between two checks of the snapshot interval. */
    private static final long MAX_SNAPSHOT_CHECK_MS = 60_000;
    /** Pause before asking the quorum again after a snapshot request failed. */
    private static final long SNAPSHOT_RETRY_MS = 1_000;
    /** Bytes of the latest applied batches kept encoded for followers' fetches (older ones are read from disk). */
    private static final int RECENT_BATCH_BYTES = 4 * 1024 * 1024;

    private final int nodeId;
    private final File dir;
    private final MetadataLog metadataLog;
    private final SnapshotPolicy policy;
    private final LongSupplier clock;
    private final ScheduledExecutorService thread;
    private final List<MetadataPublisher> publishers = new CopyOnWriteArrayList<>();
    private final QuorumSnapshot loadedSnapshot;
    private final RaftQuorum quorum;

    private volatile MetadataImage image;
    private volatile boolean active;
    private volatile int leaderId = -1;
    // controller thread only:
    private MetadataImage proposed;
    /** The Raft term this voter leads in, while active: the epoch of the batches it proposes. */
    private long activeTerm;
    /** Epoch (Raft term) and timestamp of the last applied batch. */
    private int lastEpoch;
    private long lastBatchTimestamp;
    private long bytesSinceSnapshot;
    private long lastSnapshotMs;
    private boolean snapshotRequested;
    /** Raft index of the last snapshot written or installed here (-1 for none). */
    private long lastSnapshotIndex = -1;
    /** Decisions whose entries are in flight, by proposal number (so in the order proposed). */
    private final Map<Long, InFlight> inFlight = new LinkedHashMap<>();
    private long nextProposal;
    /** Raft indexes of entries skipped while this voter was active (so their decisions fail). */
    private final TreeSet<Long> rejectedIndexes = new TreeSet<>();
    /** Run on becoming active, before the term's first decision; controller thread only. */
    private final List<Consumer<MetadataImage>> activationListeners = new ArrayList<>();
    /** The latest applied batches, encoded at their log offsets, for followers' fetches; controller thread only. */
    private final java.util.ArrayDeque<EncodedBatch> recent = new java.util.ArrayDeque<>();
    private long recentBytes;
    /** At most this many bytes of {@link #recent} ({@link #RECENT_BATCH_BYTES}; tests make it small). */
    private volatile int recentLimit = RECENT_BATCH_BYTES;
    /** Followers' fetches waiting for the next commit (long polls); controller thread only. */
    private final List<ParkedFetch> parked = new ArrayList<>();

    private record EncodedBatch(long baseOffset, ByteBuffer bytes) {
    }

    private record ParkedFetch(long fromOffset, int maxBytes, CompletableFuture<LogChunk> future) {
    }

    private QuorumMetadataController(File dir, QuorumConfig config, MetadataLog metadataLog, MetadataImage image,
                                     int lastEpoch, long lastBatchTimestamp, QuorumSnapshot loadedSnapshot,
                                     SnapshotPolicy policy, LongSupplier clock, ForwardedRequestHandler handler) {
        this.nodeId = config.nodeId();
        this.dir = dir;
        this.metadataLog = metadataLog;
        this.image = image;
        this.proposed = image;
        this.lastEpoch = lastEpoch;
        this.lastBatchTimestamp = lastBatchTimestamp;
        this.loadedSnapshot = loadedSnapshot;
        this.lastSnapshotIndex = loadedSnapshot == null ? -1 : loadedSnapshot.index();
        this.policy = policy;
        this.clock = clock;
        this.lastSnapshotMs = clock.getAsLong();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "brook-controller-" + nodeId);
            t.setDaemon(true);
            return t;
        });
        if (policy.maxIntervalMs() > 0) {
            long period = Math.min(policy.maxIntervalMs(), MAX_SNAPSHOT_CHECK_MS);
            thread.scheduleWithFixedDelay(this::maybeSnapshot, period, period, TimeUnit.MILLISECONDS);
        }
        this.quorum = new RaftQuorum(config, this, handler); // started by open, once this is built
    }

    /**
     * Opens the voter's metadata directory {@code dir} (its {@code __cluster_metadata-0} log and
     * checkpoints), loads the latest snapshot and starts the quorum voter; returns without waiting for a
     * leader.
     *
     * @param handler answers requests forwarded to the leader (null for none)
     * @throws IOException when the directory or the quorum cannot be opened
     */
    public static QuorumMetadataController open(File dir, QuorumConfig config, SnapshotPolicy policy,
                                                ForwardedRequestHandler handler) throws IOException {
        return open(dir, config, policy, handler, System::currentTimeMillis);
    }

    static QuorumMetadataController open(File dir, QuorumConfig config, SnapshotPolicy policy,
                                         ForwardedRequestHandler handler, LongSupplier clock) throws IOException {
        Files.createDirectories(dir.toPath());
        MetadataSnapshots.deletePartial(dir);
        MetadataImage start = MetadataImage.EMPTY;
        QuorumSnapshot loaded = null;
        int epoch = 0;
        long timestamp = -1;
        List<SnapshotId> ids = MetadataSnapshots.list(dir);
        for (int i = ids.size() - 1; i >= 0 && loaded == null; i--) {
            SnapshotId id = ids.get(i);
            try {
                long[] raft = readSidecar(sidecar(dir, id));
                Snapshot snapshot = MetadataSnapshots.read(dir, id);
                start = MetadataImage.EMPTY.apply(snapshot.records(), id.endOffset() - 1);
                loaded = new QuorumSnapshot(raft[0], raft[1], List.of(new File(dir, id.fileName()).toPath(),
                        sidecar(dir, id).toPath()));
                epoch = id.epoch();
                timestamp = snapshot.lastContainedLogTimestamp();
            } catch (IOException | RuntimeException e) {
                log.warn("Skipping the metadata snapshot {}: {}", id.fileName(), e.getMessage());
            }
        }
        MetadataLog metadataLog = MetadataLog.open(dir);
        QuorumMetadataController controller = null;
        try {
            // the local log is a derived copy: the quorum re-delivers every entry after the snapshot
            metadataLog.restartAt(start.offset() + 1);
            log.info("Metadata quorum node {}: loaded {}; the quorum re-delivers the entries after it", config.nodeId(),
                    loaded == null ? "no snapshot" : "the snapshot at offset " + (start.offset() + 1)
                            + " (Raft index " + loaded.index() + ")");
            controller = new QuorumMetadataController(dir, config, metadataLog, start, epoch, timestamp, loaded,
                    policy, clock, handler);
            controller.quorum.start();
            return controller;
        } catch (IOException | RuntimeException e) {
            if (controller != null) {
                controller.thread.shutdownNow();
            }
            metadataLog.close();
            throw e;
        }
    }

    /** The voter under this controller (status, voters, leadership). */
    public RaftQuorum quorum() {
        return quorum;
    }

    @Override
    public MetadataImage image() {
        return image;
    }

    @Override
    public void addPublisher(MetadataPublisher publisher) {
        publishers.add(publisher);
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public int leaderId() {
        return leaderId;
    }

    @Override
    public void addActivationListener(Consumer<MetadataImage> listener) {
        // added on the controller thread, so a leader change runs it exactly once per term
        thread.execute(() -> {
            activationListeners.add(listener);
            if (active) {
                activate(listener);
            }
        });
    }

    /** Runs one activation listener; controller thread only. One that throws does not stop the term. */
    private void activate(Consumer<MetadataImage> listener) {
        try {
            listener.accept(proposed);
        } catch (RuntimeException e) {
            log.error("Metadata quorum node {}: an activation listener failed in term {}", nodeId, activeTerm, e);
        }
    }

    private NotControllerException notController() {
        int leader = leaderId;
        return new NotControllerException(leader >= 0 && leader != nodeId
                ? "node " + nodeId + " is not the active controller; the active controller is node " + leader
                : "node " + nodeId + " is not the active controller and no active controller is known right now");
    }

    @Override
    public <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision,
                                           boolean validateOnly) {
        if (!validateOnly) {
            return submit(decision);
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        execute(future, () -> {
            if (!active) {
                throw notController();
            }
            future.complete(decision.apply(proposed).response());
        });
        return future;
    }

    @Override
    public <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision) {
        CompletableFuture<T> future = new CompletableFuture<>();
        execute(future, () -> {
            if (!active) {
                throw notController();
            }
            ControllerResult<T> result = decision.apply(proposed);
            if (result.records().isEmpty()) {
                future.complete(result.response());
                return;
            }
            // replayed before proposed: records the image rejects never reach the quorum
            MetadataDelta delta = new MetadataDelta(proposed);
            result.records().forEach(delta::replay);
            long base = proposed.offset() + 1; // a guess: every voter assigns offsets in commit order
            MetadataImage next = delta.apply(base + result.records().size() - 1);
            ByteBuffer batch;
            try {
                batch = MetadataBatches.encode(result.records(), base, (int) activeTerm, clock.getAsLong());
            } catch (IllegalArgumentException e) {
                throw new RecordTooLargeException(e.getMessage());
            }
            if (batch.remaining() > quorum.config().maxEntryBytes()) {
                throw new RecordTooLargeException("the metadata change of " + result.records().size()
                        + " records is " + batch.remaining() + " bytes, above the quorum's limit of "
                        + quorum.config().maxEntryBytes());
            }
            proposed = next;
            long proposal = nextProposal++;
            inFlight.put(proposal, new InFlight(future, batch.duplicate(), result.records()));
            T response = result.response();
            quorum.propose(batch).whenComplete((committed, error) -> {
                try {
                    thread.execute(() -> proposalDone(proposal, committed, error, response));
                } catch (RejectedExecutionException closing) {
                    future.completeExceptionally(notController());
                }
            });
        });
        return future;
    }

    /** Runs {@code task} on the controller thread; a throw fails {@code future}. */
    private void execute(CompletableFuture<?> future, ThrowingRunnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (Throwable t) {
                    future.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(notController());
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** On the controller thread: a proposal committed (and was applied here) or failed. */
    @SuppressWarnings("unchecked")
    private <T> void proposalDone(long proposal, Committed committed, Throwable error, T response) {
        InFlight done = inFlight.remove(proposal);
        if (done == null) {
            return; // already failed by a reset
        }
        CompletableFuture<T> future = (CompletableFuture<T>) done.future();
        if (error == null && !rejectedIndexes.contains(committed.index())) {
            rejectedIndexes.headSet(committed.index(), true).clear();
            future.complete(response);
            return;
        }
        if (error == null) {
            rejectedIndexes.headSet(committed.index(), true).clear();
            log.warn("Metadata quorum node {}: the entry at Raft index {} committed but did not apply", nodeId,
                    committed.index());
        } else {
            log.info("Metadata quorum node {}: a proposal failed ({}); failing {} in-flight decisions", nodeId,
                    error.getMessage(), inFlight.size() + 1);
        }
        NotControllerException e = notController();
        if (error != null) {
            e.initCause(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
        }
        future.completeExceptionally(e);
        resetProposed();
    }

    /** Fails every in-flight decision and drops the proposed image back to the committed one. */
    private void resetProposed() {
        for (InFlight f : inFlight.values()) {
            f.future().completeExceptionally(notController());
        }
        inFlight.clear();
        proposed = image;
    }

    // ---- QuorumListener: called on the quorum's listener thread, run on the controller thread ----

    private <T> T onControllerThread(Callable<T> work) {
        Future<T> result;
        try {
            result = thread.submit(work);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("metadata controller " + nodeId + " is closed", e);
        }
        try {
            return result.get(LISTENER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        } catch (TimeoutException e) {
            result.cancel(false);
            throw new IllegalStateException("metadata controller " + nodeId + " did not answer the quorum within "
                    + LISTENER_WAIT.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void onCommitted(long index, long term, ByteBuffer entry) {
        ByteBuffer copy = ByteBuffer.allocate(entry.remaining()).put(entry.duplicate()).flip();
        onControllerThread(() -> {
            apply(index, term, copy);
            return null;
        });
    }

    /** Appends a committed entry to the local log at the next offsets and publishes the new image. */
    private void apply(long index, long term, ByteBuffer entry) throws IOException {
        ByteBuffer proposedBytes = entry.duplicate(); // as a proposal of ours was, before decoding reads it
        Batch batch;
        MetadataDelta delta = new MetadataDelta(image);
        MetadataImage next;
        try {
            batch = MetadataBatches.decode(entry);
            if (batch.control() || batch.records().isEmpty()) {
                throw new IllegalStateException("a control batch");
            }
            batch.records().forEach(delta::replay);
            next = delta.apply(metadataLog.nextOffset() + batch.records().size() - 1);
        } catch (IOException | RuntimeException e) {
            // every voter has the same image here, so every voter skips it alike
            log.warn("Metadata quorum node {}: skipping the entry at Raft index {} (term {}): {}", nodeId, index, term,
                    e.getMessage());
            if (active) {
                rejectedIndexes.add(index);
            }
            ours(proposedBytes); // a decision of ours that did not apply fails in proposalDone, which resets the image
            return;
        }
        long before = metadataLog.appendedBytes();
        long baseOffset = metadataLog.nextOffset();
        metadataLog.append(batch.records(), (int) term, batch.maxTimestamp());
        bytesSinceSnapshot += metadataLog.appendedBytes() - before;
        remember(new EncodedBatch(baseOffset, MetadataBatches.encode(batch.records(), baseOffset, (int) term,
                batch.maxTimestamp())));
        lastEpoch = (int) term;
        lastBatchTimestamp = batch.maxTimestamp();
        image = next;
        if (!ours(proposedBytes)) {
            rebaseProposed(); // a change not in the proposed image: an entry that timed out here, now committed
        }
        publish(delta, next);
        answerParkedFetches();
        maybeSnapshot();
    }

    /**
     * Whether a committed entry is the oldest of this controller's in-flight entries not yet committed (the proposed
     * image holds it already); marks it committed. Entries commit in the order this leader proposed them, so any
     * other entry is not ours: one proposed in another term, or one of ours that timed out (its decision failed and
     * the proposed image was reset without it) and committed after all.
     */
    private boolean ours(ByteBuffer entry) {
        for (InFlight f : inFlight.values()) {
            if (!f.committed) {
                if (f.batch().equals(entry)) {
                    f.committed = true;
                    return true;
                }
                return false;
            }
        }
        return false;
    }

    /**
     * The proposed image again as the committed image plus the in-flight entries not yet committed; if they no longer
     * apply to it, every in-flight decision fails (as after a timeout) and the proposed image is the committed one.
     */
    private void rebaseProposed() {
        MetadataDelta delta = new MetadataDelta(image);
        int records = 0;
        try {
            for (InFlight f : inFlight.values()) {
                if (!f.committed) {
                    f.records().forEach(delta::replay);
                    records += f.records().size();
                }
            }
        } catch (RuntimeException clash) {
            log.info("Metadata quorum node {}: in-flight decisions clash with a late commit ({}); failing them", nodeId,
                    clash.getMessage());
            resetProposed();
            return;
        }
        proposed = records == 0 ? image : delta.apply(image.offset() + records);
    }

    /** A decision whose entry is in flight: its future, the entry as proposed, its records. */
    private static final class InFlight {
        private final CompletableFuture<?> future;
        private final ByteBuffer batch;
        private final List<ApiMessageAndVersion> records;
        /** Applied here (it committed), its proposal's completion still to run. */
        private boolean committed;

        InFlight(CompletableFuture<?> future, ByteBuffer batch, List<ApiMessageAndVersion> records) {
            this.future = future;
            this.batch = batch;
            this.records = records;
        }

        CompletableFuture<?> future() {
            return future;
        }

        ByteBuffer batch() {
            return batch;
        }

        List<ApiMessageAndVersion> records() {
            return records;
        }
    }

    /** Hands a committed change to every publisher; one that throws is logged and does not stop the others. */
    private void publish(MetadataDelta delta, MetadataImage next) {
        for (MetadataPublisher publisher : publishers) {
            try {
                publisher.onMetadataUpdate(delta, next);
            } catch (RuntimeException e) {
                log.error("Metadata quorum node {}: a publisher failed on the image at offset {}", nodeId,
                        next.offset(), e);
            }
        }
    }

    @Override
    public void onLeaderChange(int newLeaderId, long term) {
        onControllerThread(() -> {
            boolean wasActive = active;
            leaderId = newLeaderId;
            active = false;
            resetProposed();
            rejectedIndexes.clear();
            if (newLeaderId == nodeId) {
                activeTerm = term;
                active = true;
                log.info("Metadata quorum node {} is the active controller in term {} at metadata offset {}", nodeId,
                        term, image.offset());
                activationListeners.forEach(this::activate); // before any decision of this term
            } else if (wasActive) {
                log.info("Metadata quorum node {} is no longer the active controller (leader {}, term {})", nodeId,
                        newLeaderId, term);
                failParkedFetches();
            }
            return null;
        });
    }

    @Override
    public List<Path> takeSnapshot(long index, long term) {
        return onControllerThread(() -> writeSnapshot(index, term));
    }

    private List<Path> writeSnapshot(long index, long term) throws IOException {
        MetadataImage snapshotImage = image;
        SnapshotId id = new SnapshotId(snapshotImage.offset() + 1, lastEpoch);
        long started = System.nanoTime();
        File sidecar = sidecar(dir, id);
        writeSidecar(sidecar, index, term);
        File checkpoint = MetadataSnapshots.write(dir, id, lastBatchTimestamp, snapshotImage.records());
        metadataLog.roll();
        bytesSinceSnapshot = 0;
        lastSnapshotMs = clock.getAsLong();
        snapshotRequested = false;
        lastSnapshotIndex = Math.max(lastSnapshotIndex, index);
        log.info("Metadata quorum node {} wrote the snapshot {} (Raft index {}) in {} ms", nodeId, id.fileName(),
                index, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        cleanUp();
        return List.of(checkpoint.toPath(), sidecar.toPath());
    }

    @Override
    public void installSnapshot(List<Path> files, long index, long term) {
        onControllerThread(() -> {
            install(files, index, term);
            return null;
        });
    }

    private void install(List<Path> files, long index, long term) throws IOException {
        Path checkpoint = files.stream().filter(f -> f.getFileName().toString().endsWith(MetadataSnapshots.SUFFIX))
                .findFirst().orElseThrow(() -> new IOException("no " + MetadataSnapshots.SUFFIX + " file among "
                        + files));
        File from = checkpoint.getParent().toFile();
        SnapshotId id = MetadataSnapshots.list(from).stream()
                .filter(s -> s.fileName().equals(checkpoint.getFileName().toString())).findFirst()
                .orElseThrow(() -> new IOException("not a snapshot file name: " + checkpoint));
        Snapshot snapshot = MetadataSnapshots.read(from, id);
        MetadataImage next = MetadataImage.EMPTY.apply(snapshot.records(), id.endOffset() - 1);
        // kept as our own: the sidecar first, so a checkpoint is never found without one
        writeSidecar(sidecar(dir, id), index, term);
        Path partial = dir.toPath().resolve(id.fileName().replace(MetadataSnapshots.SUFFIX,
                MetadataSnapshots.PARTIAL_SUFFIX));
        Files.copy(checkpoint, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, dir.toPath().resolve(id.fileName()), StandardCopyOption.ATOMIC_MOVE);
        metadataLog.restartAt(id.endOffset());
        MetadataDelta delta = MetadataDelta.between(image, next);
        image = next;
        resetProposed();
        lastEpoch = id.epoch();
        lastBatchTimestamp = snapshot.lastContainedLogTimestamp();
        bytesSinceSnapshot = 0;
        lastSnapshotIndex = Math.max(lastSnapshotIndex, index);
        log.info("Metadata quorum node {} installed the snapshot {} (Raft index {}, term {}): {} topics", nodeId,
                id.fileName(), index, term, next.topicsById().size());
        recent.clear();
        recentBytes = 0;
        publish(delta, next);
        answerParkedFetches();
        cleanUp();
    }

    @Override
    public Optional<QuorumSnapshot> latestSnapshot() {
        return Optional.ofNullable(loadedSnapshot);
    }

    // ---- MetadataLogSource: followers (broker-only nodes) read the committed log from the active controller ----

    @Override
    public CompletableFuture<LogChunk> fetch(long fromOffset, int maxBytes, long maxWaitMs) {
        CompletableFuture<LogChunk> future = new CompletableFuture<>();
        execute(future, () -> {
            if (!active) {
                throw notController();
            }
            if (fromOffset == image.offset() + 1 && maxWaitMs > 0) {
                ParkedFetch waiting = new ParkedFetch(fromOffset, maxBytes, future);
                parked.add(waiting);
                thread.schedule(() -> {
                    if (parked.remove(waiting)) {
                        answer(waiting);
                    }
                }, maxWaitMs, TimeUnit.MILLISECONDS);
                return;
            }
            future.complete(read(fromOffset, maxBytes));
        });
        return future;
    }

    /** Keeps at most {@code bytes} of the latest batches in memory for fetches (tests: 0 reads every fetch from disk). */
    void keepRecentBatchBytes(int bytes) {
        recentLimit = bytes;
    }

    /** Answers a parked fetch now (its follower may fail it: NOT_CONTROLLER, the log gone); controller thread. */
    private void answer(ParkedFetch fetch) {
        try {
            if (!active) {
                throw notController();
            }
            fetch.future().complete(read(fetch.fromOffset(), fetch.maxBytes()));
        } catch (IOException | RuntimeException e) {
            fetch.future().completeExceptionally(e);
        }
    }

    private void answerParkedFetches() {
        if (parked.isEmpty()) {
            return;
        }
        List<ParkedFetch> waiting = new ArrayList<>(parked);
        parked.clear();
        waiting.forEach(this::answer);
    }

    private void failParkedFetches() {
        List<ParkedFetch> waiting = new ArrayList<>(parked);
        parked.clear();
        waiting.forEach(f -> f.future().completeExceptionally(notController()));
    }

    /** Keeps an applied batch for followers, dropping the oldest past {@link #RECENT_BATCH_BYTES}. */
    private void remember(EncodedBatch batch) {
        recent.addLast(batch);
        recentBytes += batch.bytes().remaining();
        while (recentBytes > recentLimit && !recent.isEmpty()) {
            recentBytes -= recent.removeFirst().bytes().remaining();
        }
    }

    /** The committed batches from {@code fromOffset}, or the snapshot to load; controller thread only. */
    private LogChunk read(long fromOffset, int maxBytes) throws IOException {
        long end = image.offset() + 1;
        if (fromOffset > end || fromOffset < 0) {
            throw new org.apache.kafka.common.errors.OffsetOutOfRangeException("the metadata log of node " + nodeId
                    + " ends at offset " + end + "; cannot fetch from " + fromOffset);
        }
        if (fromOffset < metadataLog.startOffset()) {
            List<SnapshotId> ids = MetadataSnapshots.list(dir);
            if (ids.isEmpty()) {
                throw new IllegalStateException("the metadata log of node " + nodeId + " starts at offset "
                        + metadataLog.startOffset() + " and no snapshot covers what is before it");
            }
            return new LogChunk(nodeId, List.of(), end, ids.get(ids.size() - 1));
        }
        List<ByteBuffer> batches = new ArrayList<>();
        if (fromOffset == end) {
            return new LogChunk(nodeId, batches, end, null);
        }
        if (!recent.isEmpty() && recent.peekFirst().baseOffset() <= fromOffset) {
            long bytes = 0;
            for (EncodedBatch b : recent) {
                if (b.baseOffset() >= fromOffset) {
                    if (!batches.isEmpty() && bytes + b.bytes().remaining() > maxBytes) {
                        break;
                    }
                    batches.add(b.bytes().duplicate());
                    bytes += b.bytes().remaining();
                }
            }
            return new LogChunk(nodeId, batches, end, null);
        }
        long[] bytes = {0};
        try {
            metadataLog.replay(fromOffset, b -> {
                ByteBuffer encoded = MetadataBatches.encode(b.records(), b.baseOffset(), b.epoch(), b.maxTimestamp());
                if (!batches.isEmpty() && bytes[0] + encoded.remaining() > maxBytes) {
                    throw new EnoughRead();
                }
                batches.add(encoded);
                bytes[0] += encoded.remaining();
            });
        } catch (EnoughRead enough) {
            // a full answer
        }
        return new LogChunk(nodeId, batches, end, null);
    }

    /** Stops a replay once an answer is full. */
    private static final class EnoughRead extends IOException {
        EnoughRead() {
            super("enough read");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    @Override
    public CompletableFuture<SnapshotChunk> fetchSnapshot(SnapshotId id, long position, int maxBytes) {
        CompletableFuture<SnapshotChunk> future = new CompletableFuture<>();
        execute(future, () -> {
            if (!active) {
                throw notController();
            }
            File file = new File(dir, id.fileName());
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file.toPath(),
                    java.nio.file.StandardOpenOption.READ)) {
                long size = channel.size();
                if (position < 0 || position > size) {
                    throw new org.apache.kafka.common.errors.PositionOutOfRangeException("snapshot " + id.fileName()
                            + " has " + size + " bytes; cannot read from " + position);
                }
                ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(maxBytes, size - position));
                while (bytes.hasRemaining() && channel.read(bytes, position + bytes.position()) >= 0) {
                    // reads until full
                }
                future.complete(new SnapshotChunk(bytes.flip(), size));
            } catch (java.nio.file.NoSuchFileException gone) {
                throw new org.apache.kafka.common.errors.SnapshotNotFoundException("node " + nodeId
                        + " no longer has the snapshot " + id.fileName());
            }
        });
        return future;
    }

    // ---- snapshots ----

    /** Asks the quorum for a snapshot if the policy says one is due; controller thread only. */
    private void maybeSnapshot() {
        if (snapshotRequested || !policy.due(bytesSinceSnapshot, clock.getAsLong() - lastSnapshotMs)) {
            return;
        }
        snapshotRequested = true;
        long before = lastSnapshotIndex;
        quorum.takeSnapshot().whenComplete((index, error) -> {
            if (error != null) {
                log.warn("Metadata quorum node {}: a snapshot failed: {}", nodeId, error.getMessage());
            }
            try {
                // changes applied while it was written (or a refused request) make the next one due now
                // or, after a failure, a little later
                thread.execute(() -> {
                    // a request that wrote nothing here (failed, or the quorum found nothing new) is not
                    // repeated at once: no busy loop
                    boolean wrote = lastSnapshotIndex > before;
                    if (wrote) {
                        snapshotRequested = false;
                        maybeSnapshot();
                    } else {
                        thread.schedule(() -> {
                            snapshotRequested = false;
                            maybeSnapshot();
                        }, SNAPSHOT_RETRY_MS, TimeUnit.MILLISECONDS);
                    }
                });
            } catch (RejectedExecutionException closing) {
                // closing
            }
        });
    }

    /** Keeps the latest {@link SnapshotPolicy#KEPT} snapshots and the log segments they need. */
    private void cleanUp() {
        try {
            List<SnapshotId> ids = MetadataSnapshots.list(dir);
            for (SnapshotId old : SnapshotPolicy.toDelete(ids)) {
                MetadataSnapshots.delete(dir, old);
                Files.deleteIfExists(sidecar(dir, old).toPath());
            }
            metadataLog.deleteSegmentsBelow(SnapshotPolicy.retainFrom(ids));
        } catch (IOException e) {
            log.warn("Could not delete old metadata snapshots or log segments in {}", dir, e);
        }
    }

    static File sidecar(File dir, SnapshotId id) {
        return new File(dir, id.fileName().replace(MetadataSnapshots.SUFFIX, QUORUM_SUFFIX));
    }

    /** Writes "index term" atomically. */
    private static void writeSidecar(File file, long index, long term) throws IOException {
        Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
        Files.writeString(tmp, index + " " + term + "\n", StandardCharsets.UTF_8);
        try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads a sidecar: {index, term}. */
    static long[] readSidecar(File file) throws IOException {
        String[] parts = Files.readString(file.toPath(), StandardCharsets.UTF_8).trim().split(" ");
        if (parts.length != 2) {
            throw new IOException(file + ": not a Raft index and term");
        }
        try {
            return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
        } catch (NumberFormatException e) {
            throw new IOException(file + ": not a Raft index and term", e);
        }
    }

    /** The batches of the local {@code __cluster_metadata-0} log from its start (for tests and tools). */
    public List<Batch> readLog() throws IOException {
        return onControllerThread(() -> {
            List<Batch> batches = new ArrayList<>();
            metadataLog.replay(metadataLog.startOffset(), batches::add);
            return batches;
        });
    }

    /** Stops the voter, then the controller thread; in-flight decisions fail with NotControllerException. */
    @Override
    public void close() throws IOException {
        quorum.close();
        try {
            thread.execute(() -> {
                active = false;
                resetProposed();
                failParkedFetches();
            });
        } catch (RejectedExecutionException e) {
            // closed already
        }
        thread.shutdown();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metadataLog.close();
    }
}
