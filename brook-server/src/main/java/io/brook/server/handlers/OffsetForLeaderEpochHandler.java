package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import io.brook.storage.epoch.LeaderEpochCache.EpochEntry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;

/**
 * OffsetForLeaderEpoch: the end offset of a leader epoch, which consumers use to detect log
 * truncation after a leader change (and followers will use to truncate).
 */
public final class OffsetForLeaderEpochHandler implements ApiHandler<OffsetForLeaderEpochRequestData> {
    private final BrokerContext broker;

    public OffsetForLeaderEpochHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_FOR_LEADER_EPOCH;
    }

    @Override
    public CompletableFuture<OffsetForLeaderEpochResponseData> handle(RequestContext context,
                                                                      OffsetForLeaderEpochRequestData request) {
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        for (OffsetForLeaderTopic topic : request.topics()) {
            OffsetForLeaderTopicResult topicResult = new OffsetForLeaderTopicResult().setTopic(topic.topic());
            // Kafka: DESCRIBE on the topic for a consumer, CLUSTER_ACTION on the cluster for a follower
            boolean allowed = request.replicaId() >= 0 ? Access.cluster(broker, context, AclOperation.CLUSTER_ACTION)
                    : Access.topic(broker, context, AclOperation.DESCRIBE, topic.topic());
            for (OffsetForLeaderPartition p : topic.partitions()) {
                if (!allowed) {
                    topicResult.partitions().add(new org.apache.kafka.common.message.OffsetForLeaderEpochResponseData
                            .EpochEndOffset().setPartition(p.partition()).setLeaderEpoch(-1).setEndOffset(-1)
                            .setErrorCode(org.apache.kafka.common.protocol.Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                    continue;
                }
                topicResult.partitions().add(endOffset(new TopicPartition(topic.topic(), p.partition()), p));
            }
            response.topics().add(topicResult);
        }
        return CompletableFuture.completedFuture(response);
    }

    private EpochEndOffset endOffset(TopicPartition tp, OffsetForLeaderPartition request) {
        EpochEndOffset result = new EpochEndOffset().setPartition(tp.partition()).setLeaderEpoch(-1).setEndOffset(-1);
        Partition partition = broker.replicas().partition(tp);
        if (partition == null) {
            return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            if (!partition.isLeader()) {
                return result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            }
            partition.throwIfEpochMismatch(request.currentLeaderEpoch());
            EpochEntry entry = partition.log().epochCache().endOffsetFor(request.leaderEpoch(),
                    partition.log().logEndOffset());
            return result.setLeaderEpoch(entry.epoch()).setEndOffset(entry.startOffset());
        } catch (Exception e) {
            return result.setErrorCode(ErrorMapping.errorFor(e).code());
        }
    }
}
