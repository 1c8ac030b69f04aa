package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * DeleteRecords: moves a partition's log start offset forward (-1 means the high watermark);
 * whole segments below it are deleted, and reads below it get OFFSET_OUT_OF_RANGE.
 */
public final class DeleteRecordsHandler implements ApiHandler<DeleteRecordsRequestData> {
    /** The offset a client sends to delete everything up to the high watermark. */
    private static final long HIGH_WATERMARK = -1L;

    private final BrokerContext broker;

    public DeleteRecordsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DELETE_RECORDS;
    }

    @Override
    public CompletableFuture<DeleteRecordsResponseData> handle(RequestContext context,
                                                               DeleteRecordsRequestData request) {
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        for (DeleteRecordsTopic topic : request.topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topic.name());
            boolean deletable = Access.topic(broker, context, AclOperation.DELETE, topic.name());
            for (DeleteRecordsPartition p : topic.partitions()) {
                if (!deletable) {
                    topicResult.partitions().add(new org.apache.kafka.common.message.DeleteRecordsResponseData
                            .DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex()).setLowWatermark(-1)
                            .setErrorCode(org.apache.kafka.common.protocol.Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                    continue;
                }
                topicResult.partitions().add(delete(new TopicPartition(topic.name(), p.partitionIndex()), p.offset()));
            }
            response.topics().add(topicResult);
        }
        return CompletableFuture.completedFuture(response);
    }

    private DeleteRecordsPartitionResult delete(TopicPartition tp, long offset) {
        DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult().setPartitionIndex(tp.partition())
                .setLowWatermark(-1);
        Partition partition = broker.replicas().partition(tp);
        if (partition == null) {
            return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            if (!partition.isLeader()) {
                return result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            }
            if (partition.log().config().compact() && !partition.log().config().delete()) {
                return result.setErrorCode(Errors.POLICY_VIOLATION.code());
            }
            long highWatermark = partition.highWatermark();
            long target = offset == HIGH_WATERMARK ? highWatermark : offset;
            if (target < 0 || target > highWatermark) {
                return result.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
            }
            return result.setLowWatermark(partition.log().advanceLogStartOffset(target));
        } catch (Exception e) {
            return result.setErrorCode(ErrorMapping.errorFor(e).code());
        }
    }
}
