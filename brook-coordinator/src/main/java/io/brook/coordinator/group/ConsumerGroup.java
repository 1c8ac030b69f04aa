package io.brook.coordinator.group;

import io.brook.coordinator.group.ConsumerGroupRecords.CurrentAssignment;
import io.brook.coordinator.group.ConsumerGroupRecords.CurrentValue;
import io.brook.coordinator.group.ConsumerGroupRecords.GroupEpoch;
import io.brook.coordinator.group.ConsumerGroupRecords.GroupRecord;
import io.brook.coordinator.group.ConsumerGroupRecords.MemberMetadata;
import io.brook.coordinator.group.ConsumerGroupRecords.MemberValue;
import io.brook.coordinator.group.ConsumerGroupRecords.TargetEpoch;
import io.brook.coordinator.group.ConsumerGroupRecords.TargetMember;
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
import java.util.concurrent.ScheduledFuture;
import java.util.regex.Pattern;

/**
 * A group of the consumer group protocol (KIP-848): the group epoch moves when members or their
 * subscriptions (or the subscribed topics' partitions) change; the target assignment is computed
 * for it by a server-side assignor; each member reconciles towards it on its heartbeats. A member
 * first gives up the partitions it must lose (it stays at its epoch until it confirms), then moves
 * to the assignment epoch and receives its new partitions as soon as their previous owners have
 * released them, so a partition never has two owners.
 *
 * <p>Pure state; the coordinator serializes access and owns the timers.
 */
final class ConsumerGroup {
    /** One member. */
    static final class ConsumerMember {
        final String memberId;
        String instanceId;
        String rackId;
        String clientId;
        String clientHost;
        int memberEpoch;
        int previousMemberEpoch = -1;
        List<String> subscribedTopicNames = List.of();
        String subscribedTopicRegex;
        private Pattern pattern;
        int rebalanceTimeoutMs;
        final Set<TopicPartition> assigned = new HashSet<>();
        final Set<TopicPartition> revoking = new HashSet<>();
        Set<TopicPartition> lastSent;
        /** A static member that left with epoch -2: it keeps its place until its session ends. */
        boolean staticLeft;
        ScheduledFuture<?> sessionTimer;
        ScheduledFuture<?> revocationTimer;

        ConsumerMember(String memberId) {
            this.memberId = memberId;
        }

        void subscribeTo(String regex) {
            subscribedTopicRegex = regex;
            pattern = regex == null ? null : Pattern.compile(regex);
        }

        Set<String> subscribedTopics(Iterable<String> allTopics) {
            Set<String> topics = new HashSet<>(subscribedTopicNames);
            if (pattern != null) {
                for (String topic : allTopics) {
                    if (pattern.matcher(topic).matches()) {
                        topics.add(topic);
                    }
                }
            }
            return topics;
        }
    }

    final String groupId;
    int groupEpoch;
    int assignmentEpoch;
    String assignor = ServerAssignors.UNIFORM;
    final Map<String, ConsumerMember> members = new LinkedHashMap<>();
    Map<String, Set<TopicPartition>> targetAssignment = new HashMap<>();
    /** Partitions assigned to or being revoked from a member: no one else gets them meanwhile. */
    final Map<TopicPartition, String> owners = new HashMap<>();
    /** {@link #metadataHash} of the subscribed topics' partition counts the target was computed for. */
    long metadataHash;
    long emptySinceMs;
    /** The group's latest write to the offsets topic (completed when there was none). */
    java.util.concurrent.CompletableFuture<Void> lastWrite = java.util.concurrent.CompletableFuture.completedFuture(null);
    /** The group's records as last written to the offsets topic (or read from it), by key. */
    final Map<ConsumerGroupRecords.Key, GroupRecord> stored = new HashMap<>();

    ConsumerGroup(String groupId) {
        this.groupId = groupId;
    }

    /** Kafka's state names: Empty, Assigning, Reconciling, Stable. */
    String state() {
        if (members.isEmpty()) {
            return "Empty";
        }
        if (assignmentEpoch < groupEpoch) {
            return "Assigning";
        }
        for (ConsumerMember m : members.values()) {
            if (m.memberEpoch != assignmentEpoch || !m.revoking.isEmpty()
                    || !m.assigned.equals(targetAssignment.getOrDefault(m.memberId, Set.of()))) {
                return "Reconciling";
            }
        }
        return "Stable";
    }

    /** Recomputes the target assignment for the group epoch. */
    void computeTargetAssignment(Map<String, Integer> topicPartitions) {
        TreeMap<String, Set<String>> subscriptions = new TreeMap<>();
        Map<String, Set<TopicPartition>> current = new HashMap<>();
        for (ConsumerMember m : members.values()) {
            Set<String> topics = new HashSet<>(m.subscribedTopics(topicPartitions.keySet()));
            topics.retainAll(topicPartitions.keySet());
            subscriptions.put(m.memberId, topics);
            current.put(m.memberId, targetAssignment.getOrDefault(m.memberId, Set.of()));
        }
        targetAssignment = ServerAssignors.assign(assignor, subscriptions, topicPartitions, current);
        assignmentEpoch = groupEpoch;
    }

