package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionRequestData.BrokerState;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Reassignments} (AlterPartitionReassignments / ListPartitionReassignments) and the completion of a
 * reassignment by AlterPartition ({@link IsrControl}): one test per rule, records replayed through
 * {@link MetadataDelta} as the controller applies them.
 */
@Timeout(30)
class ReassignmentsTest {
    private final ClusterHarness h = new ClusterHarness();
    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
    private Uuid topic;

    @BeforeEach
    void brokers() {
        for (int id = 1; id <= 4; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        topic = new Uuid(77, 11);
        h.apply(List.of(MetadataRecords.topic("t", topic),
                MetadataRecords.partition(topic, 0, List.of(1), List.of(1), 1, 0, 0),
                MetadataRecords.partition(topic, 1, List.of(1, 2, 3), List.of(1, 2, 3), 1, 0, 0)));
    }

    private PartitionImage p(int partition) {
        return h.partition(topic, partition);
    }

    private static AlterPartitionReassignmentsRequestData request(String topic, int partition, Integer... target) {
        AlterPartitionReassignmentsRequestData request = new AlterPartitionReassignmentsRequestData();
        request.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName(topic)
                .setPartitions(new ArrayList<>(List.of(new AlterPartitionReassignmentsRequestData.ReassignablePartition()
                        .setPartitionIndex(partition).setReplicas(target == null ? null : Arrays.asList(target))))));
        return request;
    }

    private Errors reassign(AlterPartitionReassignmentsRequestData request) {
        AlterPartitionReassignmentsResponseData response = h.apply(Reassignments.alter(h.image, request));
        assertEquals(Errors.NONE.code(), response.errorCode());
        return Errors.forCode(response.responses().get(0).partitions().get(0).errorCode());
    }

    private Errors refusedWithoutRecords(AlterPartitionReassignmentsRequestData request) {
        ClusterResult<AlterPartitionReassignmentsResponseData> result = Reassignments.alter(h.image, request);
        assertTrue(result.records().isEmpty(), "a refusal writes nothing");
        return Errors.forCode(result.response().responses().get(0).partitions().get(0).errorCode());
    }

