package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataBatches;
import io.brook.metadata.log.MetadataBatches.Batch;
import io.brook.metadata.log.MetadataSnapshots;
import io.brook.metadata.log.MetadataSnapshots.Snapshot;
import io.brook.metadata.log.MetadataSnapshots.SnapshotId;
import io.brook.metadata.runtime.MetadataLogSource.LogChunk;
import io.brook.metadata.runtime.MetadataLogSource.SnapshotChunk;
import org.apache.kafka.common.errors.NotControllerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The metadata of a node that is not a voter (a broker-only node, Kafka's "observer"): it follows the committed
 * metadata log of the active controller ({@link MetadataLogSource}) in order and applies it exactly as the voters
 * do, batch by batch through {@link MetadataDelta}, swapping in each new image at once and handing each change
 * to the publishers. A follower that starts, or lags behind the controller's log start, loads the snapshot the
 * controller names (downloaded in chunks into its own metadata directory, then read as any snapshot) and goes
 * on with the tail. It never sees an uncommitted record: the source holds only committed entries.
 *
 * <p>It decides nothing: {@link #submit} fails with Kafka's {@link NotControllerException} (the node reaches the
 * active controller through its forwarding channel). When no controller answers, it keeps its last image (the
 * node goes on serving data with it) and retries every {@link #RETRY_BACKOFF}, one WARN per outage.
 *
 * <p>Threads: one follower thread ({@code brook-metadata-follower-<id>}) fetches, applies and publishes;
 * publishers run on it, one change at a time, in log order. Every public method may be called from any thread.
 */
public final class FollowerMetadataController implements MetadataController {
    private static final Logger log = LoggerFactory.getLogger(FollowerMetadataController.class);
    /** Bytes of log asked for per fetch (at least one whole batch comes anyway). */
    static final int FETCH_MAX_BYTES = 1024 * 1024;
    /** Bytes of a snapshot asked for per chunk. */
    static final int SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
    /** How long the controller holds a fetch that finds nothing new (Kafka's replica fetch wait). */
    static final long FETCH_MAX_WAIT_MS = 500;
    /** Pause after a failed fetch before the next. */
    static final Duration RETRY_BACKOFF = Duration.ofMillis(200);

    private final int nodeId;
    private final File dir;
    private final MetadataLogSource source;
    /** Longest one fetch or snapshot chunk may take, the long poll included. */
    private final Duration requestTimeout;
    private final List<MetadataPublisher> publishers = new CopyOnWriteArrayList<>();
    private final Thread thread;

    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile int leaderId = -1;
    /** The controller's end offset in the latest answer, or -1 before the first. */
    private volatile long knownEndOffset = -1;
    private volatile boolean closed;
    // follower thread only:
    private boolean failing;

    private FollowerMetadataController(int nodeId, File dir, MetadataLogSource source, Duration requestTimeout) {
        this.nodeId = nodeId;
        this.dir = dir;
        this.source = source;
        this.requestTimeout = requestTimeout;
        this.thread = new Thread(this::run, "brook-metadata-follower-" + nodeId);
        this.thread.setDaemon(true);
    }

    /**
     * Starts following {@code source} from an empty image; downloaded snapshots go to {@code dir} (created).
     *
     * @param requestTimeout longest one request to the source may take beyond its long poll
     */
    public static FollowerMetadataController start(int nodeId, File dir, MetadataLogSource source,
                                                   Duration requestTimeout) throws IOException {
        Files.createDirectories(dir.toPath());
        MetadataSnapshots.deletePartial(dir);
        FollowerMetadataController follower = new FollowerMetadataController(nodeId, dir, source, requestTimeout);
        follower.thread.start();
        return follower;
    }

    /**
     * Whether this follower has applied everything the controller had committed when it last answered (false
     * before the first answer).
     */
    public boolean caughtUp() {
        long end = knownEndOffset;
        return end >= 0 && image.offset() + 1 >= end;
    }

    /** The controller's end offset (Kafka's high watermark of the metadata log) as last heard, or -1. */
    public long knownEndOffset() {
        return knownEndOffset;
    }

    private void run() {
        while (!closed) {
            try {
                step();
                if (failing) {
                    failing = false;
                    log.info("Metadata follower {}: the active controller (node {}) answers again; applied offset {}",
                            nodeId, leaderId, image.offset());
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                if (!failing) {
                    log.warn("Metadata follower {}: cannot fetch the metadata log ({}); keeping the image at offset "
                            + "{} and retrying every {} ms", nodeId, cause.toString(), image.offset(),
                            RETRY_BACKOFF.toMillis());
                    failing = true;
                } else {
                    log.debug("Metadata follower {}: fetch failed again: {}", nodeId, cause.toString());
                }
                if (cause instanceof NotControllerException) {
                    leaderId = -1;
                }
                try {
                    Thread.sleep(RETRY_BACKOFF.toMillis());
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    /** One fetch, and what it brings applied. */
    private void step() throws Exception {
        LogChunk chunk = await(source.fetch(image.offset() + 1, FETCH_MAX_BYTES, FETCH_MAX_WAIT_MS),
                FETCH_MAX_WAIT_MS);
        leaderId = chunk.leaderId();
        knownEndOffset = chunk.endOffset(); // first: caughtUp() is never true before the image reaches it
        if (chunk.snapshot() != null) {
            loadSnapshot(chunk.snapshot());
            return; // the tail comes with the next fetch
        }
        for (ByteBuffer bytes : chunk.batches()) {
            apply(MetadataBatches.decode(bytes.duplicate()));
        }
    }

    private <T> T await(CompletableFuture<T> future, long extraMs) throws Exception {
        try {
            return future.get(requestTimeout.toMillis() + extraMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new TimeoutException("no answer from the active controller within "
                    + (requestTimeout.toMillis() + extraMs) + " ms");
        }
    }

    /** Applies one committed batch, which must start right after the image. */
    private void apply(Batch batch) {
        long expected = image.offset() + 1;
        if (batch.baseOffset() != expected) {
            throw new IllegalStateException("the controller sent a batch at offset " + batch.baseOffset() + " where "
                    + expected + " was due");
        }
        if (batch.control() || batch.records().isEmpty()) {
            throw new IllegalStateException("the controller sent a control batch at offset " + batch.baseOffset());
        }
        MetadataDelta delta = new MetadataDelta(image);
        batch.records().forEach(delta::replay);
        MetadataImage next = delta.apply(batch.lastOffset());
        image = next;
        publish(delta, next);
    }

    /** Downloads snapshot {@code id} into the metadata directory, loads it and publishes the change. */
    private void loadSnapshot(SnapshotId id) throws Exception {
        long started = System.nanoTime();
        File partial = new File(dir, id.fileName().replace(MetadataSnapshots.SUFFIX, MetadataSnapshots.PARTIAL_SUFFIX));
        try (FileChannel out = FileChannel.open(partial.toPath(), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long position = 0;
            long size;
            do {
                SnapshotChunk chunk = await(source.fetchSnapshot(id, position, SNAPSHOT_CHUNK_BYTES), 0);
                size = chunk.size();
                ByteBuffer bytes = chunk.bytes().duplicate();
                if (!bytes.hasRemaining() && position < size) {
                    throw new IOException("the controller sent an empty chunk of snapshot " + id.fileName()
                            + " at byte " + position + " of " + size);
                }
                while (bytes.hasRemaining()) {
                    position += out.write(bytes, position);
                }
            } while (position < size);
            out.force(true);
        }
        Files.move(partial.toPath(), new File(dir, id.fileName()).toPath(), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        Snapshot snapshot = MetadataSnapshots.read(dir, id);
        MetadataImage next = MetadataImage.EMPTY.apply(snapshot.records(), id.endOffset() - 1);
        MetadataDelta delta = MetadataDelta.between(image, next);
        image = next;
        log.info("Metadata follower {} loaded the snapshot {} from the active controller in {} ms: {} topics, {} "
                        + "brokers", nodeId, id.fileName(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                next.topicsById().size(), next.cluster().brokers().size());
        publish(delta, next);
        for (SnapshotId old : MetadataSnapshots.list(dir)) { // only the latest is kept
            if (!old.equals(id)) {
                MetadataSnapshots.delete(dir, old);
            }
        }
    }

    private void publish(MetadataDelta delta, MetadataImage next) {
        for (MetadataPublisher publisher : publishers) {
            try {
                publisher.onMetadataUpdate(delta, next);
            } catch (RuntimeException e) {
                log.error("Metadata follower {}: a publisher failed on the image at offset {}", nodeId, next.offset(),
                        e);
            }
        }
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
    public <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision) {
        return CompletableFuture.failedFuture(notController());
    }

    @Override
    public <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision,
                                           boolean validateOnly) {
        return CompletableFuture.failedFuture(notController());
    }

    private NotControllerException notController() {
        int leader = leaderId;
        return new NotControllerException("node " + nodeId + " is a broker, not a controller"
                + (leader >= 0 ? "; the active controller is node " + leader : ""));
    }

    @Override
    public boolean isActive() {
        return false;
    }

    @Override
    public int leaderId() {
        return leaderId;
    }

    /** A follower never becomes the active controller: the listener is never run. */
    @Override
    public void addActivationListener(Consumer<MetadataImage> listener) {
    }

    /** Stops following (at most one request timeout for a fetch in flight). */
    @Override
    public void close() throws IOException {
        closed = true;
        thread.interrupt();
        try {
            thread.join(requestTimeout.toMillis() + FETCH_MAX_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
