package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import io.brook.storage.log.PartitionLog.TimestampOffset;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;

import java.util.concurrent.CompletableFuture;

/**
 * ListOffsets: latest (high watermark, or last stable offset under read_committed), earliest,
 * earliest local (the same without tiered storage), max timestamp, and the first offset at or
 * after a timestamp. Without tiered storage, the latest-tiered and earliest-pending-upload
 * queries answer "none" (offset -1).
 */
public final class ListOffsetsHandler implements ApiHandler<ListOffsetsRequestData> {
    /** The first version whose response carries the leader epoch. */
    private static final short LEADER_EPOCH_VERSION = 4;

    private final BrokerContext broker;

    public ListOffsetsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.LIST_OFFSETS;
    }

    @Override
    public CompletableFuture<ListOffsetsResponseData> handle(RequestContext context, ListOffsetsRequestData request) {
        boolean readCommitted = request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        for (ListOffsetsTopic topic : request.topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topic.name());
            boolean describable = Access.topic(broker, context, AclOperation.DESCRIBE, topic.name());
            for (ListOffsetsPartition p : topic.partitions()) {
                if (!describable) {
                    topicResponse.partitions().add(new ListOffsetsPartitionResponse()
                            .setPartitionIndex(p.partitionIndex()).setTimestamp(-1).setOffset(-1)
                            .setErrorCode(org.apache.kafka.common.protocol.Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                    continue;
                }
                ListOffsetsPartitionResponse result = lookup(new TopicPartition(topic.name(), p.partitionIndex()),
                        p, readCommitted);
                if (context.apiVersion() < LEADER_EPOCH_VERSION) {
                    result.setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
                }
                topicResponse.partitions().add(result);
            }
            response.topics().add(topicResponse);
        }
        return CompletableFuture.completedFuture(response);
    }

    private ListOffsetsPartitionResponse lookup(TopicPartition tp, ListOffsetsPartition request,
                                                boolean readCommitted) {
        ListOffsetsPartitionResponse result = new ListOffsetsPartitionResponse()
                .setPartitionIndex(tp.partition()).setTimestamp(RecordBatch.NO_TIMESTAMP).setOffset(-1)
                .setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
        Partition partition = broker.replicas().partition(tp);
        if (partition == null) {
            return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            if (!partition.isLeader()) {
                return result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            }
            partition.throwIfEpochMismatch(request.currentLeaderEpoch());
            long upper = readCommitted ? partition.lastStableOffset() : partition.highWatermark();
            long timestamp = request.timestamp();
            if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
                return result.setOffset(upper).setLeaderEpoch(partition.leaderEpoch());
            }
            if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                    || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
                long start = partition.log().logStartOffset();
                return result.setOffset(start).setLeaderEpoch(epochAt(partition, start));
            }
            if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
                TimestampOffset found = partition.log().maxTimestampOffset();
                return found == null || found.offset() >= upper ? result
                        : result.setOffset(found.offset()).setTimestamp(found.timestamp())
                        .setLeaderEpoch(found.leaderEpoch());
            }
            if (timestamp < 0) {
                return result; // latest-tiered, earliest-pending-upload: no tiered storage, so none
            }
            TimestampOffset found = partition.log().offsetForTimestamp(timestamp);
            return found == null || found.offset() >= upper ? result
                    : result.setOffset(found.offset()).setTimestamp(found.timestamp())
                    .setLeaderEpoch(found.leaderEpoch());
        } catch (Exception e) {
            return result.setErrorCode(ErrorMapping.errorFor(e).code());
        }
    }

    private static int epochAt(Partition partition, long offset) {
        int epoch = RecordBatch.NO_PARTITION_LEADER_EPOCH;
        for (var entry : partition.log().epochCache().entries()) {
            if (entry.startOffset() <= offset) {
                epoch = entry.epoch();
            }
        }
        return epoch;
    }
}
