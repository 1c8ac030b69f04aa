package io.brook.metadata.runtime;

import io.brook.metadata.log.MetadataSnapshots.SnapshotId;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a node that is not a voter (a broker-only node) reads the committed metadata log: the active
 * controller's {@code __cluster_metadata-0}, as Kafka's brokers fetch it from the quorum's leader. It holds only
 * committed entries (every voter appends an entry once the quorum committed it), with the same offsets on every
 * voter, so a follower that applies it in order holds the same images as the voters.
 *
 * <p>Implemented by {@link QuorumMetadataController} on the active controller, and by the node's forwarding
 * client (Kafka's Fetch and FetchSnapshot for {@code __cluster_metadata} over the quorum's transport). Not
 * active: fails with Kafka's {@link org.apache.kafka.common.errors.NotControllerException}.
 *
 * <p>Thread-safety: implementations may be called from any thread.
 */
public interface MetadataLogSource {
    /**
     * The committed batches from {@code fromOffset} on (whole batches, at least one if there is one, then up to
     * about {@code maxBytes}); when there is nothing from {@code fromOffset} yet, waits up to {@code maxWaitMs}
     * for the next commit (a long poll). When the log no longer reaches back to {@code fromOffset}, the answer
     * names the snapshot to load instead ({@link LogChunk#snapshot()}); past the log's end it fails with Kafka's
     * {@link org.apache.kafka.common.errors.OffsetOutOfRangeException}.
     */
    CompletableFuture<LogChunk> fetch(long fromOffset, int maxBytes, long maxWaitMs);

    /**
     * Up to {@code maxBytes} of the snapshot file {@code id} from byte {@code position}; fails with Kafka's
     * {@link org.apache.kafka.common.errors.SnapshotNotFoundException} once that snapshot is gone (the follower
     * fetches again and is named a newer one).
     */
    CompletableFuture<SnapshotChunk> fetchSnapshot(SnapshotId id, long position, int maxBytes);

    /**
     * An answer to {@link #fetch}.
     *
     * @param leaderId  the active controller that answered
     * @param batches   whole record batches of metadata records, in offset order, each at its log offsets
     * @param endOffset the offset after the last committed one (Kafka's high watermark of the metadata log)
     * @param snapshot  the snapshot to load first when the log does not reach back to the offset asked, else null
     */
    record LogChunk(int leaderId, List<ByteBuffer> batches, long endOffset, SnapshotId snapshot) {
    }

    /** Part of a snapshot file: {@code bytes} from the position asked; {@code size} is the whole file's. */
    record SnapshotChunk(ByteBuffer bytes, long size) {
    }
}
