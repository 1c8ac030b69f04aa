package io.brook.server.coordinator;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes transaction markers into the partitions this node leads, as WriteTxnMarkers does on a
 * partition leader: WriteTxnMarkers requests (from other nodes' coordinators, or an admin's abort) and
 * this node's coordinator's markers for the partitions it leads ({@link TransactionMarkerSender}, which
 * sends the others to their leaders) go through {@link #writeNow}; {@link #write} runs it on its own
 * thread, for a coordinator that never leaves its node. A marker in {@code __consumer_offsets} also
 * settles the transaction's offsets in the group coordinator.
 */
public final class LocalMarkerWriter implements TransactionCoordinator.MarkerWriter {
    private static final Logger log = LoggerFactory.getLogger(LocalMarkerWriter.class);

    private final ReplicaManager replicas;
    private final GroupCoordinator groups;
    private final OffsetsTopic offsetsTopic;
    private final DelayedOperations delayed;
    private final Executor executor;

    public LocalMarkerWriter(ReplicaManager replicas, GroupCoordinator groups, OffsetsTopic offsetsTopic,
                             DelayedOperations delayed, Executor executor) {
        this.replicas = replicas;
        this.groups = groups;
        this.offsetsTopic = offsetsTopic;
        this.delayed = delayed;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<Void> write(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                         Set<TopicPartition> partitions) {
        CompletableFuture<Map<TopicPartition, Errors>> written;
        try {
            written = CompletableFuture.supplyAsync(() -> writeNow(producerId, producerEpoch, coordinatorEpoch, commit,
                    partitions), executor);
        } catch (RejectedExecutionException e) {
            // nothing was written: a retriable failure, which the coordinator retries (not an exception in its code)
            return CompletableFuture.failedFuture(new NotEnoughReplicasException(
                    "The transaction marker writer is not accepting work (node stopping); nothing was written."));
        }
        return written.thenCompose(errors -> {
            for (Map.Entry<TopicPartition, Errors> e : errors.entrySet()) {
                if (needsRetry(e.getValue())) {
                    return CompletableFuture.failedFuture(e.getValue().exception(
                            "Writing a transaction marker to " + e.getKey() + " failed"));
                }
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /**
     * Whether a failed marker must be written again. Kafka's rule: a deleted partition needs none,
     * and a partition that has seen a newer producer epoch or coordinator epoch has moved past this
     * transaction; anything else (not leader, storage error) is retried by the coordinator.
     */
    static boolean needsRetry(Errors error) {
        return error != Errors.NONE && error != Errors.UNKNOWN_TOPIC_OR_PARTITION
                && error != Errors.INVALID_PRODUCER_EPOCH && error != Errors.TRANSACTION_COORDINATOR_FENCED;
    }

    /** Writes one marker into each partition; the error of each (NONE when written). */
    public Map<TopicPartition, Errors> writeNow(long producerId, short producerEpoch, int coordinatorEpoch,
                                                boolean commit, Set<TopicPartition> partitions) {
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            errors.put(tp, writeOne(tp, producerId, producerEpoch, coordinatorEpoch, commit));
        }
        return errors;
    }

    private Errors writeOne(TopicPartition tp, long producerId, short producerEpoch, int coordinatorEpoch,
                            boolean commit) {
        Partition partition = replicas.partition(tp);
        if (partition == null) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        try {
            partition.appendMarker(producerId, producerEpoch, coordinatorEpoch, commit);
        } catch (NotLeaderOrFollowerException e) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        } catch (IOException e) {
            log.error("Writing a transaction marker to {} failed", tp, e);
            return Errors.KAFKA_STORAGE_ERROR;
        } catch (RuntimeException e) {
            return Errors.forException(e);
        }
        if (tp.topic().equals(Topic.GROUP_METADATA_TOPIC_NAME)) {
            groups.completeTransaction(producerId, commit, group -> offsetsTopic.partitionFor(group) == tp.partition());
        }
        delayed.checkAndComplete(tp); // the last stable offset may have moved: wakes read_committed fetches
        return Errors.NONE;
    }
}
