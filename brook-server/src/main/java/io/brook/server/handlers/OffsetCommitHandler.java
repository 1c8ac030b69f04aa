package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.coordinator.group.CommittedOffset;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * OffsetCommit, naming topics by name (v2-9) or by id (v10+). Partitions of unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id); the rest are written to the offsets
 * topic before the answer.
 */
public final class OffsetCommitHandler implements ApiHandler<OffsetCommitRequestData> {
    private static final short TOPIC_ID_VERSION = 10;

    private final BrokerContext broker;

    public OffsetCommitHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.OFFSET_COMMIT;
    }

    @Override
    public CompletableFuture<OffsetCommitResponseData> handle(RequestContext context,
                                                              OffsetCommitRequestData request) {
        long now = System.currentTimeMillis();
        Map<TopicPartition, CommittedOffset> commits = new LinkedHashMap<>();
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<String, Uuid> ids = new HashMap<>();
        boolean byId = context.apiVersion() >= TOPIC_ID_VERSION;
        MetadataImage image = broker.replicas().image();
        // Kafka: READ on the group refuses every partition; READ on each topic refuses its partitions
        boolean groupRefused = !Access.group(broker, context, AclOperation.READ, request.groupId());
        for (OffsetCommitRequestTopic topic : request.topics()) {
            TopicImage known = byId ? image.topic(topic.topicId()) : image.topic(topic.name());
            String name = known != null ? known.name() : byId ? topic.topicId().toString() : topic.name();
            ids.put(name, byId ? topic.topicId() : Uuid.ZERO_UUID);
            for (OffsetCommitRequestPartition p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(name, p.partitionIndex());
                if (groupRefused) {
                    results.put(tp, Errors.GROUP_AUTHORIZATION_FAILED);
                } else if (known != null && !Access.topic(broker, context, AclOperation.READ, known.name())) {
                    results.put(tp, Errors.TOPIC_AUTHORIZATION_FAILED);
                } else if (known == null || known.partitions().get(p.partitionIndex()) == null) {
                    results.put(tp, byId && known == null ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else {
                    commits.put(tp, new CommittedOffset(p.committedOffset(), p.committedLeaderEpoch(),
                            p.committedMetadata(), now));
                    results.put(tp, null);
                }
            }
        }
        Errors coordinatorError = broker.groupCoordinatorError(request.groupId());
        CompletableFuture<Map<TopicPartition, Errors>> committed = commits.isEmpty()
                ? CompletableFuture.completedFuture(Map.of())
                : coordinatorError != Errors.NONE
                ? CompletableFuture.completedFuture(refused(commits, coordinatorError))
                : broker.groups().commit(request.groupId(), request.generationIdOrMemberEpoch(), request.memberId(),
                request.groupInstanceId(), commits);
        return committed.thenApply(done -> {
            OffsetCommitResponseData response = new OffsetCommitResponseData();
            Map<String, OffsetCommitResponseTopic> topics = new LinkedHashMap<>();
            results.forEach((tp, error) -> topics.computeIfAbsent(tp.topic(), t -> byId
                    ? new OffsetCommitResponseTopic().setTopicId(ids.get(t))
                    : new OffsetCommitResponseTopic().setName(t)).partitions().add(
                    new OffsetCommitResponsePartition().setPartitionIndex(tp.partition())
                            .setErrorCode((error != null ? error : done.get(tp)).code())));
            topics.values().forEach(response.topics()::add);
            return response;
        });
    }

    /**
     * Every partition refused with {@code error}: NOT_COORDINATOR (another node coordinates the group) or
     * COORDINATOR_LOAD_IN_PROGRESS.
     */
    private static Map<TopicPartition, Errors> refused(Map<TopicPartition, ?> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        partitions.keySet().forEach(tp -> errors.put(tp, error));
        return errors;
    }
}
