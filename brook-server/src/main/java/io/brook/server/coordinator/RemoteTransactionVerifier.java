package io.brook.server.coordinator;

import io.brook.server.replication.BrokerLink;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * The produce-time check of a transactional batch (KIP-890) when another node coordinates the transactional id, as
 * Kafka's partition leaders do it: an AddPartitionsToTxn of the broker form (version 4+) to the coordinator, verify
 * only for a transaction-protocol-1 producer (its client added the partition), adding the partition for a
 * protocol-2 one. The answer is the coordinator's error for the partition; a coordinator that cannot be reached
 * answers COORDINATOR_NOT_AVAILABLE (the produce is refused with a retriable error).
 *
 * <p>Threads: the send blocks the calling request handler (never a Netty event loop) for at most
 * {@value #REQUEST_TIMEOUT_MS} ms; one link per coordinator node, whose sends are serialized.
 * Thread-safety: safe for concurrent use.
 */
public final class RemoteTransactionVerifier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteTransactionVerifier.class);
    /** Longest a produce waits for the coordinator's answer. */
    static final long REQUEST_TIMEOUT_MS = 5_000;

    private final IntFunction<BrokerLink> linkFactory;
    private final Map<Integer, BrokerLink> links = new ConcurrentHashMap<>();

    public RemoteTransactionVerifier(IntFunction<BrokerLink> linkFactory) {
        this.linkFactory = linkFactory;
    }

    /**
     * Asks node {@code coordinator} whether producer {@code producerId}/{@code epoch} of {@code transactionalId} may
     * write to {@code tp} ({@code add}: adding it to the open transaction first).
     */
    public Errors check(int coordinator, String transactionalId, long producerId, short epoch, TopicPartition tp,
                        boolean add) {
        if (coordinator < 0) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnTopic().setName(tp.topic()).setPartitions(List.of(tp.partition())));
        AddPartitionsToTxnTransactionCollection transactions = new AddPartitionsToTxnTransactionCollection();
        transactions.add(new AddPartitionsToTxnTransaction().setTransactionalId(transactionalId)
                .setProducerId(producerId).setProducerEpoch(epoch).setVerifyOnly(!add).setTopics(topics));
        BrokerLink link = links.computeIfAbsent(coordinator, linkFactory::apply);
        try {
            AddPartitionsToTxnResponse response = link.send(AddPartitionsToTxnRequest.Builder.forBroker(transactions),
                    REQUEST_TIMEOUT_MS);
            if (response.data().errorCode() != Errors.NONE.code()) {
                return Errors.forCode(response.data().errorCode());
            }
            Errors error = response.errors().getOrDefault(transactionalId, Map.of()).get(tp);
            if (error != Errors.NONE) {
                log.debug("Coordinator {} answered {} for {} of {} (producer {} epoch {})", coordinator, error, tp,
                        transactionalId, producerId, epoch);
            }
            return error != null ? error : Errors.UNKNOWN_SERVER_ERROR;
        } catch (IOException | RuntimeException e) {
            log.info("Verifying {} of {} at coordinator {} failed: {}", tp, transactionalId, coordinator,
                    e.getMessage());
            if (links.remove(coordinator, link)) {
                link.close();
            }
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
    }

    @Override
    public void close() {
        links.values().forEach(BrokerLink::close);
        links.clear();
    }
}
