package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * AddOffsetsToTxn: adds the {@code __consumer_offsets} partition of the group to the producer's
 * transaction, so the offsets it commits there (TxnOffsetCommit) get the transaction's marker.
 */
public final class AddOffsetsToTxnHandler implements ApiHandler<AddOffsetsToTxnRequestData> {
    private static final short PRODUCER_FENCED_VERSION = 2;

    private final BrokerContext broker;

    public AddOffsetsToTxnHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ADD_OFFSETS_TO_TXN;
    }

    @Override
    public CompletableFuture<AddOffsetsToTxnResponseData> handle(RequestContext context,
                                                                 AddOffsetsToTxnRequestData request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(new AddOffsetsToTxnResponseData()
                    .setErrorCode(Errors.INVALID_GROUP_ID.code()));
        }
        if (!Access.transactionalId(broker, context, AclOperation.WRITE, request.transactionalId())) {
            return CompletableFuture.completedFuture(new AddOffsetsToTxnResponseData()
                    .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        if (!Access.group(broker, context, AclOperation.READ, request.groupId())) {
            return CompletableFuture.completedFuture(new AddOffsetsToTxnResponseData()
                    .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        Errors coordinatorError = broker.transactionCoordinatorError(request.transactionalId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(new AddOffsetsToTxnResponseData()
                    .setErrorCode(coordinatorError.code()));
        }
        TopicPartition offsets = new TopicPartition(Topic.GROUP_METADATA_TOPIC_NAME,
                broker.offsetsTopic().partitionFor(request.groupId()));
        return broker.transactions().addPartitions(request.transactionalId(), request.producerId(),
                request.producerEpoch(), List.of(offsets)).thenApply(error -> new AddOffsetsToTxnResponseData()
                .setErrorCode(ErrorMapping.fencedFor(error, context.apiVersion(), PRODUCER_FENCED_VERSION).code()));
    }
}
