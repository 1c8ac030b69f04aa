package io.brook.coordinator.group;

import io.brook.coordinator.ManualTimer;
import io.brook.coordinator.group.ConsumerGroupRecords.CurrentAssignment;
import io.brook.coordinator.group.ConsumerGroupRecords.CurrentValue;
import io.brook.coordinator.group.ConsumerGroupRecords.GroupEpoch;
import io.brook.coordinator.group.ConsumerGroupRecords.GroupRecord;
import io.brook.coordinator.group.ConsumerGroupRecords.MemberMetadata;
import io.brook.coordinator.group.ConsumerGroupRecords.MemberValue;
import io.brook.coordinator.group.ConsumerGroupRecords.TargetEpoch;
import io.brook.coordinator.group.ConsumerGroupRecords.TargetMember;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeat;
import io.brook.coordinator.group.GroupCoordinator.ConsumerHeartbeatResult;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consumer groups (KIP-848) kept in the offsets topic: the records' bytes, and what the next coordinator knows
 * after a move. (The random schedule with coordinator moves is {@code ConsumerGroupProtocolTest}.)
 */
@Timeout(10)
class StoredConsumerGroupTest {
    static final GroupConfig CONFIG = new GroupConfig(6000, 300_000, 0, 10, 4096, 45_000, 5000, 100,
            List.of("uniform", "range"));
    static final Map<String, Integer> TOPICS = Map.of("t", 4);

    final ManualTimer timer = new ManualTimer();
    final MemoryOffsetStore store = new MemoryOffsetStore();
    GroupCoordinator coordinator = new GroupCoordinator(CONFIG, store, timer, timer::now);

