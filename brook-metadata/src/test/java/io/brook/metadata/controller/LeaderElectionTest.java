package io.brook.metadata.controller;

import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.record.MetadataRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LeaderElection}: ElectLeaders PREFERRED and UNCLEAN per partition (one test per answer), null
 * partitions as every partition, and the periodic rebalance's imbalance threshold.
 */
@Timeout(30)
class LeaderElectionTest {
    private final ClusterHarness h = new ClusterHarness();
    private final ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);

    @BeforeEach
    void brokers() {
        for (int id = 1; id <= 3; id++) {
            h.registerUnfenced(control, id, null, 0);
        }
    }

    private Uuid partition(String topic, int partition, List<Integer> replicas, List<Integer> isr, int leader) {
        Uuid id = h.image.topic(topic) != null ? h.image.topic(topic).id() : new Uuid(topic.hashCode() + 7L, 9);
        List<org.apache.kafka.server.common.ApiMessageAndVersion> records = new ArrayList<>();
        if (h.image.topic(topic) == null) {
            records.add(MetadataRecords.topic(topic, id));
        }
        records.add(MetadataRecords.partition(id, partition, replicas, isr, leader, 0, 0));
        h.apply(records);
        return id;
    }

    private void fence(int broker) {
        h.apply(control.heartbeat(h.cluster, h.image, new BrokerHeartbeatRequestData().setBrokerId(broker)
                .setBrokerEpoch(h.cluster.broker(broker).epoch()).setCurrentMetadataOffset(h.image.offset())
                .setWantFence(true), 1));
    }

    private static ElectLeadersRequestData request(byte type, String topic, Integer... partitions) {
        ElectLeadersRequestData request = new ElectLeadersRequestData().setElectionType(type);
        request.topicPartitions().add(new ElectLeadersRequestData.TopicPartitions().setTopic(topic)
                .setPartitions(List.of(partitions)));
        return request;
    }

    /** The answers by partition of {@code topic}. */
    private static Map<Integer, Errors> errors(ElectLeadersResponseData response, String topic) {
        Map<Integer, Errors> errors = new HashMap<>();
        response.replicaElectionResults().stream().filter(r -> r.topic().equals(topic))
                .flatMap(r -> r.partitionResult().stream())
                .forEach(p -> errors.put(p.partitionId(), Errors.forCode(p.errorCode())));
        return errors;
    }

    private Map<Integer, Errors> elect(ElectLeadersRequestData request, String topic) {
        return errors(h.apply(LeaderElection.electLeaders(h.image, request)), topic);
    }

    @Test
    void preferredMovesLeadershipBackToTheFirstReplicaAndBumpsTheLeaderEpoch() {
        Uuid t = partition("t", 0, List.of(1, 2, 3), List.of(1, 2, 3), 2);
        int epoch = h.partition(t, 0).leaderEpoch();
        assertEquals(Map.of(0, Errors.NONE), elect(request(LeaderElection.PREFERRED, "t", 0), "t"));
        PartitionImage p = h.partition(t, 0);
        assertEquals(1, p.leader());
        assertEquals(epoch + 1, p.leaderEpoch());
        assertEquals(List.of(1, 2, 3), p.isr(), "a preferred election leaves the ISR as it is");
    }

    @Test
    void preferredIsNotNeededWhereTheFirstReplicaLeadsAndWritesNothing() {
        partition("t", 0, List.of(1, 2, 3), List.of(1, 2, 3), 1);
        ClusterResult<ElectLeadersResponseData> result = LeaderElection.electLeaders(h.image,
                request(LeaderElection.PREFERRED, "t", 0));
        assertEquals(Map.of(0, Errors.ELECTION_NOT_NEEDED), errors(result.response(), "t"));
        assertTrue(result.records().isEmpty());
    }

    @Test
    void preferredIsNotAvailableOutsideTheIsrOrWhenFenced() {
        Uuid t = partition("t", 0, List.of(1, 2, 3), List.of(2, 3), 2);
        partition("t", 1, List.of(3, 1, 2), List.of(1, 2, 3), 1);
        fence(3); // partition 1's preferred replica is fenced (it also leaves the ISR of partition 0)
        ClusterResult<ElectLeadersResponseData> result = LeaderElection.electLeaders(h.image,
                request(LeaderElection.PREFERRED, "t", 0, 1));
        assertEquals(Map.of(0, Errors.PREFERRED_LEADER_NOT_AVAILABLE, 1, Errors.PREFERRED_LEADER_NOT_AVAILABLE),
                errors(result.response(), "t"));
        assertTrue(result.records().isEmpty());
        assertEquals(2, h.partition(t, 0).leader());
    }

    @Test
    void unknownTopicsAndPartitionsAreAnsweredOneByOne() {
        partition("t", 0, List.of(1, 2, 3), List.of(1, 2, 3), 2);
        assertEquals(Map.of(0, Errors.NONE, 5, Errors.UNKNOWN_TOPIC_OR_PARTITION),
                elect(request(LeaderElection.PREFERRED, "t", 0, 5), "t"));
        assertEquals(Map.of(0, Errors.UNKNOWN_TOPIC_OR_PARTITION),
                elect(request(LeaderElection.PREFERRED, "nope", 0), "nope"));
    }

    @Test
    void uncleanIsNotNeededWhereThereIsALeader() {
        partition("t", 0, List.of(1, 2, 3), List.of(2), 2);
        assertEquals(Map.of(0, Errors.ELECTION_NOT_NEEDED), elect(request(LeaderElection.UNCLEAN, "t", 0), "t"));
    }

    @Test
    void uncleanElectsAnUnusableIsrsFirstUsableReplicaRecovering() {
        Uuid t = partition("t", 0, List.of(1, 2, 3), List.of(1), 1);
        fence(1); // the only ISR member: leaderless, the ISR stays [1]
        assertEquals(-1, h.partition(t, 0).leader());
        assertEquals(Map.of(0, Errors.NONE), elect(request(LeaderElection.UNCLEAN, "t", 0), "t"));
        PartitionImage p = h.partition(t, 0);
        assertEquals(2, p.leader());
        assertEquals(List.of(2), p.isr());
        assertEquals(PartitionImage.RECOVERING, p.leaderRecoveryState());
    }

    @Test
    void uncleanPrefersAUsableIsrReplicaAndElectsCleanly() {
        Uuid t = partition("t", 0, List.of(1, 2, 3), List.of(3), -1);
        assertEquals(Map.of(0, Errors.NONE), elect(request(LeaderElection.UNCLEAN, "t", 0), "t"));
        PartitionImage p = h.partition(t, 0);
        assertEquals(3, p.leader());
        assertEquals(List.of(3), p.isr());
        assertEquals(PartitionImage.RECOVERED, p.leaderRecoveryState());
    }

    @Test
    void uncleanWithNoUsableReplicaIsEligibleLeadersNotAvailable() {
        partition("t", 0, List.of(1, 2), List.of(1), -1);
        fence(1);
        fence(2);
        assertEquals(Map.of(0, Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE),
                elect(request(LeaderElection.UNCLEAN, "t", 0), "t"));
    }

    @Test
    void nullPartitionsMeansEveryPartitionAndLeavesOutTheOnesNotNeeded() {
        Uuid a = partition("a", 0, List.of(1, 2, 3), List.of(1, 2, 3), 1);
        partition("a", 1, List.of(2, 3, 1), List.of(1, 2, 3), 3);
        partition("b", 0, List.of(3, 1, 2), List.of(3, 1, 2), 3);
        ElectLeadersRequestData all = new ElectLeadersRequestData().setElectionType(LeaderElection.PREFERRED)
                .setTopicPartitions(null);
        ElectLeadersResponseData response = h.apply(LeaderElection.electLeaders(h.image, all));
        assertEquals(1, response.replicaElectionResults().size(), "b needs nothing: left out");
        assertEquals(Map.of(1, Errors.NONE), errors(response, "a"));
        assertEquals(2, h.partition(a, 1).leader());
    }

    @Test
    void anUnknownElectionTypeRefusesTheRequest() {
        partition("t", 0, List.of(1, 2, 3), List.of(1, 2, 3), 2);
        assertThrows(InvalidRequestException.class, () -> LeaderElection.electLeaders(h.image,
                request((byte) 7, "t", 0)));
    }

    @Test
    void aPartitionNamedTwiceIsElectedAndAnsweredOnce() {
        partition("t", 0, List.of(1, 2, 3), List.of(1, 2, 3), 2);
        ClusterResult<ElectLeadersResponseData> result = LeaderElection.electLeaders(h.image,
                request(LeaderElection.PREFERRED, "t", 0, 0));
        assertEquals(1, result.records().size());
        List<PartitionResult> answers = result.response().replicaElectionResults().get(0).partitionResult();
        assertEquals(1, answers.size());
    }

    // ---- the periodic rebalance ----

    @Test
    void aBrokerAboveTheImbalanceThresholdGetsItsPreferredPartitionsBack() {
        // broker 1 is preferred for 4 partitions and leads 3 of them: 25% not led
        Uuid t = partition("t", 0, List.of(1, 2), List.of(1, 2), 2);
        for (int p = 1; p < 4; p++) {
            partition("t", p, List.of(1, 2), List.of(1, 2), 1);
        }
        assertEquals(List.of(), LeaderElection.rebalance(h.image, 25).response(), "exactly at the threshold: no");
        assertEquals(List.of(new TopicPartition("t", 0)), h.apply(LeaderElection.rebalance(h.image, 24)));
        assertEquals(1, h.partition(t, 0).leader());
        assertEquals(List.of(), LeaderElection.rebalance(h.image, 0).response(), "balanced now");
    }

    @Test
    void theRebalanceOnlyMovesToAUsableInSyncPreferredReplica() {
        partition("t", 0, List.of(1, 2, 3), List.of(2, 3), 2); // 1 is not in sync
        partition("t", 1, List.of(3, 1, 2), List.of(1, 2, 3), 1);
        partition("t", 2, List.of(2, 1, 3), List.of(1, 2, 3), 1);
        fence(3); // 3 is not usable (and leaves the ISRs)
        ClusterResult<List<TopicPartition>> result = LeaderElection.rebalance(h.image, 10);
        assertEquals(List.of(new TopicPartition("t", 2)), result.response());
        assertEquals(1, result.records().size());
    }
}
