package io.brook.cli;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A reassignment that spreads partition replicas, and then preferred leaders, evenly over a set of brokers, moving
 * as little as it can: what {@code brook partitions plan} proposes from the current assignment. Pure: no I/O.
 *
 * <ul>
 *   <li>A replica on a broker outside the set moves to the least loaded broker of the set that does not hold the
 *       partition yet (in a rack the partition is not in yet, where the brokers have racks).</li>
 *   <li>Then, while one broker holds two or more replicas more than another, one replica moves from the most to the
 *       least loaded: of the partitions that move would allow, the one with the fewest bytes (data copied is the cost
 *       of a move), never taking a partition out of a rack it would then miss.</li>
 *   <li>A replica that moves keeps its place in the list, so a partition keeps its preferred leader unless that
 *       replica moves. Then preferred leaders are evened out by reordering replicas only (no data moves): while one
 *       broker is the first replica of two or more partitions more than another broker of the same partition, they
 *       swap places.</li>
 * </ul>
 *
 * Without racks the result is balanced to within one replica per broker (a partition never holds a broker twice: a
 * broker with two replicas more than another always has a partition the other lacks); the rack rule may leave more.
 * The moves are chosen greedily, smallest first: few, not provably the fewest. Partitions whose replication factor
 * exceeds the set's size are left as they are ({@link #unplaceable}).
 */
final class ReassignmentPlan {
    private final Map<TopicPartition, List<Integer>> before;
    private final Map<TopicPartition, List<Integer>> after;
    private final Map<TopicPartition, Long> bytes;
    private final List<TopicPartition> unplaceable;

    private ReassignmentPlan(Map<TopicPartition, List<Integer>> before, Map<TopicPartition, List<Integer>> after,
                             Map<TopicPartition, Long> bytes, List<TopicPartition> unplaceable) {
        this.before = before;
        this.after = after;
        this.bytes = bytes;
        this.unplaceable = unplaceable;
    }

    /**
     * @param current each partition's replicas, preferred leader first
     * @param brokers the brokers to spread over (at least one)
     * @param racks   broker id -> rack, for the brokers that have one
     * @param bytes   a partition's size in bytes (missing: 0), what moving one of its replicas copies
     */
    static ReassignmentPlan of(Map<TopicPartition, List<Integer>> current, Set<Integer> brokers,
                               Map<Integer, String> racks, Map<TopicPartition, Long> bytes) {
        if (brokers.isEmpty()) {
            throw new IllegalArgumentException("no brokers to spread the replicas over");
        }
        Map<TopicPartition, List<Integer>> before = new TreeMap<>(ORDER);
        before.putAll(current);
        Map<TopicPartition, List<Integer>> plan = new TreeMap<>(ORDER);
        Map<Integer, Integer> load = new TreeMap<>();
        brokers.forEach(b -> load.put(b, 0));
        List<TopicPartition> unplaceable = new ArrayList<>();
        for (Map.Entry<TopicPartition, List<Integer>> e : before.entrySet()) {
            if (e.getValue().size() > brokers.size()) {
                unplaceable.add(e.getKey()); // cannot be placed on fewer brokers than its replication factor
                continue;
            }
            List<Integer> replicas = new ArrayList<>(e.getValue());
            plan.put(e.getKey(), replicas);
            for (int b : replicas) {
                load.computeIfPresent(b, (k, n) -> n + 1);
            }
        }
        // 1. off the brokers outside the set
        for (Map.Entry<TopicPartition, List<Integer>> e : plan.entrySet()) {
            List<Integer> replicas = e.getValue();
            for (int i = 0; i < replicas.size(); i++) {
                if (!brokers.contains(replicas.get(i))) {
                    int to = leastLoaded(load, replicas, racks, replicas.get(i));
                    replicas.set(i, to);
                    load.merge(to, 1, Integer::sum);
                }
            }
        }
        // 2. from the most to the least loaded, smallest partitions first
        for (Move move = nextMove(plan, load, racks, bytes); move != null; move = nextMove(plan, load, racks, bytes)) {
            List<Integer> replicas = plan.get(move.partition());
            replicas.set(replicas.indexOf(move.from()), move.to());
            load.merge(move.from(), -1, Integer::sum);
            load.merge(move.to(), 1, Integer::sum);
        }
        balanceLeaders(plan, brokers);
        Map<TopicPartition, List<Integer>> after = new TreeMap<>(ORDER);
        plan.forEach((tp, replicas) -> {
            if (!replicas.equals(before.get(tp))) {
                after.put(tp, List.copyOf(replicas));
            }
        });
        return new ReassignmentPlan(before, after, Map.copyOf(bytes), unplaceable);
    }

    /** Partitions by topic, then index. */
    static final Comparator<TopicPartition> ORDER =
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

