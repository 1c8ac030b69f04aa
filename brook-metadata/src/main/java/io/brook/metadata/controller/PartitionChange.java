package io.brook.metadata.controller;

import io.brook.metadata.image.PartitionImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * One partition's change, decided the way Kafka's {@code PartitionChangeBuilder} decides it: the partition as the
 * image has it and the targets a caller sets in, the {@code PartitionChangeRecord} (or nothing, when nothing changes)
 * out. Every controller decision that changes a partition's leader, ISR or replicas goes through it
 * ({@link PartitionMoves}, {@link IsrControl}, {@link LeaderElection}, {@link Reassignments}).
 *
 * <p>The steps, in Kafka's order:
 * <ol>
 *   <li>Reassignment completion: while replicas are being added or removed, once the target ISR minus the removing
 *       replicas is non-empty and holds every replica the reassignment keeps, the replicas become the kept ones, the
 *       ISR loses the removing ones and adding / removing are cleared.</li>
 *   <li>Election: {@link Election#ONLINE} (and {@link Election#UNCLEAN}) keep the current leader if it is a valid
 *       leader (in the target ISR and acceptable), else take the first valid one in replica order;
 *       {@link Election#PREFERRED} tries the first replica before the current leader. Failing that, UNCLEAN takes
 *       the first acceptable replica: the ISR becomes that replica alone and the leader recovery state RECOVERING
 *       (records the ISR held may be lost). Failing that the leader is -1. The leader field is written only when
 *       the leader changes.</li>
 *   <li>A change that drops replicas while the leader stays writes the leader all the same: the leader epoch goes up
 *       and fences the replicas leaving.</li>
 *   <li>The ISR is written when it differs from the current one; an empty target ISR is never written (the ISR
 *       keeps its last members, so the replicas that had every acknowledged record stay known).</li>
 *   <li>Replicas (when the target is non-empty), removing and adding replicas are written when they differ, the
 *       leader recovery state when a target one is set and differs.</li>
 * </ol>
 * The leader epoch goes up on replay when the leader field is written, the partition epoch on every record.
 * Unlike Kafka's builder at metadata versions before 3.6, an ISR shrink alone never bumps the leader epoch (Kafka
 * 4.3.1's {@code isLeaderEpochBumpRequiredOnIsrShrink} is false at the versions Brook speaks).
 *
 * <p>Thread-safety: not thread-safe; one instance per decision, on the caller's thread.
 */
final class PartitionChange {
    /** How a new leader may be chosen (Kafka's {@code PartitionChangeBuilder.Election}). */
    enum Election {
        /** Keep the current leader when valid, else the first valid replica. */
        ONLINE,
        /** The first replica when valid, else as {@link #ONLINE}. */
        PREFERRED,
        /** As {@link #ONLINE}; failing that, any acceptable replica (records may be lost). */
        UNCLEAN
    }

    private final Uuid topicId;
    private final PartitionImage partition;
    private final IntPredicate acceptable;
    private List<Integer> targetIsr;
    private List<Integer> targetReplicas;
    private List<Integer> targetAdding;
    private List<Integer> targetRemoving;
    private byte targetRecoveryState;
    private Election election = Election.ONLINE;

    /**
     * @param acceptable whether a broker may lead once the change is applied (registered, unfenced, not in
     *                   controlled shutdown, not leaving)
     */
    PartitionChange(Uuid topicId, PartitionImage partition, IntPredicate acceptable) {
        this.topicId = topicId;
        this.partition = partition;
        this.acceptable = acceptable;
        this.targetIsr = partition.isr();
        this.targetReplicas = partition.replicas();
        this.targetAdding = partition.addingReplicas();
        this.targetRemoving = partition.removingReplicas();
        this.targetRecoveryState = partition.leaderRecoveryState();
    }

    PartitionChange targetIsr(List<Integer> isr) {
        this.targetIsr = List.copyOf(isr);
        return this;
    }

    /** The replicas, with the adding and removing ones of a reassignment (empty when none is in progress). */
    PartitionChange targetAssignment(List<Integer> replicas, List<Integer> adding, List<Integer> removing) {
        this.targetReplicas = List.copyOf(replicas);
        this.targetAdding = List.copyOf(adding);
        this.targetRemoving = List.copyOf(removing);
        return this;
    }

    PartitionChange targetRecoveryState(byte state) {
        this.targetRecoveryState = state;
        return this;
    }

    PartitionChange election(Election election) {
        this.election = election;
        return this;
    }

    /** The record, or null when nothing changes. */
    ApiMessageAndVersion build() {
        PartitionChangeRecord record = new PartitionChangeRecord().setTopicId(topicId)
                .setPartitionId(partition.partition());
        completeReassignment();
        elect(record);
        if (record.leader() == PartitionMoves.NO_LEADER_CHANGE && !targetReplicas.containsAll(partition.replicas())) {
            record.setLeader(partition.leader()); // replicas leave: a new leader epoch fences them
        }
        if (record.isr() == null && !targetIsr.isEmpty() && !targetIsr.equals(partition.isr())) {
            record.setIsr(targetIsr);
        }
        if (!targetReplicas.isEmpty() && !targetReplicas.equals(partition.replicas())) {
            record.setReplicas(targetReplicas);
        }
        if (!targetRemoving.equals(partition.removingReplicas())) {
            record.setRemovingReplicas(targetRemoving);
        }
        if (!targetAdding.equals(partition.addingReplicas())) {
            record.setAddingReplicas(targetAdding);
        }
        if (targetRecoveryState != partition.leaderRecoveryState()) {
            record.setLeaderRecoveryState(targetRecoveryState);
        }
        if (noOp(record)) {
            return null;
        }
        return new ApiMessageAndVersion(record, MetadataVersion.LATEST_PRODUCTION.partitionChangeRecordVersion());
    }

    private void completeReassignment() {
        if (targetAdding.isEmpty() && targetRemoving.isEmpty()) {
            return;
        }
        List<Integer> keptIsr = targetIsr.stream().filter(r -> !targetRemoving.contains(r)).toList();
        List<Integer> keptReplicas = targetReplicas.stream().filter(r -> !targetRemoving.contains(r)).toList();
        if (!keptIsr.isEmpty() && !keptReplicas.isEmpty() && keptIsr.containsAll(keptReplicas)) {
            targetIsr = keptIsr;
            targetReplicas = keptReplicas;
            targetAdding = List.of();
            targetRemoving = List.of();
        }
    }

    private void elect(PartitionChangeRecord record) {
        int leader = PartitionMoves.NO_LEADER;
        boolean unclean = false;
        if (election == Election.PREFERRED && !targetReplicas.isEmpty() && validLeader(targetReplicas.get(0))) {
            leader = targetReplicas.get(0);
        } else if (validLeader(partition.leader())) {
            leader = partition.leader();
        } else {
            leader = firstOf(targetReplicas, this::validLeader);
            if (leader == PartitionMoves.NO_LEADER && election == Election.UNCLEAN) {
                leader = firstOf(targetReplicas, acceptable);
                unclean = leader != PartitionMoves.NO_LEADER;
            }
        }
        if (leader == partition.leader()) {
            return;
        }
        record.setLeader(leader);
        if (unclean) {
            record.setIsr(List.of(leader));
            if (partition.leaderRecoveryState() != PartitionImage.RECOVERING) {
                record.setLeaderRecoveryState(PartitionImage.RECOVERING);
            }
        }
    }

    /** In the target ISR and acceptable. */
    private boolean validLeader(int broker) {
        return targetIsr.contains(broker) && acceptable.test(broker);
    }

    private static int firstOf(List<Integer> replicas, IntPredicate test) {
        for (int replica : replicas) {
            if (test.test(replica)) {
                return replica;
            }
        }
        return PartitionMoves.NO_LEADER;
    }

    private static boolean noOp(PartitionChangeRecord record) {
        return record.leader() == PartitionMoves.NO_LEADER_CHANGE && record.isr() == null && record.replicas() == null
                && record.addingReplicas() == null && record.removingReplicas() == null
                && record.leaderRecoveryState() == PartitionMoves.NO_RECOVERY_STATE_CHANGE;
    }
}
