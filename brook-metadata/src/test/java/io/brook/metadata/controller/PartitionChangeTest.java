package io.brook.metadata.controller;

import io.brook.metadata.image.PartitionImage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The rules of {@link PartitionChange} on its own: pure, record in, record out. */
@Timeout(30)
class PartitionChangeTest {
    private static final Uuid TOPIC = new Uuid(7, 8);
    private static final IntPredicate ALL = b -> true;

    /** Replicas [1, 2, 3], ISR as given, leader 1, RECOVERED. */
    private static PartitionImage partition(List<Integer> isr, int leader) {
        return new PartitionImage(0, List.of(1, 2, 3), isr, leader, 5, 9);
    }

    private static IntPredicate except(Integer... brokers) {
        Set<Integer> out = Set.of(brokers);
        return b -> !out.contains(b);
    }

    private static PartitionChangeRecord record(ApiMessageAndVersion record) {
        return (PartitionChangeRecord) record.message();
    }

    @Test
    void nothingToChangeIsNoRecord() {
        assertNull(new PartitionChange(TOPIC, partition(List.of(1, 2, 3), 1), ALL).build());
        assertNull(new PartitionChange(TOPIC, partition(List.of(1, 2, 3), 1), ALL).targetIsr(List.of(1, 2, 3))
                .targetRecoveryState(PartitionImage.RECOVERED).build());
    }

    @Test
    void anIsrShrinkKeepingAValidLeaderWritesOnlyTheIsr() {
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, partition(List.of(1, 2, 3), 1), ALL)
                .targetIsr(List.of(1, 3)).build());
        assertEquals(TOPIC, r.topicId());
        assertEquals(List.of(1, 3), r.isr());
        assertEquals(PartitionMoves.NO_LEADER_CHANGE, r.leader(), "no leader epoch bump for a shrink");
        assertNull(r.replicas());
        assertEquals(PartitionMoves.NO_RECOVERY_STATE_CHANGE, r.leaderRecoveryState());
    }

    @Test
    void aLeaderThatIsNotAcceptableIsReplacedByTheFirstValidReplicaInReplicaOrder() {
        PartitionImage p = new PartitionImage(0, List.of(3, 1, 2), List.of(1, 2, 3), 1, 5, 9);
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, p, except(1)).targetIsr(List.of(2, 3)).build());
        assertEquals(3, r.leader(), "3 comes first in replica order");
        assertEquals(List.of(2, 3), r.isr());
    }

    @Test
    void anEmptyTargetIsrIsNotWrittenAndLeavesNoLeader() {
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, partition(List.of(1), 1), except(1))
                .targetIsr(List.of()).build());
        assertEquals(PartitionMoves.NO_LEADER, r.leader());
        assertNull(r.isr(), "the ISR keeps its last member");
    }

    @Test
    void anUncleanElectionTakesTheFirstAcceptableReplicaAloneRecovering() {
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, partition(List.of(1), 1), except(1, 2))
                .targetIsr(List.of()).election(PartitionChange.Election.UNCLEAN).build());
        assertEquals(3, r.leader());
        assertEquals(List.of(3), r.isr());
        assertEquals(PartitionImage.RECOVERING, r.leaderRecoveryState());

        PartitionImage recovering = new PartitionImage(0, List.of(1, 2, 3), List.of(1), -1, 5, 9,
                PartitionImage.RECOVERING);
        r = record(new PartitionChange(TOPIC, recovering, except(1)).election(PartitionChange.Election.UNCLEAN).build());
        assertEquals(2, r.leader());
        assertEquals(PartitionMoves.NO_RECOVERY_STATE_CHANGE, r.leaderRecoveryState(), "already RECOVERING");
    }

    @Test
    void anUncleanElectionPrefersAValidIsrReplica() {
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, partition(List.of(1, 3), -1), except(1))
                .election(PartitionChange.Election.UNCLEAN).build());
        assertEquals(3, r.leader());
        assertNull(r.isr());
        assertEquals(PartitionMoves.NO_RECOVERY_STATE_CHANGE, r.leaderRecoveryState());
    }

    @Test
    void aPreferredElectionTakesTheFirstReplicaWhenValidElseKeepsTheLeader() {
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, partition(List.of(1, 2, 3), 2), ALL)
                .election(PartitionChange.Election.PREFERRED).build());
        assertEquals(1, r.leader());
        assertNull(new PartitionChange(TOPIC, partition(List.of(2, 3), 2), ALL)
                .election(PartitionChange.Election.PREFERRED).build(), "1 is not in the ISR: 2 stays");
        assertNull(new PartitionChange(TOPIC, partition(List.of(1, 2, 3), 2), ALL).build(),
                "an online election keeps a valid leader");
    }

    @Test
    void aCompletedReassignmentDropsTheRemovedReplicasAndBumpsTheLeaderEpoch() {
        // [1, 2, 3] -> [1, 2, 4]: replicas [1, 2, 4, 3], adding [4], removing [3]
        PartitionImage p = new PartitionImage(0, List.of(1, 2, 4, 3), List.of(1, 2, 3), 1, 5, 9,
                PartitionImage.RECOVERED, List.of(4), List.of(3));
        assertNull(new PartitionChange(TOPIC, p, ALL).build(), "4 has not caught up");
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, p, ALL).targetIsr(List.of(1, 2, 3, 4)).build());
        assertEquals(List.of(1, 2, 4), r.replicas());
        assertEquals(List.of(1, 2, 4), r.isr());
        assertEquals(List.of(), r.addingReplicas());
        assertEquals(List.of(), r.removingReplicas());
        assertEquals(1, r.leader(), "the leader stays, its epoch goes up to fence 3");
    }

    @Test
    void aCompletedReassignmentMovesTheLeaderOffARemovedReplica() {
        // [1, 2] -> [3, 2]: replicas [3, 2, 1], adding [3], removing [1]
        PartitionImage p = new PartitionImage(0, List.of(3, 2, 1), List.of(1, 2), 1, 5, 9,
                PartitionImage.RECOVERED, List.of(3), List.of(1));
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, p, ALL).targetIsr(List.of(1, 2, 3)).build());
        assertEquals(3, r.leader());
        assertEquals(List.of(2, 3), r.isr());
        assertEquals(List.of(3, 2), r.replicas());
    }

    @Test
    void aTargetRecoveryStateIsWrittenWhenItDiffers() {
        PartitionImage p = new PartitionImage(0, List.of(1, 2, 3), List.of(1), 1, 5, 9, PartitionImage.RECOVERING);
        PartitionChangeRecord r = record(new PartitionChange(TOPIC, p, ALL)
                .targetRecoveryState(PartitionImage.RECOVERED).build());
        assertEquals(PartitionImage.RECOVERED, r.leaderRecoveryState());
        assertNull(r.isr());
        assertEquals(PartitionMoves.NO_LEADER_CHANGE, r.leader());
    }
}
