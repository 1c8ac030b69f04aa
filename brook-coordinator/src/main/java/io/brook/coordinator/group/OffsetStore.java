package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where committed offsets and groups are made durable: on a node, the {@code __consumer_offsets}
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

    /**
     * Writes a classic group's record ({@code group}; null deletes it) together with {@code offsets} (may be
     * empty), in one batch: a deleted group's offsets go with it or not at all.
     */
    CompletableFuture<Void> writeGroup(String groupId, StoredGroup group, Map<TopicPartition, CommittedOffset> offsets);

    /**
     * Writes records of a consumer group (KIP-848; {@link ConsumerGroupRecords}) together with {@code offsets}
     * (may be empty), in one batch, in the order given.
     */
    CompletableFuture<Void> writeConsumerGroup(String groupId, List<ConsumerGroupRecords.GroupRecord> records,
                                               Map<TopicPartition, CommittedOffset> offsets);
}
