package io.brook.server.handlers;

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
        if (broker.notGroupCoordinator(request.groupId())) {
            return CompletableFuture.completedFuture(new OffsetDeleteResponseData()
                    .setErrorCode(Errors.NOT_COORDINATOR.code()));
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (OffsetDeleteRequestTopic t : request.topics()) {
            for (OffsetDeleteRequestPartition p : t.partitions()) {
                partitions.add(new TopicPartition(t.name(), p.partitionIndex()));
            }
        }
        return broker.groups().deleteOffsets(request.groupId(), partitions).thenApply(result -> {
            OffsetDeleteResponseData response = new OffsetDeleteResponseData().setErrorCode(result.groupError().code());
            if (result.groupError() != Errors.NONE) {
                return response;
            }
            result.partitions().forEach((tp, error) -> {
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
