package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.CommittedOffset;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * TxnOffsetCommit: offsets a transactional producer commits for a group; they become the group's
 * committed offsets only when the transaction commits. Up to version 4 (transaction protocol 1) the
 * group's offsets partition must already be in the transaction (AddOffsetsToTxn); from version 5
 * (protocol 2) it is added here.
 */
public final class TxnOffsetCommitHandler implements ApiHandler<TxnOffsetCommitRequestData> {
    private static final short TRANSACTION_V2_VERSION = 5;

    private final BrokerContext broker;

    public TxnOffsetCommitHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.TXN_OFFSET_COMMIT;
    }

    @Override
    public CompletableFuture<TxnOffsetCommitResponseData> handle(RequestContext context,
                                                                 TxnOffsetCommitRequestData request) {
        long now = System.currentTimeMillis();
        MetadataImage image = broker.replicas().image();
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<TopicPartition, CommittedOffset> commits = new LinkedHashMap<>();
        // Kafka's order: WRITE on the transactional id, READ on the group, then READ per topic
        Errors txnError = !Access.transactionalId(broker, context, AclOperation.WRITE, request.transactionalId())
                ? Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
                : !Access.group(broker, context, AclOperation.READ, request.groupId()) ? Errors.GROUP_AUTHORIZATION_FAILED
                : request.groupId() == null || request.groupId().isEmpty() ? Errors.INVALID_GROUP_ID
                : broker.groupCoordinatorError(request.groupId()) != Errors.NONE
                ? broker.groupCoordinatorError(request.groupId())
                : inTransaction(context, request);
        for (TxnOffsetCommitRequestTopic topic : request.topics()) {
            TopicImage known = image.topic(topic.name());
            boolean topicRefused = txnError == Errors.NONE
                    && !Access.topic(broker, context, AclOperation.READ, topic.name());
            for (TxnOffsetCommitRequestPartition p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                if (topicRefused) {
                    results.put(tp, Errors.TOPIC_AUTHORIZATION_FAILED);
                } else if (txnError != Errors.NONE) {
                    results.put(tp, txnError);
                } else if (known == null || known.partitions().get(p.partitionIndex()) == null) {
                    results.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else {
                    commits.put(tp, new CommittedOffset(p.committedOffset(), p.committedLeaderEpoch(),
                            p.committedMetadata(), now));
                    results.put(tp, null);
                }
            }
        }
        CompletableFuture<Map<TopicPartition, Errors>> committed = commits.isEmpty()
                ? CompletableFuture.completedFuture(Map.of())
                : broker.groups().txnCommit(request.groupId(), request.producerId(), request.producerEpoch(),
                request.generationId(), request.memberId(), request.groupInstanceId(), commits);
        return committed.thenApply(done -> {
            TxnOffsetCommitResponseData response = new TxnOffsetCommitResponseData();
            Map<String, TxnOffsetCommitResponseTopic> topics = new LinkedHashMap<>();
            results.forEach((tp, error) -> topics.computeIfAbsent(tp.topic(),
                    t -> new TxnOffsetCommitResponseTopic().setName(t)).partitions().add(
                    new TxnOffsetCommitResponsePartition().setPartitionIndex(tp.partition())
                            .setErrorCode((error != null ? error : done.get(tp)).code())));
            topics.values().forEach(response.topics()::add);
            return response;
        });
    }

    /**
     * Whether the group's offsets partition is in the producer's transaction (added here from v5),
     * asked of the transaction's coordinator wherever it is. A coordinator that cannot answer now,
     * or whose previous transaction is still completing, sends the client to retry (Kafka's
     * COORDINATOR_NOT_AVAILABLE): the client treats CONCURRENT_TRANSACTIONS here as fatal.
     */
    private Errors inTransaction(RequestContext context, TxnOffsetCommitRequestData request) {
        TopicPartition offsets = new TopicPartition(Topic.GROUP_METADATA_TOPIC_NAME,
                broker.offsetsTopic().partitionFor(request.groupId()));
        Errors error = TransactionAdmission.admit(broker, request.transactionalId(), request.producerId(),
                request.producerEpoch(), offsets, context.apiVersion() >= TRANSACTION_V2_VERSION);
        return switch (error) {
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS,
                 REQUEST_TIMED_OUT -> Errors.COORDINATOR_NOT_AVAILABLE;
            default -> error;
        };
    }
}
