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
 *
 * <p>Who asks matters, as in Kafka: a consumer (replica id -1) is answered by the leader only, up to the high
 * watermark (or the last stable offset), and gets OFFSET_NOT_AVAILABLE (retriable) for the latest offset, or for a
 * timestamp found past that bound, while a newly elected leader's high watermark is still below the start of its
 * leader epoch (the old leader may have told it a higher high watermark; answering the lower one would move the
 * consumer's "latest" backwards). The debugging replica id (-2, tools) may ask any replica, leader or follower; it
 * and a broker's replica id see up to the log end, without the lagging check.
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
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                ListOffsetsPartitionResponse result = lookup(broker.replicas().partition(tp), tp.partition(), p,
                        request.replicaId(), readCommitted);
                if (context.apiVersion() < LEADER_EPOCH_VERSION) {
                    result.setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
                }
                topicResponse.partitions().add(result);
            }
            response.topics().add(topicResponse);
        }
        return CompletableFuture.completedFuture(response);
    }

    /** The answer for one partition; {@code partition} is this node's replica, or null when it has none. */
    static ListOffsetsPartitionResponse lookup(Partition partition, int partitionIndex, ListOffsetsPartition request,
                                               int replicaId, boolean readCommitted) {
        ListOffsetsPartitionResponse result = new ListOffsetsPartitionResponse()
                .setPartitionIndex(partitionIndex).setTimestamp(RecordBatch.NO_TIMESTAMP).setOffset(-1)
                .setLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
        if (partition == null) {
            return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        boolean client = replicaId == ListOffsetsRequest.CONSUMER_REPLICA_ID;
        try {
            if (!partition.isLeader() && replicaId != ListOffsetsRequest.DEBUGGING_REPLICA_ID) {
                return result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            }
            partition.throwIfEpochMismatch(request.currentLeaderEpoch());
            long upper = !client ? partition.log().logEndOffset()
                    : readCommitted ? partition.lastStableOffset() : partition.highWatermark();
            Errors lagging = client && partition.highWatermarkBelowEpochStart() ? Errors.OFFSET_NOT_AVAILABLE
                    : Errors.NONE;
            long timestamp = request.timestamp();
            if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
                return lagging != Errors.NONE ? result.setErrorCode(lagging.code())
                        : result.setOffset(upper).setLeaderEpoch(partition.leaderEpoch());
            }
            if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                    || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
                long start = partition.log().logStartOffset();
                return result.setOffset(start).setLeaderEpoch(epochAt(partition, start));
            }
            if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
                return found(result, partition.log().maxTimestampOffset(), upper, lagging);
            }
            if (timestamp < 0) {
                return result; // latest-tiered, earliest-pending-upload: no tiered storage, so none
            }
            return found(result, partition.log().offsetForTimestamp(timestamp), upper, lagging);
        } catch (Exception e) {
            return result.setErrorCode(ErrorMapping.errorFor(e).code());
        }
    }

    /** A timestamp lookup's answer: what was found below {@code upper}; past it none, or {@code lagging}. */
    private static ListOffsetsPartitionResponse found(ListOffsetsPartitionResponse result, TimestampOffset found,
                                                      long upper, Errors lagging) {
        if (found == null) {
            return result;
        }
        if (found.offset() >= upper) {
            return result.setErrorCode(lagging.code());
        }
        return result.setOffset(found.offset()).setTimestamp(found.timestamp()).setLeaderEpoch(found.leaderEpoch());
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
