package io.brook.server.coordinator;

import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.transaction.TransactionCoordinator;
import io.brook.server.delayed.FetchWaiters;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import org.apache.kafka.common.TopicPartition;
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

/**
 * Writes transaction markers into the partitions this node leads, as WriteTxnMarkers does on a
 * partition leader: the coordinator's markers go through it (on its own thread, so ending a
 * transaction never waits for them), and so do WriteTxnMarkers requests from other clients. A
 * marker in {@code __consumer_offsets} also settles the transaction's offsets in the group coordinator.
 */
public final class LocalMarkerWriter implements TransactionCoordinator.MarkerWriter {
    private static final Logger log = LoggerFactory.getLogger(LocalMarkerWriter.class);

    private final ReplicaManager replicas;
    private final GroupCoordinator groups;
    private final OffsetsTopic offsetsTopic;
    private final FetchWaiters fetchWaiters;
    private final Executor executor;

    public LocalMarkerWriter(ReplicaManager replicas, GroupCoordinator groups, OffsetsTopic offsetsTopic,
                             FetchWaiters fetchWaiters, Executor executor) {
        this.replicas = replicas;
        this.groups = groups;
        this.offsetsTopic = offsetsTopic;
        this.fetchWaiters = fetchWaiters;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<Void> write(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                         Set<TopicPartition> partitions) {
        return CompletableFuture.supplyAsync(() -> writeNow(producerId, producerEpoch, coordinatorEpoch, commit,
                partitions), executor).thenCompose(errors -> {
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
        fetchWaiters.onAppend(tp);
        return Errors.NONE;
    }
}
