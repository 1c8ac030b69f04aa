package io.brook.cli;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReassignmentPlanTest {

    private static TopicPartition tp(int p) {
        return new TopicPartition("t", p);
    }

    @Test
    void sixPartitionsOnTwoOfFourBrokersSpreadOverAllFourWithLeadersEvenedOut() {
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        for (int p = 0; p < 6; p++) {
            current.put(tp(p), p % 2 == 0 ? List.of(1, 2) : List.of(2, 1));
        }
        Map<TopicPartition, Long> bytes = new HashMap<>();
        for (int p = 0; p < 6; p++) {
            bytes.put(tp(p), 100L * (p + 1));
        }
        ReassignmentPlan plan = ReassignmentPlan.of(current, Set.of(1, 2, 3, 4), Map.of(), bytes);
        Map<Integer, int[]> after = plan.load(true);
        for (int b = 1; b <= 4; b++) {
            assertEquals(3, after.get(b)[0], "replicas of broker " + b);
            assertTrue(after.get(b)[1] >= 1 && after.get(b)[1] <= 2, "leads of broker " + b);
        }
        assertEquals(6, plan.replicasMoved(), "12 replicas over 4 brokers: 3 each, 6 leave brokers 1 and 2");
        assertEquals(100 + 200 + 300 + 100 + 200 + 300, plan.bytesMoved(), "the smallest partitions moved first");
    }

    @Test
    void aBalancedAssignmentIsLeftAsItIs() {
        Map<TopicPartition, List<Integer>> current = Map.of(tp(0), List.of(1, 2), tp(1), List.of(2, 3),
                tp(2), List.of(3, 1));
        ReassignmentPlan plan = ReassignmentPlan.of(current, Set.of(1, 2, 3), Map.of(), Map.of());
        assertEquals(Map.of(), plan.changes());
    }

    @Test
    void replicasLeaveABrokerNotNamedAndKeepTheirRacksApart() {
        Map<TopicPartition, List<Integer>> current = Map.of(tp(0), List.of(4, 1), tp(1), List.of(1, 4));
        Map<Integer, String> racks = Map.of(1, "a", 2, "a", 3, "b", 4, "b");
        ReassignmentPlan plan = ReassignmentPlan.of(current, Set.of(1, 2, 3), racks, Map.of());
        for (List<Integer> replicas : plan.changes().values()) {
            assertTrue(!replicas.contains(4), replicas.toString());
            assertEquals(2, new HashSet<>(replicas.stream().map(racks::get).toList()).size(),
                    "both racks kept: " + replicas);
        }
        assertEquals(3, plan.changes().get(tp(0)).get(0), "the replacement takes the leaver's place: "
                + plan.changes());
        for (int b = 1; b <= 3; b++) {
            int replicas = plan.load(true).getOrDefault(b, new int[2])[0];
            assertTrue(replicas == 1 || replicas == 2, "broker " + b + ": " + plan.changes());
        }
    }

    /**
     * Random assignments over random broker sets: every partition keeps its replication factor with distinct brokers
     * of the set, replica counts end within one of each other, and planning the result again changes nothing.
     */
    @Test
    void randomAssignmentsEndBalancedWithTheirReplicationFactors() {
        Random random = new Random(42);
        for (int round = 0; round < 300; round++) {
            int brokerCount = 1 + random.nextInt(6);
            Set<Integer> brokers = new TreeSet<>();
            for (int b = 1; b <= brokerCount; b++) {
                brokers.add(b);
            }
            int all = brokerCount + random.nextInt(3); // some partitions may sit on brokers outside the set
            Map<TopicPartition, List<Integer>> current = new HashMap<>();
            int partitions = random.nextInt(40);
            for (int p = 0; p < partitions; p++) {
                int rf = 1 + random.nextInt(Math.min(3, brokerCount));
                List<Integer> pool = new ArrayList<>();
                for (int b = 1; b <= all; b++) {
                    pool.add(b);
                }
                Collections.shuffle(pool, random);
                current.put(tp(p), List.copyOf(pool.subList(0, rf)));
            }
            Map<TopicPartition, Long> bytes = new HashMap<>();
            current.keySet().forEach(tp -> bytes.put(tp, (long) random.nextInt(1000)));
            ReassignmentPlan plan = ReassignmentPlan.of(current, brokers, Map.of(), bytes);
            String context = "round " + round + ": " + current + " over " + brokers + " -> " + plan.changes();
            Map<TopicPartition, List<Integer>> result = new HashMap<>(current);
            result.putAll(plan.changes());
            for (Map.Entry<TopicPartition, List<Integer>> e : result.entrySet()) {
                List<Integer> replicas = e.getValue();
                assertEquals(current.get(e.getKey()).size(), replicas.size(), context);
                assertEquals(replicas.size(), new HashSet<>(replicas).size(), "distinct: " + context);
                assertTrue(brokers.containsAll(replicas), "only the brokers named: " + context);
            }
            Map<Integer, int[]> load = plan.load(true);
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int b : brokers) {
                int n = load.getOrDefault(b, new int[2])[0];
                min = Math.min(min, n);
                max = Math.max(max, n);
            }
            assertTrue(max - min <= 1, "replicas within one: " + context);
            assertEquals(Map.of(), ReassignmentPlan.of(result, brokers, Map.of(), bytes).changes(),
                    "planned again: nothing to do: " + context);
        }
    }
}
