package io.brook.server.node;

import io.brook.server.controller.QuorumDescription;
import io.brook.metadata.controller.TopicControl.NewTopic;
import io.brook.metadata.controller.ControllerResult;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.config.BrokerConfig;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionImage;
import io.brook.metadata.runtime.LocalMetadataController;
import io.brook.server.controller.ActiveControllerTimer;
import io.brook.server.controller.ForwardedRequestServer;
import io.brook.server.controller.ForwardingControllerChannel;
import io.brook.server.controller.LocalControllerChannel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Brokers' lifecycles against a real controller in this JVM: a {@link LocalMetadataController} deciding
 * through {@link LocalControllerChannel}, reached through {@link ForwardingControllerChannel} (Kafka's
 * request bytes, as a broker that is not the controller sends them) with a transport the tests can cut
 * or make answer NOT_CONTROLLER, and the fence pass ({@link ActiveControllerTimer#brokerFencer}) on a short timer.
 */
@Timeout(120)
class BrokerLifecycleTest {
    private static final String CLUSTER_ID = "lifecycle-test-cluster";
    private static final long SESSION_MS = 1_500;
    private static final long WAIT_MS = 30_000;
    private static final BrokerLifecycle.Timing TIMING = new BrokerLifecycle.Timing(100, 200, 20_000);

    @TempDir
    File dir;
    private LocalMetadataController controller;
    private LocalControllerChannel local;
    private ForwardingControllerChannel channel;
    private ActiveControllerTimer<Integer> fencer;
    private final List<BrokerLifecycle> lifecycles = new ArrayList<>();
    /** While set, requests are lost: the controller is unreachable. */
    private final AtomicBoolean unreachable = new AtomicBoolean();
    /** Requests answered with NOT_CONTROLLER before the controller decides again. */
    private final AtomicInteger notController = new AtomicInteger();
    private final AtomicInteger registrations = new AtomicInteger();
    private final AtomicInteger heartbeats = new AtomicInteger();
    private final List<BrokerHeartbeatRequestData> sentHeartbeats = new CopyOnWriteArrayList<>();
    /** The controller's committed image each time it answered shouldShutDown. */
    private final List<MetadataImage> imagesWhenShutdownAllowed = new CopyOnWriteArrayList<>();

    @BeforeEach
    void open() throws Exception {
        controller = LocalMetadataController.open(dir);
        local = new LocalControllerChannel(controller, () -> List.of(1, 2), 1, (short) 1, Short.MAX_VALUE,
                () -> QuorumDescription.singleNode(1, 0, 0, 0), CLUSTER_ID, SESSION_MS);
        ForwardedRequestServer server = new ForwardedRequestServer(local);
        channel = new ForwardingControllerChannel(request -> {
            ApiKeys api = ApiKeys.forId(request.duplicate().getShort());
            (api == ApiKeys.BROKER_REGISTRATION ? registrations : heartbeats).incrementAndGet();
            if (api == ApiKeys.BROKER_HEARTBEAT) {
                ByteBuffer body = request.duplicate();
                body.position(body.position() + 4); // API key and version
                sentHeartbeats.add(new BrokerHeartbeatRequestData(new ByteBufferAccessor(body), api.latestVersion()));
            }
            if (unreachable.get()) {
                return CompletableFuture.failedFuture(new java.io.IOException("connection refused"));
            }
            if (notController.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return CompletableFuture.failedFuture(new NotControllerException("no active controller yet"));
            }
            ByteBuffer copy = ByteBuffer.allocate(request.remaining()).put(request.duplicate()).flip();
            return server.serve(copy).thenApply(answer -> {
                if (api == ApiKeys.BROKER_HEARTBEAT && new BrokerHeartbeatResponseData(
                        new ByteBufferAccessor(answer.duplicate()), api.latestVersion()).shouldShutDown()) {
                    imagesWhenShutdownAllowed.add(controller.image());
                }
                return answer;
            });
        });
        fencer = ActiveControllerTimer.brokerFencer(controller, local, 50);
        fencer.start();
    }

    @AfterEach
    void close() throws Exception {
        for (BrokerLifecycle l : lifecycles) {
            l.close();
        }
        fencer.close();
        controller.close();
    }

    private static BrokerRegistrationRequestData registration(int id) {
        BrokerRegistrationRequestData request = new BrokerRegistrationRequestData().setBrokerId(id)
                .setClusterId(CLUSTER_ID).setRack("rack-" + id).setLogDirs(List.of(Uuid.randomUuid()));
        request.listeners().add(new BrokerRegistrationRequestData.Listener().setName("PLAINTEXT")
                .setHost("broker-" + id).setPort(9092).setSecurityProtocol((short) 0));
        BrokerLifecycle.supportedFeatures().forEach(request.features()::add);
        return request;
    }

    private BrokerLifecycle start(int id, LongSupplier applied, BrokerLifecycle.Timing timing) {
        BrokerLifecycle lifecycle = new BrokerLifecycle(registration(id), channel, applied, timing);
        lifecycles.add(lifecycle);
        lifecycle.start();
        return lifecycle;
    }

    /** A broker that applies the controller's committed image at once. */
    private BrokerLifecycle startCaughtUp(int id) {
        return start(id, () -> controller.image().offset(), TIMING);
    }

    private BrokerRegistration broker(int id) {
        return controller.image().cluster().broker(id);
    }

    @Test
    void aBrokerRegistersFencedAndIsUnfencedOnceItHasCaughtUp() throws Exception {
        notController.set(3); // no active controller at first: retried with backoff
        AtomicLong applied = new AtomicLong(-1);
        BrokerLifecycle lifecycle = start(1, applied::get, TIMING);
        long epoch = lifecycle.registered().get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(registrations.get() >= 4, "retried after NOT_CONTROLLER: " + registrations.get());
        assertEquals(epoch, lifecycle.brokerEpoch());
        BrokerRegistration registered = broker(1);
        assertEquals(lifecycle.incarnationId(), registered.incarnationId());
        assertEquals(Optional.of("rack-1"), registered.rack());
        assertTrue(registered.supportedFeatures().containsKey(MetadataVersion.FEATURE_NAME));

        int before = heartbeats.get();
        await("several heartbeats while behind", () -> heartbeats.get() >= before + 3);
        assertTrue(lifecycle.isFenced());
        assertTrue(broker(1).fenced(), "not caught up: stays fenced");
        for (BrokerHeartbeatRequestData sent : sentHeartbeats) {
            assertEquals(epoch, sent.brokerEpoch());
            assertEquals(-1, sent.currentMetadataOffset(), "reports the offset it has applied");
            assertTrue(sent.wantFence(), "behind its registration: asks to stay fenced");
            assertFalse(sent.wantShutDown());
        }

        applied.set(controller.image().offset()); // it has applied its own registration
        await("unfenced", () -> !lifecycle.isFenced());
        assertFalse(broker(1).fenced());
        BrokerHeartbeatRequestData last = sentHeartbeats.get(sentHeartbeats.size() - 1);
        assertEquals(applied.get(), last.currentMetadataOffset());
        assertFalse(last.wantFence(), "caught up: asks to be unfenced");
    }

    @Test
    void aBrokerWhoseHeartbeatsStopIsFencedAfterTheSessionTimeoutAndUnfencedWhenTheyResume() throws Exception {
        BrokerLifecycle lifecycle = startCaughtUp(1);
        await("unfenced", () -> !lifecycle.isFenced() && !broker(1).fenced());
        unreachable.set(true);
        // when exactly is ClusterControl's (fake-clock tests); here: the fence pass does it, on a loaded machine
        await("fenced by the controller", () -> broker(1).fenced());
        unreachable.set(false);
        await("unfenced again", () -> !broker(1).fenced() && !lifecycle.isFenced());
        assertEquals(lifecycle.incarnationId(), broker(1).incarnationId(), "the same registration");
    }

    @Test
    void aControlledShutdownThatNoControllerAnswersStopsAfterTheUnansweredLimitNotTheShutdownTimeout()
            throws Exception {
        BrokerLifecycle lifecycle = start(1, () -> controller.image().offset(),
                new BrokerLifecycle.Timing(100, 200, 60_000, 500));
        await("unfenced", () -> !lifecycle.isFenced() && !broker(1).fenced());
        unreachable.set(true); // the quorum is gone: nobody can approve the shutdown
        long start = System.nanoTime();
        lifecycle.close();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(tookMs < 30_000, "stopped after " + tookMs + " ms, not the 60 s shutdown timeout");
    }

    @Test
    void aRestartedBrokerWithANewIncarnationReplacesTheOldRegistration() throws Exception {
        BrokerLifecycle first = start(1, () -> controller.image().offset(),
                new BrokerLifecycle.Timing(100, 200, 0)); // no controlled shutdown: as if killed
        long firstEpoch = first.registered().get(WAIT_MS, TimeUnit.MILLISECONDS);
        await("unfenced", () -> !broker(1).fenced());
        first.close();
        lifecycles.remove(first);

        int before = registrations.get();
        BrokerLifecycle second = startCaughtUp(1);
        assertNotEquals(first.incarnationId(), second.incarnationId());
        // refused (DUPLICATE_BROKER_REGISTRATION) while the old session lives, retried until it is over
        long secondEpoch = second.registered().get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertTrue(registrations.get() >= before + 2, "retried: " + (registrations.get() - before));
        assertTrue(secondEpoch > firstEpoch);
        assertEquals(second.incarnationId(), broker(1).incarnationId());
        await("the new incarnation unfenced", () -> !broker(1).fenced() && !second.isFenced());
    }

    @Test
    void aControlledShutdownMovesTheBrokersLeadershipsAwayBeforeItIsAllowed() throws Exception {
        BrokerLifecycle one = startCaughtUp(1);
        BrokerLifecycle two = startCaughtUp(2);
        await("both unfenced", () -> !one.isFenced() && !two.isFenced());
        local.createTopic(new NewTopic("t", -1, (short) -1, Map.of(0, List.of(1, 2), 1, List.of(1, 2),
                2, List.of(2, 1)), Map.of()), false).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(2, leaderCount(controller.image(), 1));

        long started = System.nanoTime();
        one.close(); // blocks until the controller allows it (or the 20 s limit)
        lifecycles.remove(one);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(one.shutdownAllowed().isDone(), "allowed, not timed out (" + tookMs + " ms)");
        assertEquals(1, imagesWhenShutdownAllowed.size());

        MetadataImage image = imagesWhenShutdownAllowed.get(0);
        assertEquals(0, leaderCount(image, 1), "it leads nothing when it stops");
        for (PartitionImage p : image.topic("t").partitions().values()) {
            assertEquals(2, p.leader());
            assertEquals(List.of(2), p.isr());
        }
        assertTrue(image.cluster().broker(1).inControlledShutdown());
        assertFalse(image.cluster().broker(2).fenced());
    }

    @Test
    void anOfflineDirectoryIsReportedAtOnceAndTheControllerDropsItFromTheRegistration() throws Exception {
        Uuid first = new Uuid(5, 1);
        Uuid second = new Uuid(5, 2);
        BrokerRegistrationRequestData template = registration(1).setLogDirs(new ArrayList<>(List.of(first, second)));
        List<Uuid> offline = new CopyOnWriteArrayList<>();
        // a long interval: only heartbeatSoon can make the report quick
        BrokerLifecycle lifecycle = new BrokerLifecycle(template, channel, () -> controller.image().offset(),
                () -> List.copyOf(offline),
                new BrokerLifecycle.Timing(10_000, 200, 20_000));
        lifecycles.add(lifecycle);
        lifecycle.start();
        await("unfenced", () -> !lifecycle.isFenced());
        assertEquals(List.of(first, second), broker(1).logDirs());

        offline.add(second);
        long askedNs = System.nanoTime();
        lifecycle.heartbeatSoon();
        await("the controller knows the directory is offline", () -> broker(1).logDirs().equals(List.of(first)));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - askedNs) < 5_000, "sent at once, not after "
                + "the 10 s interval");
        BrokerHeartbeatRequestData last = sentHeartbeats.get(sentHeartbeats.size() - 1);
        assertEquals(List.of(second), last.offlineLogDirs());
        assertFalse(broker(1).fenced(), "one directory is left");
    }

    @Test
    void aBrokerThatNeverRegisteredStopsAtOnce() throws Exception {
        unreachable.set(true);
        BrokerLifecycle lifecycle = startCaughtUp(1);
        await("a few attempts", () -> registrations.get() >= 2);
        long started = System.nanoTime();
        lifecycle.close();
        lifecycles.remove(lifecycle);
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < TIMING.controlledShutdownTimeoutMs());
        assertFalse(lifecycle.registered().isDone());
    }

    @Test
    void theRegistrationFromTheConfigCarriesEndpointsRackAndFeaturesTheControllerAccepts() throws Exception {
        // the cluster finalized metadata.version at the level Brook writes
        short level = MetadataRecords.METADATA_VERSION.featureLevel();
        controller.submit(image -> ControllerResult.of(List.of(MetadataRecords.featureLevel(
                MetadataVersion.FEATURE_NAME, level)), null)).get(WAIT_MS, TimeUnit.MILLISECONDS);
        BrokerConfig config = BrokerConfig.fromMap(Map.of("node.id", "3", "broker.rack", "r3",
                "listeners", "PLAINTEXT://0.0.0.0:0,INTERNAL://localhost:0",
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
                "log.dirs", new File(dir, "data").getPath()));
        Uuid dirId = Uuid.randomUuid();
        BrokerRegistrationRequestData template = BrokerLifecycle.registration(config, CLUSTER_ID, Map.of(
                "PLAINTEXT", InetSocketAddress.createUnresolved("broker-3.example", 9092),
                "INTERNAL", InetSocketAddress.createUnresolved("10.0.0.3", 19092)), List.of(dirId), -1);
        assertEquals(List.of(dirId), template.logDirs());
        BrokerLifecycle lifecycle = new BrokerLifecycle(template, channel, () -> controller.image().offset(), TIMING);
        lifecycles.add(lifecycle);
        lifecycle.start();
        lifecycle.registered().get(WAIT_MS, TimeUnit.MILLISECONDS);
        BrokerRegistration registered = broker(3);
        assertEquals(List.of(new BrokerRegistration.Endpoint("PLAINTEXT", "broker-3.example", 9092,
                        SecurityProtocol.PLAINTEXT.id),
                new BrokerRegistration.Endpoint("INTERNAL", "10.0.0.3", 19092, SecurityProtocol.PLAINTEXT.id)),
                registered.endpoints());
        assertEquals(Optional.of("r3"), registered.rack());
        assertTrue(registered.supportedFeatures().get(MetadataVersion.FEATURE_NAME).contains(level));
        assertTrue(registered.supportedFeatures().get(MetadataVersion.FEATURE_NAME)
                .contains(MetadataVersion.MINIMUM_VERSION.featureLevel()));
        await("unfenced", () -> !lifecycle.isFenced());

        // a new incarnation per lifecycle (process start), never the template's
        BrokerLifecycle again = new BrokerLifecycle(template, channel, () -> -1, TIMING);
        assertNotEquals(lifecycle.incarnationId(), again.incarnationId());
        again.close();
    }

    private static int leaderCount(MetadataImage image, int broker) {
        int led = 0;
        for (PartitionImage p : image.topic("t").partitions().values()) {
            if (p.leader() == broker) {
                led++;
            }
        }
        return led;
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
