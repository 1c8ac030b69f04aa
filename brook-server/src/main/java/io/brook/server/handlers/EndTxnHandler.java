package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * EndTxn: commits or aborts the producer's transaction. Version 5 is transaction protocol 2
 * (KIP-890): the epoch is bumped at every end and the answer carries the producer id and epoch
 * of the producer's next transaction.
 */
public final class EndTxnHandler implements ApiHandler<EndTxnRequestData> {
    private static final short PRODUCER_FENCED_VERSION = 2;
    private static final short TRANSACTION_V2_VERSION = 5;

    private final BrokerContext broker;

    public EndTxnHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.END_TXN;
    }

    @Override
    public CompletableFuture<EndTxnResponseData> handle(RequestContext context, EndTxnRequestData request) {
        if (!Access.transactionalId(broker, context, AclOperation.WRITE, request.transactionalId())) {
            return CompletableFuture.completedFuture(new EndTxnResponseData().setProducerId(-1)
                    .setProducerEpoch((short) -1).setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        Errors coordinatorError = broker.transactionCoordinatorError(request.transactionalId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(new EndTxnResponseData()
                    .setErrorCode(coordinatorError.code()).setProducerId(-1).setProducerEpoch((short) -1));
        }
        boolean v2 = context.apiVersion() >= TRANSACTION_V2_VERSION;
        return broker.transactions().endTxn(request.transactionalId(), request.producerId(), request.producerEpoch(),
                request.committed(), v2).thenApply(result -> {
                    Errors error = ErrorMapping.fencedFor(result.error(), context.apiVersion(), PRODUCER_FENCED_VERSION);
                    return new EndTxnResponseData().setErrorCode(error.code()).setProducerId(result.producerId())
                            .setProducerEpoch(result.producerEpoch());
                });
    }
}
