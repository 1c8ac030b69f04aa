package io.brook.server.delayed;

import io.brook.coordinator.group.GroupConfig;
import io.brook.coordinator.group.GroupCoordinator;
import io.brook.coordinator.group.GroupCoordinator.JoinRequest;
import io.brook.coordinator.group.GroupCoordinator.JoinResult;
import io.brook.coordinator.group.GroupCoordinator.Protocol;
import io.brook.coordinator.group.OffsetStore;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The group coordinator's deadlines on the wheel, as the node wires them. */
class CoordinatorTimerTest {
    private static final int SESSION_MS = 45_000;
    private static final int HEARTBEATS = 10_000;

    private final AtomicLong clock = new AtomicLong(1_000);
    private final HierarchicalTimer wheel = new HierarchicalTimer(1, 20, clock::get, Runnable::run);
    private final CoordinatorTimer timer = new CoordinatorTimer(wheel);

    private static final OffsetStore NO_STORE = new OffsetStore() {
        @Override
        public CompletableFuture<Void> write(String groupId, Map<org.apache.kafka.common.TopicPartition,
                io.brook.coordinator.group.CommittedOffset> offsets) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> writeTransactional(String groupId, long producerId, short producerEpoch,
                Map<org.apache.kafka.common.TopicPartition, io.brook.coordinator.group.CommittedOffset> offsets) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> writeGroup(String groupId, io.brook.coordinator.group.StoredGroup group,
                Map<org.apache.kafka.common.TopicPartition, io.brook.coordinator.group.CommittedOffset> offsets) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> writeConsumerGroup(String groupId,
                java.util.List<io.brook.coordinator.group.ConsumerGroupRecords.GroupRecord> records,
                Map<org.apache.kafka.common.TopicPartition, io.brook.coordinator.group.CommittedOffset> offsets) {
            return CompletableFuture.completedFuture(null);
        }
    };

    private static void drain(HierarchicalTimer timer) throws InterruptedException {
        while (timer.advanceClock(0)) {
            // all due buckets
        }
    }

    @Test
    void heartbeatsDoNotPileUpCancelledSessionDeadlines() throws InterruptedException {
        GroupCoordinator groups = new GroupCoordinator(new GroupConfig(6_000, 300_000, 0, 10, 4096), NO_STORE,
                timer, clock::get);
        JoinRequest join = new JoinRequest("g", "", null, "client", "/127.0.0.1", SESSION_MS, 60_000, "consumer",
                List.of(new Protocol("range", new byte[]{1})), true);
        JoinResult first = groups.join(join).join();
        assertEquals(Errors.MEMBER_ID_REQUIRED, first.error());
        JoinResult joined = groups.join(new JoinRequest("g", first.memberId(), null, "client", "/127.0.0.1",
                SESSION_MS, 60_000, "consumer", List.of(new Protocol("range", new byte[]{1})), true)).join();
        assertEquals(Errors.NONE, joined.error());
        assertEquals(Errors.NONE, groups.sync("g", joined.generation(), joined.memberId(), null, "consumer", "range",
                Map.of(joined.memberId(), new byte[]{7})).join().error());
        for (int i = 0; i < HEARTBEATS; i++) {
            clock.addAndGet(3);
            drain(wheel);
            assertEquals(Errors.NONE, groups.heartbeat("g", joined.generation(), joined.memberId(), null));
        }
        // one live session deadline (and at most a leftover rebalance one), not one per heartbeat
        assertTrue(wheel.size() <= 2, "timer tasks after " + HEARTBEATS + " heartbeats: " + wheel.size());
        // and the live one still works: the member is removed once its session runs out
        clock.addAndGet(SESSION_MS);
        drain(wheel);
        assertEquals(Errors.UNKNOWN_MEMBER_ID, groups.heartbeat("g", joined.generation(), joined.memberId(), null));
        assertEquals(0, wheel.size());
    }

    @Test
    void theFutureReportsDelayCancellationAndCompletion() throws Exception {
        int[] runs = new int[1];
        ScheduledFuture<?> f = timer.schedule(() -> runs[0]++, 100);
        assertEquals(100, f.getDelay(TimeUnit.MILLISECONDS));
        assertFalse(f.isDone());
        clock.addAndGet(100);
        drain(wheel);
        assertEquals(1, runs[0]);
        assertTrue(f.isDone());
        f.get(1, TimeUnit.SECONDS);
        ScheduledFuture<?> g = timer.schedule(() -> runs[0]++, 100);
        assertTrue(g.cancel(false));
        assertTrue(g.isCancelled());
        assertEquals(0, wheel.size());
        clock.addAndGet(200);
        drain(wheel);
        assertEquals(1, runs[0], "a cancelled coordinator timer does not run");
    }
}
