package io.brook.server.controller;

import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When {@link ActiveControllerTimer} passes, on a fake clock (its timer thread not started): one interval after
 * becoming active, then every interval, never while not active, one pass at a time, a failure reported once; and
 * the fence pass on its real timer fencing a broker whose heartbeats stopped.
 */
@Timeout(60)
class ActiveControllerTimerTest {
    private static final long INTERVAL_MS = 300_000;
    private static final long WAIT_MS = 20_000;
    private static final long SESSION_MS = 300;
    private static final long FENCE_INTERVAL_MS = 20;

    @TempDir
    File dir;
    private MetadataController controller;
    private ActiveControllerTimer<?> timer;

    private final AtomicLong clock = new AtomicLong(5_000);
    private final AtomicBoolean active = new AtomicBoolean(true);
    private final AtomicInteger passes = new AtomicInteger();
    private CompletableFuture<List<TopicPartition>> next = CompletableFuture.completedFuture(List.of());

    private ActiveControllerTimer<TopicPartition> onFakeClock() {
        ActiveControllerTimer<TopicPartition> t = new ActiveControllerTimer<>("test pass", active::get, () -> {
            passes.incrementAndGet();
            return next;
        }, changes -> { }, INTERVAL_MS, clock::get);
        timer = t;
        return t;
    }

    @AfterEach
    void close() throws Exception {
        if (timer != null) {
            timer.close();
        }
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void aPassIsDueOneIntervalAfterBecomingActiveThenEveryInterval() {
        ActiveControllerTimer<TopicPartition> r = onFakeClock();
        assertFalse(r.tick(), "just became active: wait one interval");
        clock.addAndGet(INTERVAL_MS - 1);
        assertFalse(r.tick());
        clock.addAndGet(1);
        assertTrue(r.tick());
        assertEquals(1, passes.get());
        clock.addAndGet(INTERVAL_MS / 2);
        assertFalse(r.tick());
        clock.addAndGet(INTERVAL_MS / 2);
        assertTrue(r.tick());
        assertEquals(2, passes.get());
    }

    @Test
    void aStandbyNeverPassesAndStartsItsIntervalAgainOnceActive() {
        ActiveControllerTimer<TopicPartition> r = onFakeClock();
        r.tick();
        active.set(false);
        clock.addAndGet(3 * INTERVAL_MS);
        assertFalse(r.tick());
        active.set(true);
        assertFalse(r.tick(), "active again: a full interval first");
        clock.addAndGet(INTERVAL_MS);
        assertTrue(r.tick());
        assertEquals(1, passes.get());
    }

    @Test
    void onePassAtATimeAndAFailedPassIsTriedAgainNextInterval() {
        ActiveControllerTimer<TopicPartition> r = onFakeClock();
        r.tick();
        CompletableFuture<List<TopicPartition>> slow = new CompletableFuture<>();
        next = slow;
        clock.addAndGet(INTERVAL_MS);
        assertTrue(r.tick());
        clock.addAndGet(INTERVAL_MS);
        assertFalse(r.tick(), "the previous pass has not completed");
        slow.completeExceptionally(new NotControllerException("lost it"));
        next = CompletableFuture.failedFuture(new IllegalStateException("boom"));
        assertTrue(r.tick());
        next = CompletableFuture.completedFuture(List.of(new TopicPartition("t", 0)));
        clock.addAndGet(INTERVAL_MS);
        assertTrue(r.tick());
        assertEquals(3, passes.get());
    }

    @Test
    void aFailingPassIsReportedOnceUntilOneSucceedsAndNotControllerNever() {
        ActiveControllerTimer<TopicPartition> r = onFakeClock();
        r.tick();
        next = CompletableFuture.failedFuture(new NotControllerException("moved"));
        clock.addAndGet(INTERVAL_MS);
        r.tick();
        assertEquals(0, r.warnings(), "losing the leadership is expected");
        next = CompletableFuture.failedFuture(new IllegalStateException("disk full"));
        for (int i = 0; i < 5; i++) {
            clock.addAndGet(INTERVAL_MS);
            assertTrue(r.tick());
        }
        assertEquals(1, r.warnings());
        next = CompletableFuture.completedFuture(List.of());
        clock.addAndGet(INTERVAL_MS);
        r.tick();
        next = CompletableFuture.failedFuture(new IllegalStateException("disk full again"));
        clock.addAndGet(INTERVAL_MS);
        r.tick();
        assertEquals(2, r.warnings());
    }

    @Test
    void theActiveControllersFencePassFencesABrokerWhoseHeartbeatsStoppedAndAStandbyDoesNot() throws Exception {
        controller = LocalMetadataController.open(dir);
        LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(1), 1, (short) 1,
                Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0), "c", SESSION_MS);
        BrokerRegistrationRequestData registration = new BrokerRegistrationRequestData().setBrokerId(2)
                .setClusterId("c").setIncarnationId(Uuid.randomUuid());
        long epoch = channel.registerBroker(registration).get(10, TimeUnit.SECONDS).brokerEpoch();
        channel.brokerHeartbeat(new BrokerHeartbeatRequestData().setBrokerId(2).setBrokerEpoch(epoch)
                .setCurrentMetadataOffset(epoch)).get(10, TimeUnit.SECONDS);
        assertFalse(controller.image().cluster().broker(2).fenced());

        AtomicBoolean standby = new AtomicBoolean(false);
        ActiveControllerTimer<Integer> fencer = new ActiveControllerTimer<>("fence pass", standby::get, () -> {
            passes.incrementAndGet();
            return channel.fenceStaleBrokers();
        }, fenced -> { }, FENCE_INTERVAL_MS, System::currentTimeMillis);
        timer = fencer;
        fencer.start();
        Thread.sleep(3 * SESSION_MS); // the session is over, but this controller is not the active one
        assertEquals(0, passes.get());
        assertFalse(controller.image().cluster().broker(2).fenced());

        standby.set(true);
        await("broker 2 fenced", () -> controller.image().cluster().broker(2).fenced());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT_MS + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }
}
