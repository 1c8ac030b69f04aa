package io.brook.server.partition;

import io.brook.server.controller.ControllerChannel;

import java.util.concurrent.CompletableFuture;

/**
 * Hands out producer ids from blocks reserved through the metadata log, so an id is never given
 * twice, even across restarts.
 *
 * <p>Thread-safety: synchronized; a block reservation completes asynchronously.
 */
public final class ProducerIdManager {
    private final ControllerChannel controller;
    private final int nodeId;
    private long next;
    private long blockEnd;

    public ProducerIdManager(ControllerChannel controller, int nodeId) {
        this.controller = controller;
        this.nodeId = nodeId;
    }

    public CompletableFuture<Long> nextId() {
        synchronized (this) {
            if (next < blockEnd) {
                return CompletableFuture.completedFuture(next++);
            }
        }
        return controller.allocateProducerIds(nodeId).thenCompose(block -> {
            synchronized (this) {
                if (next >= blockEnd) {
                    next = block.firstId();
                    blockEnd = block.firstId() + block.size();
                }
            }
            return nextId();
        });
    }
}
