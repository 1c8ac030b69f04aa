package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.transaction.TransactionCoordinator.InitResult;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * InitProducerId: an idempotent producer (no transactional id) gets a fresh producer id with epoch
 * 0; a transactional one gets its id's producer id and a new epoch from the transaction
 * coordinator, which fences earlier instances. Version 6 (two-phase commit, KIP-939) is not served.
 */
public final class InitProducerIdHandler implements ApiHandler<InitProducerIdRequestData> {
    /** First version whose clients know PRODUCER_FENCED; older ones get INVALID_PRODUCER_EPOCH. */
    private static final short PRODUCER_FENCED_VERSION = 4;

    private final BrokerContext broker;

    public InitProducerIdHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.INIT_PRODUCER_ID;
    }

    @Override
    public short maxVersion() {
        return 5;
    }

    @Override
    public CompletableFuture<InitProducerIdResponseData> handle(RequestContext context,
                                                                InitProducerIdRequestData request) {
        // Kafka 4: a transactional producer needs WRITE on its id; an idempotent one IDEMPOTENT_WRITE on the
        // cluster or WRITE on some topic
        if (request.transactionalId() != null
                && !Access.transactionalId(broker, context, AclOperation.WRITE, request.transactionalId())) {
            return CompletableFuture.completedFuture(new InitProducerIdResponseData().setProducerId(-1)
                    .setProducerEpoch((short) -1)
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        if (request.transactionalId() == null && !broker.authorizer().authorize(context, AclOperation.IDEMPOTENT_WRITE,
                org.apache.kafka.common.resource.ResourceType.CLUSTER,
                io.brook.server.security.acl.BrokerAuthorizer.CLUSTER, false)
                && !broker.authorizer().authorizeAny(context, AclOperation.WRITE,
                org.apache.kafka.common.resource.ResourceType.TOPIC)) {
            broker.authorizer().authorizeCluster(context, AclOperation.IDEMPOTENT_WRITE); // the audit line
            return CompletableFuture.completedFuture(new InitProducerIdResponseData().setProducerId(-1)
                    .setProducerEpoch((short) -1)
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.CLUSTER_AUTHORIZATION_FAILED.code()));
        }
        if (request.transactionalId() == null) {
            return broker.producerIds().nextId().thenApply(id -> new InitProducerIdResponseData()
                    .setProducerId(id).setProducerEpoch((short) 0));
        }
        Errors coordinatorError = broker.transactionCoordinatorError(request.transactionalId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(new InitProducerIdResponseData()
                    .setErrorCode(coordinatorError.code()).setProducerId(-1).setProducerEpoch((short) -1));
        }
        return broker.transactions().initProducerId(request.transactionalId(), request.transactionTimeoutMs(),
                request.producerId(), request.producerEpoch()).thenApply(result -> response(context, result));
    }

    private static InitProducerIdResponseData response(RequestContext context, InitResult result) {
        Errors error = ErrorMapping.fencedFor(result.error(), context.apiVersion(), PRODUCER_FENCED_VERSION);
        return new InitProducerIdResponseData().setErrorCode(error.code()).setProducerId(result.producerId())
                .setProducerEpoch(result.producerEpoch());
    }
}
