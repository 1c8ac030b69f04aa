package io.brook.coordinator.group;

import io.brook.coordinator.ManualTimer;
import io.brook.coordinator.group.GroupCoordinator.JoinRequest;
import io.brook.coordinator.group.GroupCoordinator.JoinResult;
import io.brook.coordinator.group.GroupCoordinator.Leaving;
import io.brook.coordinator.group.GroupCoordinator.Protocol;
import io.brook.coordinator.group.GroupCoordinator.SyncResult;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Classic groups kept in the offsets topic: what one coordinator stores, the next one (after a coordinator move)
 * loads, and the members go on in their generation without rejoining. Answers are awaited 5 s at most: a join
 * that waits for a rebalance never completes, and a future's join() cannot be interrupted by the test timeout.
 */
@Timeout(10)
class StoredGroupTest {
    static final int SESSION = 10_000;
    static final int REBALANCE = 30_000;
    static final GroupConfig CONFIG = new GroupConfig(6000, 300_000, 0, 10, 4096);

    final ManualTimer timer = new ManualTimer();
    final MemoryOffsetStore store = new MemoryOffsetStore();
    final GroupCoordinator coordinator = new GroupCoordinator(CONFIG, store, timer, timer::now);

    private static JoinRequest join(String memberId, String instanceId) {
        return new JoinRequest("g", memberId, instanceId, "client", "/127.0.0.1", SESSION, REBALANCE, "consumer",
                List.of(new Protocol("range", new byte[]{1}), new Protocol("uniform", new byte[]{2})), true);
    }

    private JoinResult joinNew(GroupCoordinator c, String instanceId) throws Exception {
        JoinResult first = c.join(join("", instanceId)).get(5, TimeUnit.SECONDS);
        if (first.error() == Errors.MEMBER_ID_REQUIRED) {
            return c.join(join(first.memberId(), instanceId)).get(5, TimeUnit.SECONDS);
        }
        return first;
    }

    /** The coordinator that takes over: it replays what was stored, through the records' bytes. */
    private GroupCoordinator next() throws Exception {
        GroupCoordinator next = new GroupCoordinator(CONFIG, new MemoryOffsetStore(), timer, timer::now);
        store.written.forEach((tp, offset) -> next.loadOffset("g", tp, offset));
        store.groups.forEach((groupId, group) -> next.loadGroup(groupId, group == null ? null
                : OffsetRecords.parseGroupValue(ByteBuffer.wrap(OffsetRecords.groupValue(group)))));
        return next;
    }

