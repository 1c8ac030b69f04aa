package io.brook.server.handlers;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Fetch for consumers: reads each partition up to the high watermark (or the last stable offset
 * under read_committed) and returns file slices that are sent with zero copy. When less than
 * {@code min.bytes} is available the fetch is parked in {@link io.brook.server.delayed.FetchWaiters}
 * and answered on the next append or at {@code max.wait.ms}.
 *
 * <p>Fetch sessions (KIP-227) are not kept yet: every request is answered in full with session id
 * 0, which tells clients to keep sending full requests; an incremental request for a session id
 * is answered FETCH_SESSION_ID_NOT_FOUND.
 */
public final class FetchHandler implements ApiHandler<FetchRequestData> {
    private final BrokerContext broker;

    public FetchHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.FETCH;
    }

    /** One pass over the requested partitions. */
    private record Pass(FetchResponseData response, long bytes, boolean hasError) {
    }

    @Override
    public CompletableFuture<FetchResponseData> handle(RequestContext context, FetchRequestData request) {
        if (request.sessionId() != 0) {
            return CompletableFuture.completedFuture(new FetchResponseData()
                    .setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code()).setSessionId(0));
        }
        short version = context.apiVersion();
        Pass first = read(request, version);
        if (request.maxWaitMs() <= 0 || first.bytes() >= request.minBytes() || first.hasError()
                || request.topics().isEmpty()) {
            return CompletableFuture.completedFuture(first.response());
        }
        CompletableFuture<FetchResponseData> result = new CompletableFuture<>();
        List<TopicPartition> partitions = partitionsOf(request, version);
        broker.fetchWaiters().park(partitions, request.maxWaitMs(), () -> {
            Pass pass = read(request, version);
            if (pass.bytes() >= request.minBytes() || pass.hasError()) {
                result.complete(pass.response());
                return true;
            }
            return false;
        }, () -> result.complete(read(request, version).response()));
        return result;
    }

    private List<TopicPartition> partitionsOf(FetchRequestData request, short version) {
        MetadataImage image = broker.replicas().image();
        List<TopicPartition> partitions = new ArrayList<>();
        for (FetchTopic topic : request.topics()) {
            String name = topicName(image, topic, version);
            if (name != null) {
                topic.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition())));
            }
        }
        return partitions;
    }

    private static String topicName(MetadataImage image, FetchTopic topic, short version) {
        if (version < 13) {
            return topic.topic();
        }
        TopicImage t = image.topic(topic.topicId());
        return t == null ? null : t.name();
    }

    private Pass read(FetchRequestData request, short version) {
        MetadataImage image = broker.replicas().image();
        boolean readCommitted = request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        long remaining = request.maxBytes();
        long bytes = 0;
        boolean hasError = false;
        for (FetchTopic topic : request.topics()) {
            String name = topicName(image, topic, version);
            FetchableTopicResponse topicResponse = new FetchableTopicResponse()
                    .setTopic(version < 13 ? topic.topic() : "")
                    .setTopicId(version >= 13 ? topic.topicId() : Uuid.ZERO_UUID);
            for (FetchPartition fp : topic.partitions()) {
                PartitionData data = new PartitionData().setPartitionIndex(fp.partition())
                        .setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1)
                        .setRecords(MemoryRecords.EMPTY);
                if (readCommitted) {
                    data.setAbortedTransactions(new ArrayList<>());
                }
                if (name == null) {
                    data.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
                } else {
                    int limit = (int) Math.max(0, Math.min(fp.partitionMaxBytes(), remaining));
                    readPartition(new TopicPartition(name, fp.partition()), fp, limit, bytes == 0, readCommitted,
                            data);
                }
                int size = data.records() == null ? 0 : data.records().sizeInBytes();
                bytes += size;
                remaining -= size;
                hasError |= data.errorCode() != Errors.NONE.code();
                topicResponse.partitions().add(data);
            }
            response.responses().add(topicResponse);
        }
        return new Pass(response, bytes, hasError);
    }

    private void readPartition(TopicPartition tp, FetchPartition fp, int maxBytes, boolean minOneMessage,
                               boolean readCommitted, PartitionData data) {
        Partition partition = broker.replicas().partition(tp);
        if (partition == null) {
            data.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            return;
        }
        try {
            if (!partition.isLeader()) {
                data.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                return;
            }
            partition.throwIfEpochMismatch(fp.currentLeaderEpoch());
            long highWatermark = partition.highWatermark();
            long stable = partition.lastStableOffset();
            data.setHighWatermark(highWatermark).setLastStableOffset(stable)
                    .setLogStartOffset(partition.log().logStartOffset());
            long upper = readCommitted ? stable : highWatermark;
            Records records = partition.log().read(fp.fetchOffset(), maxBytes, upper, minOneMessage);
            data.setRecords(records);
        } catch (Exception e) {
            data.setErrorCode(ErrorMapping.errorFor(e).code()).setRecords(MemoryRecords.EMPTY);
        }
    }
}
