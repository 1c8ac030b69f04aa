package io.brook.server.partition;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicDelta;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.runtime.MetadataPublisher;
import io.brook.server.replication.ReplicaFetcherManager;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogDir;
import io.brook.storage.log.LogManager;
import io.brook.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The partitions this node hosts, kept in line with the metadata image: each committed
 * {@link MetadataDelta} creates the logs of new partitions, applies config changes and deletes the
 * logs of deleted topics and of partitions a reassignment moved off this node (at start-up too: stray logs).
 * It visits only what the delta changed, so a producer-id block or a new
 * topic costs nothing for the topics already there. {@link #onImage} reconciles with a whole
 * image once, at start-up.
 *
 * <p>Replication: every hosted partition learns its role from the metadata. This node leads it (followers'
 * fetches move its high watermark and ISR), follows it ({@link ReplicaFetcherManager} copies it from the leader,
 * once {@link #startReplication} ran, after this broker registered), or it has no leader (nothing fetches).
 * ISR changes go to the controller through the {@link IsrSender}; {@link #maybeShrinkIsrs} runs periodically.
 *
 * <p>Committed changes reach it through {@link #publisher()}, which applies them in log order on this manager's
 * own thread ({@code brook-replica-publisher}), as Kafka's brokers apply metadata after its controller committed
 * it: the controller answers (CreateTopics once the topic is in the durable metadata log) without waiting for the
 * files of thousands of new partitions, and {@link #image()}, which the broker serves metadata from, moves on only
 * once the partitions of a change are hosted, so a topic is never shown before its partitions can be written.
 * A crash before the files exist loses nothing: the next start creates every partition the metadata places here.
 *
 * <p>Thread-safety: {@link #onImage} and {@link #onMetadataUpdate} run on the metadata publisher
 * thread (or at start-up before it); lookups may come from any thread and see either the old or the new set of
 * partitions.
 */
public final class ReplicaManager {
    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final int nodeId;
    private final LogManager logManager;
    /** Topic-level defaults from the broker's config; replaced when a dynamic broker config changes them. */
    private volatile Map<String, String> topicDefaults;
    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile Consumer<TopicPartition> highWatermarkListener = tp -> { };
    private final long replicaLagTimeMaxMs;
    private final Map<TopicPartition, Long> checkpointedHighWatermarks;
    private final Partition.ReplicationContext replication = new Context();
    /** Set once this broker registered (a single node never sets them): then followers fetch and ISRs change. */
    private volatile ReplicaFetcherManager fetchers;
    private volatile IsrSender isrSender;
    private volatile LeadershipListener leadershipListener = (partition, state) -> { };
    /** Moves partitions between log directories (AlterReplicaLogDirs). */
    private final LogDirMover mover;
    /** Applies committed changes in log order, off the controller's thread (started by the first one queued). */
    private final ExecutorService publisherThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "brook-replica-publisher");
        t.setDaemon(true);
        return t;
    });
    /** Set at shutdown: changes still queued are dropped (the next start applies the whole image). */
    private volatile boolean closing;
    /** The offset of the latest change queued to the publisher thread (controller thread writes it). */
    private volatile long queuedOffset = -1;
    /** Callers of {@link #caughtUp} waiting for a change to be applied. */
    private final Queue<CatchUp> catchUps = new ConcurrentLinkedQueue<>();
    /** Runs what waited for a change (a Metadata answer), never on the publisher thread; and their deadlines. */
    private final ScheduledExecutorService catchUpThread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "brook-metadata-catch-up");
        t.setDaemon(true);
        return t;
    });

    private record CatchUp(long offset, CompletableFuture<Void> done) {
    }

    /**
     * Hears the role the metadata gives each hosted partition (every update of it, whether or not its leader
     * changed), on the metadata publisher thread under this manager's monitor: it must not block (the coordinators
     * load on their own thread).
     */
    public interface LeadershipListener {
        void onRole(Partition partition, PartitionImage state);
    }

    /** Sends a leader's ISR change to the controller (AlterPartition); answers through the partition. */
    public interface IsrSender {
        void send(Partition partition, PartitionImage state, List<Integer> newIsr);
    }

    public ReplicaManager(int nodeId, LogManager logManager, Map<String, String> topicDefaults) {
        this(nodeId, logManager, topicDefaults, DEFAULT_REPLICA_LAG_TIME_MAX_MS, Map.of());
    }

    /**
     * @param checkpointedHighWatermarks the high watermarks last written to the log directories' checkpoints
     */
    public ReplicaManager(int nodeId, LogManager logManager, Map<String, String> topicDefaults,
                          long replicaLagTimeMaxMs, Map<TopicPartition, Long> checkpointedHighWatermarks) {
        this.nodeId = nodeId;
        this.logManager = logManager;
        this.topicDefaults = topicDefaults;
        this.replicaLagTimeMaxMs = replicaLagTimeMaxMs;
        this.checkpointedHighWatermarks = Map.copyOf(checkpointedHighWatermarks);
        this.mover = new LogDirMover(logManager, partitions::get);
    }

    /**
     * The publisher to register with the metadata controller: it queues each committed change and returns at once;
     * the changes are applied one at a time in the order they came, on this manager's publisher thread.
     */
    public MetadataPublisher publisher() {
        return (delta, next) -> {
            queuedOffset = next.offset();
            try {
                publisherThread.execute(() -> applyQueued(delta, next));
            } catch (RejectedExecutionException e) {
                // closing: the next start applies the whole image
            }
        };
    }

    private void applyQueued(MetadataDelta delta, MetadataImage next) {
        if (closing) {
            return;
        }
        try {
            onMetadataUpdate(delta, next);
            completeCatchUps();
        } catch (RuntimeException e) {
            // the next change that does not follow the image applied last catches up with its whole image
            log.error("Could not apply the metadata change up to offset {} to the hosted partitions", next.offset(),
                    e);
        }
    }

    /**
     * Completes (on its own thread) once {@link #image()} has every change committed before this call, or after
     * {@code maxWaitMs}: so the broker answers Metadata for a topic its client has just been told is created,
     * once the topic's partitions are hosted.
     */
    public CompletableFuture<Void> caughtUp(long maxWaitMs) {
        long target = queuedOffset;
        if (image.offset() >= target) {
            return CompletableFuture.completedFuture(null);
        }
        CatchUp waiter = new CatchUp(target, new CompletableFuture<>());
        catchUps.add(waiter);
        try {
            catchUpThread.schedule(() -> waiter.done().complete(null), maxWaitMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            waiter.done().complete(null);
        }
        if (image.offset() >= target) { // applied while it was being added
            completeCatchUps();
        }
        return waiter.done();
    }

    private void completeCatchUps() {
        long applied = image.offset();
        catchUps.removeIf(waiter -> {
            if (waiter.done().isDone()) {
                return true;
            }
            if (waiter.offset() > applied) {
                return false;
            }
            try {
                catchUpThread.execute(() -> waiter.done().complete(null));
            } catch (RejectedExecutionException closed) {
                waiter.done().complete(null);
            }
            return true;
        });
    }

    /**
     * Stops applying changes (at shutdown, once the controller publishes no more, before the logs close): drops
     * those still queued and waits up to {@code timeoutMs} for the one being applied.
     */
    public void closePublisher(long timeoutMs) throws InterruptedException {
        closing = true;
        publisherThread.shutdown();
        publisherThread.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS);
        catchUpThread.shutdown();
    }

    /** Kafka's replica.lag.time.max.ms default. */
    public static final long DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000;

    /** What every hosted partition asks of this node (see {@link Partition.ReplicationContext}). */
    private final class Context implements Partition.ReplicationContext {
        @Override
        public long replicaLagTimeMaxMs() {
            return replicaLagTimeMaxMs;
        }

        @Override
        public boolean mayJoinIsr(int brokerId) {
            return image.cluster().usable(brokerId);
        }

        @Override
        public void proposeIsr(Partition partition, PartitionImage state, List<Integer> newIsr) {
            IsrSender sender = isrSender;
            if (sender == null) {
                partition.isrChangeFailed(state.leaderEpoch(), newIsr);
            } else {
                sender.send(partition, state, newIsr);
            }
        }
    }

    /**
     * Starts replication once this broker is registered: followers fetch from their leaders and leaders may
     * change their ISR. Applies the current roles of every hosted partition.
     */
    public synchronized void startReplication(ReplicaFetcherManager fetcherManager, IsrSender sender) {
        this.isrSender = sender;
        this.fetchers = fetcherManager;
        partitions.values().forEach(this::applyRole);
    }

    /**
     * Sets the {@link LeadershipListener} and tells it the current role of every hosted partition at once, so it
     * misses none: later changes follow in metadata order.
     */
    public synchronized void onLeadershipChange(LeadershipListener listener) {
        this.leadershipListener = listener;
        partitions.values().forEach(p -> listener.onRole(p, p.state()));
    }

    /**
     * Tells the leadership listener the partition's role, then follows the partition's leader, or stops following
     * it (this node leads it, or nobody does).
     */
    private void applyRole(Partition partition) {
        try {
            leadershipListener.onRole(partition, partition.state());
        } catch (RuntimeException e) {
            log.error("The leadership listener failed for {}", partition.topicPartition(), e);
        }
        ReplicaFetcherManager f = fetchers;
        if (f == null) {
            return;
        }
        PartitionImage state = partition.state();
        if (state.leader() >= 0 && state.leader() != nodeId && !inOfflineDir(partition.topicPartition())) {
            f.follow(partition, state.leader(), state.leaderEpoch());
        } else {
            f.unfollow(partition.topicPartition());
        }
    }

    private boolean inOfflineDir(TopicPartition tp) {
        LogDir dir = logManager.dirOf(tp);
        return dir != null && dir.isOffline();
    }

    /**
     * The log directory {@code dir} went offline: its partitions stop fetching (they can write nothing more; the
     * controller moves their leaderships and ISR places away, KIP-858). Called off the thread whose I/O failed.
     */
    public void dirOffline(LogDir dir) {
        ReplicaFetcherManager f = fetchers;
        if (f == null) {
            return;
        }
        for (PartitionLog log : dir.all()) {
            f.unfollow(log.topicPartition());
        }
    }

    /** As leader of each partition, proposes dropping in-sync followers that fell behind (run periodically). */
    public void maybeShrinkIsrs() {
        for (Partition p : partitions.values()) {
            try {
                p.maybeShrinkIsr();
            } catch (RuntimeException e) {
                log.warn("ISR check of {} failed", p.topicPartition(), e);
            }
        }
    }

    /** Every hosted partition's high watermark, for the replication-offset-checkpoint files. */
    public Map<TopicPartition, Long> highWatermarks() {
        Map<TopicPartition, Long> hws = new HashMap<>();
        partitions.forEach((tp, p) -> hws.put(tp, p.highWatermark()));
        return hws;
    }

    /**
     * Moves the replica of {@code tp} on this node to the log directory {@code path} (AlterReplicaLogDirs), in
     * the background while it keeps serving.
     *
     * @throws org.apache.kafka.common.errors.LogDirNotFoundException when {@code path} is not in {@code log.dirs}
     * @throws org.apache.kafka.common.errors.KafkaStorageException when a directory involved is offline
     * @throws org.apache.kafka.common.errors.ReplicaNotAvailableException when this node hosts no replica of it
     */
    public void moveReplica(TopicPartition tp, String path) throws IOException {
        if (!partitions.containsKey(tp)) {
            throw new org.apache.kafka.common.errors.ReplicaNotAvailableException("Partition " + tp
                    + " has no replica on this broker");
        }
        mover.move(tp, path);
    }

    /** Resumes the moves between log directories a stop interrupted (after the start's image is applied). */
    public void resumeMoves() {
        mover.resume();
    }

    /** Makes the moves between log directories keep to {@code quota} (see {@link LogDirMover#throttle}). */
    public void throttleMoves(io.brook.server.replication.ReplicationQuota quota,
                              java.util.function.LongSupplier clockMs) {
        mover.throttle(quota, clockMs);
    }

    /** The running moves of replicas to other log directories. */
    public java.util.Collection<io.brook.storage.log.FutureLog> futureLogs() {
        return logManager.futures();
    }

    /** Stops the follower fetchers and the moves between log directories (at shutdown, before the logs close). */
    public void stopReplication() {
        mover.close();
        ReplicaFetcherManager f = fetchers;
        if (f != null) {
            f.close();
        }
    }

    /** The log config of a topic: broker defaults overlaid with the topic's overrides. */
    public LogConfig logConfig(TopicImage topic) {
        return LogConfig.fromMap(effectiveConfigs(topic.configs()));
    }

    public Map<String, String> effectiveConfigs(Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(topicDefaults);
        merged.putAll(overrides);
        return merged;
    }

    /**
     * Replaces the broker-level defaults of topic configs (a dynamic broker config changed them) and gives every
     * hosted partition its new effective log config; topics' own overrides still win.
     */
    public synchronized void updateTopicDefaults(Map<String, String> defaults) {
        if (defaults.equals(topicDefaults)) {
            return;
        }
        topicDefaults = Map.copyOf(defaults);
        Map<String, LogConfig> byTopic = new HashMap<>();
        partitions.forEach((tp, partition) -> {
            TopicImage topic = image.topic(tp.topic());
            if (topic != null) {
                partition.log().updateConfig(byTopic.computeIfAbsent(tp.topic(), name -> logConfig(topic)));
            }
        });
    }

    /**
     * Brings hosted partitions in line with the committed change {@code delta}, which made {@code next}. A change
     * that does not start from the image applied last (this manager was registered as a publisher before it read
     * the image it starts from, so a change may come before or after that image) is caught up with the whole of
     * {@code next} instead; one already covered is ignored.
     */
    public synchronized void onMetadataUpdate(MetadataDelta delta, MetadataImage next) {
        if (next.offset() <= image.offset()) {
            return;
        }
        if (delta.base().offset() != image.offset()) {
            onImage(next);
            return;
        }
        try {
            for (TopicImage gone : delta.deletedTopics()) {
                deleteLogs(gone);
            }
            for (TopicDelta changed : delta.changedTopics()) {
                TopicImage topic = next.topic(changed.id());
                LogConfig config = logConfig(topic); // parsed once per changed topic, not per partition
                int created = 0;
                for (PartitionImage p : changed.changedPartitions().values()) {
                    if (p.replicas().contains(nodeId)) {
                        created += host(topic, p, config) ? 1 : 0;
                    } else if (!changed.created()) {
                        removeReplica(new TopicPartition(topic.name(), p.partition()), p);
                    }
                }
                if (!changed.created() && changed.configsChanged()) {
                    for (PartitionImage p : topic.partitions().values()) {
                        Partition existing = partitions.get(new TopicPartition(topic.name(), p.partition()));
                        if (existing != null) {
                            existing.log().updateConfig(config);
                        }
                    }
                }
                if (created > 0 && changed.created()) {
                    log.info("Created topic {} (id {}): {} partitions, configs {}", topic.name(), topic.id(), created,
                            topic.configs());
                } else if (created > 0) {
                    log.info("Added {} partitions to topic {}: now {}", created, topic.name(),
                            topic.partitions().size());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image = next;
    }

    /** Creates the log of a partition new to this node (true), or updates the one it has (false). */
    private boolean host(TopicImage topic, PartitionImage p, LogConfig config) throws IOException {
        TopicPartition tp = new TopicPartition(topic.name(), p.partition());
        Partition existing = partitions.get(tp);
        if (existing != null) {
            existing.update(p);
            applyRole(existing);
            return false;
        }
        PartitionLog partitionLog;
        try {
            partitionLog = logManager.getOrCreate(tp, topic.id(), config);
        } catch (KafkaStorageException offline) {
            return false; // its files did not load at start-up (logged then): not hosted
        }
        Partition partition = newPartition(tp, topic, partitionLog, p);
        partitions.put(tp, partition);
        applyRole(partition);
        return true;
    }

    private Partition newPartition(TopicPartition tp, TopicImage topic, PartitionLog partitionLog, PartitionImage p) {
        Partition partition = new Partition(tp, topic.id(), partitionLog, p, nodeId, replication,
                checkpointedHighWatermarks.getOrDefault(tp, -1L));
        partition.onHighWatermarkAdvanced(highWatermarkListener);
        return partition;
    }

    /**
     * This node is no longer a replica of {@code tp} (a reassignment moved it away): as Kafka's StopReplica with
     * delete, the partition takes its last state (so the leadership listener unloads a coordinator and parked
     * requests answer as from a non-leader), its fetcher stops, and its log is deleted. A log on disk that this node
     * never hosted in this run (a stray one, left by a reassignment that completed while it was down) goes too.
     */
    private void removeReplica(TopicPartition tp, PartitionImage state) throws IOException {
        Partition hosted = partitions.get(tp);
        if (hosted == null && logManager.get(tp) == null) {
            return;
        }
        ReplicaFetcherManager f = fetchers;
        if (f != null) {
            f.unfollow(tp);
        }
        if (hosted != null) {
            hosted.update(state);
            try {
                leadershipListener.onRole(hosted, state);
            } catch (RuntimeException e) {
                log.error("The leadership listener failed for {}", tp, e);
            }
            partitions.remove(tp);
        }
        logManager.delete(tp);
        log.info("Removed replica {}: its replicas are now {}; log deleted", tp, state.replicas());
    }

    /**
     * Deletes the logs on disk of partitions that {@code image} knows and does not place on this node (strays: a
     * reassignment moved them away while this node was down). Logs of topics the image does not know are left as
     * they are: an image that is not yet caught up must not delete anything it has not seen.
     */
    private void deleteStrayLogs(MetadataImage image) throws IOException {
        for (PartitionLog stray : logManager.all()) {
            TopicPartition tp = stray.topicPartition();
            TopicImage topic = image.topic(tp.topic());
            PartitionImage p = topic == null ? null : topic.partitions().get(tp.partition());
            if (p != null && !p.replicas().contains(nodeId) && topic.id().equals(stray.topicId())) {
                removeReplica(tp, p);
            }
        }
    }

    private void deleteLogs(TopicImage topic) throws IOException {
        ReplicaFetcherManager f = fetchers;
        for (PartitionImage p : topic.partitions().values()) {
            TopicPartition tp = new TopicPartition(topic.name(), p.partition());
            if (f != null) {
                f.unfollow(tp);
            }
            partitions.remove(tp);
            logManager.delete(tp);
        }
        log.info("Deleted the logs of topic {} ({} partitions)", topic.name(), topic.partitions().size());
    }

    /**
     * Brings hosted partitions in line with the whole image {@code next} (at start-up, or after a missed change);
     * an image older than the one applied last is ignored.
     */
    public synchronized void onImage(MetadataImage next) {
        MetadataImage previous = image;
        if (previous != MetadataImage.EMPTY && next.offset() < previous.offset()) {
            return;
        }
        try {
            for (TopicImage topic : next.topicsByName().values()) {
                TopicImage before = previous.topic(topic.id());
                LogConfig config = logConfig(topic);
                int created = 0;
                for (PartitionImage p : topic.partitions().values()) {
                    if (!p.replicas().contains(nodeId)) {
                        continue;
                    }
                    TopicPartition tp = new TopicPartition(topic.name(), p.partition());
                    Partition existing = partitions.get(tp);
                    if (existing == null) {
                        PartitionLog partitionLog;
                        try {
                            partitionLog = logManager.getOrCreate(tp, topic.id(), config);
                        } catch (KafkaStorageException offline) {
                            continue; // its files did not load at start-up (logged then): not hosted
                        }
                        Partition partition = newPartition(tp, topic, partitionLog, p);
                        partitions.put(tp, partition);
                        applyRole(partition);
                        created++;
                    } else {
                        existing.update(p);
                        applyRole(existing);
                        if (before == null || !before.configs().equals(topic.configs())) {
                            existing.log().updateConfig(config);
                        }
                    }
                }
                if (created > 0 && before == null && previous != MetadataImage.EMPTY) {
                    log.info("Created topic {} (id {}): {} partitions, configs {}", topic.name(), topic.id(), created,
                            topic.configs());
                } else if (created > 0 && before != null) {
                    log.info("Added {} partitions to topic {}: now {}", created, topic.name(),
                            topic.partitions().size());
                }
            }
            for (TopicImage topic : previous.topicsByName().values()) {
                if (next.topic(topic.id()) == null) {
                    deleteLogs(topic);
                }
            }
            deleteStrayLogs(next);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        image = next;
    }

    /**
     * Sets what every hosted partition calls after its high watermark advanced (see
     * {@link Partition#onHighWatermarkAdvanced}): delayed operations waiting on it are checked then.
     */
    public void onHighWatermarkAdvanced(Consumer<TopicPartition> listener) {
        this.highWatermarkListener = listener;
        partitions.values().forEach(p -> p.onHighWatermarkAdvanced(listener));
    }

    public Partition partition(TopicPartition tp) {
        return partitions.get(tp);
    }

    public Map<TopicPartition, Partition> partitions() {
        return partitions;
    }

    public MetadataImage image() {
        return image;
    }

    /** The node's log directories, each online or offline after an I/O error. */
    public List<LogDir> logDirs() {
        return logManager.dirs();
    }
}
