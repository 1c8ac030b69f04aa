package io.brook.coordinator.group;

import io.brook.coordinator.ManualTimer;
import io.brook.coordinator.group.GroupCoordinator.JoinRequest;
import io.brook.coordinator.group.GroupCoordinator.JoinResult;
import io.brook.coordinator.group.GroupCoordinator.Leaving;
import io.brook.coordinator.group.GroupCoordinator.Protocol;
import io.brook.coordinator.group.GroupCoordinator.SyncResult;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class GroupCoordinatorTest {
    static final int SESSION = 10_000;
    static final int REBALANCE = 30_000;

    final ManualTimer timer = new ManualTimer();
    final MemoryOffsetStore store = new MemoryOffsetStore();
    final Map<TopicPartition, CommittedOffset> written = store.written;
    final GroupCoordinator coordinator = new GroupCoordinator(new GroupConfig(6000, 300_000, 0, 10, 4096),
            store, timer, timer::now);

    private JoinRequest join(String memberId) {
        return new JoinRequest("g", memberId, null, "client", "/127.0.0.1", SESSION, REBALANCE, "consumer",
                List.of(new Protocol("range", new byte[]{1})), true);
    }

    /** Joins a new member the KIP-394 way: MEMBER_ID_REQUIRED first, then with the given id. */
    private CompletableFuture<JoinResult> joinNew() {
        JoinResult first = coordinator.join(join("")).join();
        assertEquals(Errors.MEMBER_ID_REQUIRED, first.error());
        return coordinator.join(join(first.memberId()));
    }

    @Test
    void aSingleMemberBecomesLeaderAndGetsItsAssignment() {
        JoinResult joined = joinNew().join();
        assertEquals(Errors.NONE, joined.error());
        assertEquals(1, joined.generation());
        assertEquals(joined.memberId(), joined.leaderId());
        assertEquals("range", joined.protocolName());
        assertEquals(1, joined.members().size());
        SyncResult synced = coordinator.sync("g", 1, joined.memberId(), null, "consumer", "range",
                Map.of(joined.memberId(), new byte[]{7})).join();
        assertEquals(Errors.NONE, synced.error());
        assertArrayEquals(new byte[]{7}, synced.assignment());
        assertEquals(Errors.NONE, coordinator.heartbeat("g", 1, joined.memberId(), null));
        assertEquals(Errors.ILLEGAL_GENERATION, coordinator.heartbeat("g", 0, joined.memberId(), null));
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", 1, "stranger", null));
    }

    @Test
    void transactionalOffsetsTakeEffectOnlyWithTheCommitMarker() {
        TopicPartition tp = new TopicPartition("t", 0);
        CommittedOffset offset = new CommittedOffset(42, -1, "", 0);
        assertEquals(Map.of(tp, Errors.NONE),
                coordinator.txnCommit("g", 7, (short) 0, -1, "", null, Map.of(tp, offset)).join());
        assertEquals(offset, store.writtenInTransactions.get(7L).get(tp));
        assertNull(coordinator.fetch("g", List.of(tp)).get(tp), "invisible while the transaction is open");
        assertTrue(coordinator.hasPendingTransactionalOffset("g", tp));
        coordinator.completeTransaction(7, true, group -> !group.equals("g"));
        assertTrue(coordinator.hasPendingTransactionalOffset("g", tp), "a marker in another partition changes nothing");
        coordinator.completeTransaction(7, true, group -> group.equals("g"));
        assertEquals(offset, coordinator.fetch("g", List.of(tp)).get(tp));
        assertFalse(coordinator.hasPendingTransactionalOffset("g", tp));

        coordinator.txnCommit("g", 8, (short) 0, -1, "", null, Map.of(tp, new CommittedOffset(99, -1, "", 0))).join();
        coordinator.completeTransaction(8, false, group -> true);
        assertEquals(offset, coordinator.fetch("g", List.of(tp)).get(tp), "an aborted commit is dropped");
        assertEquals(Map.of(tp, Errors.UNKNOWN_MEMBER_ID),
                coordinator.txnCommit("g", 9, (short) 0, 3, "nobody", null, Map.of(tp, offset)).join());
    }

    @Test
    void aSecondMemberTriggersARebalanceThatWaitsForTheFirstToRejoin() {
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of(a.memberId(), new byte[]{1})).join();
        CompletableFuture<JoinResult> b = joinNew();
        assertFalse(b.isDone(), "the join waits for the existing member");
        assertEquals(Errors.REBALANCE_IN_PROGRESS, coordinator.heartbeat("g", 1, a.memberId(), null));
        JoinResult aAgain = coordinator.join(join(a.memberId())).join();
        assertTrue(b.isDone());
        assertEquals(2, aAgain.generation());
        assertEquals(a.memberId(), aAgain.leaderId(), "the leader stays");
        assertEquals(2, aAgain.members().size(), "the leader sees every member");
        assertEquals(0, b.join().members().size(), "followers see none");

        CompletableFuture<SyncResult> followerSync = coordinator.sync("g", 2, b.join().memberId(), null, null,
                null, Map.of());
        assertFalse(followerSync.isDone(), "followers wait for the leader's assignment");
        coordinator.sync("g", 2, a.memberId(), null, null, null,
                Map.of(a.memberId(), new byte[]{1}, b.join().memberId(), new byte[]{2})).join();
        assertArrayEquals(new byte[]{2}, followerSync.join().assignment());
    }

    @Test
    void aRepeatedSyncGroupIsAnsweredAndTheEarlierOneIsNotLeftHanging() {
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of(a.memberId(), new byte[]{1})).join();
        CompletableFuture<JoinResult> b = joinNew();
        coordinator.join(join(a.memberId())).join(); // CompletingRebalance, generation 2
        CompletableFuture<SyncResult> first = coordinator.sync("g", 2, b.join().memberId(), null, null, null, Map.of());
        CompletableFuture<SyncResult> retried = coordinator.sync("g", 2, b.join().memberId(), null, null, null,
                Map.of());
        assertTrue(first.isDone(), "the replaced SyncGroup is answered");
        assertEquals(Errors.REBALANCE_IN_PROGRESS, first.join().error());
        assertFalse(retried.isDone(), "the retried one waits for the leader's assignment");
        coordinator.sync("g", 2, a.memberId(), null, null, null,
                Map.of(a.memberId(), new byte[]{1}, b.join().memberId(), new byte[]{2})).join();
        assertArrayEquals(new byte[]{2}, retried.join().assignment());
    }

    @Test
    void commitsAreTakenWhileARebalanceIsPreparedButNotWhileItCompletes() {
        TopicPartition tp = new TopicPartition("t", 0);
        CommittedOffset offset = new CommittedOffset(5, 0, "", 1L);
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of(a.memberId(), new byte[]{1})).join();
        CompletableFuture<JoinResult> b = joinNew(); // PreparingRebalance: a still owns its partitions
        assertEquals(Errors.NONE, coordinator.commit("g", 1, a.memberId(), null, Map.of(tp, offset)).join().get(tp),
                "a member commits what it read before it gives its partitions up");
        coordinator.join(join(a.memberId())).join(); // CompletingRebalance: no one holds an assignment
        assertEquals(Errors.REBALANCE_IN_PROGRESS,
                coordinator.commit("g", 2, b.join().memberId(), null, Map.of(tp, offset)).join().get(tp));
    }

    @Test
    void aSilentMemberIsRemovedAfterItsSessionTimeout() {
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of()).join();
        CompletableFuture<JoinResult> b = joinNew();
        JoinResult aAgain = coordinator.join(join(a.memberId())).join();
        coordinator.sync("g", 2, aAgain.memberId(), null, null, null, Map.of()).join();
        coordinator.sync("g", 2, b.join().memberId(), null, null, null, Map.of()).join();
        for (int i = 0; i < 5; i++) {
            timer.advance(SESSION / 2);
            coordinator.heartbeat("g", 2, a.memberId(), null); // b stays silent
        }
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", 2, b.join().memberId(), null));
        assertEquals(Errors.REBALANCE_IN_PROGRESS, coordinator.heartbeat("g", 2, a.memberId(), null));
        JoinResult alone = coordinator.join(join(a.memberId())).join();
        assertEquals(3, alone.generation());
        assertEquals(1, alone.members().size());
    }

    @Test
    void aMemberThatDoesNotRejoinInTimeIsDropped() {
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of()).join();
        CompletableFuture<JoinResult> b = joinNew();
        timer.advance(REBALANCE);
        assertEquals(Errors.NONE, b.join().error());
        assertEquals(b.join().memberId(), b.join().leaderId(), "the remaining member leads");
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.heartbeat("g", 2, a.memberId(), null));
    }

    @Test
    void leavingEmptiesTheGroupAndOffsetsFollowTheRules() {
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of()).join();
        TopicPartition tp = new TopicPartition("t", 0);
        CommittedOffset offset = new CommittedOffset(42, 0, "m", 1L);
        assertEquals(Errors.ILLEGAL_GENERATION,
                coordinator.commit("g", 7, a.memberId(), null, Map.of(tp, offset)).join().get(tp));
        assertEquals(Errors.UNKNOWN_MEMBER_ID,
                coordinator.commit("g", -1, "", null, Map.of(tp, offset)).join().get(tp), "the group is not empty");
        assertEquals(Errors.NONE, coordinator.commit("g", 1, a.memberId(), null, Map.of(tp, offset)).join().get(tp));
        assertEquals(offset, written.get(tp));
        assertEquals(Errors.NON_EMPTY_GROUP, coordinator.delete("g").join());

        assertEquals(List.of(Errors.NONE), coordinator.leave("g", List.of(new Leaving(a.memberId(), null))));
        assertEquals("Empty", coordinator.describe("g").state());
        assertEquals(42, coordinator.fetch("g", List.of(tp)).get(tp).offset());
        assertEquals(Errors.NONE, coordinator.commit("g", -1, "", null,
                Map.of(tp, new CommittedOffset(50, -1, "", 2L))).join().get(tp), "simple commits to an empty group");
        assertEquals(Errors.NONE, coordinator.delete("g").join());
        assertTrue(written.containsKey(tp) && written.get(tp) == null, "a tombstone was written");
        assertEquals(null, coordinator.describe("g"));
        assertEquals(Errors.GROUP_ID_NOT_FOUND, coordinator.delete("g").join());
    }

    @Test
    void staticMembersAreFencedByTheirReplacement() {
        JoinRequest first = new JoinRequest("g", "", "instance-1", "c", "/h", SESSION, REBALANCE, "consumer",
                List.of(new Protocol("range", new byte[0])), true);
        JoinResult old = coordinator.join(first).join();
        assertEquals(Errors.NONE, old.error(), "static members skip MEMBER_ID_REQUIRED");
        JoinResult replacement = coordinator.join(first).join();
        assertEquals(Errors.NONE, replacement.error());
        assertEquals(Errors.FENCED_INSTANCE_ID, coordinator.heartbeat("g", replacement.generation(), old.memberId(),
                "instance-1"));
    }

    @Test
    void refusesBadJoins() {
        JoinRequest tooShort = new JoinRequest("g", "", null, "c", "/h", 10, REBALANCE, "consumer",
                List.of(new Protocol("range", new byte[0])), true);
        assertEquals(Errors.INVALID_SESSION_TIMEOUT, coordinator.join(tooShort).join().error());
        JoinRequest noGroup = new JoinRequest("", "", null, "c", "/h", SESSION, REBALANCE, "consumer",
                List.of(new Protocol("range", new byte[0])), true);
        assertEquals(Errors.INVALID_GROUP_ID, coordinator.join(noGroup).join().error());
        JoinResult a = joinNew().join();
        JoinRequest otherProtocol = new JoinRequest("g", "", null, "c", "/h", SESSION, REBALANCE, "consumer",
                List.of(new Protocol("roundrobin", new byte[0])), true);
        assertEquals(Errors.INCONSISTENT_GROUP_PROTOCOL, coordinator.join(otherProtocol).join().error());
        assertEquals(Errors.UNKNOWN_MEMBER_ID, coordinator.join(join("made-up")).join().error());
        assertEquals(Errors.NONE, a.error());
    }

    @Test
    void offsetsOfAnEmptyGroupExpireAfterTheRetention() {
        TopicPartition tp = new TopicPartition("t", 0);
        coordinator.commit("lonely", -1, "", null, Map.of(tp, new CommittedOffset(5, -1, "", timer.now()))).join();
        JoinResult a = joinNew().join();
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of()).join();
        coordinator.commit("g", 1, a.memberId(), null, Map.of(tp, new CommittedOffset(7, -1, "", timer.now()))).join();
        timer.advance(5_000);
        coordinator.heartbeat("g", 1, a.memberId(), null);
        assertEquals(1, coordinator.expireOffsets(timer.now() + 61_000, 60_000), "only the group without members");
        assertEquals(null, coordinator.fetch("lonely", List.of(tp)).get(tp));
        assertEquals(null, coordinator.describe("lonely"), "an empty group without offsets is forgotten");
        assertEquals(7, coordinator.fetch("g", List.of(tp)).get(tp).offset());
        assertTrue(written.containsKey(tp) && written.get(tp) == null, "a tombstone was written");
    }

    /**
     * Random sequences of joins, syncs, leaves and time passing (sessions and rebalances expire),
     * checked after every step against what the coordinator answered: an Empty group has no
     * members; a CompletingRebalance or Stable group has members, each last answered (successfully)
     * with the group's generation, the newest handed out, and the same leader, one of them, the only
     * one sent the member list, which names exactly the members; a JoinGroup waits only while the
     * group prepares a rebalance and a SyncGroup only while it completes one, each for a current
     * member, at most one of each per member; so once the group is stable, no future is left hanging.
     */
    @Property(tries = 200)
    void randomEventSequencesKeepTheGroupConsistent(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int steps) {
        // jqwik ignores JUnit's @Timeout: each try gets its own deadline
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> randomEvents(seed, steps));
    }

    private static void randomEvents(long seed, int steps) {
        Random random = new Random(seed);
        ManualTimer clock = new ManualTimer();
        GroupCoordinator c = new GroupCoordinator(new GroupConfig(6000, 300_000, 0, 10, 4096),
                new MemoryOffsetStore(), clock, clock::now);
        List<String> known = new ArrayList<>();
        Map<String, Integer> generationOf = new HashMap<>();
        Answers answers = new Answers();
        for (int step = 0; step < steps; step++) {
            String event;
            switch (random.nextInt(5)) {
                case 0: {
                    event = "a new member joins";
                    JoinResult r = c.join(joinRequest("")).join();
                    if (r.error() == Errors.MEMBER_ID_REQUIRED) {
                        known.add(r.memberId());
                        answers.join(r.memberId(), c.join(joinRequest(r.memberId())), generationOf);
                    }
                    break;
                }
                case 1:
                    event = "a member rejoins";
                    if (!known.isEmpty()) {
                        String m = known.get(random.nextInt(known.size()));
                        answers.join(m, c.join(joinRequest(m)), generationOf);
                    }
                    break;
                case 2:
                    event = "a member syncs";
                    if (!known.isEmpty()) {
                        String m = known.get(random.nextInt(known.size()));
                        answers.syncs.add(Map.entry(m, c.sync("g", generationOf.getOrDefault(m, -1), m, null, null,
                                null, Map.of())));
                    }
                    break;
                case 3:
                    event = "a member leaves";
                    if (!known.isEmpty()) {
                        String m = known.remove(random.nextInt(known.size()));
                        c.leave("g", List.of(new Leaving(m, null)));
                    }
                    break;
                default:
                    event = "time passes"; // mostly within the session timeout, sometimes past the rebalance timeout
                    clock.advance(random.nextInt(random.nextInt(4) == 0 ? 40_000 : 4_000));
                    break;
            }
            answers.check(c.describe("g"), "step " + step + " (" + event + ")");
        }
    }

    /** What the random sequence's members were answered, and the checks on it. */
    private static final class Answers {
        final List<Map.Entry<String, CompletableFuture<JoinResult>>> joins = new ArrayList<>();
        final List<Map.Entry<String, CompletableFuture<SyncResult>>> syncs = new ArrayList<>();
        /** Each member's latest successful JoinGroup answer, in the order the answers were given. */
        final Map<String, JoinResult> lastJoined = new HashMap<>();
        int newestGeneration = -1;
        /** Successful answers to the wrong member or with an older generation than one already given. */
        final List<String> wrongAnswers = new ArrayList<>();

        void join(String memberId, CompletableFuture<JoinResult> answer, Map<String, Integer> generationOf) {
            joins.add(Map.entry(memberId, answer));
            answer.thenAccept(j -> { // runs when the coordinator answers, on this thread
                generationOf.put(memberId, j.generation());
                if (j.error() == Errors.NONE) {
                    if (!j.memberId().equals(memberId) || j.generation() < newestGeneration) {
                        wrongAnswers.add(memberId + " was answered " + j + " after generation " + newestGeneration);
                    }
                    lastJoined.put(memberId, j);
                    newestGeneration = j.generation();
                }
            });
        }

        void check(GroupCoordinator.GroupDescription d, String where) {
            String state = d == null ? "forgotten" : d.state();
            Set<String> members = new HashSet<>();
            if (d != null) {
                d.members().forEach(m -> members.add(m.memberId()));
            }
            where = where + ", " + state + " with " + members.size() + " members";
            assertEquals(List.of(), wrongAnswers, where);
            List<String> waitingJoins = waiting(joins);
            List<String> waitingSyncs = waiting(syncs);
            assertTrue(members.containsAll(waitingJoins), "JoinGroups wait only for members: " + where);
            assertEquals(new HashSet<>(waitingJoins).size(), waitingJoins.size(),
                    "at most one waiting JoinGroup per member: " + where);
            assertTrue(waitingJoins.isEmpty() || state.equals("PreparingRebalance"),
                    waitingJoins.size() + " JoinGroups wait: " + where);
            assertTrue(members.containsAll(waitingSyncs), "SyncGroups wait only for members: " + where);
            assertEquals(new HashSet<>(waitingSyncs).size(), waitingSyncs.size(),
                    "at most one waiting SyncGroup per member: " + where);
            assertTrue(waitingSyncs.isEmpty() || state.equals("CompletingRebalance"),
                    waitingSyncs.size() + " SyncGroups wait: " + where);
            switch (state) {
                case "forgotten" -> { // a new group of this name starts again from generation 0, as in Kafka
                    newestGeneration = -1;
                    lastJoined.clear();
                }
                case "Empty" -> assertEquals(Set.of(), members, where);
                case "CompletingRebalance", "Stable" -> {
                    assertFalse(members.isEmpty(), where);
                    Set<String> leaders = new HashSet<>();
                    List<String> sentTheMembers = new ArrayList<>();
                    for (String m : members) {
                        JoinResult j = lastJoined.get(m);
                        assertTrue(j != null, m + " was answered: " + where);
                        assertEquals(newestGeneration, j.generation(), m + "'s generation: " + where);
                        leaders.add(j.leaderId());
                        if (!j.members().isEmpty()) {
                            sentTheMembers.add(m);
                            Set<String> listed = new HashSet<>();
                            j.members().forEach(listedMember -> listed.add(listedMember.memberId()));
                            assertEquals(members, listed, "the members the leader was sent: " + where);
                        }
                    }
                    assertEquals(1, leaders.size(), "one leader: " + where);
                    assertTrue(members.containsAll(leaders), "the leader is a member: " + where);
                    assertEquals(List.copyOf(leaders), sentTheMembers, "only the leader is sent the members: " + where);
                }
                default -> assertEquals("PreparingRebalance", state, where);
            }
        }

        private static <T> List<String> waiting(List<Map.Entry<String, CompletableFuture<T>>> futures) {
            List<String> waiting = new ArrayList<>();
            futures.forEach(f -> {
                if (!f.getValue().isDone()) {
                    waiting.add(f.getKey());
                }
            });
            return waiting;
        }
    }

    private static JoinRequest joinRequest(String memberId) {
        return new JoinRequest("g", memberId, null, "client", "/h", SESSION, REBALANCE, "consumer",
                List.of(new Protocol("range", new byte[]{1})), true);
    }
}
