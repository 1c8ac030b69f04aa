package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.transaction.TransactionCoordinator.TransactionDescription;
import io.brook.coordinator.transaction.TransactionState;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * ListTransactions: the transactional ids this coordinator knows, filtered by state, producer id,
 * how long the transaction has been open (v1) and a regular expression over the id (v2). Unknown
 * state names are reported back, as Kafka does.
 */
public final class ListTransactionsHandler implements ApiHandler<ListTransactionsRequestData> {
    private final BrokerContext broker;

    public ListTransactionsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LIST_TRANSACTIONS;
    }

    @Override
    public CompletableFuture<ListTransactionsResponseData> handle(RequestContext context,
                                                                  ListTransactionsRequestData request) {
        ListTransactionsResponseData response = new ListTransactionsResponseData();
        Set<TransactionState> states = EnumSet.noneOf(TransactionState.class);
        for (String name : request.stateFilters()) {
            TransactionState state = TransactionState.fromName(name);
            if (state == null) {
                response.unknownStateFilters().add(name);
            } else {
                states.add(state);
            }
        }
        Pattern pattern = null;
        if (request.transactionalIdPattern() != null && !request.transactionalIdPattern().isEmpty()) {
            try {
                pattern = Pattern.compile(request.transactionalIdPattern());
            } catch (PatternSyntaxException e) {
                return CompletableFuture.completedFuture(response.setErrorCode(Errors.INVALID_REGULAR_EXPRESSION.code()));
            }
        }
        if (!request.stateFilters().isEmpty() && states.isEmpty()) {
            return CompletableFuture.completedFuture(response); // only unknown states asked for: nothing matches
        }
        for (TransactionDescription t : broker.transactions().list(states, new HashSet<>(request.producerIdFilters()),
                request.durationFilter())) {
            if ((pattern == null || pattern.matcher(t.transactionalId()).matches())
                    && broker.authorizer().authorize(context, AclOperation.DESCRIBE,
                    org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID, t.transactionalId(), false)) {
                response.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                        .setTransactionalId(t.transactionalId()).setProducerId(t.producerId())
                        .setTransactionState(t.state().kafkaName()));
            }
        }
        return CompletableFuture.completedFuture(response);
    }
}
