package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where committed offsets are made durable: on a node, the {@code __consumer_offsets}
 * partition the group id hashes to. A null offset deletes the commit (a tombstone).
 */
public interface OffsetStore {
    CompletableFuture<Void> write(String groupId, Map<TopicPartition, CommittedOffset> offsets);

    /**
     * Writes offsets committed inside a producer's transaction (TxnOffsetCommit): they take effect
     * only when the transaction's commit marker reaches the same partition.
     */
    CompletableFuture<Void> writeTransactional(String groupId, long producerId, short producerEpoch,
                                               Map<TopicPartition, CommittedOffset> offsets);
}
