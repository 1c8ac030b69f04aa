package io.brook.server.coordinator;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.image.TopicImage;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Moves the group and transaction coordinators with the leadership of their partitions, as Kafka does: when this
 * node becomes leader of a {@code __consumer_offsets} / {@code __transaction_state} partition (or leads it in a new
 * epoch) the coordinator forgets what it had of that partition and reads its log again (a transaction found prepared
 * is completed); when it stops leading it, the coordinator forgets its keys. Meanwhile requests for those keys are
 * answered COORDINATOR_LOAD_IN_PROGRESS, and NOT_COORDINATOR once another node leads ({@link #status}).
 *
 * <p>Role changes arrive on the metadata publisher thread ({@link ReplicaManager.LeadershipListener}); loads and
 * unloads run in order on this loader's own thread, so the publisher never waits for a log to be read.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class CoordinatorLoader implements ReplicaManager.LeadershipListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorLoader.class);

    private final int nodeId;
    private final ReplicaManager replicas;
    private final OffsetsTopic offsetsTopic;
    private final GroupCoordinator groups;
    private final TransactionTopic transactionTopic;
    private final TransactionCoordinator transactions;
    private final CoordinatorLoads groupLoads = new CoordinatorLoads();
    private final CoordinatorLoads transactionLoads = new CoordinatorLoads();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "brook-coordinator-loader");
        t.setDaemon(true);
        return t;
    });

    public CoordinatorLoader(int nodeId, ReplicaManager replicas, OffsetsTopic offsetsTopic, GroupCoordinator groups,
                             TransactionTopic transactionTopic, TransactionCoordinator transactions) {
        this.nodeId = nodeId;
        this.replicas = replicas;
        this.offsetsTopic = offsetsTopic;
        this.groups = groups;
        this.transactionTopic = transactionTopic;
        this.transactions = transactions;
    }

    /**
     * Starts following the roles of the coordinator partitions and waits, at most {@code timeoutMs}, until the
     * partitions this node leads now are loaded (a start serves its coordinators from the first request, as
     * before they moved).
     */
    public void start(long timeoutMs) throws IOException {
        replicas.onLeadershipChange(this);
        try {
            executor.submit(() -> { }).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading the coordinators", e);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("The coordinators' partitions were not loaded within {} ms; their clients wait meanwhile",
                    timeoutMs);
        }
    }

    @Override
    public void onRole(Partition partition, PartitionImage state) {
        String topic = partition.topicPartition().topic();
        int p = partition.topicPartition().partition();
        int epoch = state.leaderEpoch();
        boolean leader = state.leader() == nodeId;
        if (topic.equals(Topic.GROUP_METADATA_TOPIC_NAME)) {
            switch (groupLoads.onRole(p, leader, epoch)) {
                case LOAD -> submit(topic, p, () -> {
                    offsetsTopic.load(groups, p);
                    if (groupLoads.loaded(p, epoch)) {
                        log.info("Group coordinator of {}-{} ready in leader epoch {}", topic, p, epoch);
                    }
                });
                case UNLOAD -> submit(topic, p, () -> offsetsTopic.unload(groups, p));
                case NONE -> { }
            }
        } else if (topic.equals(Topic.TRANSACTION_STATE_TOPIC_NAME)) {
            switch (transactionLoads.onRole(p, leader, epoch)) {
                case LOAD -> submit(topic, p, () -> {
                    // ready before the prepared transactions complete: their markers are retried as needed
                    transactionTopic.load(transactions, p);
                    if (transactionLoads.loaded(p, epoch)) {
                        log.info("Transaction coordinator of {}-{} ready in leader epoch {}", topic, p, epoch);
                    }
                });
                case UNLOAD -> submit(topic, p, () -> transactionTopic.unload(transactions, p));
                case NONE -> { }
            }
        }
    }

    /** A step of loading or unloading. */
    private interface Step {
        void run() throws IOException;
    }

    private void submit(String topic, int partition, Step step) {
        try {
            executor.execute(() -> {
                try {
                    step.run();
                } catch (IOException | RuntimeException e) {
                    // its clients keep getting COORDINATOR_LOAD_IN_PROGRESS; the next leader epoch loads again
                    log.error("Loading or unloading the coordinator of {}-{} failed", topic, partition, e);
                }
            });
        } catch (RejectedExecutionException stopping) {
            log.debug("Not loading or unloading {}-{}: the node is stopping", topic, partition);
        }
    }

    /**
     * How this node answers a request for the group or transactional id {@code key}: NONE when it coordinates it,
     * COORDINATOR_LOAD_IN_PROGRESS while it leads the key's partition but has not loaded it yet, NOT_COORDINATOR when
     * another node (or none) leads it.
     */
    public Errors status(String key, CoordinatorType type) {
        boolean group = type == CoordinatorType.GROUP;
        int partition = group ? offsetsTopic.partitionFor(key) : transactionTopic.partitionFor(key);
        TopicImage topic = replicas.image().topic(group ? Topic.GROUP_METADATA_TOPIC_NAME
                : Topic.TRANSACTION_STATE_TOPIC_NAME);
        PartitionImage p = topic == null ? null : topic.partitions().get(partition);
        if (p == null) {
            return Errors.NOT_COORDINATOR;
        }
        return (group ? groupLoads : transactionLoads).status(partition, p.leader() == nodeId, p.leaderEpoch());
    }

    /** The coordinator epoch of a transactional id's markers: the leader epoch of its partition (0 if unknown). */
    public int transactionCoordinatorEpoch(String transactionalId) {
        TopicImage topic = replicas.image().topic(Topic.TRANSACTION_STATE_TOPIC_NAME);
        PartitionImage p = topic == null ? null : topic.partitions().get(transactionTopic.partitionFor(transactionalId));
        return p == null ? 0 : Math.max(0, p.leaderEpoch());
    }

    /** Waits, at most {@code timeoutMs}, until the loads and unloads asked for so far ran (tests). */
    public boolean awaitIdle(long timeoutMs) throws InterruptedException {
        try {
            executor.submit(() -> { }).get(timeoutMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            return false;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
