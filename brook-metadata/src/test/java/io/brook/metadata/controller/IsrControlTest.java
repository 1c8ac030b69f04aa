package io.brook.metadata.controller;

import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionRequestData.BrokerState;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** One test per AlterPartition rule of {@link IsrControl}, records replayed as the log would. */
@Timeout(30)
class IsrControlTest {
    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
    private final ClusterHarness h = new ClusterHarness();
    private Uuid topic;

    /** Brokers 1-4 unfenced; topic "t" partition 0 on [1, 2, 3] led by 1 with ISR [1, 2]. */
    @BeforeEach
    void setUp() {
        for (int id = 1; id <= 4; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        topic = createPartition("t", List.of(1, 2, 3), List.of(1, 2), 1);
    }

    private Uuid createPartition(String name, List<Integer> replicas, List<Integer> isr, int leader) {
        Uuid id = new Uuid(name.hashCode() + 7L, 11L);
        h.apply(List.of(MetadataRecords.topic(name, id),
                MetadataRecords.partition(id, 0, replicas, isr, leader, 0, 0)));
        return id;
    }

    private PartitionImage p0() {
        return h.partition(topic, 0);
    }

    private long epochOf(int broker) {
        return h.cluster.broker(broker).epoch();
    }

    /** A v3 request from broker {@code sender} for partition 0 of {@link #topic}, members with their epochs. */
    private AlterPartitionRequestData request(int sender, int leaderEpoch, int partitionEpoch, List<Integer> isr) {
        AlterPartitionRequestData.PartitionData data = new AlterPartitionRequestData.PartitionData()
                .setPartitionIndex(0).setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch);
        for (int member : isr) {
            data.newIsrWithEpochs().add(new BrokerState().setBrokerId(member)
                    .setBrokerEpoch(h.cluster.broker(member) == null ? 99 : epochOf(member)));
        }
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(sender)
                .setBrokerEpoch(h.cluster.broker(sender) == null ? 99 : epochOf(sender));
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(topic)
                .setPartitions(new ArrayList<>(List.of(data))));
        return request;
    }

    /** From the leader, at the partition's current epochs. */
    private AlterPartitionRequestData fromLeader(List<Integer> isr) {
        return request(p0().leader(), p0().leaderEpoch(), p0().partitionEpoch(), isr);
    }

    private static AlterPartitionRequestData.PartitionData only(AlterPartitionRequestData request) {
        return request.topics().get(0).partitions().get(0);
    }

    private static AlterPartitionResponseData.PartitionData only(ClusterResult<AlterPartitionResponseData> result) {
        return result.response().topics().get(0).partitions().get(0);
    }

    /** Decides without applying; checks a refusal writes nothing and returns its partition error. */
    private Errors refused(AlterPartitionRequestData request) {
        ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image, request);
        assertEquals(List.of(), result.records(), "a refused partition writes nothing");
        return Errors.forCode(only(result).errorCode());
    }

    @Test
    void anIsrShrinkIsOneRecordThatBumpsThePartitionEpochAndNotTheLeaderEpoch() {
        PartitionImage before = p0();
        ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image, fromLeader(List.of(1)));

        assertEquals(1, result.records().size());
        ApiMessageAndVersion written = result.records().get(0);
        PartitionChangeRecord change = (PartitionChangeRecord) written.message();
        assertEquals(topic, change.topicId());
        assertEquals(0, change.partitionId());
        assertEquals(List.of(1), change.isr());
        assertEquals(MetadataRecords.NO_LEADER_CHANGE, change.leader(), "the leader stays");
        assertNull(change.replicas());
        assertEquals(-1, change.leaderRecoveryState(), "recovery state unchanged");
        assertEquals(MetadataRecords.METADATA_VERSION.partitionChangeRecordVersion(), written.version());

        AlterPartitionResponseData.PartitionData answer = only(result);
        assertEquals(Errors.NONE.code(), answer.errorCode());
        assertEquals(1, answer.leaderId());
        assertEquals(before.leaderEpoch(), answer.leaderEpoch());
        assertEquals(List.of(1), answer.isr());
        assertEquals(before.partitionEpoch() + 1, answer.partitionEpoch());
        assertEquals(PartitionImage.RECOVERED, answer.leaderRecoveryState());
        assertEquals(topic, result.response().topics().get(0).topicId());

        h.apply(result);
        assertEquals(List.of(1), p0().isr());
        assertEquals(before.leaderEpoch(), p0().leaderEpoch(), "an ISR-only change keeps the leader epoch");
        assertEquals(before.partitionEpoch() + 1, p0().partitionEpoch());
        assertEquals(answer.partitionEpoch(), p0().partitionEpoch(), "the answer is what the image says");
        assertEquals(1, p0().leader());
    }

    @Test
    void anIsrExpansionAddsAnEligibleReplica() {
        ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image,
                fromLeader(List.of(1, 2, 3)));
        assertEquals(Errors.NONE.code(), only(result).errorCode());
        h.apply(result);
        assertEquals(List.of(1, 2, 3), p0().isr());
        assertEquals(1, p0().partitionEpoch());
        // the next change must name the new partition epoch
        assertEquals(Errors.NONE, Errors.forCode(only(IsrControl.alterPartition(h.image,
                fromLeader(List.of(1, 3)))).errorCode()));
    }

    @Test
    void theSameIsrAgainWritesNothingAndAnswersTheCurrentState() {
        ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image,
                fromLeader(List.of(2, 1)));
        assertEquals(List.of(), result.records());
        AlterPartitionResponseData.PartitionData answer = only(result);
        assertEquals(Errors.NONE.code(), answer.errorCode());
        assertEquals(List.of(1, 2), answer.isr());
        assertEquals(0, answer.partitionEpoch());
    }

    @Test
    void theSenderMustBeRegisteredWithItsCurrentBrokerEpoch() {
        AlterPartitionRequestData stale = fromLeader(List.of(1)).setBrokerEpoch(epochOf(1) - 1);
        assertThrows(StaleBrokerEpochException.class, () -> IsrControl.alterPartition(h.image, stale));
        AlterPartitionRequestData unknown = fromLeader(List.of(1)).setBrokerId(9);
        StaleBrokerEpochException e = assertThrows(StaleBrokerEpochException.class,
                () -> IsrControl.alterPartition(h.image, unknown));
        assertEquals(Errors.STALE_BROKER_EPOCH, Errors.forException(e));
    }

    @Test
    void unknownTopicIdsAndPartitionsAreRefused() {
        AlterPartitionRequestData unknownTopic = fromLeader(List.of(1));
        unknownTopic.topics().get(0).setTopicId(Uuid.randomUuid());
        assertEquals(Errors.UNKNOWN_TOPIC_ID, refused(unknownTopic));
        AlterPartitionRequestData zeroId = fromLeader(List.of(1));
        zeroId.topics().get(0).setTopicId(Uuid.ZERO_UUID);
        assertEquals(Errors.UNKNOWN_TOPIC_ID, refused(zeroId));

        AlterPartitionRequestData unknownPartition = fromLeader(List.of(1));
        only(unknownPartition).setPartitionIndex(5);
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, refused(unknownPartition));
    }

    @Test
    void onlyTheLeaderMayAlterItsPartition() {
        // broker 2 with the current epochs: a misbehaving broker, refused as Kafka refuses it
        assertEquals(Errors.INVALID_REQUEST, refused(request(2, 0, 0, List.of(1, 2))));
    }

    @Test
    void anOlderLeaderEpochIsFencedAndANewerOneMeansThisControllerIsBehind() {
        // move the leadership: 1 is fenced, 2 leads with leader epoch 1
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(1)
                .setBrokerEpoch(epochOf(1)).setCurrentMetadataOffset(h.image.offset()).setWantFence(true), 1));
        assertEquals(2, p0().leader());
        assertEquals(1, p0().leaderEpoch());
        // the deposed leader still thinks it leads at epoch 0
        assertEquals(Errors.FENCED_LEADER_EPOCH, refused(request(1, 0, 0, List.of(1, 2))));
        assertEquals(Errors.FENCED_LEADER_EPOCH, refused(request(2, 0, p0().partitionEpoch(), List.of(2))));
        assertEquals(Errors.NOT_CONTROLLER, refused(request(2, 2, p0().partitionEpoch(), List.of(2))));
        assertEquals(Errors.NOT_CONTROLLER, refused(request(2, 1, p0().partitionEpoch() + 1, List.of(2))));
    }

    @Test
    void aStalePartitionEpochIsRefusedUnlessTheIsrIsAlreadyAsAsked() {
        h.apply(IsrControl.alterPartition(h.image, fromLeader(List.of(1))));
        assertEquals(1, p0().partitionEpoch());
        assertEquals(Errors.INVALID_UPDATE_VERSION, refused(request(1, 0, 0, List.of(1, 2))));

        // the same change again (its answer was lost): the current state, nothing written
        ClusterResult<AlterPartitionResponseData> retry = IsrControl.alterPartition(h.image,
                request(1, 0, 0, List.of(1)));
        assertEquals(List.of(), retry.records());
        assertEquals(Errors.NONE.code(), only(retry).errorCode());
        assertEquals(List.of(1), only(retry).isr());
        assertEquals(1, only(retry).partitionEpoch());
        assertEquals(1, only(retry).leaderId());
    }

    @Test
    void theIsrMustBeDistinctReplicasIncludingTheLeader() {
        assertEquals(Errors.INVALID_REQUEST, refused(fromLeader(List.of(1, 4))), "4 is not a replica");
        assertEquals(Errors.INVALID_REQUEST, refused(fromLeader(List.of(2, 3))), "without the leader");
        assertEquals(Errors.INVALID_REQUEST, refused(fromLeader(List.of(1, 2, 2))), "2 twice");
        assertEquals(Errors.INVALID_REQUEST, refused(fromLeader(List.of())), "empty");
    }

    @Test
    void aMemberMustBeRegisteredUnfencedNotShuttingDownAndOfTheNamedEpoch() {
        // 3 is a replica; make it ineligible in each way in turn
        AlterPartitionRequestData wrongEpoch = fromLeader(List.of(1, 2, 3));
        only(wrongEpoch).newIsrWithEpochs().get(2).setBrokerEpoch(epochOf(3) - 1);
        assertEquals(Errors.INELIGIBLE_REPLICA, refused(wrongEpoch), "a restarted replica's old epoch");

        AlterPartitionRequestData unknownEpoch = fromLeader(List.of(1, 2, 3));
        only(unknownEpoch).newIsrWithEpochs().get(2).setBrokerEpoch(IsrControl.UNKNOWN_BROKER_EPOCH);
        assertEquals(Errors.NONE, Errors.forCode(only(IsrControl.alterPartition(h.image, unknownEpoch))
                .errorCode()), "-1: the epoch is not checked");

        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(3)
                .setBrokerEpoch(epochOf(3)).setCurrentMetadataOffset(h.image.offset()).setWantShutDown(true), 1));
        assertEquals(Errors.INELIGIBLE_REPLICA, refused(fromLeader(List.of(1, 2, 3))), "in controlled shutdown");

        h.apply(control.unregister(h.cluster, h.image, 3));
        assertEquals(Errors.INELIGIBLE_REPLICA, refused(fromLeader(List.of(1, 2, 3))), "not registered");

        h.register(control, 3, Uuid.randomUuid(), null, 2);
        assertEquals(Errors.INELIGIBLE_REPLICA, refused(fromLeader(List.of(1, 2, 3))), "fenced");
        h.heartbeat(control, 3, false, 3);
        assertEquals(Errors.NONE, Errors.forCode(only(IsrControl.alterPartition(h.image,
                fromLeader(List.of(1, 2, 3)))).errorCode()), "back in service with its new epoch");
    }

    @Test
    void aVersion2IsrWithoutEpochsIsCheckedForEligibilityToo() {
        AlterPartitionRequestData request = fromLeader(List.of());
        only(request).setNewIsr(new ArrayList<>(List.of(1, 2, 3)));
        ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image, request);
        assertEquals(Errors.NONE.code(), only(result).errorCode());
        assertEquals(List.of(1, 2, 3), ((PartitionChangeRecord) result.records().get(0).message()).isr());

        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(3)
                .setBrokerEpoch(epochOf(3)).setCurrentMetadataOffset(h.image.offset()).setWantFence(true), 1));
        AlterPartitionRequestData fenced = fromLeader(List.of());
        only(fenced).setNewIsr(new ArrayList<>(List.of(1, 2, 3)));
        assertEquals(Errors.INELIGIBLE_REPLICA, refused(fenced));
    }

    @Test
    void aPartitionNamedTwiceIsRefusedTheSecondTime() {
        AlterPartitionRequestData request = fromLeader(List.of(1));
        AlterPartitionRequestData.PartitionData again = only(request).duplicate().setNewIsrWithEpochs(
                new ArrayList<>(List.of(new BrokerState().setBrokerId(1).setBrokerEpoch(epochOf(1)),
                        new BrokerState().setBrokerId(3).setBrokerEpoch(epochOf(3)))));
        request.topics().get(0).partitions().add(again);
        ClusterResult<AlterPartitionResponseData> result = IsrControl.alterPartition(h.image, request);
        assertEquals(1, result.records().size());
        List<AlterPartitionResponseData.PartitionData> answers = result.response().topics().get(0).partitions();
        assertEquals(Errors.NONE.code(), answers.get(0).errorCode());
        assertEquals(Errors.INVALID_REQUEST.code(), answers.get(1).errorCode());
    }

    @Test
    void anUncleanLeaderReportsRecoveredOnceItHasItsIsr() {
        // p0: ISR [1, 2]; shrink to [1], enable unclean election, fence 1: 2 (not in the ISR) leads, RECOVERING
        h.apply(IsrControl.alterPartition(h.image, fromLeader(List.of(1))));
        h.apply(List.of(MetadataRecords.topicConfig("t", "unclean.leader.election.enable", "true")));
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(1)
                .setBrokerEpoch(epochOf(1)).setCurrentMetadataOffset(h.image.offset()).setWantFence(true), 1));
        assertEquals(2, p0().leader());
        assertEquals(List.of(2), p0().isr());
        assertEquals(PartitionImage.RECOVERING, p0().leaderRecoveryState());

        // while recovering the ISR is the leader alone
        AlterPartitionRequestData grow = fromLeader(List.of(2, 3));
        only(grow).setLeaderRecoveryState(PartitionImage.RECOVERING);
        assertEquals(Errors.INVALID_REQUEST, refused(grow));
        AlterPartitionRequestData unknownState = fromLeader(List.of(2));
        only(unknownState).setLeaderRecoveryState((byte) 7);
        assertEquals(Errors.INVALID_REQUEST, refused(unknownState));

        ClusterResult<AlterPartitionResponseData> recovered = IsrControl.alterPartition(h.image,
                fromLeader(List.of(2)));
        PartitionChangeRecord change = (PartitionChangeRecord) recovered.records().get(0).message();
        assertNull(change.isr(), "the ISR does not change");
        assertEquals(PartitionImage.RECOVERED, change.leaderRecoveryState());
        assertEquals(PartitionImage.RECOVERED, only(recovered).leaderRecoveryState());
        int leaderEpoch = p0().leaderEpoch();
        h.apply(recovered);
        assertEquals(PartitionImage.RECOVERED, p0().leaderRecoveryState());
        assertEquals(leaderEpoch, p0().leaderEpoch());

        // and never back
        AlterPartitionRequestData back = fromLeader(List.of(2));
        only(back).setLeaderRecoveryState(PartitionImage.RECOVERING);
        assertEquals(Errors.INVALID_REQUEST, refused(back));
        assertEquals(Errors.NONE, Errors.forCode(only(IsrControl.alterPartition(h.image,
                fromLeader(List.of(2, 3)))).errorCode()));
    }

    @Test
    void theRecoveryStateSurvivesASnapshot() {
        h.apply(List.of(MetadataRecords.partitionChange(topic, 0, null, List.of(3), 3)));
        PartitionChangeRecord unclean = new PartitionChangeRecord().setTopicId(topic).setPartitionId(0)
                .setLeaderRecoveryState(PartitionImage.RECOVERING);
        h.apply(List.of(new ApiMessageAndVersion(unclean, MetadataRecords.METADATA_VERSION
                .partitionChangeRecordVersion())));
        assertEquals(PartitionImage.RECOVERING, p0().leaderRecoveryState());
        assertEquals(h.image, io.brook.metadata.image.MetadataImage.EMPTY.apply(h.image.records(), h.image.offset()));
        assertEquals(ApiKeys.ALTER_PARTITION.latestVersion(), (short) 3, "the version brokers forward");
    }
}
