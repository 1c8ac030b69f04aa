package io.brook.server.handlers;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.partition.Partition;
import io.brook.storage.log.AppendResult;
import io.brook.storage.log.RecordValidationException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.BatchIndexAndErrorMessage;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Produce: appends each partition's batch as leader and answers per partition. acks=0 gets no
 * answer; acks=1 is answered once appended; acks=all waits in the produce purgatory
 * ({@link DelayedProduce}) until the high watermark passes each batch. On one node the in-sync
 * replica set is the leader alone and the high watermark moves at the append, so acks=all
 * completes at once, but through that path. With {@code brook.durable.append} the high watermark
 * moves only once the log directory's flusher has fsynced the batch, so acks=all waits for the
 * fsync there, and acks=1 waits for it through {@link Partition#whenDurable} (a retried
 * duplicate waits for its original's fsync); neither holds a request thread while it waits.
 */
public final class ProduceHandler implements ApiHandler<ProduceRequestData> {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProduceHandler.class);

    /** First Produce version of transaction protocol 2 clients (KIP-890). */
    private static final short TRANSACTION_V2_VERSION = 12;

    private final BrokerContext broker;

    public ProduceHandler(BrokerContext broker) {
        this.broker = broker;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.PRODUCE;
    }

    @Override
    public CompletableFuture<ProduceResponseData> handle(RequestContext context, ProduceRequestData request) {
        short acks = request.acks();
        boolean validAcks = acks == -1 || acks == 0 || acks == 1;
        MetadataImage image = broker.replicas().image();
        ProduceResponseData response = new ProduceResponseData();
        List<CompletableFuture<Void>> durable = new ArrayList<>();
        List<DelayedProduce.Pending> pending = new ArrayList<>();
        // Kafka's order: WRITE on the transactional id refuses the whole request, then WRITE per topic
        boolean transactionRefused = request.transactionalId() != null && !broker.authorizer().authorize(context,
                AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, request.transactionalId());
        for (TopicProduceData topicData : request.topicData()) {
            TopicImage topic = context.apiVersion() >= 13 ? image.topic(topicData.topicId())
                    : image.topic(topicData.name());
            String topicName = topic != null ? topic.name() : topicData.name();
            boolean topicRefused = !transactionRefused && topicName != null && !topicName.isEmpty()
                    && !broker.authorizer().authorize(context, AclOperation.WRITE, ResourceType.TOPIC, topicName);
            TopicProduceResponse topicResponse = new TopicProduceResponse()
                    .setName(context.apiVersion() >= 13 ? "" : topicData.name())
                    .setTopicId(context.apiVersion() >= 13 ? topicData.topicId() : Uuid.ZERO_UUID);
            for (PartitionProduceData data : topicData.partitionData()) {
                PartitionProduceResponse result = new PartitionProduceResponse().setIndex(data.index())
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                if (transactionRefused) {
                    result.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code());
                } else if (topicRefused) {
                    result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (!validAcks) {
                    result.setErrorCode(Errors.INVALID_REQUIRED_ACKS.code());
                } else if (topic == null) {
                    result.setErrorCode((context.apiVersion() >= 13 ? Errors.UNKNOWN_TOPIC_ID
                            : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                } else {
                    TopicPartition tp = new TopicPartition(topic.name(), data.index());
                    // read before the append: a batch appended in a later epoch than this waits for nothing
                    int leaderEpoch = leaderEpoch(tp);
                    AppendResult appended = append(tp, topic, data, acks, request.transactionalId(),
                            context.apiVersion(), result);
                    if (appended != null) {
                        // outside append's error handling: what follows a successful append cannot make it an error
                        awaitFsync(tp, appended, result, durable);
                        if (acks == -1) {
                            pending.add(new DelayedProduce.Pending(tp, appended.lastOffset() + 1, leaderEpoch,
                                    result));
                        }
                    }
                }
                topicResponse.partitionResponses().add(result);
            }
            response.responses().add(topicResponse);
        }
        CompletableFuture<Void> fsynced = durable.isEmpty() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.allOf(durable.toArray(CompletableFuture[]::new));
        if (pending.isEmpty()) {
            return fsynced.handle((done, failure) -> acks == 0 ? null : response);
        }
        // acks=all: answered once the high watermark passes each batch (at once on one node, at the
        // fsync in durable mode)
        CompletableFuture<ProduceResponseData> answer = new CompletableFuture<>();
        fsynced.whenComplete((done, failure) -> {
            // a batch whose fsync failed already carries its error: it waits for nothing
            List<DelayedProduce.Pending> waiting = pending.stream()
                    .filter(p -> p.result().errorCode() == Errors.NONE.code()).toList();
            if (waiting.isEmpty()) {
                answer.complete(response);
                return;
            }
            DelayedProduce delayed = new DelayedProduce(request.timeoutMs(), waiting, broker.replicas()::partition,
                    () -> answer.complete(response));
            broker.delayed().produces().tryCompleteElseWatch(delayed, delayed.watchKeys());
        });
        return answer;
    }

    /**
     * In durable mode an append is acknowledged only once fsynced: adds that wait to {@code durable}
     * (a failed fsync turns the partition's answer into its error).
     */
    private void awaitFsync(TopicPartition tp, AppendResult appended, PartitionProduceResponse result,
                            List<CompletableFuture<Void>> durable) {
        Partition partition = broker.replicas().partition(tp);
        CompletableFuture<Void> fsynced = partition == null ? CompletableFuture.completedFuture(null)
                : partition.whenDurable(appended.lastOffset());
        if (fsynced.isDone() && !fsynced.isCompletedExceptionally()) {
            return;
        }
        durable.add(fsynced.handle((done, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException
                        && failure.getCause() != null ? failure.getCause() : failure;
                result.setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1)
                        .setErrorCode(ErrorMapping.errorFor(cause).code())
                        .setErrorMessage(ErrorMapping.messageFor(cause));
            }
            return null;
        }));
    }

    private int leaderEpoch(TopicPartition tp) {
        Partition partition = broker.replicas().partition(tp);
        return partition == null ? -1 : partition.leaderEpoch();
    }

    /** Appends one partition's batch; its result, or null when it failed (the error is then set). */
    private AppendResult append(TopicPartition tp, TopicImage topic, PartitionProduceData data, short acks,
                                String transactionalId, short apiVersion, PartitionProduceResponse result) {
        Partition partition = broker.replicas().partition(tp);
        if (partition == null) {
            result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            return null;
        }
        try {
            if (topic.isInternal()) {
                throw new InvalidTopicException("Clients may not write to the internal topic " + topic.name());
            }
            MemoryRecords records = validate((MemoryRecords) data.records());
            admitToTransaction(transactionalId, records, tp, apiVersion);
            AppendResult appended = partition.appendAsLeader(records, acks);
            result.setBaseOffset(appended.firstOffset())
                    .setLogAppendTimeMs(appended.logAppendTimeMs())
                    .setLogStartOffset(appended.logStartOffset());
            return appended;
        } catch (Exception e) {
            Errors error = ErrorMapping.errorFor(e);
            result.setErrorCode(error.code()).setErrorMessage(ErrorMapping.messageFor(e));
            if (e instanceof RecordValidationException invalid) { // KIP-467: which records, so only they fail
                invalid.recordErrors().forEach(r -> result.recordErrors().add(new BatchIndexAndErrorMessage()
                        .setBatchIndex(r.batchIndex()).setBatchIndexErrorMessage(r.message())));
            }
            // an offline directory's refusals are not logged again: its I/O error was, once
            boolean refusedOffline = e instanceof org.apache.kafka.common.errors.KafkaStorageException;
            if (error == Errors.UNKNOWN_SERVER_ERROR || (error == Errors.KAFKA_STORAGE_ERROR && !refusedOffline)) {
                log.error("Append to {} failed", tp, e);
            }
            return null;
        }
    }

    /**
     * A transactional batch may only go to a partition of the producer's open transaction: with
     * transaction protocol 1 (Produce up to v11) the client added it and this only verifies that
     * (KIP-890 part 1); protocol 2 clients (v12+) add partitions by writing to them, so it is added
     * here. Either way a fenced or confused producer cannot write records no marker would end.
     */
    private void admitToTransaction(String transactionalId, MemoryRecords records, TopicPartition tp,
                                    short apiVersion) {
        RecordBatch batch = records.firstBatch();
        if (batch == null || !batch.isTransactional()) {
            return;
        }
        if (transactionalId == null) {
            throw new InvalidTxnStateException("A transactional batch for " + tp + " came without a transactional id.");
        }
        Errors error = TransactionAdmission.admit(broker, transactionalId, batch.producerId(), batch.producerEpoch(),
                tp, apiVersion >= TRANSACTION_V2_VERSION);
        switch (error) {
            case NONE -> { }
            // the previous transaction's markers are still not written: the client retries
            case CONCURRENT_TRANSACTIONS -> throw new NotEnoughReplicasException("The previous transaction of "
                    + transactionalId + " is still completing; retry.");
            // the coordinator could not answer now: Kafka's leaders answer these NOT_ENOUGH_REPLICAS (retriable)
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS ->
                    throw new NotEnoughReplicasException("The transaction coordinator of " + transactionalId
                            + " could not verify the batch now (" + error + "); retry.");
            case PRODUCER_FENCED, INVALID_PRODUCER_EPOCH -> throw new InvalidProducerEpochException("Producer epoch "
                    + batch.producerEpoch() + " of " + transactionalId + " is not the current one; it was fenced.");
            case INVALID_TXN_STATE -> throw new InvalidTxnStateException(tp + " is not part of the open transaction of "
                    + transactionalId + "; add it with AddPartitionsToTxn first.");
            default -> throw error.exception("Producer id " + batch.producerId() + " and " + transactionalId
                    + ": " + error.message());
        }
    }

    /** Produce v3+ carries exactly one magic-2 batch per partition (Kafka's rule). */
    private static MemoryRecords validate(MemoryRecords records) {
        if (records == null) {
            throw new InvalidRecordException("The produce request has no records for a partition.");
        }
        int batches = 0;
        for (MutableRecordBatch batch : records.batches()) {
            batches++;
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                throw new InvalidRecordException("Produce requests of version 3 or later must use record batch "
                        + "format v2; got magic " + batch.magic() + ".");
            }
        }
        if (batches != 1) {
            throw new InvalidRecordException("Produce requests of version 3 or later must contain exactly one "
                    + "record batch per partition; got " + batches + ".");
        }
        return records;
    }
}
