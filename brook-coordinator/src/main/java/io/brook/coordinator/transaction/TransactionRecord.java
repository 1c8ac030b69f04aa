package io.brook.coordinator.transaction;

import org.apache.kafka.common.TopicPartition;

import java.util.Set;

/**
 * What {@code __transaction_state} holds for a transactional id: its producer id and epoch, the
 * timeout, the state, the partitions of the current transaction and two timestamps.
 */
public record TransactionRecord(String transactionalId, long producerId, short producerEpoch, int timeoutMs,
                                TransactionState state, Set<TopicPartition> partitions, long lastUpdateMs,
                                long startMs) {
    public TransactionRecord {
        partitions = Set.copyOf(partitions);
    }
}
