package io.brook.server.handlers;

import io.brook.server.delayed.DelayedOperation;
import io.brook.server.partition.Partition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A produce with acks=all waiting until the high watermark of every partition it appended to has
 * passed its batch (Kafka's DelayedProduce). A partition whose leadership moved away answers
 * NOT_LEADER_OR_FOLLOWER; at the request's timeout the partitions still waiting answer
 * REQUEST_TIMED_OUT. Completion compares offsets only.
 *
 * <p>Thread-safety: the partition answers are written by whichever thread completes or expires
 * the operation, once ({@link DelayedOperation} guarantees one of them runs); the response is
 * published by {@code respond}.
 */
final class DelayedProduce extends DelayedOperation {
    /**
     * One appended batch: its partition answer, waiting for the high watermark to reach {@code requiredOffset} in
     * the leader epoch it was appended in (a later epoch may have truncated it and written other records there).
     */
    record Pending(TopicPartition tp, long requiredOffset, int leaderEpoch, PartitionProduceResponse result) {
    }

    private final List<Pending> pending;
    private final Function<TopicPartition, Partition> partitions;
    private final Runnable respond;

    DelayedProduce(long timeoutMs, List<Pending> pending, Function<TopicPartition, Partition> partitions,
                   Runnable respond) {
        super(timeoutMs);
        this.pending = pending;
        this.partitions = partitions;
        this.respond = respond;
    }

    List<TopicPartition> watchKeys() {
        List<TopicPartition> tps = new ArrayList<>(pending.size());
        pending.forEach(p -> tps.add(p.tp()));
        return tps;
    }

    @Override
    protected boolean canComplete() {
        for (Pending p : pending) {
            if (state(p) == Errors.REQUEST_TIMED_OUT) {
                return false;
            }
        }
        return true;
    }

    /**
     * NONE once replicated, NOT_ENOUGH_REPLICAS_AFTER_APPEND when replicated to fewer than min.insync.replicas,
     * NOT_LEADER_OR_FOLLOWER once it cannot be, REQUEST_TIMED_OUT while it waits.
     */
    private Errors state(Pending p) {
        Partition partition = partitions.apply(p.tp());
        if (partition == null || !partition.isLeader() || partition.leaderEpoch() != p.leaderEpoch()) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        if (partition.highWatermark() < p.requiredOffset()) {
            return Errors.REQUEST_TIMED_OUT;
        }
        // replicated, but the ISR shrank below the minimum meanwhile: the producer must not count on it (Kafka)
        return partition.isUnderMinIsr() ? Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND : Errors.NONE;
    }

    @Override
    protected void onComplete() {
        answer();
    }

    @Override
    protected void onExpire() {
        answer();
    }

    private void answer() {
        for (Pending p : pending) {
            Errors error = state(p);
            if (error != Errors.NONE) {
                p.result().setErrorCode(error.code()).setErrorMessage(switch (error) {
                    case REQUEST_TIMED_OUT ->
                            "The batch was written to the leader but not replicated to the in-sync replicas in time";
                    case NOT_ENOUGH_REPLICAS_AFTER_APPEND ->
                            "The batch was written, but the in-sync replicas fell below min.insync.replicas";
                    default -> "Leadership moved before the batch was replicated";
                });
            }
        }
        respond.run();
    }
}
