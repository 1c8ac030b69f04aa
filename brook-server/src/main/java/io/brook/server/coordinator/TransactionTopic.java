package io.brook.server.coordinator;

import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.coordinator.transaction.TransactionRecord;
import io.brook.coordinator.transaction.TransactionRecords;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.image.TopicImage;
import io.brook.metadata.runtime.MetadataController;
import io.brook.server.controller.ControllerChannel;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The {@code __transaction_state} topic: created at first start (compacted, with
 * {@code transaction.state.log.*} settings), replayed into the transaction coordinator at every
 * start, and written by it before a state change takes effect.
 */
public final class TransactionTopic implements TransactionCoordinator.TransactionLog {
    private static final Logger log = LoggerFactory.getLogger(TransactionTopic.class);

    private final ReplicaManager replicas;
    /** The partition count to use while the topic does not exist yet (it is created with it). */
    private final int configuredPartitions;

    /** How records are appended: acks=all in a cluster (see {@link CoordinatorAppender}). */
    private final CoordinatorAppender appender;

    private TransactionTopic(ReplicaManager replicas, int configuredPartitions, CoordinatorAppender appender) {
        this.replicas = replicas;
        this.configuredPartitions = configuredPartitions;
        this.appender = appender;
    }

    /**
     * The topic as this node's image has it, or, until it is created (in a cluster, by the first
     * FindCoordinator that needs it, see {@link CoordinatorTopics}), with {@code configuredPartitions}.
     */
    public static TransactionTopic open(ReplicaManager replicas, int configuredPartitions) {
        return open(replicas, configuredPartitions, CoordinatorAppender.LOCAL);
    }

    /** As {@link #open(ReplicaManager, int)}, writing through {@code appender}. */
    public static TransactionTopic open(ReplicaManager replicas, int configuredPartitions, CoordinatorAppender appender) {
        return new TransactionTopic(replicas, configuredPartitions, appender);
    }

    /** The topic's partition count: the image's once it exists, else the configured one. */
    private int partitions() {
        TopicImage topic = replicas.image().topic(Topic.TRANSACTION_STATE_TOPIC_NAME);
        return topic != null ? topic.partitions().size() : configuredPartitions;
    }

    /**
     * The topic as the controller creates it: {@code transaction.state.log.num.partitions} partitions,
     * compacted, with the log's min ISR and segment size.
     */
    public static NewTopic spec(int numPartitions, short replicationFactor, int minIsr, int segmentBytes) {
        return new NewTopic(Topic.TRANSACTION_STATE_TOPIC_NAME, numPartitions, replicationFactor, Map.of(), Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.SEGMENT_BYTES_CONFIG, String.valueOf(segmentBytes),
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(minIsr),
                TopicConfig.COMPRESSION_TYPE_CONFIG, "uncompressed"));
    }

    /** Creates the topic ({@link #spec}) if it does not exist yet and waits until this node's image has it. */
    public static TransactionTopic createIfAbsent(ControllerChannel channel, MetadataController controller,
                                                  ReplicaManager replicas, NewTopic spec) throws IOException {
        return createIfAbsent(channel, controller, replicas, spec, CoordinatorAppender.LOCAL);
    }

    /** As {@link #createIfAbsent(ControllerChannel, MetadataController, ReplicaManager, NewTopic)} with an appender. */
    public static TransactionTopic createIfAbsent(ControllerChannel channel, MetadataController controller,
                                          ReplicaManager replicas, NewTopic spec, CoordinatorAppender appender)
            throws IOException {
        InternalTopics.createIfAbsent(channel, controller, spec);
        return open(replicas, spec.numPartitions(), appender);
    }

    /** The partition holding a transactional id's state. */
    public int partitionFor(String transactionalId) {
        return TransactionRecords.partitionFor(transactionalId, partitions());
    }

    /** Reads every partition from its start and hands each record to the coordinator. */
    public void replayInto(TransactionCoordinator coordinator) throws IOException {
        int records = 0;
        for (int p = 0; p < partitions(); p++) {
            records += replayPartition(coordinator, p);
        }
        log.info("Loaded {} transaction state records from {}", records, Topic.TRANSACTION_STATE_TOPIC_NAME);
    }

    /**
     * Loads one partition into the coordinator, as its new leader does: forgets the ids stored there, replays the
     * partition's log, then completes the transactions it finds in PrepareCommit / PrepareAbort (markers, then
     * CompleteCommit / CompleteAbort). Returns the records read.
     */
    public int load(TransactionCoordinator coordinator, int partition) throws IOException {
        int dropped = coordinator.unload(id -> partitionFor(id) == partition);
        int records = replayPartition(coordinator, partition);
        int resumed = coordinator.resumePreparedTransactions(id -> partitionFor(id) == partition);
        log.info("Loaded {} transaction state records from {}-{} ({} stale ids dropped first, {} prepared "
                + "transactions being completed)", records, Topic.TRANSACTION_STATE_TOPIC_NAME, partition, dropped,
                resumed);
        return records;
    }

    /** Forgets the transactional ids of one partition (this node no longer leads it); returns how many. */
    public int unload(TransactionCoordinator coordinator, int partition) {
        int dropped = coordinator.unload(id -> partitionFor(id) == partition);
        log.info("Unloaded {} transactional ids of {}-{}", dropped, Topic.TRANSACTION_STATE_TOPIC_NAME, partition);
        return dropped;
    }

    private int replayPartition(TransactionCoordinator coordinator, int p) throws IOException {
        int[] records = new int[1];
        InternalTopics.replayPartition(replicas, Topic.TRANSACTION_STATE_TOPIC_NAME, p, (partition, batch) -> {
            if (batch.isControlBatch()) {
                return;
            }
            for (Record record : batch) {
                String id = record.hasKey() ? TransactionRecords.parseKey(record.key()) : null;
                if (id == null) {
                    continue;
                }
                try {
                    coordinator.load(id, record.hasValue() ? TransactionRecords.parseValue(id, record.value()) : null);
                    records[0]++;
                } catch (IllegalArgumentException e) {
                    log.warn("Skipping an unreadable record of transactional id {} at offset {} of {}-{}: {}", id,
                            record.offset(), Topic.TRANSACTION_STATE_TOPIC_NAME, partition, e.getMessage());
                }
            }
        });
        return records[0];
    }

    @Override
    public CompletableFuture<Void> write(String transactionalId, TransactionRecord record) {
        TopicPartition tp = new TopicPartition(Topic.TRANSACTION_STATE_TOPIC_NAME, partitionFor(transactionalId));
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            return CompletableFuture.failedFuture(new IOException(tp + " is not hosted here"));
        }
        try {
            return appender.append(partition, MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(
                    System.currentTimeMillis(), TransactionRecords.key(transactionalId),
                    record == null ? null : TransactionRecords.value(record))));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
