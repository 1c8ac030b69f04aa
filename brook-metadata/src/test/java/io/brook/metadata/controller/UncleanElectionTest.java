package io.brook.metadata.controller;

import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code unclean.leader.election.enable} in the leadership moves: off by default (the partition
 * stays leaderless); on for the topic, the cluster (dynamic default) or the controller (static
 * default), the first usable replica leads with an ISR of itself, RECOVERING.
 */
@Timeout(30)
class UncleanElectionTest {
    private static final String UNCLEAN = "unclean.leader.election.enable";

    private final ClusterHarness h = new ClusterHarness();

    /** Brokers 1-3 unfenced; "t" partition 0 on replicas [1, 2, 3], led by 1, ISR [1] (the others fell behind). */
    private Uuid setUp(ClusterControl control) {
        for (int id = 1; id <= 3; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        Uuid id = new Uuid(5, 6);
        h.apply(List.of(MetadataRecords.topic("t", id),
                MetadataRecords.partition(id, 0, List.of(1, 2, 3), List.of(1), 1, 0, 0)));
        return id;
    }

    private void fence(ClusterControl control, int broker) {
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setWantFence(true), 1));
    }

    @Test
    void withoutUncleanElectionAPartitionWithNoUsableIsrReplicaStaysLeaderless() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        Uuid topic = setUp(control);
        fence(control, 1);
        PartitionImage p = h.partition(topic, 0);
        assertEquals(-1, p.leader());
        assertEquals(List.of(1), p.isr(), "the ISR is never emptied");
        assertEquals(PartitionImage.RECOVERED, p.leaderRecoveryState());
    }

    @Test
    void aTopicThatAllowsItGetsItsFirstUsableReplicaAsLeaderRecovering() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        Uuid topic = setUp(control);
        h.apply(List.of(MetadataRecords.topicConfig("t", UNCLEAN, "true")));
        fence(control, 2); // 2 is fenced too: 3 is the first usable replica
        int leaderEpoch = h.partition(topic, 0).leaderEpoch();
        fence(control, 1);
        PartitionImage p = h.partition(topic, 0);
        assertEquals(3, p.leader());
        assertEquals(List.of(3), p.isr());
        assertEquals(PartitionImage.RECOVERING, p.leaderRecoveryState());
        assertEquals(leaderEpoch + 1, p.leaderEpoch(), "an election bumps the leader epoch");
    }

    @Test
    void theTopicOverrideWinsOverTheClusterDefaultWhichWinsOverTheControllers() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000, true);
        Uuid topic = setUp(control);
        h.apply(List.of(MetadataRecords.config(MetadataRecords.BROKER_RESOURCE, "", UNCLEAN, "false")));
        fence(control, 1);
        assertEquals(-1, h.partition(topic, 0).leader(), "the dynamic cluster default says no");

        h.heartbeat(control, 1, false, 2); // 1 is back and leads again (it is the ISR)
        assertEquals(1, h.partition(topic, 0).leader());
        h.apply(List.of(MetadataRecords.topicConfig("t", UNCLEAN, "true")));
        fence(control, 1);
        assertEquals(2, h.partition(topic, 0).leader(), "the topic says yes");
    }

    @Test
    void theControllersStaticDefaultAppliesWhenNothingElseIsSet() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000, true);
        Uuid topic = setUp(control);
        fence(control, 1);
        assertEquals(2, h.partition(topic, 0).leader());
        assertEquals(PartitionImage.RECOVERING, h.partition(topic, 0).leaderRecoveryState());
    }

    @Test
    void aLeaderlessPartitionGetsAnUncleanLeaderWhenAReplicaComesBack() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        Uuid topic = setUp(control);
        fence(control, 2);
        fence(control, 3);
        fence(control, 1);
        assertEquals(-1, h.partition(topic, 0).leader());
        h.apply(List.of(MetadataRecords.topicConfig("t", UNCLEAN, "true")));

        h.heartbeat(control, 3, false, 2); // unfenced: not in the ISR, but the topic allows it
        PartitionImage p = h.partition(topic, 0);
        assertEquals(3, p.leader());
        assertEquals(List.of(3), p.isr());
        assertEquals(PartitionImage.RECOVERING, p.leaderRecoveryState());
    }

    @Test
    void anIsrReplicaIsAlwaysPreferredAndTheElectionIsThenClean() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000, true);
        Uuid topic = new Uuid(8, 9);
        for (int id = 1; id <= 3; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
        h.apply(List.of(MetadataRecords.topic("u", topic),
                MetadataRecords.partition(topic, 0, List.of(1, 2, 3), List.of(1, 3), 1, 0, 0)));
        fence(control, 1);
        PartitionImage p = h.partition(topic, 0);
        assertEquals(3, p.leader(), "3 is in the ISR, 2 is not");
        assertEquals(List.of(3), p.isr());
        assertEquals(PartitionImage.RECOVERED, p.leaderRecoveryState());
    }

    @Test
    void anUncleanElectionRecordIsKafkas() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000, true);
        Uuid topic = setUp(control);
        ClusterResult<?> result = control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData()
                .setBrokerId(1).setBrokerEpoch(h.cluster.broker(1).epoch())
                .setCurrentMetadataOffset(h.image.offset()).setWantFence(true), 1);
        PartitionChangeRecord change = result.records().stream().map(r -> r.message())
                .filter(PartitionChangeRecord.class::isInstance).map(PartitionChangeRecord.class::cast)
                .findFirst().orElseThrow();
        assertEquals(topic, change.topicId());
        assertEquals(2, change.leader());
        assertEquals(List.of(2), change.isr());
        assertEquals(PartitionImage.RECOVERING, change.leaderRecoveryState());
    }
}
