package io.brook.server.handlers;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.fetch.FetchSession;
import io.brook.server.fetch.FetchSession.Key;
import io.brook.server.fetch.FetchSessionCache;
import io.brook.server.partition.Partition;
import io.brook.storage.index.TransactionIndex;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchRequestData.ForgottenTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.requests.FetchMetadata;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Fetch for consumers: reads each partition up to the high watermark (or the last stable offset
 * under read_committed) and returns file slices that are sent with zero copy. When less than
 * {@code min.bytes} is available the fetch is parked in {@link io.brook.server.delayed.FetchWaiters}
 * and answered on the next append or at {@code max.wait.ms}.
 *
 * <p>Incremental fetch sessions (KIP-227, v7+): epoch 0 opens a session holding the requested
 * partitions; later requests with the session's next epoch carry only changed partitions (and
 * forgotten ones), and responses carry only partitions with records, errors or new offsets.
 */
public final class FetchHandler implements ApiHandler<FetchRequestData> {
    /** First version with fetch sessions. */
    private static final short SESSION_VERSION = 7;
    /** First version that names topics by id. */
    private static final short TOPIC_ID_VERSION = 13;

    private final BrokerContext broker;
    private final FetchSessionCache sessions;

    public FetchHandler(BrokerContext broker, FetchSessionCache sessions) {
        this.broker = broker;
        this.sessions = sessions;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.FETCH;
    }

    /** One partition to read, with the client's fetch state. */
    private record Target(Key key, long fetchOffset, int maxBytes, int currentLeaderEpoch) {
    }

    /** One pass over the targets. */
    private record Pass(List<PartitionData> partitions, long bytes, boolean hasError) {
    }

    @Override
    public CompletableFuture<FetchResponseData> handle(RequestContext context, FetchRequestData request) {
        short version = context.apiVersion();
        boolean ids = version >= TOPIC_ID_VERSION;
        long nowMs = System.currentTimeMillis();
        FetchSession session = null;
        boolean incremental = false;
        List<Target> targets;
        if (version >= SESSION_VERSION && request.sessionEpoch() > FetchMetadata.INITIAL_EPOCH) {
            session = sessions.get(request.sessionId());
            if (session == null) {
                return CompletableFuture.completedFuture(topLevelError(Errors.FETCH_SESSION_ID_NOT_FOUND));
            }
            synchronized (session) {
                if (request.sessionEpoch() != session.nextEpoch()) {
                    return CompletableFuture.completedFuture(topLevelError(Errors.INVALID_FETCH_SESSION_EPOCH));
                }
                for (Target t : requestTargets(request, ids)) {
                    session.upsert(t.key(), t.fetchOffset(), t.maxBytes(), t.currentLeaderEpoch());
                }
                for (ForgottenTopic forgotten : request.forgottenTopicsData()) {
                    for (int p : forgotten.partitions()) {
                        session.forget(key(ids, forgotten.topicId(), forgotten.topic(), p));
                    }
                }
                session.advance(nowMs);
                targets = sessionTargets(session);
            }
            incremental = true;
        } else {
            targets = requestTargets(request, ids);
            if (version >= SESSION_VERSION && request.sessionId() != FetchMetadata.INVALID_SESSION_ID) {
                sessions.remove(request.sessionId());
            }
            if (version >= SESSION_VERSION && request.sessionEpoch() == FetchMetadata.INITIAL_EPOCH) {
                session = sessions.create(ids, nowMs);
                if (session != null) {
                    synchronized (session) {
                        for (Target t : targets) {
                            session.upsert(t.key(), t.fetchOffset(), t.maxBytes(), t.currentLeaderEpoch());
                        }
                    }
                }
            }
        }
        return fetch(request, version, targets, session, incremental);
    }

    private CompletableFuture<FetchResponseData> fetch(FetchRequestData request, short version, List<Target> targets,
                                                       FetchSession session, boolean incremental) {
        Pass first = read(request, targets);
        if (request.maxWaitMs() <= 0 || first.bytes() >= request.minBytes() || first.hasError() || targets.isEmpty()) {
            return CompletableFuture.completedFuture(respond(version, targets, first, session, incremental));
        }
        CompletableFuture<FetchResponseData> result = new CompletableFuture<>();
        // attempts may run concurrently after appends to several partitions; exactly one responds,
        // because responding records in the session what the client was told
        broker.fetchWaiters().park(topicPartitions(targets), request.maxWaitMs(), () -> {
            synchronized (result) {
                if (result.isDone()) {
                    return true;
                }
                Pass pass = read(request, targets);
                if (pass.bytes() >= request.minBytes() || pass.hasError()) {
                    result.complete(respond(version, targets, pass, session, incremental));
                    return true;
                }
                return false;
            }
        }, () -> {
            synchronized (result) {
                if (!result.isDone()) {
                    result.complete(respond(version, targets, read(request, targets), session, incremental));
                }
            }
        });
        return result;
    }

    private static Key key(boolean ids, Uuid topicId, String topic, int partition) {
        return ids ? new Key(topicId, null, partition) : new Key(Uuid.ZERO_UUID, topic, partition);
    }