    /**
     * Moves a member towards the target assignment.
     *
     * @param owned the partitions the member says it owns (null when it did not say)
     * @return whether the member now waits for the revocation it was asked for
     */
    boolean reconcile(ConsumerMember member, Set<TopicPartition> owned) {
        if (!member.revoking.isEmpty() && owned != null && owned.stream().noneMatch(member.revoking::contains)) {
            release(member, member.revoking);
            member.revoking.clear();
        }
        if (!member.revoking.isEmpty()) {
            return true;
        }
        Set<TopicPartition> target = targetAssignment.getOrDefault(member.memberId, Set.of());
        if (member.memberEpoch != assignmentEpoch) {
            Set<TopicPartition> revoke = new HashSet<>(member.assigned);
            revoke.removeAll(target);
            if (!revoke.isEmpty() && member.memberEpoch > 0) {
                member.assigned.removeAll(revoke);
                member.revoking.addAll(revoke);
                return true;
            }
            release(member, revoke); // a joining member has nothing to give up
            member.assigned.removeAll(revoke);
            member.previousMemberEpoch = member.memberEpoch;
            member.memberEpoch = assignmentEpoch;
        }
        for (TopicPartition tp : target) {
            String owner = owners.get(tp);
            if (owner == null || owner.equals(member.memberId)) {
                owners.put(tp, member.memberId);
                member.assigned.add(tp);
            }
        }
        return false;
    }

    /**
     * Gives a static member's place (epoch, subscription, partitions) to its new instance, without
     * a rebalance.
     */
    ConsumerMember replaceMember(ConsumerMember old, String newMemberId) {
        ConsumerMember member = new ConsumerMember(newMemberId);
        member.instanceId = old.instanceId;
        member.rackId = old.rackId;
        member.memberEpoch = old.memberEpoch;
        member.previousMemberEpoch = old.previousMemberEpoch;
        member.subscribedTopicNames = old.subscribedTopicNames;
        member.subscribeTo(old.subscribedTopicRegex);
        member.rebalanceTimeoutMs = old.rebalanceTimeoutMs;
        member.assigned.addAll(old.assigned);
        member.revoking.addAll(old.revoking);
        members.remove(old.memberId);
        members.put(newMemberId, member);
        owners.replaceAll((tp, owner) -> owner.equals(old.memberId) ? newMemberId : owner);
        Set<TopicPartition> target = targetAssignment.remove(old.memberId);
        if (target != null) {
            targetAssignment.put(newMemberId, target);
        }
        return member;
    }

    /** Forgets a member; its partitions are free for others. */
    void remove(ConsumerMember member) {
        members.remove(member.memberId);
        release(member, member.assigned);
        release(member, member.revoking);
        targetAssignment.remove(member.memberId);
    }

