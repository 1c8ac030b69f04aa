package io.brook.server.handlers;

import org.apache.kafka.common.acl.AclOperation;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * AddPartitionsToTxn: v0-3 from clients (one transaction); v4+ the batched form brokers use,
 * where {@code VerifyOnly} asks whether the partitions are already in each transaction (KIP-890)
 * without adding them. Unknown partitions fail the whole transaction's request:
 * UNKNOWN_TOPIC_OR_PARTITION for them, OPERATION_NOT_ATTEMPTED for the rest.
 */
public final class AddPartitionsToTxnHandler implements ApiHandler<AddPartitionsToTxnRequestData> {
    private static final short BATCHED_VERSION = 4;
    private static final short PRODUCER_FENCED_VERSION = 2;

    private final BrokerContext broker;

    public AddPartitionsToTxnHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.ADD_PARTITIONS_TO_TXN;
    }

    @Override
    public CompletableFuture<AddPartitionsToTxnResponseData> handle(RequestContext context,
                                                                    AddPartitionsToTxnRequestData request) {
        if (context.apiVersion() < BATCHED_VERSION) {
            return add(context, request.v3AndBelowTransactionalId(), request.v3AndBelowProducerId(),
                    request.v3AndBelowProducerEpoch(), false, request.v3AndBelowTopics())
                    .thenApply(results -> new AddPartitionsToTxnResponseData().setResultsByTopicV3AndBelow(results));
        }
        if (!Access.cluster(broker, context, AclOperation.CLUSTER_ACTION)) { // the batched form is broker-to-broker
            return CompletableFuture.completedFuture(new AddPartitionsToTxnResponseData()
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code()));
        }
        List<CompletableFuture<AddPartitionsToTxnResult>> futures = new ArrayList<>();
        for (AddPartitionsToTxnTransaction txn : request.transactions()) {
            futures.add(add(context, txn.transactionalId(), txn.producerId(), txn.producerEpoch(), txn.verifyOnly(),
                    txn.topics()).thenApply(results -> new AddPartitionsToTxnResult()
                    .setTransactionalId(txn.transactionalId()).setTopicResults(results)));
        }
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture[0])).thenApply(v -> {
            AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
            futures.forEach(f -> response.resultsByTransaction().add(f.join()));
            return response;
        });
    }

    private CompletableFuture<AddPartitionsToTxnTopicResultCollection> add(
            RequestContext context, String transactionalId, long producerId, short epoch, boolean verifyOnly,
            AddPartitionsToTxnTopicCollection topics) {
        MetadataImage image = broker.replicas().image();
        List<TopicPartition> partitions = new ArrayList<>();
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        boolean unknown = false;
        // a client's request (before the batched version): WRITE on the transactional id refuses every partition,
        // WRITE on a topic refuses its partitions and leaves the others OPERATION_NOT_ATTEMPTED, as Kafka's
        boolean fromClient = context.apiVersion() < BATCHED_VERSION;
        boolean idRefused = fromClient && !Access.transactionalId(broker, context, AclOperation.WRITE, transactionalId);
        for (AddPartitionsToTxnTopic topic : topics) {
            TopicImage known = image.topic(topic.name());
            boolean topicRefused = fromClient && !idRefused
                    && !Access.topic(broker, context, AclOperation.WRITE, topic.name());
            for (int p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                partitions.add(tp);
                if (idRefused) {
                    errors.put(tp, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
                    unknown = true;
                } else if (topicRefused) {
                    errors.put(tp, Errors.TOPIC_AUTHORIZATION_FAILED);
                    unknown = true;
                } else if (known == null || known.partitions().get(p) == null) {
                    errors.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                    unknown = true;
                }
            }
        }
        if (unknown) {
            partitions.forEach(tp -> errors.putIfAbsent(tp, Errors.OPERATION_NOT_ATTEMPTED));
            return CompletableFuture.completedFuture(results(errors));
        }
        Errors coordinatorError = broker.transactionCoordinatorError(transactionalId);
        if (coordinatorError != Errors.NONE) {
            partitions.forEach(tp -> errors.put(tp, coordinatorError));
            return CompletableFuture.completedFuture(results(errors));
        }
        if (verifyOnly) {
            partitions.forEach(tp -> errors.put(tp, broker.transactions().verify(transactionalId, producerId, epoch, tp)));
            return CompletableFuture.completedFuture(results(errors));
        }
        return broker.transactions().addPartitions(transactionalId, producerId, epoch, partitions).thenApply(error -> {
            Errors e = ErrorMapping.fencedFor(error, context.apiVersion(), PRODUCER_FENCED_VERSION);
            partitions.forEach(tp -> errors.put(tp, e));
            return results(errors);
        });
    }

    private static AddPartitionsToTxnTopicResultCollection results(Map<TopicPartition, Errors> errors) {
        AddPartitionsToTxnTopicResultCollection topics = new AddPartitionsToTxnTopicResultCollection();
        errors.forEach((tp, error) -> {
            AddPartitionsToTxnTopicResult topic = topics.find(tp.topic());
            if (topic == null) {
                topic = new AddPartitionsToTxnTopicResult().setName(tp.topic());
                topics.add(topic);
            }
            topic.resultsByPartition().add(new AddPartitionsToTxnPartitionResult()
                    .setPartitionIndex(tp.partition()).setPartitionErrorCode(error.code()));
        });
        return topics;
    }
}