    @Test
    void membersGoOnInTheirGenerationAfterACoordinatorMove() throws Exception {
        JoinResult a = joinNew(coordinator, null);
        CompletableFuture<JoinResult> joiningB = coordinator.join(join("", "static-b"));
        JoinResult aAgain = coordinator.join(join(a.memberId(), null)).get(5, TimeUnit.SECONDS);
        JoinResult b = joiningB.get(5, TimeUnit.SECONDS);
        assertEquals(2, aAgain.generation());
        CompletableFuture<SyncResult> syncB = coordinator.sync("g", 2, b.memberId(), "static-b", null, null,
                Map.of());
        assertEquals(Errors.NONE, coordinator.sync("g", 2, aAgain.leaderId(), null, null, null, Map.of(
                a.memberId(), new byte[]{10}, b.memberId(), new byte[]{11})).get(5, TimeUnit.SECONDS).error());
        assertArrayEquals(new byte[]{11}, syncB.get(5, TimeUnit.SECONDS).assignment());
        TopicPartition tp = new TopicPartition("t", 0);
        coordinator.commit("g", 2, a.memberId(), null, Map.of(tp, new CommittedOffset(5, 0, "", 1L))).get(5, TimeUnit.SECONDS);

        StoredGroup stored = store.groups.get("g");
        assertEquals(2, stored.generation());
        assertEquals("range", stored.protocolName());
        assertEquals(2, stored.members().size());

        GroupCoordinator next = next();
        assertEquals("Stable", next.describe("g").state());
        assertEquals(Errors.NONE, next.heartbeat("g", 2, a.memberId(), null), "no rejoin after the move");
        assertEquals(Errors.NONE, next.heartbeat("g", 2, b.memberId(), "static-b"));
        assertEquals(Errors.FENCED_INSTANCE_ID, next.heartbeat("g", 2, "another", "static-b"));
        assertEquals(Errors.ILLEGAL_GENERATION, next.heartbeat("g", 1, a.memberId(), null));
        assertEquals(5, next.fetch("g", List.of(tp)).get(tp).offset(), "the committed offset came along");
        assertEquals(Errors.NONE, next.commit("g", 2, b.memberId(), "static-b",
                Map.of(tp, new CommittedOffset(9, 0, "", 2L))).get(5, TimeUnit.SECONDS).get(tp), "a member commits in its generation");
        assertArrayEquals(new byte[]{10}, next.sync("g", 2, a.memberId(), null, "consumer", "range", Map.of())
                .get(5, TimeUnit.SECONDS).assignment(), "a stable member's sync is answered with its stored assignment");

        // a member that is gone times out on the new coordinator as on the old one
        for (int i = 0; i < 4; i++) {
            timer.advance(SESSION / 2);
            next.heartbeat("g", 2, a.memberId(), null);
        }
        assertEquals(Errors.UNKNOWN_MEMBER_ID, next.heartbeat("g", 2, b.memberId(), "static-b"));
        assertEquals(Errors.REBALANCE_IN_PROGRESS, next.heartbeat("g", 2, a.memberId(), null));
        assertEquals(3, next.join(join(a.memberId(), null)).get(5, TimeUnit.SECONDS).generation(), "generations go on");
    }

    @Test
    void anAssignmentThatCannotBeStoredIsNotHandedOut() throws Exception {
        JoinResult a = joinNew(coordinator, null);
        store.failGroupWrites = new NotEnoughReplicasException("too few in-sync replicas");
        SyncResult failed = coordinator.sync("g", 1, a.memberId(), null, null, null,
                Map.of(a.memberId(), new byte[]{7})).get(5, TimeUnit.SECONDS);
        assertEquals(Errors.COORDINATOR_NOT_AVAILABLE, failed.error());
        assertEquals("PreparingRebalance", coordinator.describe("g").state(), "the members rejoin");
        assertNull(store.groups.get("g"));

        store.failGroupWrites = null;
        JoinResult again = coordinator.join(join(a.memberId(), null)).get(5, TimeUnit.SECONDS);
        assertEquals(2, again.generation());
        assertArrayEquals(new byte[]{7}, coordinator.sync("g", 2, a.memberId(), null, null, null,
                Map.of(a.memberId(), new byte[]{7})).get(5, TimeUnit.SECONDS).assignment());
        assertEquals(2, store.groups.get("g").generation());
    }

    @Test
    void anEmptyGroupKeepsItsGenerationAndADeletedOneIsGone() throws Exception {
        JoinResult a = joinNew(coordinator, null);
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of()).get(5, TimeUnit.SECONDS);
        TopicPartition tp = new TopicPartition("t", 0);
        coordinator.commit("g", 1, a.memberId(), null, Map.of(tp, new CommittedOffset(3, 0, "", 1L))).get(5, TimeUnit.SECONDS);
        coordinator.leave("g", List.of(new Leaving(a.memberId(), null)));
        StoredGroup empty = store.groups.get("g");
        assertEquals(2, empty.generation(), "the generation that emptied the group");
        assertTrue(empty.members().isEmpty());

        GroupCoordinator next = next();
        assertEquals("Empty", next.describe("g").state());
        assertEquals(3, joinNew(next, null).generation(), "the next generation after the stored one");