    private ConsumerHeartbeatResult beat(String memberId, int epoch, String instanceId, Set<TopicPartition> owned) {
        return coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", memberId, epoch, instanceId, null, 30_000,
                epoch == 0 ? List.of("t") : null, null, null, owned, "client", "/127.0.0.1"), TOPICS).getNow(null);
    }

    private void move() {
        coordinator.unload(group -> true);
        coordinator = new GroupCoordinator(CONFIG, store, timer, timer::now);
        store.replayConsumerGroupsInto(coordinator);
    }

    @Test
    void everyRecordReadsBackFromKafkasLayout() {
        Uuid t = Uuid.randomUuid();
        Uuid u = Uuid.randomUuid();
        Map<String, Uuid> ids = Map.of("t", t, "u", u);
        Map<Uuid, String> names = Map.of(t, "t", u, "u");
        Set<TopicPartition> parts = Set.of(new TopicPartition("t", 0), new TopicPartition("t", 3),
                new TopicPartition("u", 1));
        List<GroupRecord> records = List.of(new GroupEpoch(7, 123456789L), new GroupEpoch(7, 0),
                new MemberMetadata("m", new MemberValue("i", "rack", "c", "/h", List.of("t", "u"), null, 30_000,
                        "uniform")),
                new MemberMetadata("m", new MemberValue(null, null, "c", "/h", List.of(), "t.*", 1, null)),
                new TargetEpoch(7), new TargetMember("m", parts),
                new CurrentAssignment("m", new CurrentValue(7, 6, ConsumerGroupRecords.UNREVOKED_PARTITIONS,
                        parts, Set.of(new TopicPartition("u", 0)))));
        for (GroupRecord record : records) {
            for (GroupRecord r : List.of(record, record.tombstone())) {
                byte[] value = ConsumerGroupRecords.value(r, ids::get);
                ConsumerGroupRecords.DecodedKey key = ConsumerGroupRecords.parseKey(
                        ByteBuffer.wrap(ConsumerGroupRecords.key("group", r)));
                assertEquals("group", key.groupId());
                assertEquals(r, ConsumerGroupRecords.parse(key, value == null ? null : ByteBuffer.wrap(value),
                        names::get));
            }
        }
        assertNull(ConsumerGroupRecords.parseKey(ByteBuffer.wrap(OffsetRecords.groupKey("group"))),
                "a classic group's key is not one of these");
    }

    @Test
    void aMemberHalfWayThroughARevocationGoesOnWithTheNextCoordinator() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        assertEquals(4, a.assignment().size());
        ConsumerHeartbeatResult b = beat("b", 0, null, Set.of());
        ConsumerHeartbeatResult revoke = beat("a", a.memberEpoch(), null, a.assignment());
        assertEquals(2, revoke.assignment().size(), "a is asked to give up two partitions");
        move();
        ConsumerHeartbeatResult bAgain = beat("b", b.memberEpoch(), null, Set.of());
        assertEquals(Errors.NONE, bAgain.error());
        assertEquals(Set.of(), bAgain.assignment(), "still owned by a");
        ConsumerHeartbeatResult confirm = beat("a", revoke.memberEpoch(), null, revoke.assignment());
        assertEquals(Errors.NONE, confirm.error());
        assertEquals(b.memberEpoch(), confirm.memberEpoch(), "a moved to the group's epoch");
        ConsumerHeartbeatResult released = beat("b", b.memberEpoch(), null, Set.of());
        assertEquals(2, released.assignment().size());
        assertTrue(released.assignment().stream().noneMatch(revoke.assignment()::contains));
        assertEquals("Stable", coordinator.describeConsumerGroup("g").state());
    }

    @Test
    void aStaticMemberAwayForARestartKeepsItsPlaceAcrossAMove() {
        ConsumerHeartbeatResult a = beat("a", 0, "instance-a", Set.of());
        beat("a", -2, "instance-a", null); // away for a restart
        move();
        ConsumerHeartbeatResult back = beat("a2", 0, "instance-a", Set.of());
        assertEquals(Errors.NONE, back.error());
        assertEquals(a.memberEpoch(), back.memberEpoch(), "no rebalance");
        assertEquals(a.assignment(), back.assignment());
    }

    @Test
    void aFailedWriteIsAnsweredAndTheNextOneStoresTheWholeGroup() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        store.failGroupWrites = new NotLeaderOrFollowerException("the offsets partition moved");
        assertEquals(Errors.NOT_COORDINATOR, beat("b", 0, null, Set.of()).error());
        store.failGroupWrites = null;
        ConsumerHeartbeatResult c = beat("c", 0, null, Set.of()); // stores b too, which the failed write had
        assertEquals(Errors.NONE, c.error());
        var before = coordinator.describeConsumerGroup("g");
        move();
        assertEquals(before, coordinator.describeConsumerGroup("g"));
        assertEquals(Errors.NONE, beat("a", a.memberEpoch(), null, a.assignment()).error());
    }

    @Test
    void aMemberWhoseAnswerWasNotStoredGetsItsAssignmentOnTheNextHeartbeat() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        ConsumerHeartbeatResult b = beat("b", 0, null, Set.of());
        ConsumerHeartbeatResult revoke = beat("a", a.memberEpoch(), null, a.assignment());
        store.failGroupWrites = new NotLeaderOrFollowerException("the offsets partition moved");
        assertEquals(Errors.NOT_COORDINATOR, beat("a", revoke.memberEpoch(), null, revoke.assignment()).error(),
                "a's confirmation moved it to the next epoch, but that was not stored");
        assertEquals(Errors.NOT_COORDINATOR, beat("b", b.memberEpoch(), null, Set.of()).error(),
                "b got the released partitions, not stored either");
        store.failGroupWrites = null;
        ConsumerHeartbeatResult aAgain = beat("a", revoke.memberEpoch(), null, revoke.assignment());
        assertEquals(Errors.NONE, aAgain.error());
        assertEquals(b.memberEpoch(), aAgain.memberEpoch());
        assertEquals(revoke.assignment(), aAgain.assignment(), "a is told its partitions with its new epoch");
        ConsumerHeartbeatResult bAgain = beat("b", b.memberEpoch(), null, Set.of());
        assertEquals(2, bAgain.assignment() == null ? 0 : bAgain.assignment().size(), "b is told its partitions");
    }

    @Test
    void aFullHeartbeatAfterALostAnswerGetsTheAssignmentAgain() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        ConsumerHeartbeatResult b = beat("b", 0, null, Set.of());
        ConsumerHeartbeatResult revoke = beat("a", a.memberEpoch(), null, a.assignment());
        beat("a", revoke.memberEpoch(), null, revoke.assignment());
        ConsumerHeartbeatResult lost = beat("b", b.memberEpoch(), null, Set.of());
        assertEquals(2, lost.assignment().size(), "b's partitions, in an answer the network loses");
        assertNull(beat("b", b.memberEpoch(), null, null).assignment(), "a plain heartbeat: nothing new");
        ConsumerHeartbeatResult full = coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", "b", b.memberEpoch(),
                null, null, 30_000, List.of("t"), null, null, Set.of(), "client", "/127.0.0.1"), TOPICS).getNow(null);
        assertEquals(lost.assignment(), full.assignment(), "the full heartbeat the client sends after a timeout");
    }

    @Test
    void anAnswerWithNothingNewWaitsForTheWriteBeforeIt() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        store.pendingGroupWrite = new java.util.concurrent.CompletableFuture<>();
        var joining = coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", "b", 0, null, null, 30_000,
                List.of("t"), null, null, Set.of(), "client", "/127.0.0.1"), TOPICS);
        // b again, at the epoch its join gave it (a's join made 1, b's 2), waiting for a's partitions: no change
        var unchanged = coordinator.consumerHeartbeat(new ConsumerHeartbeat("g", "b", a.memberEpoch() + 1, null,
                null, -1, null, null, null, null, "client", "/127.0.0.1"), TOPICS);
        assertTrue(!joining.isDone() && !unchanged.isDone(), "b's second answer would show what its join made");
        store.pendingGroupWrite.completeExceptionally(new NotLeaderOrFollowerException("moved"));
        assertEquals(Errors.NOT_COORDINATOR, joining.getNow(null).error());
        assertEquals(Errors.NOT_COORDINATOR, unchanged.getNow(null).error());
    }

    @Test
    void aLeftMemberAndADeletedGroupStayGoneAfterAMove() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        ConsumerHeartbeatResult b = beat("b", 0, null, Set.of());
        beat("b", -1, null, null);
        move();
        assertEquals(List.of("a"), coordinator.describeConsumerGroup("g").members().stream()
                .map(GroupCoordinator.ConsumerMemberDescription::memberId).toList());
        assertEquals(Errors.UNKNOWN_MEMBER_ID, beat("b", b.memberEpoch(), null, Set.of()).error());
        beat("a", -1, null, null);
        assertEquals(Errors.NONE, coordinator.delete("g").getNow(null));
        move();
        assertNull(coordinator.describeConsumerGroup("g"), "deleted: " + store.consumerGroupRecords.get("g"));
        assertEquals(Errors.UNKNOWN_MEMBER_ID, beat("a", a.memberEpoch(), null, Set.of()).error());
    }

    @Test
    void anEmptyGroupWhoseLastOffsetsExpireIsDeleted() {
        ConsumerHeartbeatResult a = beat("a", 0, null, Set.of());
        TopicPartition tp = new TopicPartition("t", 0);
        assertEquals(Map.of(tp, Errors.NONE), coordinator.commit("g", a.memberEpoch(), "a", null,
                Map.of(tp, new CommittedOffset(5, -1, "", timer.now()))).getNow(null));
        beat("a", -1, null, null);
        assertEquals(1, coordinator.expireOffsets(timer.now() + 61_000, 60_000));
        assertNull(coordinator.describeConsumerGroup("g"));
        move();
        assertNull(coordinator.describeConsumerGroup("g"), "deleted: " + store.consumerGroupRecords.get("g"));
    }

    @Test
    void anEmptyConsumerGroupThatBecomesClassicIsNotLoadedAsAConsumerGroup() throws Exception {
        beat("a", 0, null, Set.of());
        beat("a", -1, null, null);
        coordinator.join(new GroupCoordinator.JoinRequest("g", "", null, "c", "h", 10_000, 30_000, "consumer",
                List.of(new GroupCoordinator.Protocol("range", new byte[0])), false)).get(5,
                java.util.concurrent.TimeUnit.SECONDS);
        move();
        assertNull(coordinator.describeConsumerGroup("g"));
    }
}
