package io.brook.metadata.image;

import java.util.List;

/**
 * One partition as the metadata says: replicas, in-sync replicas, leader and epochs, and Kafka's
 * leader recovery state (KIP-704): {@link #RECOVERED} normally, {@link #RECOVERING} after an
 * unclean election until the new leader reports, through AlterPartition, that it has recovered.
 */
public record PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                             int partitionEpoch, byte leaderRecoveryState) {
    /** Kafka's {@code LeaderRecoveryState.RECOVERED}: the leader holds every committed record. */
    public static final byte RECOVERED = 0;
    /** Kafka's {@code LeaderRecoveryState.RECOVERING}: an unclean election chose the leader, its ISR is itself. */
    public static final byte RECOVERING = 1;

    public PartitionImage {
        if (leaderRecoveryState != RECOVERED && leaderRecoveryState != RECOVERING) {
            throw new IllegalArgumentException("leader recovery state " + leaderRecoveryState);
        }
    }

    /** A partition whose leader has recovered (every partition but one just elected uncleanly). */
    public PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                          int partitionEpoch) {
        this(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, RECOVERED);
    }
}
