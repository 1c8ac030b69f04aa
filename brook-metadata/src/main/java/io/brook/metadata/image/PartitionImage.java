package io.brook.metadata.image;

import java.util.List;

/**
 * One partition as the metadata says: replicas, in-sync replicas, leader and epochs, and Kafka's
 * leader recovery state (KIP-704): {@link #RECOVERED} normally, {@link #RECOVERING} after an
 * unclean election until the new leader reports, through AlterPartition, that it has recovered.
 *
 * <p>A reassignment in progress (KIP-455): {@code replicas} is the target followed by the replicas
 * leaving, {@code addingReplicas} the target replicas the partition did not have, {@code removingReplicas}
 * the replicas the target does not keep; both empty when none is in progress.
 *
 * <p>Eligible leader replicas (KIP-966), empty unless the cluster's {@code eligible.leader.replicas.version} is 1:
 * {@code elr} the replicas that left the ISR while it was below the minimum ISR size, so they hold every
 * committed record and may lead once the ISR is empty; {@code lastKnownElr} the last leader of a partition whose ISR
 * and ELR both emptied (at most one broker).
 */
public record PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                             int partitionEpoch, byte leaderRecoveryState, List<Integer> addingReplicas,
                             List<Integer> removingReplicas, List<Integer> elr, List<Integer> lastKnownElr) {
    /** Kafka's {@code LeaderRecoveryState.RECOVERED}: the leader holds every committed record. */
    public static final byte RECOVERED = 0;
    /** Kafka's {@code LeaderRecoveryState.RECOVERING}: an unclean election chose the leader, its ISR is itself. */
    public static final byte RECOVERING = 1;

    public PartitionImage {
        if (leaderRecoveryState != RECOVERED && leaderRecoveryState != RECOVERING) {
            throw new IllegalArgumentException("leader recovery state " + leaderRecoveryState);
        }
        addingReplicas = List.copyOf(addingReplicas);
        removingReplicas = List.copyOf(removingReplicas);
        elr = List.copyOf(elr);
        lastKnownElr = List.copyOf(lastKnownElr);
    }

    /** A partition with no eligible leader replicas. */
    public PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                          int partitionEpoch, byte leaderRecoveryState, List<Integer> addingReplicas,
                          List<Integer> removingReplicas) {
        this(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, leaderRecoveryState, addingReplicas,
                removingReplicas, List.of(), List.of());
    }

    /** A partition with no reassignment in progress. */
    public PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                          int partitionEpoch, byte leaderRecoveryState) {
        this(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, leaderRecoveryState, List.of(), List.of());
    }

    /** Whether a reassignment is in progress (replicas being added or removed). */
    public boolean reassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }

    /** The replicas before the reassignment in progress (all replicas when none is): replicas minus the adding ones. */
    public List<Integer> originalReplicas() {
        if (addingReplicas.isEmpty()) {
            return replicas;
        }
        return replicas.stream().filter(r -> !addingReplicas.contains(r)).toList();
    }

    /** The replicas the reassignment in progress ends with (all replicas when none is): minus the removing ones. */
    public List<Integer> targetReplicas() {
        if (removingReplicas.isEmpty()) {
            return replicas;
        }
        return replicas.stream().filter(r -> !removingReplicas.contains(r)).toList();
    }

    /** A partition whose leader has recovered (every partition but one just elected uncleanly). */
    public PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                          int partitionEpoch) {
        this(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, RECOVERED);
    }
}
