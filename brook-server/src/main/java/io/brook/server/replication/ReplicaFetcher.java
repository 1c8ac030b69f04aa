package io.brook.server.replication;

import io.brook.server.partition.Partition;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.clients.FetchSessionHandler;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.utils.LogContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Copies the partitions one leader broker leads into this node's follower replicas (Kafka's replica fetcher
 * thread). Each partition first truncates its log by OffsetForLeaderEpoch against the leader (a divergent tail
 * written under an older leader disappears; nothing the leader has is cut), then fetches from its log end in a
 * long poll as a follower (replica id and broker epoch in the request), appends what comes as it is and takes
 * the leader's high watermark and log start.
 *
 * <p>Errors: a partition the leader no longer leads, or whose epoch differs, waits until the metadata moves it
 * ({@link #add} with a new epoch, or {@link #remove}); a fetch offset out of the leader's range truncates again
 * (above the leader's end) or restarts the log at the leader's log start (below it); a lost connection is retried
 * after {@link #BACKOFF_MS}.
 *
 * <p>Durable mode ({@code brook.durable.append=true}): the fetch offset a follower sends is what the leader counts
 * as replicated (it moves the high watermark and so acknowledges {@code acks=all}), so a round waits until what it
 * appended to such partitions is fsynced before the next fetch can report it: an acknowledged record is then on
 * the disk of every in-sync replica, not only in its page cache.
 *
 * <p>Thread-safety: one thread runs {@link #run}; {@link #add}, {@link #remove} and {@link #shutdown} may be
 * called from any thread (the metadata publisher's).
 */
public final class ReplicaFetcher implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(ReplicaFetcher.class);
    /** Kafka's replica.fetch.wait.max.ms. */
    static final int MAX_WAIT_MS = 500;
    /** Kafka's replica.fetch.max.bytes (per partition) and replica.fetch.response.max.bytes. */
    static final int PARTITION_MAX_BYTES = 1024 * 1024;
    static final int RESPONSE_MAX_BYTES = 10 * 1024 * 1024;
    /** Kafka's replica.fetch.backoff.ms: the pause after a failed round. */
    static final long BACKOFF_MS = 1_000;
    /** How long a round waits for its answer: the long poll plus Kafka's replica.socket.timeout.ms. */
    static final long REQUEST_TIMEOUT_MS = 30_000;
    /** The least time between two warnings of one fetcher. */
    private static final long WARN_EVERY_MS = 10_000;
    /** How long a fetcher whose partitions all wait for the follower throttle pauses before looking again. */
    static final long THROTTLED_BACKOFF_MS = 100;
    /** How long an idle fetcher (no partitions, or all of them waiting to retry) sleeps before looking again. */
    private static final long IDLE_MS = 200;
    /**
     * How long one partition sits out after its leader refused it (epoch not seen yet, out of range above its end):
     * short, since a leader change is usually seen within it; the other partitions keep fetching meanwhile.
     */
    static final long PARTITION_RETRY_MS = 100;
    /** How long a round waits for the fsync of what it appended to durable-mode partitions before it fails. */
    static final long DURABLE_WAIT_MS = 30_000;
    /** Errors by which the leader says it has no such session (any more): the next round opens a new one. */
    private static final Set<Errors> SESSION_ERRORS = Set.of(Errors.FETCH_SESSION_ID_NOT_FOUND,
            Errors.INVALID_FETCH_SESSION_EPOCH, Errors.FETCH_SESSION_TOPIC_ID_ERROR);

    private final int nodeId;
    private final int leaderId;
    private final BrokerLink link;
    private final LongSupplier brokerEpoch;
    /** {@link System#nanoTime()}, or a test's clock. */
    private final LongSupplier nanoClock;
    private final Throttle throttle;
    /**
     * The incremental fetch session with the leader (KIP-227, as Kafka's replica fetcher): after a full first
     * fetch, a request carries only the partitions whose fetch state changed (a new fetch offset, leader epoch or
     * size) and the ones to forget, and the leader answers only partitions with news; run's thread only.
     */
    private final FetchSessionHandler fetchSession;
    private final Map<TopicPartition, FetchState> partitions = new ConcurrentHashMap<>();
    private final Object wakeup = new Object();
    private volatile boolean running = true;
    private long lastWarnMs;

    /** A follower partition this thread serves: its leader epoch as the metadata says, and whether it truncated. */
    private static final class FetchState {
        final Partition partition;
        final int leaderEpoch;
        volatile boolean truncated;
        /** Whether the last fetch left this replica caught up with the leader's high watermark (not throttled). */
        volatile boolean caughtUp;
        /** The leader's high watermark from an OFFSET_OUT_OF_RANGE above its end; -1 otherwise. */
        volatile long outOfRangeHighWatermark = -1;
        /** Left out of rounds until this time of the fetcher's nano clock after a refusal; 0 when not waiting. */
        volatile long retryAtNanos;

        FetchState(Partition partition, int leaderEpoch) {
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
        }
    }

    public ReplicaFetcher(int nodeId, int leaderId, BrokerLink link, LongSupplier brokerEpoch) {
        this(nodeId, leaderId, link, brokerEpoch, Throttle.NONE);
    }

    public ReplicaFetcher(int nodeId, int leaderId, BrokerLink link, LongSupplier brokerEpoch, Throttle throttle) {
        this(nodeId, leaderId, link, brokerEpoch, throttle, System::nanoTime);
    }

    ReplicaFetcher(int nodeId, int leaderId, BrokerLink link, LongSupplier brokerEpoch, Throttle throttle,
                   LongSupplier nanoClock) {
        this.nodeId = nodeId;
        this.leaderId = leaderId;
        this.link = link;
        this.brokerEpoch = brokerEpoch;
        this.nanoClock = nanoClock;
        this.throttle = throttle;
        this.fetchSession = new FetchSessionHandler(new LogContext("[ReplicaFetcher " + nodeId + "<-" + leaderId + "] "),
                leaderId);
    }

    /**
     * The follower replication throttle (KIP-73): which partitions it covers (the topic's
     * {@code follower.replication.throttled.replicas} names this broker's replica) and the quota they share.
     * A covered partition that is behind its leader is left out of a fetch while the quota is exceeded; the
     * bytes every covered partition appends are recorded.
     */
    public interface Throttle {
        Throttle NONE = new Throttle() {
            @Override
            public boolean covers(TopicPartition tp) {
                return false;
            }

            @Override
            public ReplicationQuota quota() {
                return null;
            }

            @Override
            public long nowMs() {
                return 0;
            }
        };

        boolean covers(TopicPartition tp);

        ReplicationQuota quota();

        long nowMs();
    }

    public int leaderId() {
        return leaderId;
    }

    /** Starts (or restarts, for a new leader epoch) following {@code partition} from this leader. */
    public void add(Partition partition, int leaderEpoch) {
        FetchState previous = partitions.get(partition.topicPartition());
        if (previous != null && previous.leaderEpoch == leaderEpoch) {
            return;
        }
        partitions.put(partition.topicPartition(), new FetchState(partition, leaderEpoch));
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
    }

    public void remove(TopicPartition tp) {
        partitions.remove(tp);
    }

    public boolean isEmpty() {
        return partitions.isEmpty();
    }

    public void shutdown() {
        running = false;
        synchronized (wakeup) {
            wakeup.notifyAll();
        }
        link.close();
    }

    @Override
    public void run() {
        while (running) {
            try {
                if (!round()) {
                    synchronized (wakeup) {
                        wakeup.wait(IDLE_MS);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                if (!running) {
                    return;
                }
                warn("Fetching from broker {} failed: {}; retrying in {} ms", leaderId, e.toString(), BACKOFF_MS);
                sleep(BACKOFF_MS);
            }
        }
    }

    /** One truncation and one fetch over the partitions that need them; false when there was nothing to do. */
    boolean round() throws IOException {
        List<FetchState> toTruncate = new ArrayList<>();
        List<FetchState> toFetch = new ArrayList<>();
        long now = nanoClock.getAsLong();
        for (FetchState s : partitions.values()) {
            if (s.retryAtNanos != 0 && now - s.retryAtNanos < 0) {
                continue;
            }
            (s.truncated ? toFetch : toTruncate).add(s);
        }
        if (!toTruncate.isEmpty()) {
            truncate(toTruncate);
        }
        int fetchable = toFetch.size();
        toFetch.removeIf(this::heldBack);
        if (!toFetch.isEmpty()) {
            fetch(toFetch);
        } else if (fetchable > 0 && toTruncate.isEmpty()) {
            sleep(THROTTLED_BACKOFF_MS); // every partition waits for the throttle: no busy loop
        }
        return !toTruncate.isEmpty() || fetchable > 0;
    }

    /**
     * How much one fetch asks for a partition: {@link #PARTITION_MAX_BYTES}, or for a throttled replica that is
     * behind at most what the quota allows per window (at least one batch still comes, as Kafka answers the first
     * partition of a fetch), so one large answer does not overshoot the rate for many seconds. Kafka asks for
     * the full size; this keeps the measured rate close to the limit with long windows too.
     */
    private int maxBytes(FetchState s) {
        if (s.caughtUp || !throttle.covers(s.partition.topicPartition())) {
            return PARTITION_MAX_BYTES;
        }
        long perWindow = throttle.quota().bytesPerWindow();
        return (int) Math.max(1, Math.min(PARTITION_MAX_BYTES, perWindow));
    }

    /** Whether the follower throttle holds {@code s} back this round (Kafka's shouldFollowerThrottle). */
    private boolean heldBack(FetchState s) {
        if (s.caughtUp || !throttle.covers(s.partition.topicPartition())) {
            return false;
        }
        return throttle.quota().isExceeded(throttle.nowMs());
    }

    private void truncate(List<FetchState> states) throws IOException {
        OffsetForLeaderTopicCollection topics = new OffsetForLeaderTopicCollection();
        Map<TopicPartition, FetchState> byTp = new HashMap<>();
        for (FetchState s : states) {
            TopicPartition tp = s.partition.topicPartition();
            byTp.put(tp, s);
            OffsetForLeaderTopic topic = topics.find(tp.topic());
            if (topic == null) {
                topic = new OffsetForLeaderTopic().setTopic(tp.topic());
                topics.add(topic);
            }
            topic.partitions().add(new OffsetForLeaderPartition().setPartition(tp.partition())
                    .setCurrentLeaderEpoch(s.leaderEpoch).setLeaderEpoch(s.partition.log().latestEpoch()));
        }
        OffsetsForLeaderEpochResponse response = link.send(
                OffsetsForLeaderEpochRequest.Builder.forFollower(topics, nodeId), REQUEST_TIMEOUT_MS);
        for (OffsetForLeaderTopicResult topic : response.data().topics()) {
            for (EpochEndOffset answer : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.topic(), answer.partition());
                FetchState s = byTp.get(tp);
                if (s == null || partitions.get(tp) != s) {
                    continue; // moved meanwhile
                }
                Errors error = Errors.forCode(answer.errorCode());
                if (error != Errors.NONE) {
                    onPartitionError(s, error);
                    continue;
                }
                truncate(s, answer);
            }
        }
    }

    private void truncate(FetchState s, EpochEndOffset answer) throws IOException {
        Partition p = s.partition;
        int asked = p.log().latestEpoch();
        long logEnd = p.log().logEndOffset();
        Truncation.Decision decision = Truncation.decide(asked, answer.leaderEpoch(), answer.endOffset(), logEnd,
                p.highWatermark(), epoch -> p.log().epochCache().endOffsetFor(epoch, logEnd));
        long target = decision.offset();
        if (decision.complete() && target == logEnd && s.outOfRangeHighWatermark >= 0) {
            // the leader refused our log end as out of range, yet no epoch says where we diverge (an unclean
            // leader, say): keep only what the leader had committed
            target = Math.min(logEnd, s.outOfRangeHighWatermark);
        }
        s.outOfRangeHighWatermark = -1;
        try {
            if (target < logEnd) {
                log.info("Truncating {} from {} to {} (leader {} epoch {}: end offset {} for epoch {}, ours {}{})",
                        p.topicPartition(), logEnd, target, leaderId, s.leaderEpoch, answer.endOffset(),
                        answer.leaderEpoch(), asked, decision.complete() ? "" : "; asking again");
                p.truncateTo(target, leaderId, s.leaderEpoch);
            }
            s.truncated = decision.complete();
        } catch (NotLeaderOrFollowerException moved) {
            remove(p.topicPartition(), s); // the metadata moved it; the manager re-adds it where it belongs
        }
    }

    private void fetch(List<FetchState> states) throws IOException {
        FetchSessionHandler.Builder session = fetchSession.newBuilder(states.size(), false);
        Map<TopicPartition, FetchState> byTp = new HashMap<>();
        Map<TopicPartition, Long> fetchOffsets = new HashMap<>();
        for (FetchState s : states) {
            Partition p = s.partition;
            long fetchOffset = p.log().logEndOffset();
            session.add(p.topicPartition(), new FetchRequest.PartitionData(p.topicId(), fetchOffset,
                    p.log().logStartOffset(), maxBytes(s), Optional.of(s.leaderEpoch), Optional.empty()));
            byTp.put(p.topicPartition(), s);
            fetchOffsets.put(p.topicPartition(), fetchOffset);
        }
        FetchSessionHandler.FetchRequestData data = session.build();
        FetchRequest.Builder request = FetchRequest.Builder.forReplica(ApiKeys.FETCH.latestVersion(), nodeId,
                        brokerEpoch.getAsLong(), MAX_WAIT_MS, 1, data.toSend())
                .removed(data.toForget()).replaced(data.toReplace()).metadata(data.metadata())
                .setMaxBytes(RESPONSE_MAX_BYTES);
        FetchResponse response;
        try {
            response = link.send(request, REQUEST_TIMEOUT_MS);
        } catch (IOException | RuntimeException e) {
            fetchSession.handleError(e); // the next request opens a new session with every partition
            throw e;
        }
        // the version the link negotiated is not exposed; Brook and Kafka brokers both take the newest
        short version = ApiKeys.FETCH.latestVersion();
        if (!fetchSession.handleResponse(response, version)) {
            if (SESSION_ERRORS.contains(response.error())) {
                return; // the leader lost or moved past the session: the next round fetches in full, at once
            }
            if (response.error() != Errors.NONE) {
                throw new IOException("broker " + leaderId + " refused the fetch: " + response.error());
            }
            return; // an answer that does not fit the session is dropped; the next round starts a new one
        }
        List<CompletableFuture<Void>> fsyncs = new ArrayList<>();
        for (Map.Entry<TopicPartition, FetchResponseData.PartitionData> e
                : response.responseData(fetchSession.sessionTopicNames(), version).entrySet()) {
            FetchState s = byTp.get(e.getKey());
            if (s == null || partitions.get(e.getKey()) != s) {
                continue;
            }
            long fetchOffset = fetchOffsets.get(e.getKey());
            apply(s, fetchOffset, e.getValue());
            PartitionLog replica = s.partition.log();
            long end = replica.logEndOffset();
            if (end > fetchOffset && replica.config().durableAppend()) {
                fsyncs.add(replica.whenDurable(end - 1));
            }
        }
        awaitDurable(fsyncs);
    }

    /** Waits for the fsyncs of a round's durable-mode appends (see the class comment). */
    private void awaitDurable(List<CompletableFuture<Void>> fsyncs) throws IOException {
        if (fsyncs.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(fsyncs.toArray(CompletableFuture[]::new))
                    .get(DURABLE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the fsync of fetched records");
        } catch (ExecutionException e) {
            throw new IOException("the fsync of records fetched from broker " + leaderId + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the fsync of records fetched from broker " + leaderId + " took longer than "
                    + DURABLE_WAIT_MS + " ms");
        }
    }

    /**
     * Applies one partition's answer. A failure is this partition's alone: it is logged, the partition truncates
     * again before its next fetch, and the other partitions of the response go on.
     */
    private void apply(FetchState s, long fetchOffset, FetchResponseData.PartitionData answer) {
        Partition p = s.partition;
        Errors error = Errors.forCode(answer.errorCode());
        try {
            if (error == Errors.OFFSET_OUT_OF_RANGE) {
                if (answer.logStartOffset() > fetchOffset) {
                    log.info("{}: fetch offset {} is below leader {}'s log start {}; restarting the log there",
                            p.topicPartition(), fetchOffset, leaderId, answer.logStartOffset());
                    p.truncateFullyAndStartAt(answer.logStartOffset(), leaderId, s.leaderEpoch);
                } else {
                    s.outOfRangeHighWatermark = Math.max(0, answer.highWatermark());
                    s.truncated = false; // above the leader's end: find the common point again
                    retryLater(s); // never a tight loop of truncations against a leader that keeps refusing
                }
                return;
            }
            if (error != Errors.NONE) {
                onPartitionError(s, error);
                return;
            }
            if (p.log().logEndOffset() != fetchOffset) {
                return; // truncated meanwhile; the next round fetches from the new end
            }
            MemoryRecords records = toMemoryRecords(answer);
            startAtFirstBatchIfEmpty(s, records, fetchOffset);
            p.appendAsFollower(records, answer.highWatermark(), answer.logStartOffset(), leaderId, s.leaderEpoch);
            s.caughtUp = p.log().logEndOffset() >= answer.highWatermark();
            if (records.sizeInBytes() > 0 && throttle.covers(p.topicPartition())) {
                throttle.quota().record(records.sizeInBytes(), throttle.nowMs());
            }
        } catch (NotLeaderOrFollowerException moved) {
            remove(p.topicPartition(), s);
        } catch (IOException | RuntimeException e) {
            warn("{}: applying leader {}'s answer failed ({}); truncating again before the next fetch",
                    p.topicPartition(), leaderId, e.toString());
            s.truncated = false;
        }
    }

    /**
     * An empty log restarted at the leader's log start may sit inside the leader's first batch (DeleteRecords to a
     * mid-batch offset): the batch then starts below this log's end, so the log restarts at the batch's base
     * offset, Kafka's way, instead of refusing every answer.
     */
    private void startAtFirstBatchIfEmpty(FetchState s, MemoryRecords records, long fetchOffset) throws IOException {
        Partition p = s.partition;
        if (records.sizeInBytes() == 0 || p.log().logStartOffset() != fetchOffset) {
            return;
        }
        long base = records.batches().iterator().next().baseOffset();
        if (base < fetchOffset) {
            p.truncateFullyAndStartAt(base, leaderId, s.leaderEpoch);
        }
    }

    /** Drops {@code tp} if it is still served with {@code state} (a newer add() wins). */
    private void remove(TopicPartition tp, FetchState state) {
        partitions.remove(tp, state);
    }

    private static MemoryRecords toMemoryRecords(FetchResponseData.PartitionData answer) {
        if (answer.records() instanceof MemoryRecords memory) {
            return memory;
        }
        if (answer.records() == null || answer.records().sizeInBytes() == 0) {
            return MemoryRecords.EMPTY;
        }
        throw new IllegalStateException("a fetch response parsed from the network holds "
                + answer.records().getClass().getSimpleName() + ", not MemoryRecords");
    }

    /** Leadership or epoch disagree: wait until the metadata says what this partition follows now. */
    private void onPartitionError(FetchState s, Errors error) {
        switch (error) {
            case FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION,
                 UNKNOWN_TOPIC_ID -> {
                // the leader has not seen (or has passed) our epoch; retried after a pause, reset by add()
                warn("{}: leader {} answered {} for epoch {}; retrying", s.partition.topicPartition(), leaderId,
                        error, s.leaderEpoch);
                s.truncated = false;
                retryLater(s);
            }
            default -> {
                warn("{}: leader {} answered {}; retrying", s.partition.topicPartition(), leaderId, error);
                retryLater(s);
            }
        }
    }

    /** Leaves {@code s} out of rounds for {@link #PARTITION_RETRY_MS}, without holding up the other partitions. */
    private void retryLater(FetchState s) {
        long at = nanoClock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(PARTITION_RETRY_MS);
        s.retryAtNanos = at == 0 ? 1 : at;
    }

    private void sleep(long ms) {
        synchronized (wakeup) {
            try {
                wakeup.wait(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** At most one warning per {@link #WARN_EVERY_MS} per fetcher: a leader that is down must not flood the log. */
    private void warn(String format, Object... args) {
        long now = System.currentTimeMillis();
        if (now - lastWarnMs >= WARN_EVERY_MS) {
            lastWarnMs = now;
            log.warn(format, args);
        }
    }
}
