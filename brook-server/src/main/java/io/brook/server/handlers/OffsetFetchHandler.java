package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.CommittedOffset;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopic;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartition;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopic;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetFetch for one group (v1-7) or many (v8+), naming topics by id from v10. A partition
 * without a commit answers offset -1. With require_stable (v7+), a partition whose offset an open
 * transaction is committing answers UNSTABLE_OFFSET_COMMIT, and the consumer retries.
 */
public final class OffsetFetchHandler implements ApiHandler<OffsetFetchRequestData> {
    private static final short MULTI_GROUP_VERSION = 8;
    private static final short TOPIC_ID_VERSION = 10;

    private final BrokerContext broker;

    public OffsetFetchHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_FETCH;
    }

    @Override
    public CompletableFuture<OffsetFetchResponseData> handle(RequestContext context, OffsetFetchRequestData request) {
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (context.apiVersion() >= MULTI_GROUP_VERSION) {
            boolean byId = context.apiVersion() >= TOPIC_ID_VERSION;
            MetadataImage image = broker.replicas().image();
            for (OffsetFetchRequestGroup group : request.groups()) {
                OffsetFetchResponseGroup result = new OffsetFetchResponseGroup().setGroupId(group.groupId());
                if (!Access.group(broker, context, AclOperation.DESCRIBE, group.groupId())) {
                    response.groups().add(result.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
                    continue;
                }
                Errors coordinatorError = broker.groupCoordinatorError(group.groupId());
                if (coordinatorError != Errors.NONE) {
                    response.groups().add(result.setErrorCode(coordinatorError.code()));
                    continue;
                }
                boolean allTopics = group.topics() == null;
                List<TopicPartition> partitions = null;
                if (group.topics() != null) {
                    partitions = new ArrayList<>();
                    for (OffsetFetchRequestTopics t : group.topics()) {
                        TopicImage topic = byId ? image.topic(t.topicId()) : null;
                        if (byId && topic == null) {
                            OffsetFetchResponseTopics unknown = new OffsetFetchResponseTopics().setTopicId(t.topicId());
                            for (int p : t.partitionIndexes()) {
                                unknown.partitions().add(partitionOf(new TopicPartition("", p), null)
                                        .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                            }
                            result.topics().add(unknown);
                            continue;
                        }
                        String name = byId ? topic.name() : t.name();
                        for (int p : t.partitionIndexes()) {
                            partitions.add(new TopicPartition(name, p));
                        }
                    }
                }
                Map<String, OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
                broker.groups().fetch(group.groupId(), partitions).forEach((tp, offset) -> {
                    TopicImage topic = image.topic(tp.topic());
                    if (byId && topic == null) {
                        return; // a deleted topic has no id to name it by
                    }
                    boolean visible = broker.authorizer().authorize(context, AclOperation.DESCRIBE,
                            org.apache.kafka.common.resource.ResourceType.TOPIC, tp.topic(), !allTopics);
                    if (!visible && allTopics) {
                        return; // Kafka leaves out the topics the principal may not describe
                    }
                    if (!visible) {
                        topics.computeIfAbsent(tp.topic(), n -> byId
                                ? new OffsetFetchResponseTopics().setTopicId(topic.id())
                                : new OffsetFetchResponseTopics().setName(n)).partitions().add(partitionOf(tp, null)
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                        return;
                    }
                    topics.computeIfAbsent(tp.topic(), n -> byId
                            ? new OffsetFetchResponseTopics().setTopicId(topic.id())
                            : new OffsetFetchResponseTopics().setName(n)).partitions().add(
                                    stable(group.groupId(), request.requireStable(), tp, partitionOf(tp, offset)));
                });
                topics.values().forEach(result.topics()::add);
                response.groups().add(result);
            }
            return CompletableFuture.completedFuture(response);
        }
        if (!Access.group(broker, context, AclOperation.DESCRIBE, request.groupId())) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(response.setErrorCode(coordinatorError.code()));
        }
        List<TopicPartition> partitions = null;
        boolean allTopics = request.topics() == null;
        if (request.topics() != null) {
            partitions = new ArrayList<>();
            for (OffsetFetchRequestTopic t : request.topics()) {
                for (int p : t.partitionIndexes()) {
                    partitions.add(new TopicPartition(t.name(), p));
                }
            }
        }
        Map<String, OffsetFetchResponseTopic> topics = new LinkedHashMap<>();
        broker.groups().fetch(request.groupId(), partitions).forEach((tp, offset) -> {
            boolean visible = broker.authorizer().authorize(context, AclOperation.DESCRIBE,
                    org.apache.kafka.common.resource.ResourceType.TOPIC, tp.topic(), !allTopics);
            if (!visible && allTopics) {
                return;
            }
            OffsetFetchResponsePartitions p = visible ? stable(request.groupId(), request.requireStable(), tp,
                    partitionOf(tp, offset)) : partitionOf(tp, null).setErrorCode(
                    Errors.TOPIC_AUTHORIZATION_FAILED.code());
            topics.computeIfAbsent(tp.topic(), n -> new OffsetFetchResponseTopic().setName(n)).partitions()
                    .add(new OffsetFetchResponsePartition().setPartitionIndex(p.partitionIndex())
                            .setCommittedOffset(p.committedOffset()).setCommittedLeaderEpoch(p.committedLeaderEpoch())
                            .setMetadata(p.metadata()).setErrorCode(p.errorCode()));
        });
        topics.values().forEach(response.topics()::add);
        return CompletableFuture.completedFuture(response.setErrorCode(Errors.NONE.code()));
    }

    private OffsetFetchResponsePartitions stable(String groupId, boolean requireStable, TopicPartition tp,
                                                 OffsetFetchResponsePartitions partition) {
        if (requireStable && broker.groups().hasPendingTransactionalOffset(groupId, tp)) {
            return partition.setErrorCode(Errors.UNSTABLE_OFFSET_COMMIT.code()).setCommittedOffset(-1);
        }
        return partition;
    }

    private static OffsetFetchResponsePartitions partitionOf(TopicPartition tp, CommittedOffset offset) {
        return new OffsetFetchResponsePartitions().setPartitionIndex(tp.partition())
                .setCommittedOffset(offset == null ? -1 : offset.offset())
                .setCommittedLeaderEpoch(offset == null ? -1 : offset.leaderEpoch())
                .setMetadata(offset == null ? "" : offset.metadata());
    }
}