    private static List<Target> requestTargets(FetchRequestData request, boolean ids) {
        List<Target> targets = new ArrayList<>();
        for (FetchTopic topic : request.topics()) {
            for (FetchPartition p : topic.partitions()) {
                targets.add(new Target(key(ids, topic.topicId(), topic.topic(), p.partition()), p.fetchOffset(),
                        p.partitionMaxBytes(), p.currentLeaderEpoch()));
            }
        }
        return targets;
    }

    private static List<Target> sessionTargets(FetchSession session) {
        List<Target> targets = new ArrayList<>();
        for (FetchSession.Entry e : session.entries()) {
            targets.add(new Target(e.key(), e.fetchOffset(), e.maxBytes(), e.currentLeaderEpoch()));
        }
        return targets;
    }

    private String topicName(MetadataImage image, Key key) {
        if (key.topic() != null) {
            return key.topic();
        }
        TopicImage t = image.topic(key.topicId());
        return t == null ? null : t.name();
    }

    private List<TopicPartition> topicPartitions(List<Target> targets) {
        MetadataImage image = broker.replicas().image();
        List<TopicPartition> partitions = new ArrayList<>();
        for (Target t : targets) {
            String name = topicName(image, t.key());
            if (name != null) {
                partitions.add(new TopicPartition(name, t.key().partition()));
            }
        }
        return partitions;
    }

    private Pass read(FetchRequestData request, List<Target> targets) {
        MetadataImage image = broker.replicas().image();
        boolean readCommitted = request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        List<PartitionData> partitions = new ArrayList<>(targets.size());
        long remaining = request.maxBytes();
        long bytes = 0;
        boolean hasError = false;
        for (Target target : targets) {
            PartitionData data = new PartitionData().setPartitionIndex(target.key().partition())
                    .setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1)
                    .setRecords(MemoryRecords.EMPTY);
            if (readCommitted) {
                data.setAbortedTransactions(new ArrayList<>());
            }
            String name = topicName(image, target.key());
            if (name == null) {
                data.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
            } else {
                int limit = (int) Math.max(0, Math.min(target.maxBytes(), remaining));
                readPartition(new TopicPartition(name, target.key().partition()), target, limit, bytes == 0,
                        readCommitted, data);
            }
            int size = data.records().sizeInBytes();
            bytes += size;
            remaining -= size;
            hasError |= data.errorCode() != Errors.NONE.code();
            partitions.add(data);
        }
        return new Pass(partitions, bytes, hasError);
    }

    private void readPartition(TopicPartition tp, Target target, int maxBytes, boolean minOneMessage,
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
            partition.throwIfEpochMismatch(target.currentLeaderEpoch());
            Partition.Watermarks watermarks = partition.watermarks(); // both from one snapshot
            long highWatermark = watermarks.highWatermark().offset();
            long stable = watermarks.lastStable().offset();
            data.setHighWatermark(highWatermark).setLastStableOffset(stable)
                    .setLogStartOffset(partition.log().logStartOffset());
            long upper = readCommitted ? stable : highWatermark;
            Records records = partition.log().read(target.fetchOffset(), maxBytes, upper, minOneMessage);
            data.setRecords(records);
            if (readCommitted && records.sizeInBytes() > 0) {
                for (TransactionIndex.AbortedTxn txn : partition.log().abortedTransactions(target.fetchOffset(), upper)) {
                    data.abortedTransactions().add(new FetchResponseData.AbortedTransaction()
                            .setProducerId(txn.producerId()).setFirstOffset(txn.firstOffset()));
                }
            }
        } catch (Exception e) {
            data.setErrorCode(ErrorMapping.errorFor(e).code()).setRecords(MemoryRecords.EMPTY);
        }
    }

    /** Builds the response; with a session, records what each partition was told and drops unchanged ones. */
    private static FetchResponseData respond(short version, List<Target> targets, Pass pass, FetchSession session,
                                             boolean incremental) {
        boolean ids = version >= TOPIC_ID_VERSION;
        FetchResponseData response = new FetchResponseData().setSessionId(session == null ? 0 : session.id());
        Map<Key, FetchableTopicResponse> topics = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            Key key = targets.get(i).key();
            PartitionData data = pass.partitions().get(i);
            if (session != null) {
                boolean changed;
                synchronized (session) {
                    changed = session.mustRespond(key, data.records().sizeInBytes() > 0,
                            data.errorCode() != Errors.NONE.code(), data.highWatermark(), data.logStartOffset());
                }
                if (incremental && !changed) {
                    continue;
                }
            }
            Key topicKey = new Key(key.topicId(), key.topic(), -1);
            topics.computeIfAbsent(topicKey, k -> new FetchableTopicResponse()
                    .setTopic(ids ? "" : k.topic()).setTopicId(ids ? k.topicId() : Uuid.ZERO_UUID))
                    .partitions().add(data);
        }
        topics.values().forEach(response.responses()::add);
        return response;
    }

    private static FetchResponseData topLevelError(Errors error) {
        return new FetchResponseData().setErrorCode(error.code()).setSessionId(FetchMetadata.INVALID_SESSION_ID);
    }
}
