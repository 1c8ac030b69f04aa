package io.brook.coordinator.transaction;

/**
 * The transaction coordinator's settings, with Kafka's names: {@code transaction.max.timeout.ms},
 * {@code transactional.id.expiration.ms}, and the coordinator epoch markers carry (the leader
 * epoch of the {@code __transaction_state} partitions on this node).
 */
public record TransactionConfig(int maxTimeoutMs, long transactionalIdExpirationMs, int coordinatorEpoch) {
}
