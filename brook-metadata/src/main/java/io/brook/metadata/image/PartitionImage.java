package io.brook.metadata.image;

import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

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
 *
 * <p>Log directories (KIP-858): {@code directories} names, replica by replica, the directory id of the broker's log
 * directory that holds the replica, as the broker assigned it ({@code AssignReplicasToDirs}), or Kafka's
 * {@link DirectoryId#UNASSIGNED} while not known; empty when no replica's is known (kept that way, so images compare
 * equal however they were built).
 */
public record PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                             int partitionEpoch, byte leaderRecoveryState, List<Integer> addingReplicas,
                             List<Integer> removingReplicas, List<Integer> elr, List<Integer> lastKnownElr,
                             List<Uuid> directories) {
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
        if (!directories.isEmpty() && directories.size() != replicas.size()) {
            throw new IllegalArgumentException("partition " + partition + " has " + replicas.size() + " replicas but "
                    + directories.size() + " directories");
        }
        directories = directories.stream().allMatch(DirectoryId.UNASSIGNED::equals) ? List.of()
                : List.copyOf(directories);
    }

    /** A partition whose replicas' log directories are not known. */
    public PartitionImage(int partition, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch,
                          int partitionEpoch, byte leaderRecoveryState, List<Integer> addingReplicas,
                          List<Integer> removingReplicas, List<Integer> elr, List<Integer> lastKnownElr) {
        this(partition, replicas, isr, leader, leaderEpoch, partitionEpoch, leaderRecoveryState, addingReplicas,
                removingReplicas, elr, lastKnownElr, List.of());
    }

    /** The directory holding {@code broker}'s replica, {@link DirectoryId#UNASSIGNED} when not known or no replica. */
    public Uuid directory(int broker) {
        int index = replicas.indexOf(broker);
        return index < 0 || directories.isEmpty() ? DirectoryId.UNASSIGNED : directories.get(index);
    }

    /**
     * The directories of {@code newReplicas}, one each: a replica the partition already has keeps its directory, a
     * new one gets {@code placeNew} of its broker (Kafka's {@code DirectoryId.createDirectoriesFrom}).
     */
    public List<Uuid> directoriesFor(List<Integer> newReplicas, IntFunction<Uuid> placeNew) {
        List<Uuid> result = new ArrayList<>(newReplicas.size());
        for (int replica : newReplicas) {
            result.add(replicas.contains(replica) ? directory(replica) : placeNew.apply(replica));
        }
        return result;
    }

    /**
     * The directory of each replica once {@code broker}'s is in {@code directory} (the others as now, UNASSIGNED
     * where none is known), in replica order: a PartitionChangeRecord's Directories.
     */
    public List<Uuid> directoriesWith(int broker, Uuid directory) {
        List<Uuid> dirs = directoriesFor(replicas, b -> DirectoryId.UNASSIGNED);
        dirs.set(replicas.indexOf(broker), directory);
        return dirs;
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
