package io.brook.server.handlers;

import io.brook.server.replication.ReplicationThrottles;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.api.ApiHandler;
import io.brook.server.api.RequestContext;
import io.brook.server.api.RequestThreadTime;
import io.brook.server.delayed.DelayedOperation;
import io.brook.server.fetch.FetchSession;
import io.brook.server.fetch.FetchSession.Key;
import io.brook.server.fetch.FetchSessionCache;
import io.brook.server.quota.ConsumerFetchQuota;
import io.brook.server.fetch.ReplicaSelector;
import io.brook.server.partition.Partition;
import io.brook.storage.index.TransactionIndex;
import io.brook.storage.log.LogOffsetMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
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

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Fetch for consumers: reads each partition up to the high watermark (or the last stable offset
 * under read_committed) and returns file slices that are sent with zero copy. When less than
 * {@code min.bytes} is available the fetch is parked in the fetch purgatory
 * ({@link io.brook.server.delayed.DelayedOperationPurgatory}), watched under its partitions, and
 * answered once enough bytes are past its positions (offsets compared, no file read) or at
 * {@code max.wait.ms}.
 *
 * <p>Follower fetching (KIP-392): consumers (v11+) may read from an in-sync follower, up to its own watermarks;
 * with a {@code replica.selector.class} the leader answers a consumer of another rack with the follower to read
 * from ({@code preferred_read_replica}) instead of records. That is the consumer path only
 * ({@link #readForConsumer}); followers' own fetches take the replica path of {@link #readPartition}.
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
    /** First version with the consumer's rack: consumers may read from followers (KIP-392). */
    private static final short FOLLOWER_READ_VERSION = 11;

    private final BrokerContext broker;
    private final FetchSessionCache sessions;
    private final ReplicationThrottles throttles;
    private final ConsumerFetchQuota consumerQuota;

    public FetchHandler(BrokerContext broker, FetchSessionCache sessions) {
        this(broker, sessions, ReplicationThrottles.none(broker.nodeId()), ConsumerFetchQuota.none());
    }

    /**
     * @param throttles     the leader replication throttle (KIP-73) follower fetches keep to
     * @param consumerQuota the {@code consumer_byte_rate} quota consumers' fetches keep to (KIP-219)
     */
    public FetchHandler(BrokerContext broker, FetchSessionCache sessions, ReplicationThrottles throttles,
                        ConsumerFetchQuota consumerQuota) {
        this.broker = broker;
        this.sessions = sessions;
        this.throttles = throttles;
        this.consumerQuota = consumerQuota;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.FETCH;
    }

    /** One partition to read, with the client's fetch state. */
    private record Target(Key key, long fetchOffset, int maxBytes, int currentLeaderEpoch) {
    }

    /**
     * One pass over the targets; {@code hasError} also when a partition names a preferred read replica: either
     * answers at once, without waiting for {@code min.bytes}.
     */
    private record Pass(List<PartitionData> partitions, long bytes, boolean hasError) {
    }

    /**
     * Who fetches, for the consumer path: the request version (v11+ may read from a follower), the consumer's
     * {@code rack_id} (empty if none) and the listener it came in on (a preferred read replica must be reachable
     * there); its user and client id, whose {@code consumer_byte_rate} quota applies, and the most record bytes
     * that quota lets one fetch read ({@link Long#MAX_VALUE} for a follower or without a quota), and the time the
     * fetch holds a request-handler thread, which counts against its {@code request_percentage} quota.
     */
    private record Client(short version, String rackId, String listenerName, String user, String clientId,
                          long quotaBytes, RequestThreadTime threadTime) {
        boolean mayReadFromFollower() {
            return version >= FOLLOWER_READ_VERSION;
        }
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
        boolean consumer = replicaId(request) < 0;
        String user = context.principal().getName();
        Client client = new Client(version, request.rackId(), context.listenerName(), user, context.clientId(),
                consumer ? consumerQuota.maxBytes(user, context.clientId()) : Long.MAX_VALUE, context.threadTime());
        return fetch(request, version, targets, session, incremental, refused(context, request, targets), client,
                context.networkThread());
    }

    /**
     * A consumer's long poll that will find nothing to read is handled on the event loop that read it, saving the hop
     * to a request thread: every partition it names, and every partition of its session, is led here and fetched at
     * the offset it may read up to (high watermark, or last stable offset under read_committed), so its first pass
     * reads no file and it parks at once. Its expiry, too, runs on that event loop and is answered without a read
     * ({@link DelayedFetch}): an idle poll costs the loop's read and, shared with the polls expiring with it, one
     * timer wake-up of the same loop, which writes the answer. Offsets only. A follower, an authorizer, an unknown
     * session or partition, or anything to read goes to a request thread. Should a record arrive between this check
     * and the first pass, that pass reads it here: the slice of a file just written, from the page cache.
     */
    @Override
    public boolean handlesOnNetworkThread(RequestContext context, FetchRequestData request) {
        if (replicaId(request) >= 0 || request.maxWaitMs() <= 0 || broker.authorizer().enabled()) {
            return false;
        }
        boolean ids = context.apiVersion() >= TOPIC_ID_VERSION;
        boolean readCommitted = request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        MetadataImage image = broker.replicas().image();
        boolean any = false;
        for (FetchTopic topic : request.topics()) {
            for (FetchPartition p : topic.partitions()) {
                if (!atReadBound(image, key(ids, topic.topicId(), topic.topic(), p.partition()), p.fetchOffset(),
                        readCommitted)) {
                    return false;
                }
                any = true;
            }
        }
        if (context.apiVersion() >= SESSION_VERSION && request.sessionEpoch() > FetchMetadata.INITIAL_EPOCH) {
            FetchSession session = sessions.get(request.sessionId());
            if (session == null) {
                return false;
            }
            synchronized (session) {
                for (FetchSession.Entry e : session.entries()) {
                    if (!atReadBound(image, e.key(), e.fetchOffset(), readCommitted)) {
                        return false;
                    }
                    any = true;
                }
            }
        }
        return any;
    }

    /** Whether {@code fetchOffset} is exactly where a consumer's read of this partition, led here, would stop. */
    private boolean atReadBound(MetadataImage image, Key key, long fetchOffset, boolean readCommitted) {
        String name = topicName(image, key);
        Partition partition = name == null ? null : broker.replicas().partition(new TopicPartition(name, key.partition()));
        if (partition == null || !partition.isLeader()) {
            return false;
        }
        return fetchOffset == bound(partition, readCommitted, false).offset();
    }

    /**
     * The topics of {@code targets} the principal may not read (Kafka: READ on the topic for a consumer, CLUSTER_ACTION
     * on the cluster for a follower). Decided once per request; their partitions are answered
     * TOPIC_AUTHORIZATION_FAILED, are never read and do not end a long poll early.
     */
    private Set<String> refused(RequestContext context, FetchRequestData request, List<Target> targets) {
        if (!broker.authorizer().enabled()) {
            return Set.of();
        }
        boolean follower = replicaId(request) >= 0;
        boolean clusterAction = follower && broker.authorizer().authorizeCluster(context, AclOperation.CLUSTER_ACTION);
        MetadataImage image = broker.replicas().image();
        Set<String> refused = new HashSet<>();
        Set<String> allowed = new HashSet<>();
        for (Target t : targets) {
            String name = topicName(image, t.key());
            if (name == null || allowed.contains(name) || refused.contains(name)) {
                continue;
            }
            boolean may = follower ? clusterAction
                    : broker.authorizer().authorize(context, AclOperation.READ, ResourceType.TOPIC, name);
            (may ? allowed : refused).add(name);
        }
        return refused;
    }

    private CompletableFuture<FetchResponseData> fetch(FetchRequestData request, short version, List<Target> targets,
                                                       FetchSession session, boolean incremental,
                                                       Set<String> refused, Client client,
                                                       ScheduledExecutorService expireOn) {
        boolean mayWait = request.maxWaitMs() > 0 && !targets.isEmpty();
        // the bounds are taken before the first read: bytes appended in between count twice at
        // worst (the fetch answers a little early), never not at all
        List<Watch> watches = mayWait ? watches(request, targets, refused) : List.of();
        Pass first = read(request, targets, refused, client);
        if (!mayWait || first.bytes() >= request.minBytes() || first.hasError()) {
            return CompletableFuture.completedFuture(respond(request, version, targets, first, session, incremental, client));
        }
        CompletableFuture<FetchResponseData> result = new CompletableFuture<>();
        List<TopicPartition> keys = new ArrayList<>(watches.size());
        for (int i = 0; i < watches.size(); i++) {
            Watch w = watches.get(i);
            if (w != null) {
                w.bytesAtPark = first.partitions().get(i).records().sizeInBytes();
                keys.add(w.tp);
            }
        }
        broker.delayed().fetches().tryCompleteElseWatch(new DelayedFetch(request, version, targets, session,
                incremental, watches, first, result, refused, client), keys, expireOn);
        return result;
    }

    /**
     * What a parked fetch watches in one partition: the bound it reads up to (high watermark or
     * last stable offset, with its file position when known) when it was parked, and how many
     * bytes it found then.
     */
    private static final class Watch {
        final TopicPartition tp;
        final long fetchOffset;
        final int maxBytes;
        final int leaderEpoch;
        /** Whether this node led the partition at park (a consumer may be parked on a follower). */
        final boolean leaderAtPark;
        final LogOffsetMetadata boundAtPark;
        int bytesAtPark;

        Watch(TopicPartition tp, long fetchOffset, int maxBytes, int leaderEpoch, boolean leaderAtPark,
              LogOffsetMetadata boundAtPark) {
            this.tp = tp;
            this.leaderAtPark = leaderAtPark;
            this.fetchOffset = fetchOffset;
            this.maxBytes = maxBytes;
            this.leaderEpoch = leaderEpoch;
            this.boundAtPark = boundAtPark;
        }
    }

    /** One watch per target (null where the partition is unknown: the read reports that). */
    private List<Watch> watches(FetchRequestData request, List<Target> targets, Set<String> refused) {
        boolean readCommitted = request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        MetadataImage image = broker.replicas().image();
        List<Watch> watches = new ArrayList<>(targets.size());
        for (Target t : targets) {
            String name = topicName(image, t.key());
            TopicPartition tp = name == null || refused.contains(name) ? null
                    : new TopicPartition(name, t.key().partition());
            Partition partition = tp == null ? null : broker.replicas().partition(tp);
            watches.add(partition == null ? null : new Watch(tp, t.fetchOffset(), t.maxBytes(),
                    partition.leaderEpoch(), partition.isLeader(),
                    bound(partition, readCommitted, replicaId(request) >= 0)));
        }
        return watches;
    }

    /**
     * The offset a fetch reads up to, with its segment and position where the watermark carries
     * them (a last stable offset known only by offset, after a restart, has none): a follower reads to the
     * log end, a consumer to the high watermark or last stable offset. No file is read.
     */
    private static LogOffsetMetadata bound(Partition partition, boolean readCommitted, boolean follower) {
        if (follower) {
            return partition.log().logEndOffsetMetadata();
        }
        Partition.Watermarks watermarks = partition.watermarks();
        return readCommitted ? watermarks.lastStable() : watermarks.highWatermark();
    }

    /**
     * A fetch waiting for {@code min.bytes}. Whether enough has arrived is computed from offsets
     * and file positions, as Kafka's DelayedFetch: bytes found at park plus how far the bound has
     * moved in the same segment. A bound that moved to a new segment, or whose position is not
     * known, or a partition whose role here (leader or follower), epoch or log start changed, completes the
     * fetch: the answer's read then says what is there.
     *
     * <p>At its timeout a consumer's fetch whose partitions show exactly what its first pass found (no records, the
     * same watermarks, log start and role) is answered with that pass, on the thread that expires it (the event
     * loop that parked it, or the timer's): no second read and no hop to a request thread, the common case of an
     * idle long poll. Any other expiry reads again on a request thread.
     */
    private final class DelayedFetch extends DelayedOperation {
        private final FetchRequestData request;
        private final short version;
        private final List<Target> targets;
        private final FetchSession session;
        private final boolean incremental;
        private final List<Watch> watches;
        private final Pass first;
        private final boolean readCommitted;
        private final boolean follower;
        private final CompletableFuture<FetchResponseData> result;
        private final Set<String> refused;
        private final Client client;

        DelayedFetch(FetchRequestData request, short version, List<Target> targets, FetchSession session,
                     boolean incremental, List<Watch> watches, Pass first, CompletableFuture<FetchResponseData> result,
                     Set<String> refused, Client client) {
            super(request.maxWaitMs());
            this.refused = refused;
            this.client = client;
            this.request = request;
            this.version = version;
            this.targets = targets;
            this.session = session;
            this.incremental = incremental;
            this.watches = watches;
            this.first = first;
            this.readCommitted = request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
            this.follower = replicaId(request) >= 0;
            this.result = result;
        }

        @Override
        protected boolean canComplete() {
            long bytes = 0;
            for (Watch w : watches) {
                if (w == null) {
                    continue;
                }
                Partition partition = broker.replicas().partition(w.tp);
                if (partition == null || partition.isLeader() != w.leaderAtPark || partition.leaderEpoch() != w.leaderEpoch
                        || partition.log().logStartOffset() > w.fetchOffset) {
                    return true;
                }
                LogOffsetMetadata now = bound(partition, readCommitted, follower);
                LogOffsetMetadata then = w.boundAtPark;
                if (now.offset() < then.offset()) {
                    return true; // truncated
                }
                long available = w.bytesAtPark;
                if (now.offset() > then.offset() && now.offset() > w.fetchOffset) {
                    if (now.position() < 0 || then.position() < 0 || now.segmentBaseOffset() != then.segmentBaseOffset()
                            || w.fetchOffset > then.offset()) {
                        return true; // new data of a size not known without reading: answer with it
                    }
                    available += now.position() - then.position();
                }
                bytes += Math.min(available, w.maxBytes);
                if (bytes >= request.minBytes()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        protected void onComplete() {
            answer();
        }

        @Override
        protected boolean runsOnTimerThread() {
            return true; // onExpire decides whether the expiry needs a request thread
        }

        @Override
        protected void onExpire() {
            if (firstPassHolds()) {
                answer(first);
            } else {
                broker.delayed().timer().execute(this::answer);
            }
        }

        /**
         * Whether the first pass is still the answer: a consumer's fetch (no replica selector, whose choice may have
         * changed) that found no records, whose partitions still have the role, epoch, watermarks and log start it
         * saw. Offsets only, no file read.
         */
        private boolean firstPassHolds() {
            if (follower || broker.config().replicaSelector().isPresent()) {
                return false;
            }
            for (int i = 0; i < watches.size(); i++) {
                Watch w = watches.get(i);
                if (w == null) {
                    continue; // answered as refused, which does not change
                }
                PartitionData then = first.partitions().get(i);
                Partition partition = broker.replicas().partition(w.tp);
                if (then.records().sizeInBytes() > 0 || partition == null || partition.isLeader() != w.leaderAtPark
                        || partition.leaderEpoch() != w.leaderEpoch || (!w.leaderAtPark && !partition.isInSyncReplica())) {
                    return false;
                }
                Partition.Watermarks now = partition.watermarks();
                if (now.highWatermark().offset() != then.highWatermark()
                        || now.lastStable().offset() != then.lastStableOffset()
                        || partition.log().logStartOffset() != then.logStartOffset()) {
                    return false;
                }
            }
            return true;
        }

        private void answer() {
            try {
                answer(read(request, targets, refused, client));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        private void answer(Pass pass) {
            try {
                result.complete(respond(request, version, targets, pass, session, incremental, client));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }

    /** The fetching follower's broker id (the replica state from v15, the replica id before), -1 for a consumer. */
    private static int replicaId(FetchRequestData request) {
        return request.replicaState().replicaId() >= 0 ? request.replicaState().replicaId() : request.replicaId();
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

    private Pass read(FetchRequestData request, List<Target> targets, Set<String> refused, Client client) {
        MetadataImage image = broker.replicas().image();
        int replicaId = replicaId(request);
        boolean readCommitted = replicaId < 0 && request.isolationLevel() == IsolationLevel.READ_COMMITTED.id();
        List<PartitionData> partitions = new ArrayList<>(targets.size());
        long remaining = Math.min(request.maxBytes(), client.quotaBytes());
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
            if (name != null && refused.contains(name)) {
                partitions.add(data.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                continue; // answered as refused; not an error that ends a long poll
            } else if (name == null) {
                data.setErrorCode(Errors.UNKNOWN_TOPIC_ID.code());
            } else {
                int limit = (int) Math.max(0, Math.min(target.maxBytes(), remaining));
                readPartition(new TopicPartition(name, target.key().partition()), target, limit, bytes == 0,
                        readCommitted, replicaId, request.replicaState().replicaEpoch(), data, client);
            }
            int size = data.records().sizeInBytes();
            bytes += size;
            remaining -= size;
            hasError |= data.errorCode() != Errors.NONE.code() || data.preferredReadReplica() >= 0;
            partitions.add(data);
        }
        return new Pass(partitions, bytes, hasError);
    }

    /**
     * Reads one partition for a consumer ({@link #readForConsumer}) or, when {@code replicaId} is set, for a
     * follower: its fetch offset is its progress (which may move the high watermark and the ISR) and it reads up to
     * the log end.
     */
    private void readPartition(TopicPartition tp, Target target, int maxBytes, boolean minOneMessage,
                               boolean readCommitted, int replicaId, long replicaEpoch, PartitionData data,
                               Client client) {
        Partition partition = broker.replicas().partition(tp);
        if (partition == null) {
            data.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            return;
        }
        try {
            if (replicaId < 0) {
                readForConsumer(partition, target, maxBytes, minOneMessage, readCommitted, client, data);
                return;
            }
            if (!partition.isLeader()) {
                data.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                return;
            }
            partition.throwIfEpochMismatch(target.currentLeaderEpoch());
            if (replicaId >= 0 && !partition.onFollowerFetch(replicaId, target.fetchOffset(), replicaEpoch,
                    target.currentLeaderEpoch())) {
                data.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                return;
            }
            Partition.Watermarks watermarks = partition.watermarks(); // both from one snapshot
            long highWatermark = watermarks.highWatermark().offset();
            long stable = watermarks.lastStable().offset();
            data.setHighWatermark(highWatermark).setLastStableOffset(stable)
                    .setLogStartOffset(partition.log().logStartOffset());
            long upper = replicaId >= 0 ? Long.MAX_VALUE : readCommitted ? stable : highWatermark;
            Map<String, String> topicConfigs = replicaId >= 0 ? topicConfigs(tp) : Map.of();
            boolean throttled = replicaId >= 0 && throttles.leaderThrottled(topicConfigs, tp.partition());
            boolean inSync = partition.state().isr().contains(replicaId);
            if (throttled && throttles.leaderHoldsBack(topicConfigs, tp.partition(), inSync)) {
                return; // KIP-73: an out-of-sync throttled replica waits while the leader's quota is used up
            }
            int readMax = maxBytes;
            boolean readOne = minOneMessage;
            if (throttled && !inSync) {
                // at most what the leader's quota allows per window (at least one batch), as the follower's side
                // asks: one large answer must not overshoot the rate for many seconds
                readMax = (int) Math.max(1, Math.min(maxBytes, throttles.leader().bytesPerWindow()));
                readOne = true;
            }
            Records records = partition.log().read(target.fetchOffset(), readMax, upper, readOne);
            data.setRecords(records);
            if (throttled && records.sizeInBytes() > 0) {
                throttles.leader().record(records.sizeInBytes(), throttles.nowMs());
            }
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

    /**
     * Reads one partition for a consumer, on its leader or (v11+, KIP-392) on an in-sync follower, as Kafka's
     * {@code Partition.fetchRecords}: the leader epoch is checked first (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH);
     * a follower answers v10 and older NOT_LEADER_OR_FOLLOWER. Either reads up to its own high watermark (last
     * stable offset under read_committed): a fetch offset between that and the log end gets no records, one past
     * the log end or below its start OFFSET_OUT_OF_RANGE, on which the client returns to the leader. A follower
     * that left the ISR also answers NOT_LEADER_OR_FOLLOWER (Brook's choice; Kafka serves it while it lags), which
     * sends the client back to the leader. On the leader, a consumer that names its rack may be given a
     * preferred read replica instead of records ({@link #preferredReadReplica}).
     */
    private void readForConsumer(Partition partition, Target target, int maxBytes, boolean minOneMessage,
                                 boolean readCommitted, Client client, PartitionData data) throws IOException {
        partition.throwIfEpochMismatch(target.currentLeaderEpoch());
        boolean leader = partition.isLeader();
        if (!leader && (!client.mayReadFromFollower() || !partition.isInSyncReplica())) {
            data.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
            return;
        }
        Partition.Watermarks watermarks = partition.watermarks(); // both from one snapshot
        long highWatermark = watermarks.highWatermark().offset();
        long stable = watermarks.lastStable().offset();
        data.setHighWatermark(highWatermark).setLastStableOffset(stable)
                .setLogStartOffset(partition.log().logStartOffset());
        if (leader) {
            int preferred = preferredReadReplica(partition, target.fetchOffset(), client);
            if (preferred >= 0) {
                data.setPreferredReadReplica(preferred); // no records: the client fetches them from there
                return;
            }
        }
        long upper = readCommitted ? stable : highWatermark;
        Records records = partition.log().read(target.fetchOffset(), maxBytes, upper, minOneMessage);
        data.setRecords(records);
        if (readCommitted && records.sizeInBytes() > 0) {
            for (TransactionIndex.AbortedTxn txn : partition.log().abortedTransactions(target.fetchOffset(), upper)) {
                data.abortedTransactions().add(new FetchResponseData.AbortedTransaction()
                        .setProducerId(txn.producerId()).setFirstOffset(txn.firstOffset()));
            }
        }
    }

    /**
     * The follower a consumer should read {@code partition} from, as Kafka's {@code findPreferredReadReplica}, or -1
     * for this leader: only with a {@code replica.selector.class}, for v11+; the candidates are this leader and the
     * followers of the committed ISR that fetched in this epoch up to at least {@code fetchOffset} and that clients
     * on the consumer's listener may be sent to (registered, unfenced). Brook does not track followers' log start
     * offsets: a follower that no longer holds {@code fetchOffset} answers OFFSET_OUT_OF_RANGE and the client comes
     * back.
     */
    private int preferredReadReplica(Partition partition, long fetchOffset, Client client) {
        Optional<ReplicaSelector> selector = broker.config().replicaSelector();
        if (selector.isEmpty() || !client.mayReadFromFollower() || fetchOffset < partition.log().logStartOffset()) {
            return -1;
        }
        long nowMs = System.currentTimeMillis();
        ReplicaSelector.ReplicaView leader = new ReplicaSelector.ReplicaView(broker.nodeId(),
                broker.config().rack().orElse(null), partition.log().logEndOffset(), 0);
        List<ReplicaSelector.ReplicaView> replicas = new ArrayList<>();
        replicas.add(leader);
        for (Partition.FollowerState follower : partition.inSyncFollowers()) {
            if (follower.logEndOffset() < fetchOffset) {
                continue;
            }
            broker.broker(follower.brokerId(), client.listenerName()).ifPresent(b -> replicas.add(
                    new ReplicaSelector.ReplicaView(b.id(), b.rack(), follower.logEndOffset(),
                            Math.max(0, nowMs - follower.lastCaughtUpMs()))));
        }
        return selector.get().select(client.rackId(), leader, replicas)
                .filter(chosen -> chosen.brokerId() != leader.brokerId())
                .map(ReplicaSelector.ReplicaView::brokerId).orElse(-1);
    }

    /** The config overrides of {@code tp}'s topic (its throttled replica lists among them). */
    private Map<String, String> topicConfigs(TopicPartition tp) {
        TopicImage topic = broker.replicas().image().topic(tp.topic());
        return topic == null ? Map.of() : topic.configs();
    }

    /**
     * Builds the response; with a session, records what each partition was told and drops unchanged ones. A
     * consumer's records are first counted against its {@code consumer_byte_rate} quota and its request-handler time
     * against its {@code request_percentage}: over either, the fetch is answered without them ({@link #throttled}).
     */
    private FetchResponseData respond(FetchRequestData request, short version, List<Target> targets, Pass pass,
                                      FetchSession session, boolean incremental, Client client) {
        if (replicaId(request) < 0) {
            long throttleMs = consumerQuota.throttleMs(client.user(), client.clientId(), pass.bytes(),
                    client.threadTime());
            if (throttleMs > 0) {
                return throttled(session, incremental, throttleMs);
            }
        }
        boolean ids = version >= TOPIC_ID_VERSION;
        FetchResponseData response = new FetchResponseData().setSessionId(session == null ? 0 : session.id());
        Map<Key, FetchableTopicResponse> topics = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            Key key = targets.get(i).key();
            PartitionData data = pass.partitions().get(i);
            if (session != null) {
                boolean changed;
                synchronized (session) {
                    // a preferred read replica must reach the client, as records do
                    changed = session.mustRespond(key, data.records().sizeInBytes() > 0
                                    || data.preferredReadReplica() >= 0,
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

    /**
     * The answer to a consumer's fetch over its byte-rate or request quota, as Kafka's (KIP-219): no partitions and the
     * throttle time. The session is left as the request made it: it records nothing as told, so every partition
     * it holds, with its fetch offset, is read again by the next fetch. A session this full fetch created is
     * dropped and none is named, as Kafka creates none for a throttled fetch; the client opens one next time.
     */
    private FetchResponseData throttled(FetchSession session, boolean incremental, long throttleMs) {
        int sessionId = FetchMetadata.INVALID_SESSION_ID;
        if (session != null && incremental) {
            sessionId = session.id();
        } else if (session != null) {
            sessions.remove(session.id());
        }
        return new FetchResponseData().setSessionId(sessionId)
                .setThrottleTimeMs((int) Math.min(Integer.MAX_VALUE, throttleMs));
    }

    private static FetchResponseData topLevelError(Errors error) {
        return new FetchResponseData().setErrorCode(error.code()).setSessionId(FetchMetadata.INVALID_SESSION_ID);
    }
}