    /** AlterPartition from the partition's leader with {@code isr}, applied. */
    private AlterPartitionResponseData.PartitionData isr(int partition, Integer... isr) {
        PartitionImage p = p(partition);
        AlterPartitionRequestData.PartitionData data = new AlterPartitionRequestData.PartitionData()
                .setPartitionIndex(partition).setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch());
        for (int member : isr) {
            data.newIsrWithEpochs().add(new BrokerState().setBrokerId(member)
                    .setBrokerEpoch(h.cluster.broker(member).epoch()));
        }
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(p.leader())
                .setBrokerEpoch(h.cluster.broker(p.leader()).epoch());
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(topic)
                .setPartitions(new ArrayList<>(List.of(data))));
        return h.apply(IsrControl.alterPartition(h.image, request)).topics().get(0).partitions().get(0);
    }

    @Test
    void aReassignmentAddsTheTargetAsFollowersAndKeepsLeaderAndIsr() {
        PartitionImage before = p(0);
        assertEquals(Errors.NONE, reassign(request("t", 0, 2, 3)));
        PartitionImage during = p(0);
        assertEquals(List.of(2, 3, 1), during.replicas(), "target, then the replicas leaving");
        assertEquals(List.of(2, 3), during.addingReplicas());
        assertEquals(List.of(1), during.removingReplicas());
        assertEquals(List.of(1), during.isr());
        assertEquals(1, during.leader());
        assertEquals(before.leaderEpoch(), during.leaderEpoch(), "adding replicas does not bump the leader epoch");
        assertEquals(before.partitionEpoch() + 1, during.partitionEpoch());
    }

    @Test
    void theReassignmentCompletesWhenEveryTargetReplicaIsInTheIsrAndTheLeaderLeaves() {
        reassign(request("t", 0, 2, 3));
        int leaderEpoch = p(0).leaderEpoch();
        AlterPartitionResponseData.PartitionData first = isr(0, 1, 2);
        assertEquals(Errors.NONE.code(), first.errorCode());
        assertTrue(p(0).reassigning(), "3 has not caught up yet");
        assertEquals(List.of(1, 2), p(0).isr());

        AlterPartitionResponseData.PartitionData second = isr(0, 1, 2, 3);
        assertEquals(Errors.NEW_LEADER_ELECTED.code(), second.errorCode(), "the sender no longer leads");
        PartitionImage done = p(0);
        assertFalse(done.reassigning());
        assertEquals(List.of(2, 3), done.replicas());
        assertEquals(List.of(2, 3), done.isr(), "the removed replica left the ISR");
        assertEquals(2, done.leader(), "the first target replica in the ISR leads");
        assertEquals(leaderEpoch + 1, done.leaderEpoch());
    }

    @Test
    void removingAReplicaBumpsTheLeaderEpochEvenWhenTheLeaderStays() {
        // [1,2,3] -> [1,2]: every target replica is in the ISR already, so the request itself completes it
        int leaderEpoch = p(1).leaderEpoch();
        assertEquals(Errors.NONE, reassign(request("t", 1, 1, 2)));
        PartitionImage done = p(1);
        assertFalse(done.reassigning());
        assertEquals(List.of(1, 2), done.replicas());
        assertEquals(List.of(1, 2), done.isr());
        assertEquals(1, done.leader());
        assertEquals(leaderEpoch + 1, done.leaderEpoch(), "the removed replica is fenced by a new leader epoch");
    }

    @Test
    void completionByAlterPartitionKeepsALeaderThatStaysAndAnswersTheNewEpochs() {
        reassign(request("t", 1, 1, 2, 4)); // 4 added, 3 removed
        assertEquals(List.of(4), p(1).addingReplicas());
        assertEquals(List.of(3), p(1).removingReplicas());
        PartitionImage before = p(1);
        AlterPartitionResponseData.PartitionData answer = isr(1, 1, 2, 3, 4);
        assertEquals(Errors.NONE.code(), answer.errorCode());
        PartitionImage done = p(1);
        assertEquals(List.of(1, 2, 4), done.replicas());
        assertEquals(List.of(1, 2, 4), done.isr());
        assertEquals(1, done.leader());
        assertEquals(before.leaderEpoch() + 1, done.leaderEpoch());
        assertEquals(done.leaderEpoch(), answer.leaderEpoch());
        assertEquals(done.partitionEpoch(), answer.partitionEpoch());
        assertEquals(done.isr(), answer.isr());
    }

    @Test
    void anIsrChangeThatDoesNotCoverTheTargetLeavesTheReassignmentInProgress() {
        reassign(request("t", 1, 1, 2, 4));
        isr(1, 1, 2); // 3 drops out; 4 is still catching up
        assertTrue(p(1).reassigning());
        assertEquals(List.of(1, 2, 4, 3), p(1).replicas());
    }

    @Test
    void cancelRevertsToTheOriginalReplicasAndDropsAddingReplicasFromTheIsr() {
        reassign(request("t", 1, 1, 2, 4));
        isr(1, 1, 2, 3, 4); // completes... so start one that cannot complete
        reassign(request("t", 1, 3, 4)); // from [1,2,4]: adds 3, removes 1 and 2
        assertEquals(List.of(3, 4, 1, 2), p(1).replicas());
        isr(1, 1, 2, 4, 3); // completes: leader 1 leaves
        assertFalse(p(1).reassigning());
        assertEquals(List.of(3, 4), p(1).replicas());
        // now a cancellable one: [3,4] -> [1,2], nobody caught up
        reassign(request("t", 1, 1, 2));
        assertEquals(List.of(1, 2, 3, 4), p(1).replicas());
        int leader = p(1).leader();
        assertEquals(Errors.NONE, reassign(request("t", 1, (Integer[]) null)));
        PartitionImage reverted = p(1);
        assertFalse(reverted.reassigning());
        assertEquals(List.of(3, 4), reverted.replicas());
        assertEquals(List.of(4, 3), reverted.isr(), "the ISR as it was, in its order");
        assertEquals(leader, reverted.leader());
    }

    @Test
    void cancelAfterAnAddingReplicaJoinedTheIsrRemovesItFromTheIsr() {
        reassign(request("t", 0, 2, 3));
        isr(0, 1, 2);
        int leaderEpoch = p(0).leaderEpoch();
        assertEquals(Errors.NONE, reassign(request("t", 0, (Integer[]) null)));
        PartitionImage reverted = p(0);
        assertEquals(List.of(1), reverted.replicas());
        assertEquals(List.of(1), reverted.isr());
        assertEquals(1, reverted.leader());
        assertEquals(leaderEpoch + 1, reverted.leaderEpoch(), "dropped replicas are fenced");
    }

    @Test
    void cancelWithNothingInProgressIsNoReassignmentInProgress() {
        assertEquals(Errors.NO_REASSIGNMENT_IN_PROGRESS, refusedWithoutRecords(request("t", 0, (Integer[]) null)));
    }

    @Test
    void unknownTopicOrPartition() {
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, refusedWithoutRecords(request("nope", 0, 1)));
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, refusedWithoutRecords(request("t", 9, 1)));
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, refusedWithoutRecords(request("t", 9, (Integer[]) null)));
    }

    @Test
    void invalidTargetsAreInvalidReplicaAssignment() {
        assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT, refusedWithoutRecords(request("t", 0)), "empty");
        assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT, refusedWithoutRecords(request("t", 0, 2, 2)), "duplicate");
        assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT, refusedWithoutRecords(request("t", 0, 2, 9)),
                "unregistered");
        assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT, refusedWithoutRecords(request("t", 0, 2, -1)), "negative");
        assertEquals(List.of(1), p(0).replicas());
    }

    @Test
    void aFencedButRegisteredBrokerMayBeATarget() {
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(4)
                .setBrokerEpoch(h.cluster.broker(4).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setWantFence(true), 1));
        assertEquals(Errors.NONE, reassign(request("t", 0, 4)));
        assertEquals(List.of(4), p(0).addingReplicas());
        assertEquals(1, p(0).leader(), "the fenced target cannot lead");
    }

    @Test
    void replicationFactorChangeRefusedWhenNotAllowed() {
        AlterPartitionReassignmentsRequestData request = request("t", 0, 2, 3).setAllowReplicationFactorChange(false);
        assertEquals(Errors.INVALID_REPLICATION_FACTOR, refusedWithoutRecords(request));
        assertEquals(Errors.NONE, reassign(request("t", 0, 2).setAllowReplicationFactorChange(false)));
    }

    @Test
    void theSameTargetAsTheReplicasWritesNothing() {
        ClusterResult<AlterPartitionReassignmentsResponseData> result = Reassignments.alter(h.image,
                request("t", 1, 1, 2, 3));
        assertTrue(result.records().isEmpty());
        assertEquals(Errors.NONE.code(), result.response().responses().get(0).partitions().get(0).errorCode());
    }

    @Test
    void aNewTargetDuringAReassignmentStartsFromTheCurrentReplicas() {
        reassign(request("t", 0, 2, 3));
        reassign(request("t", 0, 4));
        assertEquals(List.of(4, 2, 3, 1), p(0).replicas());
        assertEquals(List.of(4), p(0).addingReplicas());
        assertEquals(List.of(2, 3, 1), p(0).removingReplicas());
    }

    @Test
    void listShowsOnlyReassignmentsInProgress() {
        reassign(request("t", 0, 2, 3));
        ListPartitionReassignmentsResponseData all = Reassignments.list(h.image,
                new ListPartitionReassignmentsRequestData().setTopics(null));
        assertEquals(1, all.topics().size());
        ListPartitionReassignmentsResponseData.OngoingPartitionReassignment ongoing =
                all.topics().get(0).partitions().get(0);
        assertEquals(0, ongoing.partitionIndex());
        assertEquals(List.of(2, 3, 1), ongoing.replicas());
        assertEquals(List.of(2, 3), ongoing.addingReplicas());
        assertEquals(List.of(1), ongoing.removingReplicas());

        ListPartitionReassignmentsRequestData named = new ListPartitionReassignmentsRequestData();
        named.setTopics(new ArrayList<>(List.of(new ListPartitionReassignmentsRequestData
                .ListPartitionReassignmentsTopics().setName("t").setPartitionIndexes(List.of(1, 5)),
                new ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics().setName("nope")
                        .setPartitionIndexes(List.of(0)))));
        assertTrue(Reassignments.list(h.image, named).topics().isEmpty(),
                "partition 1 is not reassigning; unknown ones are left out");
    }

    @Test
    void aReassignmentInProgressSurvivesASnapshot() {
        reassign(request("t", 0, 2, 3));
        MetadataImage restored = MetadataImage.EMPTY.apply(h.image.records(), h.image.offset());
        assertEquals(p(0), restored.topic(topic).partitions().get(0));
        PartitionChangeRecord change = new PartitionChangeRecord().setTopicId(topic).setPartitionId(0)
                .setAddingReplicas(List.of()).setRemovingReplicas(List.of()).setReplicas(List.of(2, 3));
        MetadataImage after = restored.apply(List.of(new ApiMessageAndVersion(change, (short) 0)),
                restored.offset() + 1);
        assertFalse(after.topic(topic).partitions().get(0).reassigning());
        assertNull(new PartitionChangeRecord().addingReplicas(), "null means unchanged on replay");
    }

    @Test
    void aNodeWithoutRegistrationsTakesOnlyTheReplicasAPartitionHasAndWritesNothing() {
        java.util.function.IntPredicate self = id -> id == 1; // the single node: its own id is the only broker
        AlterPartitionReassignmentsRequestData request = request("t", 0, 1);
        request.topics().get(0).partitions().add(new AlterPartitionReassignmentsRequestData.ReassignablePartition()
                .setPartitionIndex(0).setReplicas(List.of(1)));
        request.topics().get(0).partitions().add(new AlterPartitionReassignmentsRequestData.ReassignablePartition()
                .setPartitionIndex(7).setReplicas(List.of(1)));
        ClusterResult<AlterPartitionReassignmentsResponseData> same = Reassignments.alter(h.image, request, self, self);
        assertTrue(same.records().isEmpty(), "the same replicas change nothing");
        assertEquals(List.of(Errors.NONE.code(), Errors.INVALID_REPLICA_ASSIGNMENT.code(),
                        Errors.UNKNOWN_TOPIC_OR_PARTITION.code()),
                same.response().responses().get(0).partitions().stream()
                        .map(AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse::errorCode).toList(),
                "accepted, named twice, unknown partition");

        ClusterResult<AlterPartitionReassignmentsResponseData> other =
                Reassignments.alter(h.image, request("t", 0, 2), self, self);
        assertTrue(other.records().isEmpty());
        assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(),
                other.response().responses().get(0).partitions().get(0).errorCode(), "broker 2 is not this node");
        assertEquals(Errors.NO_REASSIGNMENT_IN_PROGRESS.code(), Reassignments.alter(h.image,
                request("t", 0, (Integer[]) null), self, self).response().responses().get(0).partitions().get(0)
                .errorCode(), "nothing to cancel");
    }
}
