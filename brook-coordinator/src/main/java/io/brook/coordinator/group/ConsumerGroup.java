package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;

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
    /** The subscribed topics' partition counts the target was computed from. */
    Map<String, Integer> subscribedTopicPartitions = Map.of();
    long emptySinceMs;

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
}
