package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import io.brook.storage.producer.ProducerStateTable.ProducerSummary;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersRequestData.TopicRequest;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * DescribeProducers: the idempotent producers a partition leader knows, with epoch, last sequence
 * and last timestamp. Without transactions, no producer has an open transaction (start offset -1).
 */
public final class DescribeProducersHandler implements ApiHandler<DescribeProducersRequestData> {
    private final BrokerContext broker;

    public DescribeProducersHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_PRODUCERS;
    }

    @Override
    public CompletableFuture<DescribeProducersResponseData> handle(RequestContext context,
                                                                   DescribeProducersRequestData request) {
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        for (TopicRequest topic : request.topics()) {
            TopicResponse topicResponse = new TopicResponse().setName(topic.name());
            boolean readable = Access.topic(broker, context, AclOperation.READ, topic.name());
            for (int index : topic.partitionIndexes()) {
                PartitionResponse result = new PartitionResponse().setPartitionIndex(index);
                if (!readable) {
                    topicResponse.partitions().add(result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                    continue;
                }
                Partition partition = broker.replicas().partition(new TopicPartition(topic.name(), index));
                if (partition == null) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (!partition.isLeader()) {
                    result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                } else {
                    for (ProducerSummary p : partition.log().activeProducers()) {
                        result.activeProducers().add(new ProducerState().setProducerId(p.producerId())
                                .setProducerEpoch(p.epoch()).setLastSequence(p.lastSequence())
                                .setLastTimestamp(p.lastTimestamp()).setCoordinatorEpoch(p.coordinatorEpoch())
                                .setCurrentTxnStartOffset(p.currentTxnStartOffset()));
                    }
                }
                topicResponse.partitions().add(result);
            }
            response.topics().add(topicResponse);
        }
        return CompletableFuture.completedFuture(response);
    }
}
