package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeat;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeatResult;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData.Assignment;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * ConsumerGroupHeartbeat (KIP-848, {@code group.protocol=consumer}): the member's join, leave and
 * periodic heartbeat in one API; topics travel by id, the coordinator works with names.
 */
public final class ConsumerGroupHeartbeatHandler implements ApiHandler<ConsumerGroupHeartbeatRequestData> {
    private final BrokerContext broker;

    public ConsumerGroupHeartbeatHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CONSUMER_GROUP_HEARTBEAT;
    }

    @Override
    public CompletableFuture<ConsumerGroupHeartbeatResponseData> handle(RequestContext context,
                                                                        ConsumerGroupHeartbeatRequestData request) {
        if (!Access.group(broker, context, AclOperation.READ, request.groupId())) {
            return CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponseData()
                    .setErrorCode(org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        if (request.subscribedTopicNames() != null) {
            for (String name : request.subscribedTopicNames()) {
                if (!Access.topic(broker, context, AclOperation.DESCRIBE, name)) {
                    return CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponseData()
                            .setErrorCode(org.apache.kafka.common.protocol.Errors.TOPIC_AUTHORIZATION_FAILED.code())
                            .setErrorMessage("Not authorized to describe topic " + name));
                }
            }
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponseData()
                    .setErrorCode(coordinatorError.code()).setErrorMessage(coordinatorError.message()));
        }
        MetadataImage image = broker.replicas().image();
        Map<String, Integer> topics = new HashMap<>();
        for (TopicImage topic : image.topicsByName().values()) {
            // a regex subscription sees only the topics the principal may describe
            if (!topic.isInternal() && broker.authorizer().authorize(context, AclOperation.DESCRIBE,
                    org.apache.kafka.common.resource.ResourceType.TOPIC, topic.name(), false)) {
                topics.put(topic.name(), topic.partitions().size());
            }
        }
        Set<TopicPartition> owned = null;
        if (request.topicPartitions() != null) {
            owned = new HashSet<>();
            for (ConsumerGroupHeartbeatRequestData.TopicPartitions t : request.topicPartitions()) {
                TopicImage topic = image.topic(t.topicId());
                if (topic != null) {
                    for (int p : t.partitions()) {
                        owned.add(new TopicPartition(topic.name(), p));
                    }
                }
            }
        }
        return broker.groups().consumerHeartbeat(new ConsumerHeartbeat(request.groupId(),
                request.memberId(), request.memberEpoch(), request.instanceId(), request.rackId(),
                request.rebalanceTimeoutMs(), request.subscribedTopicNames(), request.subscribedTopicRegex(),
                request.serverAssignor(), owned, context.clientId(), context.clientAddress().toString()), topics)
                .thenApply(result -> response(result, broker.replicas().image()));
    }

    private static ConsumerGroupHeartbeatResponseData response(ConsumerHeartbeatResult result, MetadataImage image) {
        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData()
                .setErrorCode(result.error().code()).setErrorMessage(result.message())
                .setMemberId(result.memberId()).setMemberEpoch(result.memberEpoch())
                .setHeartbeatIntervalMs(result.heartbeatIntervalMs());
        if (result.assignment() != null) {
            Map<String, ConsumerGroupHeartbeatResponseData.TopicPartitions> byTopic = new LinkedHashMap<>();
            for (TopicPartition tp : result.assignment()) {
                TopicImage topic = image.topic(tp.topic());
                if (topic != null) {
                    byTopic.computeIfAbsent(tp.topic(), n -> new ConsumerGroupHeartbeatResponseData.TopicPartitions()
                            .setTopicId(topic.id())).partitions().add(tp.partition());
                }
            }
            response.setAssignment(new Assignment().setTopicPartitions(new java.util.ArrayList<>(byTopic.values())));
        }
        return response;
    }
}
