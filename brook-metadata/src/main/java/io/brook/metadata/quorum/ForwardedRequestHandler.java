package io.brook.metadata.quorum;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Answers the opaque requests other nodes send to the quorum's leader through {@link QuorumClient}
 * (broker registration and heartbeats). Only ever called on the current leader.
 *
 * <p>Thread-safety: called on Ratis's transport threads, possibly concurrently and concurrently with
 * {@link QuorumListener} callbacks; it must hand the work to its owner's own thread and return at once.
 * A future failed with {@link NotLeaderException} makes the client retry on the next leader; any other
 * failure is returned to the client as a {@link QuorumException} with the failure's message.
 */
@FunctionalInterface
public interface ForwardedRequestHandler {
    /** @param request read-only, valid until the returned future completes */
    CompletableFuture<ByteBuffer> handle(ByteBuffer request);
}
