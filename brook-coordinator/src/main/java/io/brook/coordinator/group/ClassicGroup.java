package io.brook.coordinator.group;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/** The state of one classic group: members, generation, chosen protocol and leader. */
final class ClassicGroup {
    final String groupId;
    GroupState state = GroupState.EMPTY;
    int generation;
    String protocolType;
    String protocolName;
    String leaderId;
    final Map<String, Member> members = new LinkedHashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED, waiting for their second join. */
    final Set<String> pendingMembers = new HashSet<>();
    /** group.instance.id to member id, for static members. */
    final Map<String, String> staticMembers = new HashMap<>();
    ScheduledFuture<?> rebalanceTimer;
    /** When the group last became empty (wall clock), for offset retention. */
    long emptySinceMs;
    /** The first rebalance of an empty group waits group.initial.rebalance.delay.ms for more members. */
    boolean initialDelayPending;

    ClassicGroup(String groupId) {
        this.groupId = groupId;
    }

    boolean isLeader(String memberId) {
        return memberId.equals(leaderId);
    }

    /** The protocol every member supports, chosen by the members' first preferences (Kafka's vote). */
    String selectProtocol() {
        Set<String> candidates = null;
        for (Member m : members.values()) {
            Set<String> names = new HashSet<>();
            m.protocols.forEach(p -> names.add(p.name()));
            if (candidates == null) {
                candidates = names;
            } else {
                candidates.retainAll(names);
            }
        }
        if (candidates == null || candidates.isEmpty()) {
            return null;
        }
        Map<String, Integer> votes = new HashMap<>();
        for (Member m : members.values()) {
            for (Member.Protocol p : m.protocols) {
                if (candidates.contains(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    /** Whether a joining member's protocols are compatible with the group's. */
    boolean supportsProtocols(String type, List<Member.Protocol> protocols) {
        if (members.isEmpty()) {
            return type != null && !type.isEmpty() && !protocols.isEmpty();
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        for (Member.Protocol p : protocols) {
            boolean everyone = members.values().stream().allMatch(m -> m.supports(p.name()));
            if (everyone) {
                return true;
            }
        }
        return false;
    }

    int maxRebalanceTimeoutMs() {
        return members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
    }

    boolean allMembersJoined() {
        return members.values().stream().allMatch(m -> m.awaitingJoin != null);
    }
}
