package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Eligible leader replicas (KIP-966) in the controller's decisions, with the cluster's
 * {@code eligible.leader.replicas.version} at 1: fencing, unfencing, AlterPartition and ElectLeaders, as Kafka 4.3.1's
 * {@code PartitionChangeBuilder} decides them (docs/design/elr.md, tests 1, 3, 4, 5).
 */
@Timeout(30)
class ClusterControlElrTest {
    private final ClusterHarness h = new ClusterHarness();
    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);

    /** Brokers 1-3 unfenced; "t" partition 0 on [1, 2, 3] (or the replicas given) led by the first, min ISR as given. */
    private Uuid setUp(boolean elr, int minIsr, List<Integer> replicas) {
        for (int id = 1; id <= 3; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        if (elr) {
            records.add(MetadataRecords.featureLevel(MetadataImage.ELR_FEATURE, (short) 1));
        }
        records.add(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "min.insync.replicas",
                String.valueOf(minIsr)));
        h.apply(records);
        return h.createTopic("t", List.of(replicas));
    }

    private List<ApiMessageAndVersion> fence(int broker) {
        List<ApiMessageAndVersion> records = control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData()
                .setBrokerId(broker).setBrokerEpoch(h.cluster.broker(broker).epoch())
                .setCurrentMetadataOffset(h.image.offset()).setWantFence(true), 1).records();
        h.apply(records);
        return records;
    }

    private void unfence(int broker) {
        h.heartbeat(control, broker, false, 2);
    }

    private static void assertPartition(PartitionImage p, int leader, List<Integer> isr, List<Integer> elr,
                                        List<Integer> lastKnownElr) {
        assertEquals(leader, p.leader(), "leader of " + p);
        assertEquals(isr, p.isr(), "ISR of " + p);
        assertEquals(elr, p.elr(), "ELR of " + p);
        assertEquals(lastKnownElr, p.lastKnownElr(), "last known ELR of " + p);
    }

    /** Test 1: fencing 1, 2, 3 in turn empties the ISR into the ELR; 2 unfenced leads cleanly from the ELR. */
    @Test
    void fencedReplicasEnterTheElrOnceTheIsrIsBelowMinAndLeadFromIt() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        int epoch = h.partition(t, 0).leaderEpoch();
        fence(1);
        assertPartition(h.partition(t, 0), 2, List.of(2, 3), List.of(), List.of());
        fence(2);
        assertPartition(h.partition(t, 0), 3, List.of(3), List.of(2), List.of());
        fence(3);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(2, 3), List.of(3));
        assertEquals(epoch + 3, h.partition(t, 0).leaderEpoch(), "each leader change bumps the leader epoch");
        unfence(2);
        PartitionImage p = h.partition(t, 0);
        assertPartition(p, 2, List.of(2), List.of(3), List.of());
        assertEquals(PartitionImage.RECOVERED, p.leaderRecoveryState(), "an ELR member holds every committed record");
    }

    /** Test 5: the same fences with ELR off write today's records: the ISR keeps its last member, no ELR fields. */
    @Test
    void withElrOffTheRecordsAreTodays() {
        Uuid t = setUp(false, 2, List.of(1, 2, 3));
        fence(1);
        fence(2);
        List<ApiMessageAndVersion> records = fence(3);
        PartitionChangeRecord change = (PartitionChangeRecord) records.get(1).message();
        assertEquals(new PartitionChangeRecord().setTopicId(t).setPartitionId(0).setLeader(-1), change);
        assertPartition(h.partition(t, 0), -1, List.of(3), List.of(), List.of());
        unfence(2);
        assertEquals(-1, h.partition(t, 0).leader(), "2 is not in the ISR");
        unfence(3);
        assertPartition(h.partition(t, 0), 3, List.of(3), List.of(), List.of());
    }

    /**
     * Test 4: replication factor 1, min ISR 1: the fenced broker is in the ELR and the last known leader; back, it
     * leads cleanly from the ELR. Had it crashed (its ELR place cleared, as an unclean registration does) it comes
     * back through the last known leader, RECOVERING.
     */
    @Test
    void aSingleReplicaComesBackFromTheElrOrAsTheLastKnownLeader() {
        Uuid t = setUp(true, 1, List.of(1));
        fence(1);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(1), List.of(1));
        unfence(1);
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(), List.of());
        assertEquals(PartitionImage.RECOVERED, h.partition(t, 0).leaderRecoveryState());

        fence(1);
        h.apply(List.of(new ApiMessageAndVersion(new PartitionChangeRecord().setTopicId(t).setPartitionId(0)
                .setEligibleLeaderReplicas(List.of()), (short) 2)));
        unfence(1);
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(), List.of());
        assertEquals(PartitionImage.RECOVERING, h.partition(t, 0).leaderRecoveryState(),
                "a last known leader election is unclean");
    }

    /** A new incarnation of broker {@code id}, naming {@code previousEpoch} as its last clean shutdown's. */
    private void restart(int id, long previousEpoch) {
        h.apply(control.register(h.cluster, h.image, ClusterHarness.registration(id, Uuid.randomUuid(), null)
                .setPreviousBrokerEpoch(previousEpoch), h.image.offset() + 1, java.util.Map.of(), 3));
    }

    /** R8: a broker back from a clean shutdown (it names the epoch it closed with) stays eligible and leads. */
    @Test
    void aBrokerBackFromACleanShutdownLeadsFromTheElr() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        fence(3);
        fence(2);
        long epochOf1 = h.cluster.broker(1).epoch();
        fence(1);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(1, 2), List.of(1));
        restart(1, epochOf1);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(1, 2), List.of(1));
        unfence(1);
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(2), List.of());
        assertEquals(PartitionImage.RECOVERED, h.partition(t, 0).leaderRecoveryState());
    }

    /**
     * R8: a broker back from an unclean shutdown (-1, or an epoch that is not its last) leaves the ELR, and does not
     * lead while an ELR member may come back; once none is left, the last known leader leads, RECOVERING.
     */
    @Test
    void aBrokerBackFromAnUncleanShutdownLeavesTheElr() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        fence(3);
        long epochOf2 = h.cluster.broker(2).epoch();
        fence(2);
        fence(1);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(1, 2), List.of(1));
        restart(1, -1);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(2), List.of(1));
        unfence(1);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(2), List.of(1));
        restart(2, epochOf2 + 1000);
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(), List.of());
        assertEquals(PartitionImage.RECOVERING, h.partition(t, 0).leaderRecoveryState(),
                "only as the last known leader, unclean: it may have lost committed records");
    }

    /**
     * R9: a new min.insync.replicas (the topic's, or the cluster-wide one) empties the ELRs it concerns; with ELR on
     * a broker's own value and removing the cluster's are refused.
     */
    @Test
    void aNewMinimumClearsTheElrAndOnlyTheClusterWideOneMayChange() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        fence(3);
        fence(2);
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(2), List.of());
        h.apply(TopicControl.alterConfigs(h.image, "t", java.util.Map.of("retention.ms", "1000"), false).records());
        assertEquals(List.of(2), h.partition(t, 0).elr(), "another config leaves it");
        int epoch = h.partition(t, 0).partitionEpoch();
        h.apply(TopicControl.alterConfigs(h.image, "t", java.util.Map.of("min.insync.replicas", "1"), false)
                .records());
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(), List.of());
        assertEquals(epoch + 1, h.partition(t, 0).partitionEpoch());

        org.junit.jupiter.api.Assertions.assertThrows(org.apache.kafka.common.errors.InvalidConfigurationException.class,
                () -> BrokerConfigControl.replaceConfigs(h.image, "1", java.util.Map.of("min.insync.replicas", "1")));
        org.junit.jupiter.api.Assertions.assertThrows(org.apache.kafka.common.errors.InvalidConfigurationException.class,
                () -> BrokerConfigControl.replaceConfigs(h.image, "", java.util.Map.of()));
        h.apply(TopicControl.alterConfigs(h.image, "t", java.util.Collections.singletonMap("min.insync.replicas",
                null), false).records());
        unfence(2);
        h.apply(List.of(new ApiMessageAndVersion(new PartitionChangeRecord().setTopicId(t).setPartitionId(0)
                .setEligibleLeaderReplicas(List.of(2)), (short) 2)));
        h.apply(BrokerConfigControl.replaceConfigs(h.image, "", java.util.Map.of("min.insync.replicas", "3"))
                .records());
        assertEquals(List.of(), h.partition(t, 0).elr(), "the cluster-wide minimum concerns every partition");
    }

    /** R5: ISR and ELR empty, unclean election off: only the last known leader may lead. */
    @Test
    void withIsrAndElrEmptyOnlyTheLastKnownLeaderLeads() {
        Uuid t = setUp(true, 3, List.of(1, 2, 3));
        fence(1); // ISR [2, 3] < 3: 1 enters the ELR
        assertPartition(h.partition(t, 0), 2, List.of(2, 3), List.of(1), List.of());
        h.apply(List.of(new ApiMessageAndVersion(new PartitionChangeRecord().setTopicId(t).setPartitionId(0)
                .setEligibleLeaderReplicas(List.of()), (short) 2))); // as a min ISR change clears it (R9)
        fence(2);
        fence(3);
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(2, 3), List.of(3));
        h.apply(List.of(new ApiMessageAndVersion(new PartitionChangeRecord().setTopicId(t).setPartitionId(0)
                .setEligibleLeaderReplicas(List.of()), (short) 2)));
        unfence(1);
        assertEquals(-1, h.partition(t, 0).leader(), "1 is in neither ISR nor ELR and unclean election is off");
        unfence(3);
        assertPartition(h.partition(t, 0), 3, List.of(3), List.of(), List.of());
        assertEquals(PartitionImage.RECOVERING, h.partition(t, 0).leaderRecoveryState());
    }

    private AlterPartitionResponseData alter(Uuid t, int leader, List<Integer> isr) {
        PartitionImage p = h.partition(t, 0);
        AlterPartitionRequestData request = new AlterPartitionRequestData().setBrokerId(leader)
                .setBrokerEpoch(h.cluster.broker(leader).epoch());
        AlterPartitionRequestData.PartitionData data = new AlterPartitionRequestData.PartitionData()
                .setPartitionIndex(0).setLeaderEpoch(p.leaderEpoch()).setPartitionEpoch(p.partitionEpoch())
                .setLeaderRecoveryState(p.leaderRecoveryState());
        isr.forEach(b -> data.newIsrWithEpochs().add(new AlterPartitionRequestData.BrokerState().setBrokerId(b)
                .setBrokerEpoch(-1)));
        request.topics().add(new AlterPartitionRequestData.TopicData().setTopicId(t).setPartitions(List.of(data)));
        return h.apply(IsrControl.alterPartition(h.image, request));
    }

    /** Test 3, AlterPartition: a shrink below min keeps the replica leaving in the ELR; back to min empties it. */
    @Test
    void alterPartitionMovesReplicasBetweenIsrAndElr() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        fence(1);
        assertPartition(h.partition(t, 0), 2, List.of(2, 3), List.of(), List.of());
        alter(t, 2, List.of(2));
        assertPartition(h.partition(t, 0), 2, List.of(2), List.of(3), List.of());
        AlterPartitionResponseData answer = alter(t, 2, List.of(2, 3));
        assertEquals(Errors.NONE.code(), answer.topics().get(0).partitions().get(0).errorCode());
        assertPartition(h.partition(t, 0), 2, List.of(2, 3), List.of(), List.of());
    }

    private ElectLeadersResponseData.PartitionResult elect(byte type) {
        ElectLeadersRequestData request = new ElectLeadersRequestData().setElectionType(type);
        request.topicPartitions().add(new ElectLeadersRequestData.TopicPartitions().setTopic("t")
                .setPartitions(List.of(0)));
        return h.apply(LeaderElection.electLeaders(h.image, request)).replicaElectionResults().get(0)
                .partitionResult().get(0);
    }

    /** Test 3, ElectLeaders: with the ISR empty, UNCLEAN and PREFERRED both elect from the ELR, cleanly. */
    @Test
    void electLeadersTakesAnElrMemberWhenTheIsrIsEmpty() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        fence(3);
        fence(2);
        fence(1); // ISR [], ELR [1, 2], last known leader 1
        assertPartition(h.partition(t, 0), -1, List.of(), List.of(1, 2), List.of(1));
        // the brokers are back but still fenced by the test's choice: unfence 2 without its leaderless election
        h.apply(List.of(new ApiMessageAndVersion(new org.apache.kafka.common.metadata.UnfenceBrokerRecord().setId(2)
                .setEpoch(h.cluster.broker(2).epoch()), (short) 0)));
        assertEquals(Errors.NONE.code(), elect(LeaderElection.UNCLEAN).errorCode());
        PartitionImage p = h.partition(t, 0);
        assertPartition(p, 2, List.of(2), List.of(1), List.of());
        assertEquals(PartitionImage.RECOVERED, p.leaderRecoveryState());

        fence(2); // ISR [], ELR [1, 2] again
        h.apply(List.of(new ApiMessageAndVersion(new org.apache.kafka.common.metadata.UnfenceBrokerRecord().setId(1)
                .setEpoch(h.cluster.broker(1).epoch()), (short) 0)));
        assertEquals(Errors.NONE.code(), elect(LeaderElection.PREFERRED).errorCode());
        assertPartition(h.partition(t, 0), 1, List.of(1), List.of(2), List.of());
    }

    /** The builder on its own: a broker that shut down uncleanly never enters the ELR. */
    @Test
    void anUncleanShutdownNeverEntersTheElr() {
        PartitionImage p = new PartitionImage(0, List.of(1, 2, 3), List.of(2, 3), 2, 4, 6);
        PartitionChangeRecord r = (PartitionChangeRecord) new PartitionChange(Uuid.ONE_UUID, p, b -> b != 2)
                .elr(true, 2).uncleanShutdown(java.util.Set.of(2)).targetIsr(List.of(3)).build().message();
        assertEquals(List.of(3), r.isr());
        assertEquals(3, r.leader());
        assertNull(r.eligibleLeaderReplicas(), "2 may have lost records the high watermark covered");
    }

    /** R2: the topic override, else the cluster-wide dynamic value, else 1; capped at the replication factor. */
    @Test
    void theEffectiveMinIsrPrecedenceAndCap() {
        Uuid t = setUp(true, 2, List.of(1, 2, 3));
        assertEquals(2, PartitionMoves.minIsr(h.image).applyAsInt(h.image.topic(t)));
        h.apply(List.of(MetadataRecords.topicConfig("t", "min.insync.replicas", "3")));
        assertEquals(3, PartitionMoves.minIsr(h.image).applyAsInt(h.image.topic(t)));
        h.apply(List.of(MetadataRecords.topicConfig("t", "min.insync.replicas", "5")));
        assertEquals(3, PartitionMoves.minIsr(h.image).applyAsInt(h.image.topic(t)), "capped at RF 3");
        h.apply(List.of(MetadataRecords.topicConfig("t", "min.insync.replicas", null),
                MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", "min.insync.replicas", null)));
        assertEquals(1, PartitionMoves.minIsr(h.image).applyAsInt(h.image.topic(t)), "Kafka's default");
    }
}
