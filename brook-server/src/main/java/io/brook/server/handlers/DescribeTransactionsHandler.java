package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.transaction.TransactionCoordinator.TransactionDescription;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData.TopicData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData.TransactionState;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/** DescribeTransactions: state, producer, timeout, start and partitions of each transactional id. */
public final class DescribeTransactionsHandler implements ApiHandler<DescribeTransactionsRequestData> {
    private final BrokerContext broker;

    public DescribeTransactionsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_TRANSACTIONS;
    }

    @Override
    public CompletableFuture<DescribeTransactionsResponseData> handle(RequestContext context,
                                                                      DescribeTransactionsRequestData request) {
        DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
        for (String id : request.transactionalIds()) {
            Errors coordinatorError = broker.transactionCoordinatorError(id);
            boolean elsewhere = coordinatorError != Errors.NONE;
            TransactionDescription t = id == null || elsewhere ? null : broker.transactions().describe(id);
            TransactionState state = new TransactionState().setTransactionalId(id);
            if (id != null && !Access.transactionalId(broker, context, AclOperation.DESCRIBE, id)) {
                response.transactionStates().add(state.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code())
                        .setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1));
                continue;
            }
            if (t == null) {
                response.transactionStates().add(state.setErrorCode((elsewhere ? coordinatorError
                                : Errors.TRANSACTIONAL_ID_NOT_FOUND).code())
                        .setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1));
                continue;
            }
            state.setTransactionState(t.state().kafkaName()).setTransactionTimeoutMs(t.timeoutMs())
                    .setTransactionStartTimeMs(t.startMs()).setProducerId(t.producerId())
                    .setProducerEpoch(t.producerEpoch());
            for (TopicPartition tp : t.partitions()) {
                if (!broker.authorizer().authorize(context, AclOperation.DESCRIBE,
                        org.apache.kafka.common.resource.ResourceType.TOPIC, tp.topic(), false)) {
                    continue; // Kafka leaves out the partitions of topics the principal may not describe
                }
                TopicData topic = state.topics().find(tp.topic());
                if (topic == null) {
                    topic = new TopicData().setTopic(tp.topic());
                    state.topics().add(topic);
                }
                topic.partitions().add(tp.partition());
            }
            response.transactionStates().add(state);
        }
        return CompletableFuture.completedFuture(response);
    }
}
