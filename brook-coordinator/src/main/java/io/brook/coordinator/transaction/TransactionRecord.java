package io.brook.coordinator.transaction;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.Set;

/**
 * What {@code __transaction_state} holds for a transactional id: its producer id and epoch, the
 * timeout, the state, the partitions of the current transaction and two timestamps. A protocol-2
 * transaction that ends with a new producer id (its epochs ran out) also carries that id and epoch
 * ({@code nextProducerId}, -1 otherwise) from PrepareCommit/PrepareAbort until it completes.
 */
public record TransactionRecord(String transactionalId, long producerId, short producerEpoch, int timeoutMs,
                                TransactionState state, Set<TopicPartition> partitions, long lastUpdateMs,
                                long startMs, long nextProducerId, short nextProducerEpoch) {
    public TransactionRecord {
        partitions = Set.copyOf(partitions);
    }

    public TransactionRecord(String transactionalId, long producerId, short producerEpoch, int timeoutMs,
                             TransactionState state, Set<TopicPartition> partitions, long lastUpdateMs, long startMs) {
        this(transactionalId, producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateMs, startMs,
                RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
    }
}
