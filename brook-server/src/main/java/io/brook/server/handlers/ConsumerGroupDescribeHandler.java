package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.GroupCoordinator.ConsumerGroupDescription;
import io.brook.coordinator.group.GroupCoordinator.ConsumerMemberDescription;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData.Assignment;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData.DescribedGroup;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData.Member;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData.TopicPartitions;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * ConsumerGroupDescribe: state, epochs, assignor and members (subscriptions, current and target
 * assignments) of consumer-protocol groups. A classic group or an unknown id is GROUP_ID_NOT_FOUND,
 * which tells the admin client to describe it with DescribeGroups instead.
 */
public final class ConsumerGroupDescribeHandler implements ApiHandler<ConsumerGroupDescribeRequestData> {
    private final BrokerContext broker;

    public ConsumerGroupDescribeHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CONSUMER_GROUP_DESCRIBE;
    }

    @Override
    public CompletableFuture<ConsumerGroupDescribeResponseData> handle(RequestContext context,
                                                                       ConsumerGroupDescribeRequestData request) {
        MetadataImage image = broker.replicas().image();
        ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
        for (String groupId : request.groupIds()) {
            DescribedGroup described = new DescribedGroup().setGroupId(groupId);
            if (!Access.group(broker, context, AclOperation.DESCRIBE, groupId)) {
                response.groups().add(described.setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message()));
                continue;
            }
            Errors coordinatorError = broker.groupCoordinatorError(groupId);
            if (coordinatorError != Errors.NONE) {
                response.groups().add(described.setErrorCode(coordinatorError.code()));
                continue;
            }
            ConsumerGroupDescription g = broker.groups().describeConsumerGroup(groupId);
            if (g == null) {
                response.groups().add(described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                        .setErrorMessage("Group " + groupId + " is not a consumer group."));
                continue;
            }
            described.setGroupState(g.state()).setGroupEpoch(g.groupEpoch()).setAssignmentEpoch(g.assignmentEpoch())
                    .setAssignorName(g.assignor());
            for (ConsumerMemberDescription m : g.members()) {
                described.members().add(new Member().setMemberId(m.memberId()).setInstanceId(m.instanceId())
                        .setRackId(m.rackId()).setMemberEpoch(m.memberEpoch()).setClientId(m.clientId())
                        .setClientHost(m.clientHost()).setSubscribedTopicNames(new ArrayList<>(m.subscribedTopicNames()))
                        .setSubscribedTopicRegex(m.subscribedTopicRegex())
                        .setAssignment(assignment(image, m.assignment()))
                        .setTargetAssignment(assignment(image, m.targetAssignment())));
            }
            response.groups().add(described);
        }
        return CompletableFuture.completedFuture(response);
    }

    private static Assignment assignment(MetadataImage image, Set<TopicPartition> partitions) {
        Map<String, TopicPartitions> byTopic = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            TopicImage topic = image.topic(tp.topic());
            if (topic != null) {
                byTopic.computeIfAbsent(tp.topic(), n -> new TopicPartitions().setTopicId(topic.id())
                        .setTopicName(n)).partitions().add(tp.partition());
            }
        }
        return new Assignment().setTopicPartitions(new ArrayList<>(byTopic.values()));
    }
}
