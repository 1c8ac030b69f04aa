package io.brook.server.controller;

import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.metadata.runtime.MetadataController;
import org.apache.kafka.common.Uuid;
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
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The fence pass on a timer: only while active, one at a time, a failure reported once. */
@Timeout(60)
class BrokerFencerTest {
    private static final long WAIT_MS = 20_000;
    private static final long SESSION_MS = 300;
    private static final long INTERVAL_MS = 20;

    @TempDir
    File dir;
    private MetadataController controller;
    private BrokerFencer fencer;

    @AfterEach
    void close() throws Exception {
        if (fencer != null) {
            fencer.close();
        }
        if (controller != null) {
            controller.close();
        }
    }

    @Test
    void anActiveControllerFencesABrokerWhoseHeartbeatsStoppedAndAStandbyDoesNot() throws Exception {
        controller = LocalMetadataController.open(dir);
        LocalControllerChannel channel = new LocalControllerChannel(controller, () -> List.of(1), 1, (short) 1,
                Short.MAX_VALUE, () -> QuorumDescription.singleNode(1, 0, 0, 0), "c", SESSION_MS);
        BrokerRegistrationRequestData registration = new BrokerRegistrationRequestData().setBrokerId(2)
                .setClusterId("c").setIncarnationId(Uuid.randomUuid());
        long epoch = channel.registerBroker(registration).get(10, TimeUnit.SECONDS).brokerEpoch();
        channel.brokerHeartbeat(new BrokerHeartbeatRequestData().setBrokerId(2).setBrokerEpoch(epoch)
                .setCurrentMetadataOffset(epoch)).get(10, TimeUnit.SECONDS);
        assertFalse(controller.image().cluster().broker(2).fenced());

        AtomicBoolean active = new AtomicBoolean(false);
        AtomicInteger passes = new AtomicInteger();
        fencer = new BrokerFencer(active::get, () -> {
            passes.incrementAndGet();
            return channel.fenceStaleBrokers();
        }, INTERVAL_MS);
        fencer.start();
        Thread.sleep(3 * SESSION_MS); // the session is over, but this controller is not the active one
        assertEquals(0, passes.get());
        assertFalse(controller.image().cluster().broker(2).fenced());

        active.set(true);
        await("broker 2 fenced", () -> controller.image().cluster().broker(2).fenced());
    }

    @Test
    void aPassStillInFlightIsNotRepeated() throws Exception {
        AtomicInteger passes = new AtomicInteger();
        CompletableFuture<List<Integer>> never = new CompletableFuture<>();
        fencer = new BrokerFencer(() -> true, () -> {
            passes.incrementAndGet();
            return never;
        }, INTERVAL_MS);
        fencer.start();
        await("a first pass", () -> passes.get() == 1);
        Thread.sleep(20 * INTERVAL_MS);
        assertEquals(1, passes.get());
        never.complete(List.of());
        await("the next pass", () -> passes.get() > 1);
    }

    @Test
    void aFailingPassIsReportedOnceUntilOneSucceeds() throws Exception {
        AtomicInteger passes = new AtomicInteger();
        AtomicBoolean fail = new AtomicBoolean(true);
        fencer = new BrokerFencer(() -> true, () -> {
            passes.incrementAndGet();
            return fail.get() ? CompletableFuture.failedFuture(new IllegalStateException("disk full"))
                    : CompletableFuture.completedFuture(List.of());
        }, INTERVAL_MS);
        fencer.start();
        await("several failed passes", () -> passes.get() >= 5);
        assertEquals(1, fencer.warnings());
        fail.set(false);
        int before = passes.get();
        await("a pass that succeeds", () -> passes.get() > before + 1);
        fail.set(true);
        int failedFrom = passes.get();
        await("more failed passes", () -> passes.get() >= failedFrom + 5);
        assertEquals(2, fencer.warnings());
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
