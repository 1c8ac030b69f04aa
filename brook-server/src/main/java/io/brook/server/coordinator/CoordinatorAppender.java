package io.brook.server.coordinator;

import io.brook.server.delayed.DelayedOperation;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.partition.Partition;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.record.internal.MemoryRecords;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How the coordinators write to their partitions: appended as leader ({@link Partition#appendAsCoordinator}),
 * then, as Kafka's coordinators append with acks=all, complete only once the in-sync replicas have the records
 * (the high watermark passed them). The wait is a delayed operation on the produce purgatory, woken by the high
 * watermark's advances; it fails with NOT_LEADER_OR_FOLLOWER once this node no longer leads the partition in the
 * append's leader epoch, and with a timeout after {@code timeoutMs} (the coordinators answer
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE for those, as Kafka maps them).
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class CoordinatorAppender {
    /** Kafka's {@code offsets.commit.timeout.ms} default: how long a coordinator write waits for its replicas. */
    public static final long DEFAULT_TIMEOUT_MS = 5_000;

    /** Completes when the local append did (a partition with no followers; tests). */
    public static final CoordinatorAppender LOCAL = new CoordinatorAppender(null, 0);

    private final DelayedOperations delayed;
    private final long timeoutMs;

    /** Waits for replication through {@code delayed}'s produce purgatory, at most {@code timeoutMs}. */
    public static CoordinatorAppender replicated(DelayedOperations delayed, long timeoutMs) {
        return new CoordinatorAppender(delayed, timeoutMs);
    }

    private CoordinatorAppender(DelayedOperations delayed, long timeoutMs) {
        this.delayed = delayed;
        this.timeoutMs = timeoutMs;
    }

    /** Appends {@code records} as the coordinator; the future completes once they are replicated to the ISR. */
    public CompletableFuture<Void> append(Partition partition, MemoryRecords records) {
        int leaderEpoch = partition.leaderEpoch();
        long lastOffset;
        try {
            lastOffset = partition.appendAsCoordinator(records).lastOffset();
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (delayed == null) {
            return CompletableFuture.completedFuture(null);
        }
        ReplicationWait wait = new ReplicationWait(partition, leaderEpoch, lastOffset + 1, timeoutMs);
        delayed.produces().tryCompleteElseWatch(wait, List.of(partition.topicPartition()));
        return wait.result;
    }

    /** Waits until the high watermark reaches {@code requiredOffset} while the partition is led in one epoch. */
    private static final class ReplicationWait extends DelayedOperation {
        final CompletableFuture<Void> result = new CompletableFuture<>();
        private final Partition partition;
        private final int leaderEpoch;
        private final long requiredOffset;

        ReplicationWait(Partition partition, int leaderEpoch, long requiredOffset, long timeoutMs) {
            super(timeoutMs);
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
            this.requiredOffset = requiredOffset;
        }

        private boolean leading() {
            return partition.isLeader() && partition.leaderEpoch() == leaderEpoch;
        }

        @Override
        protected boolean canComplete() {
            return !leading() || partition.highWatermark() >= requiredOffset;
        }

        @Override
        protected void onComplete() {
            if (leading()) {
                result.complete(null);
            } else {
                result.completeExceptionally(new NotLeaderOrFollowerException("Leadership of "
                        + partition.topicPartition() + " moved before the coordinator's write was replicated"));
            }
        }

        @Override
        protected void onExpire() {
            if (!leading()) {
                onComplete();
            } else if (partition.highWatermark() >= requiredOffset) {
                result.complete(null);
            } else {
                result.completeExceptionally(new TimeoutException("The coordinator's write to "
                        + partition.topicPartition() + " was not replicated to the in-sync replicas in time"));
            }
        }
    }
}