        assertEquals(Errors.NONE, coordinator.delete("g").get(5, TimeUnit.SECONDS));
        assertTrue(store.groups.containsKey("g") && store.groups.get("g") == null, "the group's tombstone");
        assertTrue(store.written.containsKey(tp) && store.written.get(tp) == null, "its offsets' tombstones");
        GroupCoordinator afterDelete = next();
        assertNull(afterDelete.describe("g"));
        assertFalse(afterDelete.list().stream().anyMatch(g -> g.groupId().equals("g")));
    }

    /** A stable group of a dynamic member and a static one ("static-b"), in generation 2 with its assignment. */
    private JoinResult[] stableGroupWithAStaticMember() throws Exception {
        JoinResult a = joinNew(coordinator, null);
        CompletableFuture<JoinResult> joiningB = coordinator.join(join("", "static-b"));
        coordinator.join(join(a.memberId(), null)).get(5, TimeUnit.SECONDS);
        JoinResult b = joiningB.get(5, TimeUnit.SECONDS);
        CompletableFuture<SyncResult> syncB = coordinator.sync("g", 2, b.memberId(), "static-b", null, null,
                Map.of());
        coordinator.sync("g", 2, a.memberId(), null, null, null, Map.of(a.memberId(), new byte[]{10},
                b.memberId(), new byte[]{11})).get(5, TimeUnit.SECONDS);
        assertEquals(Errors.NONE, syncB.get(5, TimeUnit.SECONDS).error());
        return new JoinResult[]{a, b};
    }

    @Test
    void aRestartedStaticMemberTakesItsPlaceWithoutARebalance() throws Exception {
        JoinResult[] members = stableGroupWithAStaticMember();
        JoinResult a = members[0];
        JoinResult b = members[1];
        JoinResult again = coordinator.join(join("", "static-b")).get(5, TimeUnit.SECONDS);
        assertEquals(Errors.NONE, again.error());
        assertEquals(2, again.generation(), "no new generation");
        assertFalse(again.memberId().equals(b.memberId()), "a new member id");
        assertFalse(again.skipAssignment(), "a follower");
        assertEquals("Stable", coordinator.describe("g").state());
        assertEquals(Errors.NONE, coordinator.heartbeat("g", 2, a.memberId(), null), "the other member goes on");
        assertEquals(Errors.FENCED_INSTANCE_ID, coordinator.heartbeat("g", 2, b.memberId(), "static-b"));
        assertArrayEquals(new byte[]{11}, coordinator.sync("g", 2, again.memberId(), "static-b", null, null,
                Map.of()).get(5, TimeUnit.SECONDS).assignment(), "its assignment stayed");
        assertTrue(store.groups.get("g").members().stream().anyMatch(m -> m.memberId().equals(again.memberId())),
                "the group is stored with the new member id");
        assertEquals(Errors.NONE, next().heartbeat("g", 2, again.memberId(), "static-b"), "and loaded with it");
    }

    @Test
    void aRestartedStaticLeaderIsToldToSkipTheAssignment() throws Exception {
        JoinResult first = coordinator.join(join("", "static-a")).get(5, TimeUnit.SECONDS); // the first member leads
        coordinator.sync("g", 1, first.memberId(), "static-a", null, null, Map.of(first.memberId(), new byte[]{5}))
                .get(5, TimeUnit.SECONDS);
        JoinResult again = coordinator.join(join("", "static-a")).get(5, TimeUnit.SECONDS);
        assertEquals(Errors.NONE, again.error());
        assertEquals(1, again.generation());
        assertEquals(again.memberId(), again.leaderId());
        assertTrue(again.skipAssignment());
        assertEquals(1, again.members().size(), "the leader sees the members, as after a rebalance");
        assertArrayEquals(new byte[]{5}, coordinator.sync("g", 1, again.memberId(), "static-a", null, null,
                Map.of()).get(5, TimeUnit.SECONDS).assignment());

        JoinRequest old = join("", "static-a");
        JoinResult olderClient = coordinator.join(new JoinRequest(old.groupId(), "", "static-a", old.clientId(),
                old.clientHost(), SESSION, REBALANCE, old.protocolType(), old.protocols(), true, false)).get(5, TimeUnit.SECONDS);
        assertFalse(olderClient.skipAssignment());
        assertEquals(again.memberId(), olderClient.leaderId(), "before v9 the old leader id: it computes nothing");
        assertTrue(olderClient.members().isEmpty());
    }

    @Test
    void aStaticMemberThatCannotBeStoredKeepsItsOldId() throws Exception {
        JoinResult[] members = stableGroupWithAStaticMember();
        JoinResult b = members[1];
        store.failGroupWrites = new NotEnoughReplicasException("too few in-sync replicas");
        JoinResult again = coordinator.join(join("", "static-b")).get(5, TimeUnit.SECONDS);
        assertEquals(Errors.COORDINATOR_NOT_AVAILABLE, again.error());
        assertEquals(Errors.NONE, coordinator.heartbeat("g", 2, b.memberId(), "static-b"), "the old id goes on");
        assertEquals("Stable", coordinator.describe("g").state());
    }

    @Test
    void anEmptyClassicGroupThatBecomesAConsumerGroupLeavesNoClassicRecord() throws Exception {
        JoinResult a = joinNew(coordinator, null);
        coordinator.sync("g", 1, a.memberId(), null, null, null, Map.of()).get(5, TimeUnit.SECONDS);
        coordinator.leave("g", List.of(new Leaving(a.memberId(), null)));
        assertTrue(store.groups.get("g") != null, "the empty classic group is stored");
        GroupCoordinator.ConsumerHeartbeatResult joined = coordinator.consumerHeartbeat(
                new GroupCoordinator.ConsumerHeartbeat("g", "m-1", 0, null, null, 30_000, List.of("t"), null, null,
                        java.util.Set.of(), "c", "h"), Map.of("t", 1)).getNow(null);
        assertEquals(Errors.NONE, joined.error());
        assertTrue(store.groups.containsKey("g") && store.groups.get("g") == null, "its classic record is deleted");
    }

    @Test
    void recordsReadBackAsKafkaLaysThemOut() throws Exception {
        StoredGroup group = new StoredGroup("consumer", 7, "range", "m-1", 1234L, List.of(
                new StoredGroup.StoredMember("m-1", null, "client", "/10.0.0.1", 30_000, 10_000,
                        new byte[]{1, 2}, new byte[]{3}),
                new StoredGroup.StoredMember("m-2", "instance", "c2", "/10.0.0.2", 60_000, 45_000,
                        new byte[0], new byte[]{4, 5, 6})));
        byte[] value = OffsetRecords.groupValue(group);
        assertEquals(3, ByteBuffer.wrap(value).getShort(), "value version 3, as Kafka writes");
        StoredGroup read = OffsetRecords.parseGroupValue(ByteBuffer.wrap(value));
        assertEquals(group.protocolType(), read.protocolType());
        assertEquals(group.generation(), read.generation());
        assertEquals(group.protocolName(), read.protocolName());
        assertEquals(group.leaderId(), read.leaderId());
        assertEquals(group.currentStateTimestamp(), read.currentStateTimestamp());
        for (int i = 0; i < 2; i++) {
            StoredGroup.StoredMember m = group.members().get(i);
            StoredGroup.StoredMember r = read.members().get(i);
            assertEquals(List.of(m.memberId(), String.valueOf(m.instanceId()), m.clientId(), m.clientHost(),
                    m.rebalanceTimeoutMs(), m.sessionTimeoutMs()), List.of(r.memberId(),
                    String.valueOf(r.instanceId()), r.clientId(), r.clientHost(), r.rebalanceTimeoutMs(),
                    r.sessionTimeoutMs()));
            assertArrayEquals(m.subscription(), r.subscription());
            assertArrayEquals(m.assignment(), r.assignment());
        }
        StoredGroup empty = OffsetRecords.parseGroupValue(ByteBuffer.wrap(OffsetRecords.groupValue(
                new StoredGroup("consumer", 3, null, null, 99L, List.of()))));
        assertNull(empty.protocolName());
        assertNull(empty.leaderId());
        assertEquals("g", OffsetRecords.parseGroupKey(ByteBuffer.wrap(OffsetRecords.groupKey("g"))));
        assertNull(OffsetRecords.parseKey(ByteBuffer.wrap(OffsetRecords.groupKey("g"))), "not an offset key");
        assertNull(OffsetRecords.parseGroupKey(ByteBuffer.wrap(OffsetRecords.key("g", new TopicPartition("t", 0)))));
    }
}
