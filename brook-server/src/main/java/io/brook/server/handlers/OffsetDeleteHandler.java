package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData.OffsetDeleteRequestTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** OffsetDelete: removes a group's committed offsets for partitions its members do not consume. */
public final class OffsetDeleteHandler implements ApiHandler<OffsetDeleteRequestData> {
    private final BrokerContext broker;

    public OffsetDeleteHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_DELETE;
    }

    @Override
    public CompletableFuture<OffsetDeleteResponseData> handle(RequestContext context, OffsetDeleteRequestData request) {
        if (!Access.group(broker, context, AclOperation.DELETE, request.groupId())) {
            return CompletableFuture.completedFuture(new OffsetDeleteResponseData()
                    .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        if (coordinatorError != Errors.NONE) {
            return CompletableFuture.completedFuture(new OffsetDeleteResponseData()
                    .setErrorCode(coordinatorError.code()));
        }
        List<TopicPartition> partitions = new ArrayList<>();
        java.util.Map<TopicPartition, Errors> refused = new java.util.LinkedHashMap<>();
        for (OffsetDeleteRequestTopic t : request.topics()) {
            boolean readable = Access.topic(broker, context, AclOperation.READ, t.name());
            for (OffsetDeleteRequestPartition p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.name(), p.partitionIndex());
                if (readable) {
                    partitions.add(tp);
                } else {
                    refused.put(tp, Errors.TOPIC_AUTHORIZATION_FAILED);
                }
            }
        }
        return broker.groups().deleteOffsets(request.groupId(), partitions).thenApply(result -> {
            OffsetDeleteResponseData response = new OffsetDeleteResponseData().setErrorCode(result.groupError().code());
            if (result.groupError() != Errors.NONE) {
                return response;
            }
            java.util.Map<TopicPartition, Errors> all = new java.util.LinkedHashMap<>(refused);
            all.putAll(result.partitions());
            all.forEach((tp, error) -> {
                OffsetDeleteResponseTopic topic = response.topics().find(tp.topic());
                if (topic == null) {
                    topic = new OffsetDeleteResponseTopic().setName(tp.topic());
                    response.topics().add(topic);
                }
                topic.partitions().add(new OffsetDeleteResponsePartition().setPartitionIndex(tp.partition())
                        .setErrorCode(error.code()));
            });
            return response;
        });
    }
}
