package io.brook.server.handlers;

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
            boolean elsewhere = broker.notTransactionCoordinator(id);
            TransactionDescription t = id == null || elsewhere ? null : broker.transactions().describe(id);
            TransactionState state = new TransactionState().setTransactionalId(id);
            if (t == null) {
                response.transactionStates().add(state.setErrorCode((elsewhere ? Errors.NOT_COORDINATOR
                                : Errors.TRANSACTIONAL_ID_NOT_FOUND).code())
                        .setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1));
                continue;
            }
            state.setTransactionState(t.state().kafkaName()).setTransactionTimeoutMs(t.timeoutMs())
                    .setTransactionStartTimeMs(t.startMs()).setProducerId(t.producerId())
                    .setProducerEpoch(t.producerEpoch());
            for (TopicPartition tp : t.partitions()) {
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
