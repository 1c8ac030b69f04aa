package io.brook.coordinator.group;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.LongSupplier;

/**
 * The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and committed
 * offsets, as Kafka's group coordinator runs them: members join, the group waits for every
 * known member to rejoin (or for the rebalance timeout), the leader computes the assignment
 * and hands it over in SyncGroup, heartbeats keep sessions alive and report rebalances. Also
 * the consumer group protocol of KIP-848 ({@link #consumerHeartbeat}, state in {@link ConsumerGroup})
 * and offsets committed inside transactions, pending until their marker.
 *
 * <p>Groups live in memory; committed offsets are written through {@link OffsetStore} before
 * they are acknowledged and reloaded with {@link #loadOffset} at start. Timers come from
 * {@link Timer} and wall-clock time from a {@link LongSupplier}, so tests drive both.
 *
 * <p>Thread-safety: every operation holds the coordinator's monitor; futures may complete
 * later (a join waits for the rebalance, a sync for the leader).
 */
public final class GroupCoordinator {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

    /** Schedules coordinator timers (sessions, rebalances). */
    public interface Timer {
        ScheduledFuture<?> schedule(Runnable task, long delayMs);
    }

    public record Protocol(String name, byte[] metadata) {
    }

    /** @param canSkipAssignment JoinGroup v9+ (KIP-814): a leader may be told to keep the current assignment */
    public record JoinRequest(String groupId, String memberId, String instanceId, String clientId,
                              String clientHost, int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType,
                              List<Protocol> protocols, boolean requireKnownMemberId, boolean canSkipAssignment) {
        public JoinRequest(String groupId, String memberId, String instanceId, String clientId, String clientHost,
                           int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType, List<Protocol> protocols,
                           boolean requireKnownMemberId) {
            this(groupId, memberId, instanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs,
                    protocolType, protocols, requireKnownMemberId, true);
        }
    }

    public record MemberMetadata(String memberId, String instanceId, byte[] metadata) {
    }

    /** @param skipAssignment the leader keeps the current assignment: it sends SyncGroup without computing one */
    public record JoinResult(Errors error, int generation, String protocolType, String protocolName, String leaderId,
                             String memberId, List<MemberMetadata> members, boolean skipAssignment) {
        public JoinResult(Errors error, int generation, String protocolType, String protocolName, String leaderId,
                          String memberId, List<MemberMetadata> members) {
            this(error, generation, protocolType, protocolName, leaderId, memberId, members, false);
        }

        static JoinResult error(Errors error, String memberId) {
            return new JoinResult(error, -1, null, null, "", memberId, List.of());
        }
    }

