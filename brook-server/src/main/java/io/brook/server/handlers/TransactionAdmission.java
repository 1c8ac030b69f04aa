package io.brook.server.handlers;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Adding a partition to a transaction as a protocol-2 producer writes to it (Produce v12+,
 * TxnOffsetCommit v5+). Such a producer starts its next transaction as soon as EndTxn answered,
 * usually while the previous one's markers are still being written; rather than sending it back
 * with a retriable error and its retry backoff, the request waits for them, up to
 * {@value #MAX_WAIT_MS} ms (Kafka retries internally for as long,
 * {@code add.partitions.to.txn.retry.backoff.max.ms}).
 */
final class TransactionAdmission {
    /** Longest wait for the previous transaction's markers. */
    static final long MAX_WAIT_MS = 100;

    private TransactionAdmission() {
    }

    /**
     * Admits {@code tp} into the open transaction of {@code transactionalId}: protocol-1 requests
     * only verify that the client added it, protocol-2 requests add it. The transaction's
     * coordinator answers wherever it is: this node's, or another node's over the network, as
     * Kafka's partition leaders and group coordinators ask it (KIP-890).
     */
    static Errors admit(BrokerContext broker, String transactionalId, long producerId, short epoch, TopicPartition tp,
                        boolean protocol2) {
        Errors coordinator = broker.transactionCoordinatorError(transactionalId);
        if (coordinator == Errors.NONE) {
            return protocol2 ? add(broker, transactionalId, producerId, epoch, tp)
                    : broker.transactions().verify(transactionalId, producerId, epoch, tp);
        }
        if (coordinator == Errors.NOT_COORDINATOR && broker.remoteTransactions() != null) {
            return broker.remoteTransactions().check(
                    broker.coordinatorNode(transactionalId, CoordinatorType.TRANSACTION),
                    transactionalId, producerId, epoch, tp, protocol2);
        }
        return coordinator;
    }

    private static Errors add(BrokerContext broker, String transactionalId, long producerId, short epoch, TopicPartition tp) {
        Errors error = broker.transactions().addPartitions(transactionalId, producerId, epoch, List.of(tp)).join();
        if (error != Errors.CONCURRENT_TRANSACTIONS) {
            return error;
        }
        try {
            broker.transactions().whenSettled(transactionalId).get(MAX_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return error;
        } catch (ExecutionException | TimeoutException e) {
            return error;
        }
        return broker.transactions().addPartitions(transactionalId, producerId, epoch, List.of(tp)).join();
    }
}
