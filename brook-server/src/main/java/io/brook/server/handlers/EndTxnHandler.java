package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * EndTxn: commits or aborts the producer's transaction. Served up to version 4: version 5 is
 * transaction protocol 2 (KIP-890 part 2, an epoch bump at every end), which Brook does not
 * advertise, so clients stay on protocol 1.
 */
public final class EndTxnHandler implements ApiHandler<EndTxnRequestData> {
    private static final short PRODUCER_FENCED_VERSION = 2;

    private final BrokerContext broker;

    public EndTxnHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.END_TXN;
    }

    @Override
    public short maxVersion() {
        return 4;
    }

    @Override
    public CompletableFuture<EndTxnResponseData> handle(RequestContext context, EndTxnRequestData request) {
        return broker.transactions().endTxn(request.transactionalId(), request.producerId(), request.producerEpoch(),
                request.committed()).thenApply(error -> new EndTxnResponseData().setErrorCode(
                (error == Errors.PRODUCER_FENCED && context.apiVersion() < PRODUCER_FENCED_VERSION
                        ? Errors.INVALID_PRODUCER_EPOCH : error).code()));
    }
}
