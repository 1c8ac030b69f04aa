package io.brook.server.handlers;

import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.controller.QuorumDescription;
import org.apache.kafka.common.message.DescribeQuorumRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.PartitionData;
import org.apache.kafka.common.message.DescribeQuorumResponseData.TopicData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * DescribeQuorum (KIP-595/KIP-853): the metadata quorum's leader, epoch, high watermark and the replicas
 * of the metadata log, for {@code kafka-metadata-quorum.sh describe --status/--replication} and the admin
 * client's {@code describeMetadataQuorum}. Only partition 0 of {@code __cluster_metadata} exists. From v2 on, the
 * response's {@code Nodes} name each voter's controller listener, as Kafka's do.
 */
public final class DescribeQuorumHandler implements ApiHandler<DescribeQuorumRequestData> {
    /** The metadata log's topic, as Kafka names it. */
    public static final String METADATA_TOPIC = "__cluster_metadata";

    private final java.util.function.Supplier<ControllerChannel> controller;

    /** @param controller answers with the active controller's view of the quorum (forwarded there if need be) */
    public DescribeQuorumHandler(ControllerChannel controller) {
        this.controller = () -> controller;
    }

    /**
     * @param controller the channel once there is one (null while the node's controller is still opening: the
     *                   request is then answered NOT_LEADER_OR_FOLLOWER, which the admin client retries)
     */
    public DescribeQuorumHandler(java.util.function.Supplier<ControllerChannel> controller) {
        this.controller = controller;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_QUORUM;
    }

    @Override
    public CompletableFuture<DescribeQuorumResponseData> handle(RequestContext context,
                                                                DescribeQuorumRequestData request) {
        boolean asksForTheLog = request.topics().stream().anyMatch(t -> METADATA_TOPIC.equals(t.topicName())
                && t.partitions().stream().anyMatch(p -> p.partitionIndex() == 0));
        ControllerChannel channel = controller.get();
        if (channel == null) {
            return CompletableFuture.completedFuture(new DescribeQuorumResponseData()
                    .setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code())
                    .setErrorMessage("this controller is still starting"));
        }
        CompletableFuture<QuorumDescription> description = asksForTheLog ? channel.describeQuorum()
                : CompletableFuture.completedFuture(null);
        return description.handle((quorum, error) -> {
            DescribeQuorumResponseData response = new DescribeQuorumResponseData();
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                return response.setErrorCode(Errors.forException(cause).code()).setErrorMessage(cause.getMessage());
            }
            for (DescribeQuorumRequestData.TopicData topic : request.topics()) {
                TopicData topicData = new TopicData().setTopicName(topic.topicName());
                for (DescribeQuorumRequestData.PartitionData partition : topic.partitions()) {
                    topicData.partitions().add(describe(topic.topicName(), partition.partitionIndex(), quorum));
                }
                response.topics().add(topicData);
            }
            // KIP-853: where each voter listens, for v2 requests (kafka-metadata-quorum prints them as endpoints)
            return quorum == null ? response : quorum.addNodes(response, context.apiVersion());
        });
    }

    private static PartitionData describe(String topic, int partition, QuorumDescription quorum) {
        if (!METADATA_TOPIC.equals(topic) || partition != 0) {
            return new PartitionData().setPartitionIndex(partition)
                    .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                    .setErrorMessage("The metadata quorum's log is partition 0 of " + METADATA_TOPIC + ".");
        }
        return quorum.toPartitionData();
    }
}
