package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.DirectoryId;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsRequestData;
import org.apache.kafka.common.message.AssignReplicasToDirsResponseData;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Log directories in the controller's decisions (KIP-858): brokers register their directories, assign replicas to
 * them (AssignReplicasToDirs) and report failed ones in their heartbeats; only the replicas in a failed directory lose
 * their leadership and ISR place, and such a replica is never elected until its directory is back.
 */
@Timeout(30)
class ClusterControlDirectoriesTest {
    private static final Uuid A = new Uuid(11, 1);
    private static final Uuid B = new Uuid(11, 2);

    private final ClusterHarness h = new ClusterHarness();
    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);

    /**
     * Brokers 1-3, each with directories A and B (ids shared: they only have to be distinct per broker), named out of
     * order (a registration's list need not be sorted).
     */
    private void registerBrokers() {
        for (int id = 1; id <= 3; id++) {
            long epoch = h.nextOffset();
            h.apply(control.register(h.cluster, h.image, ClusterHarness.registration(id, Uuid.randomUuid(), null)
                    .setLogDirs(new ArrayList<>(List.of(B, A))), epoch, Map.of(), 0));
            h.heartbeat(control, id, false, 0);
        }
    }

    private AssignReplicasToDirsResponseData assign(int broker, Uuid dir, Uuid topic, int... partitions) {
        AssignReplicasToDirsRequestData.TopicData topicData = new AssignReplicasToDirsRequestData.TopicData()
                .setTopicId(topic);
        for (int p : partitions) {
            topicData.partitions().add(new AssignReplicasToDirsRequestData.PartitionData().setPartitionIndex(p));
        }
        AssignReplicasToDirsRequestData request = new AssignReplicasToDirsRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch());
        request.directories().add(new AssignReplicasToDirsRequestData.DirectoryData().setId(dir)
                .setTopics(new ArrayList<>(List.of(topicData))));
        return h.apply(control.assignReplicasToDirs(h.cluster, h.image, request));
    }

    private BrokerHeartbeatResponseData reportOffline(int broker, Uuid... dirs) {
        return h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setOfflineLogDirs(new ArrayList<>(List.of(dirs))), 1));
    }

    private static int error(AssignReplicasToDirsResponseData response, int partitionIndex) {
        return response.directories().get(0).topics().get(0).partitions().get(partitionIndex).errorCode();
    }

    @Test
    void registrationAndAssignmentsRecordWhereEachReplicaLives() {
        registerBrokers();
        assertEquals(List.of(A, B), h.cluster.broker(1).logDirs());
        Uuid t = h.createTopic("t", List.of(List.of(1, 2, 3), List.of(2, 3, 1)));
        assertEquals(DirectoryId.UNASSIGNED, h.partition(t, 0).directory(1), "several directories: not known yet");

        AssignReplicasToDirsResponseData answer = assign(1, B, t, 0, 1, 7);
        assertEquals(Errors.NONE.code(), error(answer, 0));
        assertEquals(Errors.NONE.code(), error(answer, 1));
        assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION.code(), error(answer, 2));
        assertEquals(B, h.partition(t, 0).directory(1));
        assertEquals(DirectoryId.UNASSIGNED, h.partition(t, 0).directory(2));
        assertEquals(B, h.partition(t, 1).directory(1));
        int epoch = h.partition(t, 0).partitionEpoch();
        assign(1, B, t, 0);
        assertEquals(epoch, h.partition(t, 0).partitionEpoch(), "the same directory again writes nothing");

        Uuid unknown = Uuid.randomUuid();
        assertEquals(Errors.UNKNOWN_TOPIC_ID.code(), error(assign(1, A, unknown, 0), 0));
        Uuid other = h.createTopic("u", List.of(List.of(2, 3)));
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER.code(), error(assign(1, A, other, 0), 0));
        AssignReplicasToDirsRequestData stale = new AssignReplicasToDirsRequestData().setBrokerId(1)
                .setBrokerEpoch(h.cluster.broker(1).epoch() - 1);
        assertThrows(StaleBrokerEpochException.class,
                () -> control.assignReplicasToDirs(h.cluster, h.image, stale));

        // the snapshot keeps them
        MetadataImage replayed = MetadataImage.EMPTY.apply(h.image.records(), h.image.offset());
        assertEquals(h.image.cluster(), replayed.cluster());
        assertEquals(h.image.topic(t), replayed.topic(t));
    }

    @Test
    void aFailedDirectoryMovesOnlyTheLeadershipsAndIsrPlacesOfTheReplicasInIt() {
        registerBrokers();
        Uuid t = h.createTopic("t", List.of(List.of(1, 2, 3), List.of(1, 3, 2), List.of(2, 1, 3)));
        assign(1, A, t, 0, 2);
        assign(1, B, t, 1);

        BrokerHeartbeatResponseData answer = reportOffline(1, A);
        assertFalse(answer.isFenced(), "broker 1 still serves what is in B");
        assertEquals(List.of(B), h.cluster.broker(1).logDirs());
        PartitionImage p0 = h.partition(t, 0);
        assertEquals(2, p0.leader(), "1's replica of partition 0 is in the failed directory");
        assertEquals(List.of(2, 3), p0.isr());
        assertEquals(1, h.partition(t, 1).leader(), "partition 1 lives in B: unchanged");
        assertEquals(List.of(1, 3, 2), h.partition(t, 1).isr());
        assertEquals(List.of(2, 3), h.partition(t, 2).isr(), "a follower in the failed directory leaves the ISR");
        assertEquals(2, h.partition(t, 2).leader());

        // reported again: nothing more to do
        int epoch = h.partition(t, 0).partitionEpoch();
        reportOffline(1, A);
        assertEquals(epoch, h.partition(t, 0).partitionEpoch());

        // the replica in the failed directory is never elected, not even uncleanly as the last one standing
        h.apply(List.of(MetadataRecords.topicConfig("t", "unclean.leader.election.enable", "true")));
        fence(2);
        fence(3);
        assertEquals(-1, h.partition(t, 0).leader(), "1 holds partition 0 only in its failed directory");
        assertEquals(1, h.partition(t, 1).leader());
        h.apply(LeaderElection.electLeaders(h.image, new ElectLeadersRequestData().setElectionType((byte) 1)
                .setTopicPartitions(null)).records());
        assertEquals(-1, h.partition(t, 0).leader(), "an unclean ElectLeaders does not pick it either");
    }

    @Test
    void anAssignmentToAFailedDirectoryMovesThatReplicaAway() {
        registerBrokers();
        Uuid t = h.createTopic("t", List.of(List.of(1, 2, 3), List.of(1, 2, 3)));
        reportOffline(1, A); // before the controller knew any replica was in A
        assertEquals(1, h.partition(t, 0).leader());
        assign(1, A, t, 0);
        assertEquals(A, h.partition(t, 0).directory(1));
        assertEquals(2, h.partition(t, 0).leader());
        assertEquals(List.of(2, 3), h.partition(t, 0).isr());
        assertEquals(1, h.partition(t, 1).leader(), "not assigned to A: stays");
    }

    @Test
    void everyDirectoryFailedFencesTheBroker() {
        registerBrokers();
        Uuid t = h.createTopic("t", List.of(List.of(1, 2, 3)));
        BrokerHeartbeatResponseData answer = reportOffline(1, A, B);
        assertTrue(answer.isFenced());
        assertTrue(h.cluster.broker(1).fenced());
        assertEquals(2, h.partition(t, 0).leader());
    }

    @Test
    void newReplicasStartInTheBrokersOnlyDirectoryAndKeepTheirsWhenMoved() {
        for (int id = 1; id <= 4; id++) {
            long epoch = h.nextOffset();
            h.apply(control.register(h.cluster, h.image, ClusterHarness.registration(id, Uuid.randomUuid(), null)
                    .setLogDirs(new ArrayList<>(List.of(new Uuid(20, id)))), epoch, Map.of(), 0));
            h.heartbeat(control, id, false, 0);
        }
        h.apply(TopicControl.createTopic(h.image, new TopicControl.NewTopic("t", 1, (short) 3, Map.of(), Map.of()),
                List.of(1, 2, 3), 1, (short) 3, () -> new Uuid(30, 1)).records());
        Uuid t = new Uuid(30, 1);
        PartitionImage p = h.partition(t, 0);
        for (int replica : p.replicas()) {
            assertEquals(new Uuid(20, replica), p.directory(replica), "one directory: known at creation");
        }
        // a reassignment onto broker 4 gives it its directory and keeps the others'
        int leaving = p.replicas().get(2);
        List<Integer> target = new ArrayList<>(p.replicas().subList(0, 2));
        target.add(4);
        AlterPartitionReassignmentsRequestData request = new AlterPartitionReassignmentsRequestData();
        request.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("t")
                .setPartitions(new ArrayList<>(List.of(new AlterPartitionReassignmentsRequestData
                        .ReassignablePartition().setPartitionIndex(0).setReplicas(target)))));
        h.apply(Reassignments.alter(h.image, request).records());
        PartitionImage moving = h.partition(t, 0);
        assertEquals(new Uuid(20, 4), moving.directory(4));
        assertEquals(new Uuid(20, leaving), moving.directory(leaving));
        assertEquals(new Uuid(20, target.get(0)), moving.directory(target.get(0)));
    }

    private void fence(int broker) {
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setWantFence(true), 1).records());
    }
}
