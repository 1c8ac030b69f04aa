package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The server-side assignors of the consumer group protocol (KIP-848), pure functions from the
 * members' subscriptions, the topics' partition counts and the current assignment to a target
 * assignment: {@code uniform} (every member as many partitions as the others, give or take one,
 * keeping partitions where they are when it can) and {@code range} (each topic's partitions in
 * contiguous ranges, members in id order).
 */
final class ServerAssignors {
    static final String UNIFORM = "uniform";
    static final String RANGE = "range";
    static final List<String> NAMES = List.of(UNIFORM, RANGE);

    private ServerAssignors() {
    }

    /**
     * @param subscriptions member id -> subscribed topics (members in a stable order)
     * @param partitions    topic -> partition count (topics that do not exist are absent)
     * @param current       member id -> partitions it owns now (for stickiness)
     */
    static Map<String, Set<TopicPartition>> assign(String assignor, TreeMap<String, Set<String>> subscriptions,
                                                   Map<String, Integer> partitions,
                                                   Map<String, Set<TopicPartition>> current) {
        return RANGE.equals(assignor) ? range(subscriptions, partitions) : uniform(subscriptions, partitions, current);
    }

    private static Map<String, Set<TopicPartition>> range(TreeMap<String, Set<String>> subscriptions,
                                                          Map<String, Integer> partitions) {
        Map<String, Set<TopicPartition>> result = empty(subscriptions);
        for (String topic : new java.util.TreeSet<>(partitions.keySet())) {
            List<String> members = new ArrayList<>();
            subscriptions.forEach((member, topics) -> {
                if (topics.contains(topic)) {
                    members.add(member);
                }
            });
            if (members.isEmpty()) {
                continue;
            }
            int count = partitions.get(topic);
            int per = count / members.size();
            int extra = count % members.size();
            int next = 0;
            for (int i = 0; i < members.size(); i++) {
                int n = per + (i < extra ? 1 : 0);
                for (int j = 0; j < n; j++) {
                    result.get(members.get(i)).add(new TopicPartition(topic, next++));
                }
            }
        }
        return result;
    }

    private static Map<String, Set<TopicPartition>> uniform(TreeMap<String, Set<String>> subscriptions,
                                                            Map<String, Integer> partitions,
                                                            Map<String, Set<TopicPartition>> current) {
        Map<String, Set<TopicPartition>> result = empty(subscriptions);
        // partitions in a fixed order; each goes to a subscribed member, keeping its owner when that
        // owner is below its fair share, else to the subscribed member with the fewest so far
        List<TopicPartition> all = new ArrayList<>();
        for (String topic : new java.util.TreeSet<>(partitions.keySet())) {
            for (int p = 0; p < partitions.get(topic); p++) {
                all.add(new TopicPartition(topic, p));
            }
        }
        Map<TopicPartition, String> owner = new HashMap<>();
        current.forEach((member, owned) -> owned.forEach(tp -> owner.put(tp, member)));
        Map<String, Integer> subscribedPartitions = new HashMap<>();
        for (TopicPartition tp : all) {
            subscriptions.forEach((member, topics) -> {
                if (topics.contains(tp.topic())) {
                    subscribedPartitions.merge(member, 1, Integer::sum);
                }
            });
        }
        int members = (int) subscriptions.values().stream().filter(t -> !t.isEmpty()).count();
        int quota = members == 0 ? 0 : (int) Math.ceil((double) all.size() / members);
        Set<TopicPartition> placed = new HashSet<>();
        for (TopicPartition tp : all) { // first pass: stay with the current owner up to the quota
            String member = owner.get(tp);
            if (member != null && result.containsKey(member) && subscriptions.get(member).contains(tp.topic())
                    && result.get(member).size() < quota) {
                result.get(member).add(tp);
                placed.add(tp);
            }
        }
        for (TopicPartition tp : all) {
            if (placed.contains(tp)) {
                continue;
            }
            String best = null;
            for (Map.Entry<String, Set<String>> e : subscriptions.entrySet()) {
                if (e.getValue().contains(tp.topic())
                        && (best == null || result.get(e.getKey()).size() < result.get(best).size())) {
                    best = e.getKey();
                }
            }
            if (best != null) {
                result.get(best).add(tp);
            }
        }
        return balance(result, subscriptions);
    }

    /** Moves partitions from the fullest members to the emptiest until sizes differ by at most one. */
    private static Map<String, Set<TopicPartition>> balance(Map<String, Set<TopicPartition>> result,
                                                            TreeMap<String, Set<String>> subscriptions) {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (String from : subscriptions.keySet()) {
                for (String to : subscriptions.keySet()) {
                    if (result.get(from).size() <= result.get(to).size() + 1) {
                        continue;
                    }
                    for (TopicPartition tp : result.get(from)) {
                        if (subscriptions.get(to).contains(tp.topic())) {
                            result.get(from).remove(tp);
                            result.get(to).add(tp);
                            moved = true;
                            break;
                        }
                    }
                }
            }
        }
        return result;
    }

    private static Map<String, Set<TopicPartition>> empty(TreeMap<String, Set<String>> subscriptions) {
        Map<String, Set<TopicPartition>> result = new HashMap<>();
        subscriptions.keySet().forEach(m -> result.put(m, new HashSet<>()));
        return result;
    }
}
