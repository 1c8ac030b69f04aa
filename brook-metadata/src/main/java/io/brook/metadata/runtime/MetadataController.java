package io.brook.metadata.runtime;

import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.MetadataImage;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What the node holds of the metadata controller: the committed image, publishers of each committed
 * change, and decisions. Two implementations: {@link LocalMetadataController} (a single node, its own
 * log, always active) and {@link QuorumMetadataController} (one voter of a Raft quorum; only the
 * leader decides).
 *
 * <p>Decisions are pure functions of the controller's <em>proposed</em> image (the committed image plus
 * what it decided but has not yet seen committed); a decision's future completes once its records are
 * committed and applied to this node's image. On a controller that is not active, decisions fail with
 * Kafka's {@link org.apache.kafka.common.errors.NotControllerException} (retriable).
 *
 * <p>Thread-safety: every method may be called from any thread; publishers are called on the
 * controller's own thread, one change at a time, in log order.
 */
public interface MetadataController extends AutoCloseable {
    /** The latest committed image. */
    MetadataImage image();

    /** Registers a listener called with every committed delta and its image. */
    void addPublisher(MetadataPublisher publisher);

    /** Runs a decision against the proposed image; completes once its records are committed and applied. */
    <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision);

    /**
     * As {@link #submit(Function)}; with {@code validateOnly} the decision is made the same way but
     * nothing is written.
     */
    <T> CompletableFuture<T> submit(Function<MetadataImage, ControllerResult<T>> decision, boolean validateOnly);

    /** Whether this node is the active controller (decisions run here). */
    boolean isActive();

    /** The active controller's node id, or -1 when none is known. */
    int leaderId();

    /**
     * Registers {@code listener} to run each time this node becomes the active controller, on the
     * controller's thread and before the first decision of that term, with the image decisions start
     * from (soft state kept for decisions, such as broker sessions, is rebuilt there). When this node is
     * active already it runs once for the current term, before any decision submitted after this call.
     */
    void addActivationListener(Consumer<MetadataImage> listener);

    @Override
    void close() throws IOException;
}