    public record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment) {
        static SyncResult error(Errors error) {
            return new SyncResult(error, null, null, new byte[0]);
        }
    }

    public record MemberDescription(String memberId, String instanceId, String clientId, String clientHost,
                                    byte[] metadata, byte[] assignment) {
    }

    public record GroupDescription(String groupId, String state, String protocolType, String protocolName,
                                   List<MemberDescription> members) {
    }

    /** A group as ListGroups shows it; {@code consumerProtocol} for KIP-848 groups (type "consumer"). */
    public record GroupListing(String groupId, String protocolType, String state, boolean consumerProtocol) {
        public GroupListing(String groupId, String protocolType, String state) {
            this(groupId, protocolType, state, false);
        }
    }

    private final GroupConfig config;
    private final OffsetStore store;
    private final Timer timer;
    private final LongSupplier clock;
    private final Map<String, ClassicGroup> groups = new HashMap<>();
    private final Map<String, Map<TopicPartition, CommittedOffset>> offsets = new HashMap<>();
    private final Map<String, ConsumerGroup> consumerGroups = new HashMap<>();
    /** Offsets committed in open transactions: producer id -> group -> partition -> offset. */
    private final Map<Long, Map<String, Map<TopicPartition, CommittedOffset>>> pendingTxnOffsets = new HashMap<>();

    public GroupCoordinator(GroupConfig config, OffsetStore store, Timer timer, LongSupplier clock) {
        this.config = config;
        this.store = store;
        this.timer = timer;
        this.clock = clock;
    }

    // ------------------------------------------------------------------ JoinGroup

    public synchronized CompletableFuture<JoinResult> join(JoinRequest request) {
        if (request.groupId() == null || request.groupId().isEmpty()) {
            return done(JoinResult.error(Errors.INVALID_GROUP_ID, request.memberId()));
        }
        if (request.sessionTimeoutMs() < config.minSessionTimeoutMs()
                || request.sessionTimeoutMs() > config.maxSessionTimeoutMs()) {
            return done(JoinResult.error(Errors.INVALID_SESSION_TIMEOUT, request.memberId()));
        }
        ConsumerGroup consumerGroup = consumerGroups.get(request.groupId());
        if (consumerGroup != null) {
            if (!consumerGroup.members.isEmpty()) { // no live conversion between the protocols
                return done(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId()));
            }
            consumerGroups.remove(request.groupId()); // an empty consumer group becomes a classic one
            store.writeConsumerGroup(request.groupId(), consumerGroup.deletion(), Map.of())
                    .whenComplete((ok, failure) -> {
                        if (failure != null) { // the next coordinator loads it empty and converts it again
                            log.info("Group {} became a classic group; deleting its consumer group records failed"
                                    + " ({})", request.groupId(), writeError(failure));
                        }
                    });
        }
        ClassicGroup group = groups.get(request.groupId());
        if (group == null) {
            if (!request.memberId().isEmpty()) {
                return done(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, request.memberId()));
            }
            group = new ClassicGroup(request.groupId());
            groups.put(group.groupId, group);
        }
        List<Member.Protocol> protocols = new ArrayList<>();
        request.protocols().forEach(p -> protocols.add(new Member.Protocol(p.name(), p.metadata())));
        if (!group.supportsProtocols(request.protocolType(), protocols)) {
            return done(JoinResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId()));
        }
        CompletableFuture<JoinResult> result = new CompletableFuture<>();
        if (request.memberId().isEmpty()) {
            joinUnknownMember(group, request, protocols, result);
        } else {
            joinKnownMember(group, request, protocols, result);
        }
        return result;
    }

    private void joinUnknownMember(ClassicGroup group, JoinRequest request, List<Member.Protocol> protocols,
                                   CompletableFuture<JoinResult> result) {
        String memberId = (request.clientId() == null || request.clientId().isEmpty() ? "member" : request.clientId())
                + "-" + UUID.randomUUID();
        if (group.members.size() + group.pendingMembers.size() >= config.maxSize()) {
            result.complete(JoinResult.error(Errors.GROUP_MAX_SIZE_REACHED, ""));
            return;
        }
        if (request.instanceId() != null) {
            Member previous = group.members.get(group.staticMembers.getOrDefault(request.instanceId(), ""));
            if (previous != null) {
                replaceStaticMember(group, previous, memberId, request, protocols, result);
                return;
            }
            addMember(group, memberId, request, protocols, result);
        } else if (request.requireKnownMemberId()) {
            group.pendingMembers.add(memberId);
            timer.schedule(() -> expirePending(group.groupId, memberId), request.sessionTimeoutMs());
            result.complete(JoinResult.error(Errors.MEMBER_ID_REQUIRED, memberId));
        } else {
            addMember(group, memberId, request, protocols, result);
        }
    }

    private void joinKnownMember(ClassicGroup group, JoinRequest request, List<Member.Protocol> protocols,
                                 CompletableFuture<JoinResult> result) {
        String memberId = request.memberId();
        if (group.pendingMembers.remove(memberId)) {
            addMember(group, memberId, request, protocols, result);
            return;
        }
        Member member = group.members.get(memberId);
        if (member == null) {
            result.complete(JoinResult.error(fencedOrUnknown(group, request.instanceId(), memberId), memberId));
            return;
        }
        if (request.instanceId() != null && !memberId.equals(group.staticMembers.get(request.instanceId()))) {
            result.complete(JoinResult.error(Errors.FENCED_INSTANCE_ID, memberId));
            return;
        }
        switch (group.state) {
            case PREPARING_REBALANCE:
                update(member, request, protocols, result);
                tryCompleteJoin(group);
                break;
            case COMPLETING_REBALANCE:
            case STABLE:
                boolean unchanged = member.sameProtocols(protocols);
                if (unchanged && (group.state == GroupState.COMPLETING_REBALANCE || !group.isLeader(memberId))) {
                    // a retried or follower join that changes nothing: answer with the current generation
                    result.complete(joinResult(group, member));
                } else {
                    update(member, request, protocols, result);
                    prepareRebalance(group, "member " + memberId + " rejoined with new metadata or as leader");
                }
                break;
            default:
                result.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
    }

    /**
     * A static member that comes back under a new member id (a restarted consumer with the same
     * {@code group.instance.id}, KIP-345) takes its old place: the old member id is fenced (FENCED_INSTANCE_ID), the
     * assignment stays. In a stable group whose chosen protocol it does not change, that is all: no rebalance, as in
     * Kafka; the group is stored with the new member id first (reverted if that fails) and the member gets the
     * current generation. A leader that can skip the assignment (JoinGroup v9+, KIP-814) is told to; an older one is
     * named no leader of this join, so it computes nothing a stable group would not hand out. Otherwise, or while a
     * rebalance is under way, the group rebalances with the member in its new id.
     */
    private void replaceStaticMember(ClassicGroup group, Member old, String newMemberId, JoinRequest request,
                                     List<Member.Protocol> protocols, CompletableFuture<JoinResult> result) {
        String previousLeader = group.leaderId;
        List<Member.Protocol> oldProtocols = old.protocols;
        int oldSessionTimeoutMs = old.sessionTimeoutMs;
        int oldRebalanceTimeoutMs = old.rebalanceTimeoutMs;
        Member member = swapMember(group, old, newMemberId, Errors.FENCED_INSTANCE_ID);
        update(member, request, protocols, result);
        resetSession(group, member);
        if (group.state == GroupState.STABLE && group.protocolName.equals(group.selectProtocol())) {
            member.awaitingJoin = null;
            Map<String, byte[]> assignments = new HashMap<>();
            group.members.values().forEach(m -> assignments.put(m.memberId, m.assignment));
            store.writeGroup(group.groupId, stored(group, assignments), Map.of()).whenComplete((ok, failure) ->
                    onStaticMemberStored(group.groupId, old, member, previousLeader, oldProtocols,
                            oldSessionTimeoutMs, oldRebalanceTimeoutMs, request.canSkipAssignment(), result, failure));
        } else if (group.state == GroupState.PREPARING_REBALANCE) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, "static member " + request.instanceId() + " rejoined as " + newMemberId);
        }
    }

    private synchronized void onStaticMemberStored(String groupId, Member old, Member member, String previousLeader,
                                                   List<Member.Protocol> oldProtocols, int oldSessionTimeoutMs,
                                                   int oldRebalanceTimeoutMs, boolean canSkipAssignment,
                                                   CompletableFuture<JoinResult> result, Throwable failure) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            result.complete(JoinResult.error(Errors.NOT_COORDINATOR, member.memberId)); // unloaded meanwhile
            return;
        }
        if (group.members.get(member.memberId) != member) {
            result.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, member.memberId));
            return; // the member was replaced or removed again meanwhile
        }
        if (failure != null) {
            // the old member id stays the member's: the store never saw the new one
            Member back = swapMember(group, member, old.memberId, Errors.UNKNOWN_MEMBER_ID);
            back.protocols = oldProtocols;
            back.sessionTimeoutMs = oldSessionTimeoutMs;
            back.rebalanceTimeoutMs = oldRebalanceTimeoutMs;
            resetSession(group, back);
            result.complete(new JoinResult(writeError(failure), group.generation, group.protocolType,
                    group.protocolName, previousLeader, "", List.of()));
            return;
        }
        log.info("Static member {} of group {} rejoined as {} without a rebalance (generation {})",
                member.instanceId, groupId, member.memberId, group.generation);
        boolean leader = group.isLeader(member.memberId);
        if (canSkipAssignment) {
            JoinResult current = joinResult(group, member);
            result.complete(new JoinResult(Errors.NONE, current.generation(), current.protocolType(),
                    current.protocolName(), current.leaderId(), current.memberId(), current.members(), leader));
        } else {
            result.complete(new JoinResult(Errors.NONE, group.generation, group.protocolType, group.protocolName,
                    leader ? previousLeader : group.leaderId, member.memberId, List.of()));
        }
    }

    /**
     * Puts a member with {@code newMemberId} in {@code old}'s place (its instance id, assignment and leadership), and
     * answers what {@code old} still waited for with {@code oldError}. Returns the new member.
     */
    private Member swapMember(ClassicGroup group, Member old, String newMemberId, Errors oldError) {
        Member member = new Member(newMemberId, old.instanceId, old.clientId, old.clientHost, old.sessionTimeoutMs,
                old.rebalanceTimeoutMs, old.protocols);
        member.assignment = old.assignment;
        cancel(old.sessionTimer);
        if (old.awaitingJoin != null) {
            old.awaitingJoin.complete(JoinResult.error(oldError, old.memberId));
            old.awaitingJoin = null;
        }
        if (old.awaitingSync != null) {
            old.awaitingSync.complete(SyncResult.error(oldError));
            old.awaitingSync = null;
        }
        group.members.remove(old.memberId);
        group.members.put(newMemberId, member);
        group.staticMembers.put(old.instanceId, newMemberId);
        if (old.memberId.equals(group.leaderId)) {
            group.leaderId = newMemberId;
        }
        return member;
    }

    private static Errors fencedOrUnknown(ClassicGroup group, String instanceId, String memberId) {
        if (instanceId != null && group.staticMembers.containsKey(instanceId)
                && !memberId.equals(group.staticMembers.get(instanceId))) {
            return Errors.FENCED_INSTANCE_ID;
        }
        return Errors.UNKNOWN_MEMBER_ID;
    }

    private void addMember(ClassicGroup group, String memberId, JoinRequest request, List<Member.Protocol> protocols,
                           CompletableFuture<JoinResult> result) {
        if (group.members.size() >= config.maxSize()) {
            result.complete(JoinResult.error(Errors.GROUP_MAX_SIZE_REACHED, memberId));
            return;
        }
        Member member = new Member(memberId, request.instanceId(), request.clientId(), request.clientHost(),
                request.sessionTimeoutMs(), request.rebalanceTimeoutMs(), protocols);
        member.awaitingJoin = result;
        if (group.members.isEmpty()) {
            group.protocolType = request.protocolType();
        }
        group.members.put(memberId, member);
        if (request.instanceId() != null) {
            group.staticMembers.put(request.instanceId(), memberId);
        }
        if (group.leaderId == null) {
            group.leaderId = memberId;
        }
        if (group.state == GroupState.PREPARING_REBALANCE) {
            tryCompleteJoin(group);
        } else {
            prepareRebalance(group, "member " + memberId + " joined");
        }
    }

    private static void update(Member member, JoinRequest request, List<Member.Protocol> protocols,
                               CompletableFuture<JoinResult> result) {
        member.protocols = protocols;
        member.sessionTimeoutMs = request.sessionTimeoutMs();
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
        if (member.awaitingJoin != null && member.awaitingJoin != result) {
            member.awaitingJoin.complete(JoinResult.error(Errors.UNKNOWN_MEMBER_ID, member.memberId));
        }
        member.awaitingJoin = result;
    }

    private void prepareRebalance(ClassicGroup group, String reason) {
        if (group.state == GroupState.COMPLETING_REBALANCE) {
            for (Member m : group.members.values()) {
                m.assignment = new byte[0];
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                    m.awaitingSync = null;
                }
            }
        }
        boolean initial = group.state == GroupState.EMPTY;
        group.state = GroupState.PREPARING_REBALANCE;
        cancel(group.rebalanceTimer);
        long delay = initial ? Math.min(config.initialRebalanceDelayMs(), group.maxRebalanceTimeoutMs())
                : group.maxRebalanceTimeoutMs();
        log.info("Preparing to rebalance group {} with old generation {}: {}", group.groupId, group.generation, reason);
        if (initial && delay > 0) {
            // give other members of a starting group the chance to join the first generation
            group.initialDelayPending = true;
            group.rebalanceTimer = timer.schedule(() -> onInitialDelay(group.groupId), delay);
        } else {
            group.rebalanceTimer = timer.schedule(() -> onRebalanceTimeout(group.groupId), delay);
            tryCompleteJoin(group);
        }
    }

    private synchronized void onInitialDelay(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null || group.state != GroupState.PREPARING_REBALANCE) {
            return;
        }
        group.initialDelayPending = false;
        group.rebalanceTimer = timer.schedule(() -> onRebalanceTimeout(groupId), group.maxRebalanceTimeoutMs());
        tryCompleteJoin(group);
    }

    private synchronized void onRebalanceTimeout(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group != null && group.state == GroupState.PREPARING_REBALANCE) {
            completeJoin(group);
        }
    }

    private void tryCompleteJoin(ClassicGroup group) {
        if (group.state == GroupState.PREPARING_REBALANCE && !group.initialDelayPending && group.allMembersJoined()) {
            completeJoin(group);
        }
    }

    private void completeJoin(ClassicGroup group) {
        cancel(group.rebalanceTimer);
        group.rebalanceTimer = null;
        group.initialDelayPending = false;
        for (Member m : new ArrayList<>(group.members.values())) {
            if (m.awaitingJoin == null) {
                log.info("Removing member {} from group {}: it did not rejoin within the rebalance timeout",
                        m.memberId, group.groupId);
                removeMember(group, m, Errors.UNKNOWN_MEMBER_ID);
            }
        }
        group.generation++;
        if (group.members.isEmpty()) {
            group.state = GroupState.EMPTY;
            group.emptySinceMs = clock.getAsLong();
            group.protocolName = null;
            group.leaderId = null;
            // the generation goes on from here after a coordinator move; failing that, from the last stored one
            String groupId = group.groupId;
            store.writeGroup(groupId, stored(group, Map.of()), Map.of()).whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.info("Group {} is empty; storing that failed ({})", groupId, writeError(failure));
                }
            });
            return;
        }
        group.protocolName = group.selectProtocol();
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.state = GroupState.COMPLETING_REBALANCE;
        for (Member m : group.members.values()) {
            CompletableFuture<JoinResult> waiting = m.awaitingJoin;
            m.awaitingJoin = null;
            resetSession(group, m);
            waiting.complete(joinResult(group, m));
        }
        log.info("Group {} generation {}: {} members, protocol {}, leader {}", group.groupId, group.generation,
                group.members.size(), group.protocolName, group.leaderId);
    }

    private static JoinResult joinResult(ClassicGroup group, Member member) {
        List<MemberMetadata> members = new ArrayList<>();
        if (group.isLeader(member.memberId)) {
            for (Member m : group.members.values()) {
                members.add(new MemberMetadata(m.memberId, m.instanceId, m.metadataFor(group.protocolName)));
            }
        }
        return new JoinResult(Errors.NONE, group.generation, group.protocolType, group.protocolName, group.leaderId,
                member.memberId, members);
    }

    private synchronized void expirePending(String groupId, String memberId) {
        ClassicGroup group = groups.get(groupId);
        if (group != null) {
            group.pendingMembers.remove(memberId);
            maybeForget(group);
        }
    }

    // ------------------------------------------------------------------ SyncGroup

    public synchronized CompletableFuture<SyncResult> sync(String groupId, int generation, String memberId,
                                                           String instanceId, String protocolType,
                                                           String protocolName, Map<String, byte[]> assignments) {
        ClassicGroup group = groups.get(groupId);
        Member member = group == null ? null : group.members.get(memberId);
        if (member == null) {
            return done(SyncResult.error(group == null ? Errors.UNKNOWN_MEMBER_ID
                    : fencedOrUnknown(group, instanceId, memberId)));
        }
        if (instanceId != null && !memberId.equals(group.staticMembers.get(instanceId))) {
            return done(SyncResult.error(Errors.FENCED_INSTANCE_ID));
        }
        if (generation != group.generation) {
            return done(SyncResult.error(Errors.ILLEGAL_GENERATION));
        }
        if ((protocolType != null && !protocolType.equals(group.protocolType))
                || (protocolName != null && !protocolName.equals(group.protocolName))) {
            return done(SyncResult.error(Errors.INCONSISTENT_GROUP_PROTOCOL));
        }
        switch (group.state) {
            case PREPARING_REBALANCE:
                return done(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
            case COMPLETING_REBALANCE: {
                CompletableFuture<SyncResult> result = new CompletableFuture<>();
                if (member.awaitingSync != null) {
                    // a repeated SyncGroup replaces the waiting one, which is answered rather than left hanging
                    member.awaitingSync.complete(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                }
                member.awaitingSync = result;
                resetSession(group, member);
                if (group.isLeader(memberId)) {
                    Map<String, byte[]> complete = new HashMap<>();
                    for (Member m : group.members.values()) {
                        byte[] assignment = assignments.get(m.memberId);
                        complete.put(m.memberId, assignment == null ? new byte[0] : assignment);
                    }
                    int storedGeneration = group.generation;
                    // the members get their assignment once it is durable: a coordinator that takes over the group
                    // then knows them in this generation, and they go on without rejoining
                    store.writeGroup(groupId, stored(group, complete), Map.of()).whenComplete((ok, failure) ->
                            onAssignmentStored(groupId, storedGeneration, complete, failure));
                }
                return result;
            }
            case STABLE:
                resetSession(group, member);
                return done(new SyncResult(Errors.NONE, group.protocolType, group.protocolName, member.assignment));
            default:
                return done(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private synchronized void onAssignmentStored(String groupId, int generation, Map<String, byte[]> assignments,
                                                 Throwable failure) {
        ClassicGroup group = groups.get(groupId);
        if (group == null || group.state != GroupState.COMPLETING_REBALANCE || group.generation != generation) {
            return; // the group moved on (a member joined or left) while the record was written
        }
        if (failure != null) {
            Errors error = writeError(failure);
            log.info("Group {} generation {}: its assignment was not stored ({}); the members rejoin", groupId,
                    generation, error);
            for (Member m : group.members.values()) {
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(SyncResult.error(error));
                    m.awaitingSync = null;
                }
            }
            prepareRebalance(group, "its assignment could not be stored");
            return;
        }
        group.state = GroupState.STABLE;
        for (Member m : group.members.values()) {
            m.assignment = assignments.getOrDefault(m.memberId, new byte[0]);
            if (m.awaitingSync != null) {
                m.awaitingSync.complete(new SyncResult(Errors.NONE, group.protocolType, group.protocolName,
                        m.assignment));
                m.awaitingSync = null;
            }
        }
    }

    /** The group's record with {@code assignments} (member id to assignment) for its members. */
    private StoredGroup stored(ClassicGroup group, Map<String, byte[]> assignments) {
        List<StoredGroup.StoredMember> members = new ArrayList<>();
        for (Member m : group.members.values()) {
            members.add(new StoredGroup.StoredMember(m.memberId, m.instanceId, m.clientId, m.clientHost,
                    m.rebalanceTimeoutMs, m.sessionTimeoutMs, m.metadataFor(group.protocolName),
                    assignments.getOrDefault(m.memberId, new byte[0])));
        }
        return new StoredGroup(group.protocolType, group.generation, group.protocolName, group.leaderId,
                clock.getAsLong(), members);
    }

    // ------------------------------------------------------------------ Heartbeat and LeaveGroup

    public synchronized Errors heartbeat(String groupId, int generation, String memberId, String instanceId) {
        ClassicGroup group = groups.get(groupId);
        Member member = group == null ? null : group.members.get(memberId);
        if (member == null) {
            return group == null ? Errors.UNKNOWN_MEMBER_ID : fencedOrUnknown(group, instanceId, memberId);
        }
        if (instanceId != null && !memberId.equals(group.staticMembers.get(instanceId))) {
            return Errors.FENCED_INSTANCE_ID;
        }
        if (generation != group.generation) {
            return Errors.ILLEGAL_GENERATION;
        }
        resetSession(group, member);
        return group.state == GroupState.PREPARING_REBALANCE ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
    }

    /** A member leaving, named by member id, or by instance id when the member id is empty. */
    public record Leaving(String memberId, String instanceId) {
    }

    public synchronized List<Errors> leave(String groupId, List<Leaving> leaving) {
        ClassicGroup group = groups.get(groupId);
        List<Errors> results = new ArrayList<>();
        for (Leaving l : leaving) {
            String memberId = l.memberId();
            if (group != null && (memberId == null || memberId.isEmpty()) && l.instanceId() != null) {
                memberId = group.staticMembers.get(l.instanceId());
            }
            Member member = group == null || memberId == null ? null : group.members.get(memberId);
            if (member == null) {
                results.add(Errors.UNKNOWN_MEMBER_ID);
                continue;
            }
            if (l.instanceId() != null && !member.memberId.equals(group.staticMembers.get(l.instanceId()))) {
                results.add(Errors.FENCED_INSTANCE_ID);
                continue;
            }
            log.info("Member {} left group {}", member.memberId, groupId);
            removeMember(group, member, Errors.UNKNOWN_MEMBER_ID);
            afterMemberRemoved(group, "member " + member.memberId + " left");
            results.add(Errors.NONE);
        }
        return results;
    }

    private void resetSession(ClassicGroup group, Member member) {
        cancel(member.sessionTimer);
        member.sessionTimer = timer.schedule(() -> onSessionTimeout(group.groupId, member.memberId),
                member.sessionTimeoutMs);
    }

    private synchronized void onSessionTimeout(String groupId, String memberId) {
        ClassicGroup group = groups.get(groupId);
        Member member = group == null ? null : group.members.get(memberId);
        if (member == null || member.awaitingJoin != null) {
            return; // a member waiting in JoinGroup is not expected to heartbeat
        }
        log.info("Member {} of group {} missed its session timeout of {} ms", memberId, groupId,
                member.sessionTimeoutMs);
        removeMember(group, member, Errors.UNKNOWN_MEMBER_ID);
        afterMemberRemoved(group, "member " + memberId + " timed out");
    }

    private void afterMemberRemoved(ClassicGroup group, String reason) {
        switch (group.state) {
            case PREPARING_REBALANCE:
                tryCompleteJoin(group);
                break;
            case COMPLETING_REBALANCE:
            case STABLE:
                prepareRebalance(group, reason);
                break;
            default:
                break;
        }
    }

    private void removeMember(ClassicGroup group, Member member, Errors reason) {
        if (member == null) {
            return;
        }
        group.members.remove(member.memberId);
        if (member.instanceId != null && member.memberId.equals(group.staticMembers.get(member.instanceId))) {
            group.staticMembers.remove(member.instanceId);
        }
        cancel(member.sessionTimer);
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(JoinResult.error(reason, member.memberId));
        }
        if (member.awaitingSync != null) {
            member.awaitingSync.complete(SyncResult.error(reason));
        }
        if (member.memberId.equals(group.leaderId)) {
            group.leaderId = group.members.isEmpty() ? null : group.members.keySet().iterator().next();
        }
    }

    // ------------------------------------------------------------------ offsets

    /** Commits offsets, if {@link #validateCommit} lets the request commit into the group. */
    public synchronized CompletableFuture<Map<TopicPartition, Errors>> commit(
            String groupId, int generation, String memberId, String instanceId,
            Map<TopicPartition, CommittedOffset> commits) {
        Errors groupError = validateCommit(groupId, generation, memberId, instanceId, false);
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<TopicPartition, CommittedOffset> accepted = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, CommittedOffset> e : commits.entrySet()) {
            CommittedOffset offset = e.getValue();
            if (groupError != Errors.NONE) {
                results.put(e.getKey(), groupError);
            } else if (offset.metadata() != null && offset.metadata().length() > config.offsetMetadataMaxBytes()) {
                results.put(e.getKey(), Errors.OFFSET_METADATA_TOO_LARGE);
            } else {
                accepted.put(e.getKey(), offset);
            }
        }
        if (accepted.isEmpty()) {
            return done(results);
        }
        return store.write(groupId, accepted).handle((ok, failure) -> {
            synchronized (this) {
                for (TopicPartition tp : accepted.keySet()) {
                    results.put(tp, failure == null ? Errors.NONE : writeError(failure));
                }
                if (failure == null) {
                    offsets.computeIfAbsent(groupId, g -> new HashMap<>()).putAll(accepted);
                    trackOffsetsOnlyGroup(groupId);
                } else {
                    log.warn("Writing offsets of group {} failed", groupId, failure);
                }
                Map<TopicPartition, Errors> ordered = new LinkedHashMap<>();
                commits.keySet().forEach(tp -> ordered.put(tp, results.get(tp)));
                return ordered;
            }
        });
    }

    /**
     * Commits offsets inside a producer's transaction (TxnOffsetCommit): validated by {@link #validateCommit},
     * written at once, visible only after the commit marker.
     */
    public synchronized CompletableFuture<Map<TopicPartition, Errors>> txnCommit(
            String groupId, long producerId, short producerEpoch, int generation, String memberId,
            String instanceId, Map<TopicPartition, CommittedOffset> commits) {
        Errors groupError = validateCommit(groupId, generation, memberId, instanceId, true);
        if (groupError == Errors.STALE_MEMBER_EPOCH) {
            groupError = Errors.ILLEGAL_GENERATION; // as Kafka answers a transactional commit
        }
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<TopicPartition, CommittedOffset> accepted = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, CommittedOffset> e : commits.entrySet()) {
            if (groupError != Errors.NONE) {
                results.put(e.getKey(), groupError);
            } else if (e.getValue().metadata() != null
                    && e.getValue().metadata().length() > config.offsetMetadataMaxBytes()) {
                results.put(e.getKey(), Errors.OFFSET_METADATA_TOO_LARGE);
            } else {
                accepted.put(e.getKey(), e.getValue());
                results.put(e.getKey(), Errors.NONE);
            }
        }
        if (accepted.isEmpty()) {
            return done(results);
        }
        return store.writeTransactional(groupId, producerId, producerEpoch, accepted).handle((ok, failure) -> {
            synchronized (this) {
                if (failure != null) {
                    log.warn("Writing transactional offsets of group {} for producer {} failed", groupId, producerId,
                            failure);
                    Errors raw = Errors.forException(failure instanceof java.util.concurrent.CompletionException
                            && failure.getCause() != null ? failure.getCause() : failure);
                    // the producer's own errors (a fenced epoch) pass through; the partition's are mapped
                    Errors error = switch (raw) {
                        case UNKNOWN_SERVER_ERROR, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS,
                             NOT_ENOUGH_REPLICAS_AFTER_APPEND, NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR ->
                                writeError(failure);
                        default -> raw;
                    };
                    accepted.keySet().forEach(tp -> results.put(tp, error));
                    return results;
                }
                loadTransactionalOffsets(producerId, groupId, accepted);
                return results;
            }
        });
    }

    /** Replays (or records) offsets written in a producer's transaction, pending until its marker. */
    public synchronized void loadTransactionalOffsets(long producerId, String groupId,
                                                      Map<TopicPartition, CommittedOffset> committed) {
        pendingTxnOffsets.computeIfAbsent(producerId, id -> new HashMap<>())
                .computeIfAbsent(groupId, g -> new HashMap<>()).putAll(committed);
        trackOffsetsOnlyGroup(groupId);
    }

    /**
     * A transaction marker reached an offsets partition: the producer's pending offsets of the
     * groups stored there ({@code groupsOfPartition}) take effect on commit and are dropped on abort.
     */
    public synchronized void completeTransaction(long producerId, boolean commit,
                                                 java.util.function.Predicate<String> groupsOfPartition) {
        Map<String, Map<TopicPartition, CommittedOffset>> pending = pendingTxnOffsets.get(producerId);
        if (pending == null) {
            return;
        }
        pending.entrySet().removeIf(e -> {
            if (!groupsOfPartition.test(e.getKey())) {
                return false;
            }
            if (commit) {
                e.getValue().forEach((tp, offset) -> loadOffset(e.getKey(), tp, offset));
            } else {
                ClassicGroup group = groups.get(e.getKey());
                if (group != null) {
                    maybeForget(group);
                }
            }
            return true;
        });
        if (pending.isEmpty()) {
            pendingTxnOffsets.remove(producerId);
        }
    }

    /** Whether an open transaction has offsets of {@code groupId} for {@code tp} (OffsetFetch require_stable). */
    public synchronized boolean hasPendingTransactionalOffset(String groupId, TopicPartition tp) {
        for (Map<String, Map<TopicPartition, CommittedOffset>> byGroup : pendingTxnOffsets.values()) {
            Map<TopicPartition, CommittedOffset> pending = byGroup.get(groupId);
            if (pending != null && pending.containsKey(tp)) {
                return true;
            }
        }
        return false;
    }

    /** A group known only by its offsets is listed as an empty classic group, unless it is a consumer group. */
    private void trackOffsetsOnlyGroup(String groupId) {
        if (!consumerGroups.containsKey(groupId)) {
            groups.computeIfAbsent(groupId, ClassicGroup::new);
        }
    }

    /**
     * Kafka's rules for who may commit. Generation -1 into an empty or unknown group is a simple
     * consumer (assign mode, tools), whatever member id it names. Otherwise a request naming a member,
     * a generation or an instance must match one. A transactional commit that names none (TxnOffsetCommit
     * before version 3 carries no such fields) is accepted into a group with members too; a plain one
     * is not, and neither is refused while a classic group waits for its assignment.
     */
    private Errors validateCommit(String groupId, int generation, String memberId, String instanceId,
                                  boolean transactional) {
        if (groupId == null || groupId.isEmpty()) {
            return Errors.INVALID_GROUP_ID;
        }
        boolean namesMember = memberId != null && !memberId.isEmpty();
        ConsumerGroup consumerGroup = consumerGroups.get(groupId);
        if (consumerGroup != null) { // KIP-848: the generation field carries the member epoch
            if (generation < 0 && consumerGroup.members.isEmpty()) {
                return Errors.NONE;
            }
            if (transactional && generation < 0 && !namesMember && instanceId == null) {
                return Errors.NONE;
            }
            ConsumerGroup.ConsumerMember member = namesMember ? consumerGroup.members.get(memberId) : null;
            if (member == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            return generation > member.memberEpoch ? Errors.FENCED_MEMBER_EPOCH
                    : generation < member.memberEpoch ? Errors.STALE_MEMBER_EPOCH : Errors.NONE;
        }
        ClassicGroup group = groups.get(groupId);
        if (generation < 0 && (group == null || group.members.isEmpty())) {
            return Errors.NONE;
        }
        if (generation < 0 && !namesMember && instanceId == null) {
            return transactional ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
        }
        Member member = group == null ? null : group.members.get(memberId);
        if (member == null) {
            // Kafka's rule: a generation for a group that does not exist is an illegal one
            return group == null ? Errors.ILLEGAL_GENERATION : fencedOrUnknown(group, instanceId, memberId);
        }
        if (instanceId != null && !memberId.equals(group.staticMembers.get(instanceId))) {
            return Errors.FENCED_INSTANCE_ID;
        }
        if (generation != group.generation) {
            return Errors.ILLEGAL_GENERATION;
        }
        // Kafka's rule: a member of the current generation may still commit while the group prepares
        // a rebalance (that is when consumers commit what they read before giving partitions up);
        // only between JoinGroup and SyncGroup, when no one holds an assignment, is a plain commit refused
        if (!transactional && group.state == GroupState.COMPLETING_REBALANCE) {
            return Errors.REBALANCE_IN_PROGRESS;
        }
        resetSession(group, member);
        return Errors.NONE;
    }

    /** Committed offsets of a group: for {@code partitions}, or every partition when null. */
    public synchronized Map<TopicPartition, CommittedOffset> fetch(String groupId, List<TopicPartition> partitions) {
        Map<TopicPartition, CommittedOffset> committed = offsets.getOrDefault(groupId, Map.of());
        if (partitions == null) {
            return new LinkedHashMap<>(committed);
        }
        Map<TopicPartition, CommittedOffset> result = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            result.put(tp, committed.get(tp));
        }
        return result;
    }

    /**
     * Expires the offsets of groups without members (KIP-211): an offset goes once
     * {@code retentionMs} has passed since it was committed and since the group became empty.
     * Groups left with neither members nor offsets are forgotten.
     *
     * @return how many offsets expired
     */
    public synchronized int expireOffsets(long nowMs, long retentionMs) {
        int expired = 0;
        for (String groupId : new ArrayList<>(offsets.keySet())) {
            ClassicGroup group = groups.get(groupId);
            ConsumerGroup consumerGroup = consumerGroups.get(groupId);
            if (group != null && !group.members.isEmpty()
                    || consumerGroup != null && !consumerGroup.members.isEmpty()) {
                continue;
            }
            long emptySince = group != null ? group.emptySinceMs : consumerGroup != null ? consumerGroup.emptySinceMs : 0;
            Map<TopicPartition, CommittedOffset> tombstones = new LinkedHashMap<>();
            offsets.get(groupId).forEach((tp, offset) -> {
                if (nowMs - Math.max(offset.commitTimestampMs(), emptySince) > retentionMs) {
                    tombstones.put(tp, null);
                }
            });
            boolean lastOffsets = tombstones.size() == offsets.get(groupId).size();
            // a group left with neither members nor offsets is deleted with its last offsets
            CompletableFuture<Void> written = tombstones.isEmpty() ? null
                    : lastOffsets && consumerGroup != null
                    ? store.writeConsumerGroup(groupId, consumerGroup.deletion(), tombstones)
                    : lastOffsets && group != null ? store.writeGroup(groupId, null, tombstones)
                    : store.write(groupId, tombstones);
            if (written == null || written.isCompletedExceptionally()) {
                continue;
            }
            if (lastOffsets && consumerGroup != null) {
                consumerGroups.remove(groupId);
            }
            tombstones.keySet().forEach(tp -> loadOffset(groupId, tp, null));
            expired += tombstones.size();
            log.info("Expired {} offsets of group {} (offsets.retention.minutes)", tombstones.size(), groupId);
        }
        return expired;
    }

    /** The answer to OffsetDelete: a group-level error, or one error per partition. */
    public record OffsetDeleteResult(Errors groupError, Map<TopicPartition, Errors> partitions) {
    }

    /**
     * Deletes committed offsets (OffsetDelete). A group with members keeps the offsets of
     * topics its members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC); a non-consumer group with
     * members refuses (NON_EMPTY_GROUP).
     */
    public synchronized CompletableFuture<OffsetDeleteResult> deleteOffsets(String groupId,
                                                                           List<TopicPartition> partitions) {
        ClassicGroup group = groups.get(groupId);
        if (group == null && !offsets.containsKey(groupId)) {
            return done(new OffsetDeleteResult(Errors.GROUP_ID_NOT_FOUND, Map.of()));
        }
        java.util.Set<String> subscribed = new java.util.HashSet<>();
        if (group != null && !group.members.isEmpty()) {
            if (!ConsumerSubscriptions.PROTOCOL_TYPE.equals(group.protocolType)) {
                return done(new OffsetDeleteResult(Errors.NON_EMPTY_GROUP, Map.of()));
            }
            for (Member m : group.members.values()) {
                subscribed.addAll(ConsumerSubscriptions.topics(m.metadataFor(group.protocolName)));
            }
        }
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<TopicPartition, CommittedOffset> tombstones = new LinkedHashMap<>();
        Map<TopicPartition, CommittedOffset> committed = offsets.getOrDefault(groupId, Map.of());
        for (TopicPartition tp : partitions) {
            if (subscribed.contains(tp.topic())) {
                results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
            } else {
                results.put(tp, Errors.NONE);
                if (committed.containsKey(tp)) {
                    tombstones.put(tp, null);
                }
            }
        }
        if (tombstones.isEmpty()) {
            return done(new OffsetDeleteResult(Errors.NONE, results));
        }
        return store.write(groupId, tombstones).handle((ok, failure) -> {
            if (failure != null) {
                return new OffsetDeleteResult(writeError(failure), Map.of());
            }
            synchronized (this) {
                // the (now possibly offset-less) group stays until deleted, as in Kafka
                Map<TopicPartition, CommittedOffset> current = offsets.get(groupId);
                if (current != null) {
                    tombstones.keySet().forEach(current::remove);
                }
            }
            return new OffsetDeleteResult(Errors.NONE, results);
        });
    }

    /** Replays one offset record read back from the offsets topic (null: a tombstone). */
    public synchronized void loadOffset(String groupId, TopicPartition tp, CommittedOffset offset) {
        if (offset == null) {
            Map<TopicPartition, CommittedOffset> committed = offsets.get(groupId);
            if (committed != null) {
                committed.remove(tp);
                if (committed.isEmpty()) {
                    offsets.remove(groupId);
                    ClassicGroup group = groups.get(groupId);
                    if (group != null) {
                        maybeForget(group);
                    }
                }
            }
            return;
        }
        offsets.computeIfAbsent(groupId, g -> new HashMap<>()).put(tp, offset);
        trackOffsetsOnlyGroup(groupId);
    }

    /**
     * Replays one group record read back from the offsets topic (null: the group was deleted). A group with
     * members is stable in its generation: each member's session starts now, so members that are still there
     * go on heartbeating and committing, and those that are gone time out as usual.
     */
    public synchronized void loadGroup(String groupId, StoredGroup stored) {
        if (stored != null) { // a later classic record: the consumer group became a classic one
            dropConsumerGroup(groupId);
        }
        ClassicGroup previous = groups.remove(groupId);
        if (previous != null) {
            cancel(previous.rebalanceTimer);
            previous.members.values().forEach(m -> cancel(m.sessionTimer));
        }
        if (stored == null) {
            if (offsets.containsKey(groupId)) {
                trackOffsetsOnlyGroup(groupId);
            }
            return;
        }
        ClassicGroup group = new ClassicGroup(groupId);
        group.protocolType = stored.protocolType();
        group.generation = stored.generation();
        for (StoredGroup.StoredMember m : stored.members()) {
            Member member = new Member(m.memberId(), m.instanceId(), m.clientId(), m.clientHost(),
                    m.sessionTimeoutMs(), m.rebalanceTimeoutMs(),
                    List.of(new Member.Protocol(stored.protocolName(), m.subscription())));
            member.assignment = m.assignment();
            group.members.put(member.memberId, member);
            if (member.instanceId != null) {
                group.staticMembers.put(member.instanceId, member.memberId);
            }
        }
        if (group.members.isEmpty()) {
            group.state = GroupState.EMPTY;
            group.emptySinceMs = stored.currentStateTimestamp() >= 0 ? stored.currentStateTimestamp()
                    : clock.getAsLong();
        } else {
            group.state = GroupState.STABLE;
            group.protocolName = stored.protocolName();
            group.leaderId = group.members.containsKey(stored.leaderId()) ? stored.leaderId()
                    : group.members.keySet().iterator().next();
            group.members.values().forEach(m -> resetSession(group, m));
        }
        groups.put(groupId, group);
    }

    /**
     * Replays one record of a consumer group read back from the offsets topic. Members are there as last stored,
     * in their epochs and with their partitions, each with a session that starts now: those still running go on
     * heartbeating without rejoining, those that are gone time out as usual.
     */
    public synchronized void loadConsumerGroup(String groupId, ConsumerGroupRecords.GroupRecord record) {
        if (record instanceof ConsumerGroupRecords.GroupEpoch && record.isTombstone()) {
            dropConsumerGroup(groupId);
            if (offsets.containsKey(groupId)) {
                trackOffsetsOnlyGroup(groupId);
            }
            return;
        }
        ConsumerGroup group = consumerGroups.get(groupId);
        if (group == null) {
            ClassicGroup classic = groups.remove(groupId); // an empty group, or one known by its offsets only
            if (classic != null) {
                cancel(classic.rebalanceTimer);
                classic.members.values().forEach(m -> cancel(m.sessionTimer));
            }
            group = new ConsumerGroup(groupId);
            group.assignor = config.consumerAssignors().get(0);
            consumerGroups.put(groupId, group);
        }
        ConsumerGroup.ConsumerMember before = record.memberId() == null ? null : group.members.get(record.memberId());
        group.replay(record);
        ConsumerGroup.ConsumerMember member = record.memberId() == null ? null : group.members.get(record.memberId());
        if (before != null && member == null) {
            cancel(before.sessionTimer);
            cancel(before.revocationTimer);
        }
        if (member != null) {
            cancel(member.sessionTimer);
            member.sessionTimer = timer.schedule(() -> onConsumerSessionTimeout(groupId, member.memberId),
                    config.consumerSessionTimeoutMs());
            cancel(member.revocationTimer);
            member.revocationTimer = member.revoking.isEmpty() ? null : timer.schedule(
                    () -> onConsumerRevocationTimeout(groupId, member.memberId), member.rebalanceTimeoutMs);
        }
        if (group.members.isEmpty()) {
            group.emptySinceMs = clock.getAsLong();
        }
    }

    private void dropConsumerGroup(String groupId) {
        ConsumerGroup group = consumerGroups.remove(groupId);
        if (group != null) {
            for (ConsumerGroup.ConsumerMember m : group.members.values()) {
                cancel(m.sessionTimer);
                cancel(m.revocationTimer);
            }
        }
    }

    private void maybeForget(ClassicGroup group) {
        if (group.state == GroupState.EMPTY && group.members.isEmpty() && group.pendingMembers.isEmpty()
                && !offsets.containsKey(group.groupId)) {
            groups.remove(group.groupId);
        }
    }

    // ------------------------------------------------------------------ consumer group protocol (KIP-848)

    /** A ConsumerGroupHeartbeat; null fields did not change since the member's last heartbeat. */
    public record ConsumerHeartbeat(String groupId, String memberId, int memberEpoch, String instanceId,
                                    String rackId, int rebalanceTimeoutMs, List<String> subscribedTopicNames,
                                    String subscribedTopicRegex, String serverAssignor,
                                    Set<TopicPartition> ownedPartitions, String clientId, String clientHost) {
    }

    /** The answer: the member's id and epoch, and its assignment when it changed (else null). */
    public record ConsumerHeartbeatResult(Errors error, String message, String memberId, int memberEpoch,
                                          int heartbeatIntervalMs, Set<TopicPartition> assignment) {
        static ConsumerHeartbeatResult error(Errors error, String message) {
            return new ConsumerHeartbeatResult(error, message, null, -1, 0, null);
        }
    }

    /** A member of a consumer group as ConsumerGroupDescribe shows it. */
    public record ConsumerMemberDescription(String memberId, String instanceId, String rackId, int memberEpoch,
                                            String clientId, String clientHost, List<String> subscribedTopicNames,
                                            String subscribedTopicRegex, Set<TopicPartition> assignment,
                                            Set<TopicPartition> targetAssignment) {
    }

    public record ConsumerGroupDescription(String groupId, String state, int groupEpoch, int assignmentEpoch,
                                           String assignor, List<ConsumerMemberDescription> members) {
    }

    private static final int LEAVE_EPOCH = -1;
    private static final int STATIC_LEAVE_EPOCH = -2;

    /**
     * A heartbeat of the consumer group protocol: joins (epoch 0), leaves (-1, -2), or reports and
     * gets the member's state, moving it towards the group's target assignment.
     *
     * @param topics every topic's partition count, as the metadata has it now
     */
    public synchronized CompletableFuture<ConsumerHeartbeatResult> consumerHeartbeat(ConsumerHeartbeat hb,
                                                                                   Map<String, Integer> topics) {
        ConsumerHeartbeatResult result = applyConsumerHeartbeat(hb, topics);
        ConsumerGroup group = hb.groupId() == null ? null : consumerGroups.get(hb.groupId());
        if (group == null) {
            return done(result);
        }
        // the answer goes out once what it says is in the offsets topic, so the next coordinator knows it too
        return persist(group).handle((ok, failure) -> {
            if (failure == null) {
                return result;
            }
            synchronized (this) { // the client did not get this answer: the next one carries its assignment
                ConsumerGroup.ConsumerMember member = result.memberId() == null ? null
                        : group.members.get(result.memberId());
                if (member != null) {
                    member.lastSent = null;
                }
            }
            return ConsumerHeartbeatResult.error(writeError(failure), "Storing group " + hb.groupId() + " failed: "
                    + failure.getMessage());
        });
    }

    /**
     * Writes what changed in a consumer group since it was last stored; completes once it is in the offsets
     * topic; when nothing changed, once the group's last write is (an answer never tells what a coordinator
     * taking over would not know). After a failure the next write stores the whole group again.
     */
    private CompletableFuture<Void> persist(ConsumerGroup group) {
        List<ConsumerGroupRecords.GroupRecord> changes = group.changesToStore();
        if (changes.isEmpty()) {
            return group.lastWrite;
        }
        group.lastWrite = store.writeConsumerGroup(group.groupId, changes, Map.of()).whenComplete((ok, failure) -> {
            if (failure != null) {
                synchronized (this) {
                    group.forgetStored();
                }
                log.info("Storing consumer group {} failed ({}); its next change stores it whole", group.groupId,
                        writeError(failure));
            }
        });
        return group.lastWrite;
    }

    private ConsumerHeartbeatResult applyConsumerHeartbeat(ConsumerHeartbeat hb, Map<String, Integer> topics) {
        String groupId = hb.groupId();
        if (groupId == null || groupId.isEmpty()) {
            return ConsumerHeartbeatResult.error(Errors.INVALID_REQUEST, "The group id is empty.");
        }
        if (hb.memberEpoch() == 0 && (hb.rebalanceTimeoutMs() <= 0
                || hb.subscribedTopicNames() == null && hb.subscribedTopicRegex() == null)) {
            return ConsumerHeartbeatResult.error(Errors.INVALID_REQUEST,
                    "A joining member must give its rebalance timeout and its subscription.");
        }
        if (hb.serverAssignor() != null && !config.consumerAssignors().contains(hb.serverAssignor())) {
            return ConsumerHeartbeatResult.error(Errors.UNSUPPORTED_ASSIGNOR, "Assignor " + hb.serverAssignor()
                    + " is not one of " + config.consumerAssignors() + ".");
        }
        if (hb.subscribedTopicRegex() != null && !hb.subscribedTopicRegex().isEmpty()) {
            try {
                java.util.regex.Pattern.compile(hb.subscribedTopicRegex());
            } catch (java.util.regex.PatternSyntaxException e) {
                return ConsumerHeartbeatResult.error(Errors.INVALID_REGULAR_EXPRESSION, e.getMessage());
            }
        }
        ConsumerGroup group = consumerGroups.get(groupId);
        if (group == null) {
            ClassicGroup classic = groups.get(groupId);
            if (classic != null && (!classic.members.isEmpty() || classic.state != GroupState.EMPTY)) {
                return ConsumerHeartbeatResult.error(Errors.GROUP_ID_NOT_FOUND, "Group " + groupId
                        + " is a classic group with members; it cannot be used with group.protocol=consumer now.");
            }
            if (hb.memberEpoch() != 0) {
                return ConsumerHeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "Group " + groupId + " has no members.");
            }
            if (groups.remove(groupId) != null) { // an empty classic group becomes a consumer group
                store.writeGroup(groupId, null, Map.of()).whenComplete((ok, failure) -> {
                    if (failure != null) { // the next coordinator loads it empty and converts it again
                        log.info("Group {} became a consumer group; deleting its classic record failed ({})",
                                groupId, writeError(failure));
                    }
                });
            }
            group = new ConsumerGroup(groupId);
            group.assignor = config.consumerAssignors().get(0);
            consumerGroups.put(groupId, group);
        }
        if (hb.memberEpoch() == LEAVE_EPOCH || hb.memberEpoch() == STATIC_LEAVE_EPOCH) {
            ConsumerGroup.ConsumerMember leaving = group.members.get(hb.memberId());
            if (leaving == null) {
                return ConsumerHeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "No member " + hb.memberId());
            }
            if (hb.memberEpoch() == STATIC_LEAVE_EPOCH && leaving.instanceId != null) {
                // a static member away for a while (a restart) keeps its partitions until its session ends
                leaving.staticLeft = true;
            } else {
                removeConsumerMember(group, leaving, "it left the group");
            }
            return new ConsumerHeartbeatResult(Errors.NONE, null, hb.memberId(), hb.memberEpoch(),
                    config.consumerHeartbeatIntervalMs(), null);
        }
        ConsumerGroup.ConsumerMember member;
        boolean changed = false;
        if (hb.memberEpoch() == 0) {
            String memberId = hb.memberId() == null || hb.memberId().isEmpty() ? UUID.randomUUID().toString()
                    : hb.memberId();
            ConsumerGroup.ConsumerMember staticPrevious = hb.instanceId() == null ? null
                    : group.members.values().stream().filter(m -> hb.instanceId().equals(m.instanceId))
                    .findFirst().orElse(null);
            if (staticPrevious != null && !staticPrevious.memberId.equals(memberId)) {
                if (!staticPrevious.staticLeft) {
                    return ConsumerHeartbeatResult.error(Errors.UNRELEASED_INSTANCE_ID, "Instance "
                            + hb.instanceId() + " is still held by member " + staticPrevious.memberId + ".");
                }
                // the static member is back: the new instance takes over its epoch and partitions
                cancel(staticPrevious.sessionTimer);
                cancel(staticPrevious.revocationTimer);
                member = group.replaceMember(staticPrevious, memberId);
            } else {
                ConsumerGroup.ConsumerMember previous = group.members.get(memberId);
                if (previous != null) {
                    removeConsumerMember(group, previous, "it joined again");
                } else if (group.members.size() >= config.consumerMaxSize()) {
                    return ConsumerHeartbeatResult.error(Errors.GROUP_MAX_SIZE_REACHED, "Group " + groupId + " has "
                            + group.members.size() + " members, group.consumer.max.size.");
                }
                member = new ConsumerGroup.ConsumerMember(memberId);
                group.members.put(memberId, member);
                changed = true;
            }
        } else {
            member = group.members.get(hb.memberId());
            if (member == null) {
                return ConsumerHeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID, "No member " + hb.memberId()
                        + " in group " + groupId + ".");
            }
            boolean lostAnswer = hb.memberEpoch() == member.previousMemberEpoch && hb.ownedPartitions() != null
                    && member.assigned.containsAll(hb.ownedPartitions());
            if (hb.memberEpoch() != member.memberEpoch && !lostAnswer) {
                return ConsumerHeartbeatResult.error(Errors.FENCED_MEMBER_EPOCH, "Member epoch " + hb.memberEpoch()
                        + " is not the current " + member.memberEpoch + ".");
            }
        }
        member.clientId = hb.clientId();
        member.clientHost = hb.clientHost();
        if (hb.instanceId() != null) {
            member.instanceId = hb.instanceId();
        }
        if (hb.rackId() != null) {
            member.rackId = hb.rackId();
        }
        if (hb.rebalanceTimeoutMs() > 0) {
            member.rebalanceTimeoutMs = hb.rebalanceTimeoutMs();
        }
        if (hb.subscribedTopicNames() != null
                && !new java.util.HashSet<>(hb.subscribedTopicNames()).equals(new java.util.HashSet<>(
                member.subscribedTopicNames))) {
            member.subscribedTopicNames = List.copyOf(hb.subscribedTopicNames());
            changed = true;
        }
        if (hb.subscribedTopicRegex() != null) {
            String regex = hb.subscribedTopicRegex().isEmpty() ? null : hb.subscribedTopicRegex();
            if (!java.util.Objects.equals(regex, member.subscribedTopicRegex)) {
                member.subscribeTo(regex);
                changed = true;
            }
        }
        if (hb.serverAssignor() != null && !hb.serverAssignor().equals(group.assignor)) {
            group.assignor = hb.serverAssignor();
            changed = true;
        }
        Map<String, Integer> subscribed = new HashMap<>();
        for (ConsumerGroup.ConsumerMember m : group.members.values()) {
            for (String topic : m.subscribedTopics(topics.keySet())) {
                Integer count = topics.get(topic);
                if (count != null) {
                    subscribed.put(topic, count);
                }
            }
        }
        long metadataHash = ConsumerGroup.metadataHash(subscribed);
        if (metadataHash != group.metadataHash) { // topics created, deleted or grown
            group.metadataHash = metadataHash;
            changed = true;
        }
        if (changed) {
            group.groupEpoch++;
        }
        if (group.assignmentEpoch < group.groupEpoch) {
            group.computeTargetAssignment(subscribed);
            log.info("Consumer group {} epoch {}: {} members, {} partitions assigned", group.groupId, group.groupEpoch,
                    group.members.size(), group.targetAssignment.values().stream().mapToInt(Set::size).sum());
        }
        boolean revoking = group.reconcile(member, hb.ownedPartitions());
        if (revoking && member.revocationTimer == null) {
            String memberId = member.memberId;
            member.revocationTimer = timer.schedule(() -> onConsumerRevocationTimeout(groupId, memberId),
                    member.rebalanceTimeoutMs);
        } else if (!revoking) {
            cancel(member.revocationTimer);
            member.revocationTimer = null;
        }
        cancel(member.sessionTimer);
        String memberId = member.memberId;
        member.sessionTimer = timer.schedule(() -> onConsumerSessionTimeout(groupId, memberId),
                config.consumerSessionTimeoutMs());
        Set<TopicPartition> assignment = null;
        // also to a full request (every field set), which clients send after an error or a timeout: what they
        // missed may have been this assignment (Kafka's rule)
        boolean fullRequest = hb.rebalanceTimeoutMs() != -1 && hb.ownedPartitions() != null
                && (hb.subscribedTopicNames() != null || hb.subscribedTopicRegex() != null);
        if (member.lastSent == null || !member.lastSent.equals(member.assigned) || fullRequest) {
            assignment = Set.copyOf(member.assigned);
            member.lastSent = assignment;
        }
        return new ConsumerHeartbeatResult(Errors.NONE, null, member.memberId, member.memberEpoch,
                config.consumerHeartbeatIntervalMs(), assignment);
    }

    private synchronized void onConsumerSessionTimeout(String groupId, String memberId) {
        ConsumerGroup group = consumerGroups.get(groupId);
        ConsumerGroup.ConsumerMember member = group == null ? null : group.members.get(memberId);
        if (member != null) {
            removeConsumerMember(group, member, "its session timed out");
            persist(group);
        }
    }

    private synchronized void onConsumerRevocationTimeout(String groupId, String memberId) {
        ConsumerGroup group = consumerGroups.get(groupId);
        ConsumerGroup.ConsumerMember member = group == null ? null : group.members.get(memberId);
        if (member != null && !member.revoking.isEmpty()) {
            removeConsumerMember(group, member, "it did not give up its partitions within its rebalance timeout");
            persist(group);
        }
    }

    private void removeConsumerMember(ConsumerGroup group, ConsumerGroup.ConsumerMember member, String reason) {
        cancel(member.sessionTimer);
        cancel(member.revocationTimer);
        group.remove(member);
        group.groupEpoch++;
        if (group.members.isEmpty()) {
            group.emptySinceMs = clock.getAsLong();
        }
        log.info("Member {} left consumer group {} (epoch {}): {}", member.memberId, group.groupId,
                group.groupEpoch, reason);
    }

    /** ConsumerGroupDescribe: null when {@code groupId} is not a consumer group. */
    public synchronized ConsumerGroupDescription describeConsumerGroup(String groupId) {
        ConsumerGroup group = consumerGroups.get(groupId);
        if (group == null) {
            return null;
        }
        List<ConsumerMemberDescription> members = new ArrayList<>();
        for (ConsumerGroup.ConsumerMember m : group.members.values()) {
            members.add(new ConsumerMemberDescription(m.memberId, m.instanceId, m.rackId, m.memberEpoch, m.clientId,
                    m.clientHost, m.subscribedTopicNames, m.subscribedTopicRegex, Set.copyOf(m.assigned),
                    Set.copyOf(group.targetAssignment.getOrDefault(m.memberId, Set.of()))));
        }
        return new ConsumerGroupDescription(groupId, group.state(), group.groupEpoch, group.assignmentEpoch,
                group.assignor, members);
    }

    // ------------------------------------------------------------------ administration

    public synchronized List<GroupListing> list() {
        List<GroupListing> listings = new ArrayList<>();
        for (ClassicGroup g : groups.values()) {
            listings.add(new GroupListing(g.groupId, g.protocolType == null ? "" : g.protocolType,
                    g.state.kafkaName()));
        }
        for (ConsumerGroup g : consumerGroups.values()) {
            listings.add(new GroupListing(g.groupId, ConsumerSubscriptions.PROTOCOL_TYPE, g.state(), true));
        }
        return listings;
    }

    /** The group, or null when the coordinator knows nothing of it. */
    public synchronized GroupDescription describe(String groupId) {
        ClassicGroup g = groups.get(groupId);
        if (g == null) {
            return null;
        }
        List<MemberDescription> members = new ArrayList<>();
        for (Member m : g.members.values()) {
            members.add(new MemberDescription(m.memberId, m.instanceId, m.clientId, m.clientHost,
                    g.state == GroupState.STABLE || g.state == GroupState.COMPLETING_REBALANCE
                            ? m.metadataFor(g.protocolName) : new byte[0],
                    g.state == GroupState.STABLE ? m.assignment : new byte[0]));
        }
        return new GroupDescription(g.groupId, g.state.kafkaName(), g.protocolType == null ? "" : g.protocolType,
                g.state == GroupState.STABLE || g.state == GroupState.COMPLETING_REBALANCE
                        ? g.protocolName : "", members);
    }

    /** Deletes an empty group and its offsets. */
    public synchronized CompletableFuture<Errors> delete(String groupId) {
        ConsumerGroup consumerGroup = consumerGroups.get(groupId);
        Map<TopicPartition, CommittedOffset> tombstones = new LinkedHashMap<>();
        offsets.getOrDefault(groupId, Map.of()).keySet().forEach(tp -> tombstones.put(tp, null));
        if (consumerGroup != null) {
            if (!consumerGroup.members.isEmpty()) {
                return done(Errors.NON_EMPTY_GROUP);
            }
            return store.writeConsumerGroup(groupId, consumerGroup.deletion(), tombstones).handle((ok, failure) -> {
                if (failure != null) {
                    return Errors.COORDINATOR_NOT_AVAILABLE;
                }
                synchronized (this) {
                    offsets.remove(groupId);
                    if (consumerGroups.get(groupId) == consumerGroup && consumerGroup.members.isEmpty()) {
                        consumerGroups.remove(groupId);
                    }
                    return Errors.NONE;
                }
            });
        }
        ClassicGroup group = groups.get(groupId);
        if (group == null && !offsets.containsKey(groupId)) {
            return done(Errors.GROUP_ID_NOT_FOUND);
        }
        if (group != null && (!group.members.isEmpty() || group.state != GroupState.EMPTY)) {
            return done(Errors.NON_EMPTY_GROUP);
        }
        return store.writeGroup(groupId, null, tombstones).handle((ok, failure) -> {
            if (failure != null) {
                return Errors.COORDINATOR_NOT_AVAILABLE;
            }
            synchronized (this) {
                offsets.remove(groupId);
                ClassicGroup current = groups.get(groupId);
                if (current != null && current.members.isEmpty()) {
                    current.state = GroupState.DEAD;
                    groups.remove(groupId);
                }
                return Errors.NONE;
            }
        });
    }

    // ------------------------------------------------------------------ moving with the offsets partition

    /**
     * Forgets every group {@code inPartition} selects (those stored in one {@code __consumer_offsets} partition):
     * when this node stops leading that partition, or before it loads it again. Members' sessions end here
     * (their timers are cancelled); a join or sync still waiting is answered NOT_COORDINATOR, so the client
     * finds the partition's new leader. Committed offsets, and offsets pending in open transactions, go too: the
     * partition's log keeps them for whichever node loads it next.
     *
     * @return how many groups (classic, consumer, or known by their offsets only) were forgotten
     */
    public synchronized int unload(java.util.function.Predicate<String> inPartition) {
        Set<String> gone = new java.util.HashSet<>();
        for (var it = groups.values().iterator(); it.hasNext(); ) {
            ClassicGroup group = it.next();
            if (!inPartition.test(group.groupId)) {
                continue;
            }
            cancel(group.rebalanceTimer);
            for (Member m : group.members.values()) {
                cancel(m.sessionTimer);
                if (m.awaitingJoin != null) {
                    m.awaitingJoin.complete(JoinResult.error(Errors.NOT_COORDINATOR, m.memberId));
                }
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(SyncResult.error(Errors.NOT_COORDINATOR));
                }
            }
            group.state = GroupState.DEAD;
            gone.add(group.groupId);
            it.remove();
        }
        for (var it = consumerGroups.values().iterator(); it.hasNext(); ) {
            ConsumerGroup group = it.next();
            if (!inPartition.test(group.groupId)) {
                continue;
            }
            for (ConsumerGroup.ConsumerMember m : group.members.values()) {
                cancel(m.sessionTimer);
                cancel(m.revocationTimer);
            }
            gone.add(group.groupId);
            it.remove();
        }
        for (String groupId : new ArrayList<>(offsets.keySet())) {
            if (inPartition.test(groupId)) {
                gone.add(groupId);
                offsets.remove(groupId);
            }
        }
        for (var it = pendingTxnOffsets.values().iterator(); it.hasNext(); ) {
            Map<String, Map<TopicPartition, CommittedOffset>> byGroup = it.next();
            byGroup.keySet().removeIf(inPartition);
            if (byGroup.isEmpty()) {
                it.remove();
            }
        }
        return gone.size();
    }

    /**
     * What a failed write of the offsets partition answers, as Kafka maps it: NOT_COORDINATOR once this node no
     * longer leads the partition (the client finds the new coordinator), COORDINATOR_NOT_AVAILABLE for the rest
     * (too few in-sync replicas, not replicated in time, ...), which the client retries.
     */
    static Errors writeError(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        Errors error = Errors.forException(cause);
        return error == Errors.NOT_LEADER_OR_FOLLOWER || error == Errors.KAFKA_STORAGE_ERROR
                ? Errors.NOT_COORDINATOR : Errors.COORDINATOR_NOT_AVAILABLE;
    }

    private static void cancel(ScheduledFuture<?> future) {
        if (future != null) {
            future.cancel(false);
        }
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