    private void release(ConsumerMember member, Set<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            owners.remove(tp, member.memberId);
        }
    }

    // ------------------------------------------------------------------ as the offsets topic keeps it

    private static final int STATIC_LEFT_EPOCH = -2;

    /** A hash of topics' partition counts: equal counts, equal hashes, whatever the map's order. */
    static long metadataHash(Map<String, Integer> topicPartitions) {
        long hash = 1;
        for (Map.Entry<String, Integer> e : new TreeMap<>(topicPartitions).entrySet()) {
            hash = 31 * (31 * hash + e.getKey().hashCode()) + e.getValue();
            hash ^= hash >>> 29;
        }
        return hash == 0 ? 1 : hash; // 0 is the stored default: "no hash"
    }

    /** The group's state as records, by key. */
    Map<ConsumerGroupRecords.Key, GroupRecord> records() {
        Map<ConsumerGroupRecords.Key, GroupRecord> records = new HashMap<>();
        add(records, new GroupEpoch(groupEpoch, metadataHash));
        add(records, new TargetEpoch(assignmentEpoch));
        targetAssignment.forEach((memberId, partitions) ->
                add(records, new TargetMember(memberId, Set.copyOf(partitions))));
        for (ConsumerMember m : members.values()) {
            List<String> topics = new ArrayList<>(m.subscribedTopicNames);
            topics.sort(null);
            add(records, new MemberMetadata(m.memberId, new MemberValue(m.instanceId, m.rackId, m.clientId,
                    m.clientHost, List.copyOf(topics), m.subscribedTopicRegex, m.rebalanceTimeoutMs, assignor)));
            byte state = !m.revoking.isEmpty() ? ConsumerGroupRecords.UNREVOKED_PARTITIONS
                    : m.memberEpoch == assignmentEpoch
                    && !m.assigned.equals(targetAssignment.getOrDefault(m.memberId, Set.of()))
                    ? ConsumerGroupRecords.UNRELEASED_PARTITIONS : ConsumerGroupRecords.STABLE;
            add(records, new CurrentAssignment(m.memberId, new CurrentValue(
                    m.staticLeft ? STATIC_LEFT_EPOCH : m.memberEpoch,
                    m.staticLeft ? m.memberEpoch : m.previousMemberEpoch, state, Set.copyOf(m.assigned),
                    Set.copyOf(m.revoking))));
        }
        return records;
    }

    private static void add(Map<ConsumerGroupRecords.Key, GroupRecord> records, GroupRecord record) {
        records.put(ConsumerGroupRecords.keyOf(record), record);
    }

    /**
     * What must be written for the offsets topic to hold the group as it is now: the records that changed since
     * {@link #stored} (those first, by type), then tombstones for what is gone (members' assignments before their
     * metadata). {@link #stored} is brought up to date: call it only when writing the result.
     */
    List<GroupRecord> changesToStore() {
        Map<ConsumerGroupRecords.Key, GroupRecord> current = records();
        List<GroupRecord> upserts = new ArrayList<>();
        List<GroupRecord> deletes = new ArrayList<>();
        current.forEach((key, record) -> {
            if (!record.equals(stored.get(key))) {
                upserts.add(record);
            }
        });
        stored.forEach((key, record) -> {
            if (!current.containsKey(key)) {
                deletes.add(record.tombstone());
            }
        });
        upserts.sort(Comparator.comparingInt(GroupRecord::type));
        deletes.sort(Comparator.comparingInt(GroupRecord::type).reversed());
        upserts.addAll(deletes);
        stored.clear();
        stored.putAll(current);
        return upserts;
    }

    /** Tombstones for every record stored: what deletes the group from the offsets topic. */
    List<GroupRecord> deletion() {
        List<GroupRecord> deletes = new ArrayList<>();
        stored.values().forEach(r -> deletes.add(r.tombstone()));
        deletes.add(new GroupEpoch(null, 0));
        deletes.add(new TargetEpoch(null));
        deletes.sort(Comparator.comparingInt(GroupRecord::type).reversed());
        return deletes.stream().distinct().toList();
    }

    /**
     * After a failed write: what the offsets topic holds is unknown, so the next {@link #changesToStore} writes
     * every record again (and a tombstone for everything that was stored before and is gone).
     */
    void forgetStored() {
        stored.replaceAll((key, record) -> record.tombstone());
    }

    /** Applies a record read back from the offsets topic (a group tombstone is the coordinator's to apply). */
    void replay(GroupRecord record) {
        ConsumerGroupRecords.Key key = ConsumerGroupRecords.keyOf(record);
        if (record.isTombstone()) {
            stored.remove(key);
        } else {
            stored.put(key, record);
        }
        if (record instanceof GroupEpoch g && !g.isTombstone()) {
            groupEpoch = g.epoch();
            metadataHash = g.metadataHash();
        } else if (record instanceof TargetEpoch t && !t.isTombstone()) {
            assignmentEpoch = t.assignmentEpoch();
        } else if (record instanceof TargetMember t) {
            if (t.isTombstone()) {
                targetAssignment.remove(t.memberId());
            } else {
                targetAssignment.put(t.memberId(), new HashSet<>(t.partitions()));
            }
        } else if (record instanceof MemberMetadata m) {
            if (m.isTombstone()) {
                ConsumerMember gone = members.get(m.memberId());
                if (gone != null) {
                    remove(gone);
                }
                return;
            }
            MemberValue v = m.value();
            ConsumerMember member = members.computeIfAbsent(m.memberId(), ConsumerMember::new);
            member.instanceId = v.instanceId();
            member.rackId = v.rackId();
            member.clientId = v.clientId();
            member.clientHost = v.clientHost();
            member.subscribedTopicNames = List.copyOf(v.subscribedTopicNames());
            member.subscribeTo(v.subscribedTopicRegex());
            member.rebalanceTimeoutMs = v.rebalanceTimeoutMs();
            if (v.serverAssignor() != null) {
                assignor = v.serverAssignor();
            }
        } else if (record instanceof CurrentAssignment c && !c.isTombstone()) {
            CurrentValue v = c.value();
            ConsumerMember member = members.computeIfAbsent(c.memberId(), ConsumerMember::new);
            release(member, member.assigned);
            release(member, member.revoking);
            member.staticLeft = v.memberEpoch() == STATIC_LEFT_EPOCH;
            member.memberEpoch = member.staticLeft ? v.previousMemberEpoch() : v.memberEpoch();
            member.previousMemberEpoch = member.staticLeft ? -1 : v.previousMemberEpoch();
            member.assigned.clear();
            member.assigned.addAll(v.assigned());
            member.revoking.clear();
            member.revoking.addAll(v.revoking());
            member.lastSent = null;
            for (TopicPartition tp : member.assigned) {
                owners.put(tp, member.memberId);
            }
            for (TopicPartition tp : member.revoking) {
                owners.put(tp, member.memberId);
            }
        }
    }
}