    /** The least loaded broker not in {@code replicas}, preferring a rack none of the others is in. */
    private static int leastLoaded(Map<Integer, Integer> load, List<Integer> replicas, Map<Integer, String> racks,
                                   int leaving) {
        Set<String> held = new HashSet<>();
        for (int r : replicas) {
            if (r != leaving && racks.containsKey(r)) {
                held.add(racks.get(r));
            }
        }
        Integer best = null;
        boolean bestNewRack = false;
        for (Map.Entry<Integer, Integer> e : load.entrySet()) {
            if (replicas.contains(e.getKey())) {
                continue;
            }
            boolean newRack = !held.contains(racks.get(e.getKey()));
            if (best == null || (newRack && !bestNewRack)
                    || (newRack == bestNewRack && e.getValue() < load.get(best))) {
                best = e.getKey();
                bestNewRack = newRack;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no broker left for a replica of " + replicas);
        }
        return best;
    }

    /** Whether moving a replica from {@code from} to {@code to} leaves the partition in fewer racks. */
    private static boolean losesRack(List<Integer> replicas, int from, int to, Map<Integer, String> racks) {
        if (racks.isEmpty()) {
            return false;
        }
        Set<String> now = new HashSet<>();
        Set<String> then = new HashSet<>();
        for (int r : replicas) {
            now.add(racks.get(r));
            then.add(racks.get(r == from ? to : r));
        }
        return then.size() < now.size();
    }

    private record Move(TopicPartition partition, int from, int to) {
    }

    /**
     * The next move: from the most loaded broker that has one to the least loaded broker holding at least two
     * replicas fewer, of the partition with the fewest bytes among those the move is allowed for; null when none.
     */
    private static Move nextMove(Map<TopicPartition, List<Integer>> plan, Map<Integer, Integer> load,
                                 Map<Integer, String> racks, Map<TopicPartition, Long> bytes) {
        List<Integer> byLoad = new ArrayList<>(load.keySet());
        byLoad.sort(Comparator.comparingInt(load::get));
        for (int m = byLoad.size() - 1; m > 0; m--) {
            int most = byLoad.get(m);
            for (int l = 0; l < m && load.get(most) - load.get(byLoad.get(l)) > 1; l++) {
                int least = byLoad.get(l);
                TopicPartition pick = null;
                for (Map.Entry<TopicPartition, List<Integer>> e : plan.entrySet()) {
                    List<Integer> replicas = e.getValue();
                    if (replicas.contains(most) && !replicas.contains(least) && !losesRack(replicas, most, least, racks)
                            && (pick == null || bytes.getOrDefault(e.getKey(), 0L) < bytes.getOrDefault(pick, 0L))) {
                        pick = e.getKey();
                    }
                }
                if (pick != null) {
                    return new Move(pick, most, least);
                }
            }
        }
        return null;
    }

    /** Evens out the first replicas by swapping places within a partition: no replica moves. */
    private static void balanceLeaders(Map<TopicPartition, List<Integer>> plan, Set<Integer> brokers) {
        Map<Integer, Integer> leads = new HashMap<>();
        brokers.forEach(b -> leads.put(b, 0));
        plan.values().forEach(r -> leads.merge(r.get(0), 1, Integer::sum));
        boolean changed = true;
        while (changed) {
            changed = false;
            for (List<Integer> replicas : plan.values()) {
                int leader = replicas.get(0);
                int other = -1;
                for (int r : replicas) {
                    if (leads.getOrDefault(r, 0) + 1 < leads.getOrDefault(leader, 0)
                            && (other < 0 || leads.getOrDefault(r, 0) < leads.getOrDefault(other, 0))) {
                        other = r;
                    }
                }
                if (other >= 0) {
                    int at = replicas.indexOf(other);
                    replicas.set(at, leader);
                    replicas.set(0, other);
                    leads.merge(leader, -1, Integer::sum);
                    leads.merge(other, 1, Integer::sum);
                    changed = true;
                }
            }
        }
    }

    /** The partitions whose replicas (or their order) change, with their new replicas. */
    Map<TopicPartition, List<Integer>> changes() {
        return after;
    }

    /** The replicas of every partition considered, before the plan. */
    Map<TopicPartition, List<Integer>> before() {
        return before;
    }

    /** The partitions left as they are: their replication factor exceeds the number of brokers. */
    List<TopicPartition> unplaceable() {
        return unplaceable;
    }

    /** The bytes the moved replicas hold (what the new replicas copy). */
    long bytesMoved() {
        long total = 0;
        for (Map.Entry<TopicPartition, List<Integer>> e : after.entrySet()) {
            total += newReplicas(e.getKey()) * bytes.getOrDefault(e.getKey(), 0L);
        }
        return total;
    }

    /** Replicas that move to another broker (a reordering moves none). */
    int replicasMoved() {
        int n = 0;
        for (TopicPartition tp : after.keySet()) {
            n += newReplicas(tp);
        }
        return n;
    }

    /** How many of the partition's planned replicas are on brokers that do not hold it now. */
    private int newReplicas(TopicPartition tp) {
        int n = 0;
        for (int b : after.get(tp)) {
            if (!before.get(tp).contains(b)) {
                n++;
            }
        }
        return n;
    }

    /** Broker id -> {replicas, preferred leaderships} before ({@code planned} false) or after the plan. */
    Map<Integer, int[]> load(boolean planned) {
        Map<Integer, int[]> load = new TreeMap<>();
        for (Map.Entry<TopicPartition, List<Integer>> e : before.entrySet()) {
            List<Integer> replicas = planned ? after.getOrDefault(e.getKey(), e.getValue()) : e.getValue();
            for (int i = 0; i < replicas.size(); i++) {
                int[] counts = load.computeIfAbsent(replicas.get(i), k -> new int[2]);
                counts[0]++;
                if (i == 0) {
                    counts[1]++;
                }
            }
        }
        return load;
    }

    /** Kafka's reassignment JSON for {@code partitions} ({@code kafka-reassign-partitions --reassignment-json-file}). */
    static Map<String, Object> json(Map<TopicPartition, List<Integer>> partitions) {
        List<Object> rows = new ArrayList<>();
        partitions.forEach((tp, replicas) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("topic", tp.topic());
            row.put("partition", tp.partition());
            row.put("replicas", replicas);
            rows.add(row);
        });
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("version", 1);
        plan.put("partitions", rows);
        return plan;
    }
}
