package io.brook.metadata.controller;

import io.brook.metadata.image.PartitionImage;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;
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
 *   <li>With eligible leader replicas on (KIP-966, {@link #elr}): a target ISR of at least the minimum ISR size
 *       empties the ELR; a smaller one makes it the current ELR and ISR minus the target ISR and minus the brokers
 *       that shut down uncleanly (they may have lost records the high watermark covered). A replica that left while
 *       the ISR was still at the minimum never enters it: the high watermark moved on without it. Brook keeps it
 *       within the target replicas and ascending.</li>
 *   <li>Election: {@link Election#ONLINE} (and {@link Election#UNCLEAN}) keep the current leader if it is a valid
 *       leader (acceptable, and in the target ISR or, when that is empty, in the ELR), else take the first valid one
 *       in replica order; {@link Election#PREFERRED} tries the first replica before the current leader. A leader
 *       taken from the ELR becomes the ISR alone and leaves the ELR (a clean election: it holds every committed
 *       record). Failing that, with ELR on and ISR and ELR both empty, the last known leader (a one-broker
 *       {@code lastKnownElr}) leads if acceptable, whatever the unclean setting, as Kafka 4.3.1. Failing that, UNCLEAN
 *       (not PREFERRED) takes the first acceptable replica. Both of these are unclean: the ISR becomes the leader
 *       alone, the leader recovery state RECOVERING (records may be lost) and the ELR empty. Failing all, the
 *       leader is -1. The leader field is written only when the leader changes.</li>
 *   <li>A change that drops replicas while the leader stays writes the leader all the same: the leader epoch goes up
 *       and fences the replicas leaving.</li>
 *   <li>The ELR is written when it differs (off: always empty). The ISR is written when it differs; an empty target
 *       ISR only with ELR on (off, the ISR keeps its last members, so the replicas that had every acknowledged record
 *       stay known).</li>
 *   <li>With ELR on, {@code lastKnownElr}: a change that takes the leader to -1 while it is empty records the
 *       leader it had; a change that gives a leader while it is set empties it (Kafka 4.3.1's
 *       {@code maybeUpdateLastKnownLeader}).</li>
 *   <li>Replicas (when the target is non-empty), removing and adding replicas are written when they differ, the
 *       leader recovery state when a target one is set and differs. New replicas come with their directories (KIP-858):
 *       a kept replica keeps its own, an added one starts in {@link #defaultDirs}.</li>
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
    private boolean elrEnabled;
    private int minIsr = 1;
    private List<Integer> targetElr;
    private Set<Integer> uncleanShutdown = Set.of();
    private IntFunction<Uuid> defaultDir = broker -> DirectoryId.UNASSIGNED;

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
        this.targetElr = partition.elr();
    }

    /**
     * Eligible leader replicas on or off (the cluster's {@code eligible.leader.replicas.version} >= 1), with the
     * partition's effective minimum ISR size ({@link PartitionMoves#minIsr}). Off by default.
     */
    PartitionChange elr(boolean enabled, int minIsr) {
        this.elrEnabled = enabled;
        this.minIsr = minIsr;
        return this;
    }

    /** Brokers that restarted after an unclean shutdown: they never enter the ELR (and are not acceptable). */
    PartitionChange uncleanShutdown(Set<Integer> brokers) {
        this.uncleanShutdown = Set.copyOf(brokers);
        return this;
    }

    /** Where a replica added to the partition starts (its broker's only log directory, KIP-858); default unknown. */
    PartitionChange defaultDirs(IntFunction<Uuid> placeNew) {
        this.defaultDir = placeNew;
        return this;
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
        populateTargetElr();
        elect(record);
        if (record.leader() == PartitionMoves.NO_LEADER_CHANGE && !targetReplicas.containsAll(partition.replicas())) {
            record.setLeader(partition.leader()); // replicas leave: a new leader epoch fences them
        }
        if (record.isr() != null || !elrEnabled) {
            targetElr = List.of(); // an unclean election: nobody else is known to hold what the leader has
        }
        if (!targetElr.equals(partition.elr())) {
            record.setEligibleLeaderReplicas(targetElr);
        }
        if (record.isr() == null && (!targetIsr.isEmpty() || elrEnabled) && !targetIsr.equals(partition.isr())) {
            record.setIsr(targetIsr);
        }
        if (elrEnabled) {
            if (record.leader() == PartitionMoves.NO_LEADER && partition.lastKnownElr().isEmpty()) {
                record.setLastKnownElr(List.of(partition.leader()));
            } else if (record.leader() >= 0 && !partition.lastKnownElr().isEmpty()) {
                record.setLastKnownElr(List.of());
            }
        }
        if (!targetReplicas.isEmpty() && !targetReplicas.equals(partition.replicas())) {
            record.setReplicas(targetReplicas);
            record.setDirectories(partition.directoriesFor(targetReplicas, defaultDir)); // one per replica
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

    private void populateTargetElr() {
        if (!elrEnabled) {
            return;
        }
        if (targetIsr.size() >= minIsr) {
            targetElr = List.of();
            return;
        }
        Set<Integer> elr = new TreeSet<>(targetElr);
        elr.addAll(partition.isr());
        elr.removeAll(targetIsr);
        elr.removeAll(uncleanShutdown);
        elr.retainAll(targetReplicas);
        targetElr = List.copyOf(elr);
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
            if (leader == PartitionMoves.NO_LEADER && lastKnownLeaderElectable()) {
                leader = partition.lastKnownElr().get(0);
                unclean = true;
            } else if (leader == PartitionMoves.NO_LEADER && election == Election.UNCLEAN) {
                leader = firstOf(targetReplicas, acceptable);
                unclean = leader != PartitionMoves.NO_LEADER;
            }
        }
        if (leader == partition.leader()) {
            return;
        }
        record.setLeader(leader);
        if (targetElr.contains(leader)) { // a clean election from the ELR: it holds every committed record
            targetIsr = List.of(leader);
            int elected = leader;
            targetElr = targetElr.stream().filter(b -> b != elected).toList();
        } else if (unclean) {
            record.setIsr(List.of(leader));
            if (partition.leaderRecoveryState() != PartitionImage.RECOVERING) {
                record.setLeaderRecoveryState(PartitionImage.RECOVERING);
            }
        }
    }

    /** Acceptable, and in the target ISR or (when that is empty) in the ELR. */
    private boolean validLeader(int broker) {
        return (targetIsr.contains(broker) || (targetIsr.isEmpty() && targetElr.contains(broker)))
                && acceptable.test(broker);
    }

    /** With ELR on, ISR and ELR both empty: the last known leader, if it is one acceptable broker. */
    private boolean lastKnownLeaderElectable() {
        return elrEnabled && targetIsr.isEmpty() && targetElr.isEmpty() && partition.lastKnownElr().size() == 1
                && acceptable.test(partition.lastKnownElr().get(0));
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
                && record.eligibleLeaderReplicas() == null && record.lastKnownElr() == null
                && record.addingReplicas() == null && record.removingReplicas() == null
                && record.leaderRecoveryState() == PartitionMoves.NO_RECOVERY_STATE_CHANGE;
    }
}
