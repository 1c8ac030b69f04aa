package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.QuorumDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeQuorumRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.PartitionData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.ReplicaState;
import org.apache.kafka.common.message.DescribeQuorumResponseData.TopicData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * DescribeQuorum (KIP-595/KIP-853): the metadata quorum's leader, epoch, high watermark and the replicas
 * of the metadata log, for {@code kafka-metadata-quorum.sh describe --status/--replication} and the admin
 * client's {@code describeMetadataQuorum}. Only partition 0 of {@code __cluster_metadata} exists.
 */
public final class DescribeQuorumHandler implements ApiHandler<DescribeQuorumRequestData> {
    /** The metadata log's topic, as Kafka names it. */
    public static final String METADATA_TOPIC = "__cluster_metadata";

    private final Supplier<QuorumDescription> quorum;

    public DescribeQuorumHandler(Supplier<QuorumDescription> quorum) {
        this.quorum = quorum;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_QUORUM;
    }

    @Override
    public CompletableFuture<DescribeQuorumResponseData> handle(RequestContext context,
                                                                DescribeQuorumRequestData request) {
        DescribeQuorumResponseData response = new DescribeQuorumResponseData();
        for (DescribeQuorumRequestData.TopicData topic : request.topics()) {
            TopicData topicData = new TopicData().setTopicName(topic.topicName());
            for (DescribeQuorumRequestData.PartitionData partition : topic.partitions()) {
                topicData.partitions().add(describe(topic.topicName(), partition.partitionIndex()));
            }
            response.topics().add(topicData);
        }
        return CompletableFuture.completedFuture(response);
    }

    private PartitionData describe(String topic, int partition) {
        PartitionData data = new PartitionData().setPartitionIndex(partition);
        if (!METADATA_TOPIC.equals(topic) || partition != 0) {
            return data.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                    .setErrorMessage("The metadata quorum's log is partition 0 of " + METADATA_TOPIC + ".");
        }
        QuorumDescription description = quorum.get();
        return data.setLeaderId(description.leaderId()).setLeaderEpoch(description.leaderEpoch())
                .setHighWatermark(description.highWatermark())
                .setCurrentVoters(states(description.voters()))
                .setObservers(states(description.observers()));
    }

    private static List<ReplicaState> states(List<QuorumDescription.Replica> replicas) {
        List<ReplicaState> states = new ArrayList<>();
        for (QuorumDescription.Replica replica : replicas) {
            states.add(new ReplicaState().setReplicaId(replica.id()).setReplicaDirectoryId(Uuid.ZERO_UUID)
                    .setLogEndOffset(replica.logEndOffset()).setLastFetchTimestamp(replica.lastFetchTimestamp())
                    .setLastCaughtUpTimestamp(replica.lastCaughtUpTimestamp()));
        }
        return states;
    }
}
