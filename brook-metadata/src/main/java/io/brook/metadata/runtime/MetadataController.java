package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.log.MetadataLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

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
 * <p>Thread-safety: {@link #submit} and {@link #image} may be called from any thread.
 */
public final class MetadataController implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataController.class);

    private final ExecutorService thread;
    private final MetadataLog metadataLog;
    private final List<MetadataPublisher> publishers = new CopyOnWriteArrayList<>();
    /** The committed image: what brokers serve. */
    private volatile MetadataImage image;
    /** The image decisions are made against; only touched on the controller thread. */
    private MetadataImage proposed;

    private MetadataController(MetadataLog metadataLog, MetadataImage image) {
        this.metadataLog = metadataLog;
        this.image = image;
        this.proposed = image;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "brook-controller");
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the metadata log in {@code dir} and replays it into the first image. */
    public static MetadataController open(File dir) throws IOException {
        MetadataImage[] replayed = {MetadataImage.EMPTY};
        MetadataLog metadataLog = MetadataLog.open(dir, (records, lastOffset) ->
                replayed[0] = replayed[0].apply(records, lastOffset));
        log.info("Replayed the metadata log up to offset {}: {} topics", replayed[0].offset(),
                replayed[0].topicsByName().size());
        return new MetadataController(metadataLog, replayed[0]);
    }

    /** The latest committed image. */
    public MetadataImage image() {
        return image;
    }

    /** Registers a listener called (on the controller thread) with every committed delta and its image. */
    public void addPublisher(MetadataPublisher publisher) {
        publishers.add(publisher);
    }

    /**
     * Runs a decision against the latest image; completes once its records are durable and
     * applied. With {@code validateOnly} the decision is made the same way but nothing is written.
     */
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
                    try {
                        metadataLog.append(result.records());
                    } catch (Throwable t) {
                        proposed = image; // never committed: later decisions must not build on it
                        throw t;
                    }
                    image = next;
                    for (MetadataPublisher publisher : publishers) {
                        publisher.onMetadataUpdate(delta, next);
                    }
                }
                future.complete(result.response());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    @Override
    public void close() throws IOException {
        thread.shutdown();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metadataLog.close();
    }
}
