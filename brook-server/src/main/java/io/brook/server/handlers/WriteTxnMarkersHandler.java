package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * WriteTxnMarkers: writes commit or abort markers into partitions this node leads. Coordinators
 * send it to partition leaders; Kafka's {@code kafka-transactions.sh abort} sends it to abort a
 * hanging transaction. Version 1 only: version 2 carries the transaction version of protocol 2.
 */
public final class WriteTxnMarkersHandler implements ApiHandler<WriteTxnMarkersRequestData> {
    private final BrokerContext broker;

    public WriteTxnMarkersHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.WRITE_TXN_MARKERS;
    }

    @Override
    public short maxVersion() {
        return 1;
    }

    @Override
    public CompletableFuture<WriteTxnMarkersResponseData> handle(RequestContext context,
                                                                 WriteTxnMarkersRequestData request) {
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        boolean clusterAction = Access.cluster(broker, context, AclOperation.CLUSTER_ACTION);
        for (WritableTxnMarker marker : request.markers()) {
            if (!clusterAction) { // Kafka: every partition of every marker refused
                WritableTxnMarkerResult refused = new WritableTxnMarkerResult().setProducerId(marker.producerId());
                for (WritableTxnMarkerTopic topic : marker.topics()) {
                    WritableTxnMarkerTopicResult t = new WritableTxnMarkerTopicResult().setName(topic.name());
                    topic.partitionIndexes().forEach(p -> t.partitions().add(new WritableTxnMarkerPartitionResult()
                            .setPartitionIndex(p).setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())));
                    refused.topics().add(t);
                }
                response.markers().add(refused);
                continue;
            }
            Set<TopicPartition> partitions = new LinkedHashSet<>();
            for (WritableTxnMarkerTopic topic : marker.topics()) {
                for (int p : topic.partitionIndexes()) {
                    partitions.add(new TopicPartition(topic.name(), p));
                }
            }
            Map<TopicPartition, Errors> errors = broker.markers().writeNow(marker.producerId(), marker.producerEpoch(),
                    marker.coordinatorEpoch(), marker.transactionResult(), partitions);
            WritableTxnMarkerResult result = new WritableTxnMarkerResult().setProducerId(marker.producerId());
            Map<String, WritableTxnMarkerTopicResult> topics = new LinkedHashMap<>();
            errors.forEach((tp, error) -> topics.computeIfAbsent(tp.topic(),
                    t -> new WritableTxnMarkerTopicResult().setName(t)).partitions().add(
                    new WritableTxnMarkerPartitionResult().setPartitionIndex(tp.partition())
                            .setErrorCode(error.code())));
            topics.values().forEach(result.topics()::add);
            response.markers().add(result);
        }
        return CompletableFuture.completedFuture(response);
    }
}
