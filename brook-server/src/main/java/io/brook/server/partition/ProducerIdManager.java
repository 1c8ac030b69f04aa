package io.brook.server.partition;

import io.brook.metadata.controller.ProducerIdControl;
import io.brook.metadata.runtime.MetadataController;

import java.util.concurrent.CompletableFuture;

/**
 * Hands out producer ids from blocks reserved through the metadata log, so an id is never given
 * twice, even across restarts.
 *
 * <p>Thread-safety: synchronized; a block reservation completes asynchronously.
 */
public final class ProducerIdManager {
    private final MetadataController controller;
    private long next;
    private long blockEnd;

    public ProducerIdManager(MetadataController controller) {
        this.controller = controller;
    }

    public CompletableFuture<Long> nextId() {
        synchronized (this) {
            if (next < blockEnd) {
                return CompletableFuture.completedFuture(next++);
            }
        }
        return controller.submit(ProducerIdControl::allocateBlock).thenCompose(first -> {
            synchronized (this) {
                if (next >= blockEnd) {
                    next = first;
                    blockEnd = first + ProducerIdControl.BLOCK_SIZE;
                }
            }
            return nextId();
        });
    }
}
