package io.brook.metadata.controller;

import io.brook.metadata.controller.ReplicaPlacer.Load;
import io.brook.metadata.controller.ReplicaPlacer.UsableBroker;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class ReplicaPlacerTest {
    private static List<UsableBroker> brokers(int count, int racks) {
        List<UsableBroker> brokers = new ArrayList<>();
        for (int id = 1; id <= count; id++) {
            brokers.add(new UsableBroker(id, racks == 0 ? Optional.empty() : Optional.of("r" + id % racks)));
        }
        return brokers;
    }

    @Test
    void aFactorAboveTheUsableBrokersIsAnInvalidReplicationFactor() {
        InvalidReplicationFactorException e = assertThrows(InvalidReplicationFactorException.class,
                () -> ReplicaPlacer.place(1, 4, brokers(3, 0), Load.NONE, 0));
        assertEquals(Errors.INVALID_REPLICATION_FACTOR, Errors.forException(e));
        assertEquals("Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be "
                + "reached because only 3 broker(s) are registered.", e.getMessage());
        assertTrue(assertThrows(InvalidReplicationFactorException.class,
                () -> ReplicaPlacer.place(1, 1, List.of(), Load.NONE, 0)).getMessage().contains("fenced"));
        assertThrows(InvalidReplicationFactorException.class,
                () -> ReplicaPlacer.place(1, 0, brokers(3, 0), Load.NONE, 0));
        assertThrows(InvalidPartitionsException.class, () -> ReplicaPlacer.place(0, 1, brokers(3, 0), Load.NONE, 0));
    }

    @Test
    void onlyRegisteredUnfencedBrokersOutsideControlledShutdownAreUsable() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        ClusterHarness h = new ClusterHarness();
        h.registerUnfenced(control, 1, "a", 0);
        h.registerUnfenced(control, 2, null, 0);
        h.register(control, 3, Uuid.randomUuid(), "a", 0);
        h.registerUnfenced(control, 4, "b", 0);
        h.heartbeat(control, 4, true, 1);
        assertEquals(List.of(new UsableBroker(1, Optional.of("a")), new UsableBroker(2, Optional.empty())),
                ReplicaPlacer.usableBrokers(h.cluster));
    }

    @Test
    void placementOverAClusterCountsTheLeadershipsItsBrokersHave() {
        ClusterControl control = new ClusterControl(ClusterHarness.CLUSTER_ID, 9_000);
        ClusterHarness h = new ClusterHarness();
        h.registerUnfenced(control, 1, null, 0);
        h.registerUnfenced(control, 2, null, 0);
        h.register(control, 3, Uuid.randomUuid(), null, 0);
        h.createTopic("old", List.of(List.of(1), List.of(1)));
        assertEquals(List.of(List.of(2), List.of(2)), ReplicaPlacer.place(h.cluster, h.image, 2, 1, 5),
                "broker 1 leads 2 already, broker 3 is fenced");
    }

    @Test
    void replicasSpreadOverRacksAndLeadersAreBalanced() {
        List<UsableBroker> brokers = brokers(6, 3);
        List<List<Integer>> placement = ReplicaPlacer.place(12, 3, brokers, Load.NONE, 42);
        Map<Integer, Integer> leaders = new HashMap<>();
        Map<Integer, Integer> replicas = new HashMap<>();
        for (List<Integer> partition : placement) {
            assertEquals(3, new HashSet<>(partition).size(), partition.toString());
            Set<Integer> racks = new HashSet<>();
            partition.forEach(b -> racks.add(b % 3));
            assertEquals(3, racks.size(), "one replica per rack: " + partition);
            leaders.merge(partition.get(0), 1, Integer::sum);
            partition.forEach(b -> replicas.merge(b, 1, Integer::sum));
        }
        assertEquals(Map.of(1, 2, 2, 2, 3, 2, 4, 2, 5, 2, 6, 2), leaders);
        assertEquals(Map.of(1, 6, 2, 6, 3, 6, 4, 6, 5, 6, 6, 6), replicas);
    }

    @Test
    void existingLeadershipsAreCountedAndTheSeedDecidesTies() {
        List<UsableBroker> brokers = brokers(3, 0);
        List<List<Integer>> placement = ReplicaPlacer.place(3, 1, brokers,
                new Load(Map.of(1, 3, 2, 1), Map.of()), 7);
        assertEquals(List.of(3), placement.get(0), "the broker leading nothing first");
        assertEquals(List.of(2), placement.get(1), "then the one with fewer leaders and replicas");
        assertTrue(placement.get(2).equals(List.of(2)) || placement.get(2).equals(List.of(3)),
                "broker 1, far ahead, gets none: " + placement);
        assertEquals(ReplicaPlacer.place(20, 2, brokers(5, 2), Load.NONE, 99),
                ReplicaPlacer.place(20, 2, brokers(5, 2), Load.NONE, 99));
        assertNotEquals(ReplicaPlacer.place(20, 2, brokers(5, 2), Load.NONE, 1),
                ReplicaPlacer.place(20, 2, brokers(5, 2), Load.NONE, 2));
    }
}
