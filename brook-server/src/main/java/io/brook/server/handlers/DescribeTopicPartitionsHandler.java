package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData.TopicRequest;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.Cursor;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * DescribeTopicPartitions (KIP-966): topics in name order with their partitions, at most
 * {@code responsePartitionLimit} partitions per answer, continued from a cursor.
 */
public final class DescribeTopicPartitionsHandler implements ApiHandler<DescribeTopicPartitionsRequestData> {
    /** The most partitions one answer carries, whatever the client asks ({@code max.request.partition.size.limit}). */
    private static final int MAX_PARTITIONS_PER_RESPONSE = 2000;

    private final BrokerContext broker;

    public DescribeTopicPartitionsHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.DESCRIBE_TOPIC_PARTITIONS;
    }

    @Override
    public CompletableFuture<DescribeTopicPartitionsResponseData> handle(RequestContext context,
                                                                         DescribeTopicPartitionsRequestData request) {
        MetadataImage image = broker.replicas().image();
        TreeSet<String> names = new TreeSet<>();
        boolean all = request.topics().isEmpty();
        if (all) { // Kafka: listing every topic leaves out those the principal may not describe
            image.topicsByName().keySet().stream().filter(name -> broker.authorizer().authorize(context,
                    AclOperation.DESCRIBE, org.apache.kafka.common.resource.ResourceType.TOPIC, name, false))
                    .forEach(names::add);
        } else {
            request.topics().stream().map(TopicRequest::name).forEach(names::add);
        }
        int budget = Math.min(Math.max(1, request.responsePartitionLimit()), MAX_PARTITIONS_PER_RESPONSE);
        String firstTopic = request.cursor() == null ? null : request.cursor().topicName();
        int firstPartition = request.cursor() == null ? 0 : request.cursor().partitionIndex();
        DescribeTopicPartitionsResponseData response = new DescribeTopicPartitionsResponseData();
        // as Metadata: a replica on a broker clients are not sent to (fenced, or gone) is offline
        java.util.Set<Integer> live = new java.util.HashSet<>();
        broker.liveBrokers(context.listenerName()).forEach(b -> live.add(b.id()));
        for (String name : firstTopic == null ? names : names.tailSet(firstTopic, true)) {
            TopicImage topic = image.topic(name);
            if (!all && !Access.topic(broker, context, AclOperation.DESCRIBE, name)) {
                response.topics().add(new DescribeTopicPartitionsResponseTopic().setName(name)
                        .setTopicId(Uuid.ZERO_UUID).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                continue;
            }
            if (topic == null) {
                response.topics().add(new DescribeTopicPartitionsResponseTopic().setName(name)
                        .setTopicId(Uuid.ZERO_UUID).setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
                continue;
            }
            DescribeTopicPartitionsResponseTopic result = new DescribeTopicPartitionsResponseTopic().setName(name)
                    .setTopicId(topic.id()).setIsInternal(topic.isInternal());
            int from = name.equals(firstTopic) ? firstPartition : 0;
            for (PartitionImage p : topic.partitions().tailMap(from).values()) {
                if (budget == 0) {
                    response.setNextCursor(new Cursor().setTopicName(name).setPartitionIndex(p.partition()));
                    break;
                }
                result.partitions().add(new DescribeTopicPartitionsResponsePartition()
                        .setPartitionIndex(p.partition()).setLeaderId(p.leader()).setLeaderEpoch(p.leaderEpoch())
                        .setReplicaNodes(p.replicas()).setIsrNodes(p.isr())
                        .setEligibleLeaderReplicas(p.elr()).setLastKnownElr(p.lastKnownElr())
                        .setOfflineReplicas(p.replicas().stream().filter(r -> !live.contains(r)).toList()));
                budget--;
            }
            response.topics().add(result);
            if (response.nextCursor() != null) {
                break;
            }
        }
        return CompletableFuture.completedFuture(response);
    }
}
