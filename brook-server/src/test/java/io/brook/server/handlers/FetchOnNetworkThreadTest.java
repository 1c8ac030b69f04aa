package io.brook.server.handlers;

import io.brook.metadata.image.AclsImage;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.record.MetadataRecords;
import io.brook.server.config.BrokerConfig;
import io.brook.server.delayed.DelayedOperations;
import io.brook.server.delayed.HierarchicalTimer;
import io.brook.server.fetch.FetchSessionCache;
import io.brook.server.partition.Partition;
import io.brook.server.partition.ReplicaManager;
import io.brook.server.security.acl.AuthorizerSettings;
import io.brook.server.security.acl.BrokerAuthorizer;
import io.brook.server.security.acl.DenialLog;
import io.brook.storage.log.LogManager;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An idle consumer long poll never needs a request thread: {@link FetchHandler#handlesOnNetworkThread} picks out the
 * fetches whose partitions are all at their read bound, and such a fetch's expiry is answered by the timer's own
 * thread from its first pass; a poll whose partition changed meanwhile is read again on the executor. Over a real
 * {@link ReplicaManager} and log, on a manual clock, with an executor that only collects what it is given.
 */
class FetchOnNetworkThreadTest {
    private static final short VERSION = 17;
    private static final Uuid TOPIC_ID = new Uuid(7, 7);
    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    File dir;
    private final AtomicLong clock = new AtomicLong(1_000);
    private final List<Runnable> handedToExecutor = new ArrayList<>();
    private LogManager logManager;
    private ReplicaManager replicas;
    private HierarchicalTimer timer;
    private DelayedOperations delayed;
    private FetchHandler handler;
    /** Stands for the event loop that read the request. */
    private final ScheduledThreadPoolExecutor eventLoop = new ScheduledThreadPoolExecutor(1,
            r -> new Thread(r, "event-loop"));

    @BeforeEach
    void open() throws Exception {
        logManager = new LogManager(List.of(new File(dir, "a")), Time.SYSTEM, null);
        logManager.loadLogs(topic -> null, topic -> null);
        replicas = new ReplicaManager(1, logManager, BrokerConfig.defaults().topicDefaults());
        List<ApiMessageAndVersion> records = List.of(MetadataRecords.topic(TP.topic(), TOPIC_ID),
                MetadataRecords.partition(TOPIC_ID, 0, List.of(1), List.of(1), 1, 0, 0));
        MetadataDelta delta = new MetadataDelta(io.brook.metadata.image.MetadataImage.EMPTY);
        records.forEach(delta::replay);
        replicas.onMetadataUpdate(delta, delta.apply(records.size()));
        timer = new HierarchicalTimer(1, 20, clock::get, handedToExecutor::add);
        BrokerContext broker = new BrokerContext(1, "cluster", BrokerConfig.defaults(), "localhost", 9092, replicas,
                null, delayed = new DelayedOperations(timer, false), null, null, null, null, null, null, null, null, null,
                Map.of(), () -> 1, new BrokerAuthorizer(AuthorizerSettings.DISABLED, () -> AclsImage.EMPTY,
                new DenialLog(System::currentTimeMillis)));
        handler = new FetchHandler(broker, new FetchSessionCache(10, 0));
        append("first");
    }

    @AfterEach
    void close() throws Exception {
        eventLoop.shutdownNow();
        replicas.stopReplication();
        logManager.close();
    }

    private void append(String value) throws Exception {
        Partition partition = replicas.partition(TP);
        partition.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes())),
                (short) 1);
    }

    private static FetchRequestData poll(long offset, int maxWaitMs, int minBytes) {
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(maxWaitMs).setMinBytes(minBytes)
                .setMaxBytes(1 << 20).setSessionId(0).setSessionEpoch(-1)
                .setTopics(List.of(new FetchTopic().setTopicId(TOPIC_ID).setPartitions(List.of(new FetchPartition()
                        .setPartition(0).setFetchOffset(offset).setPartitionMaxBytes(1 << 20)
                        .setCurrentLeaderEpoch(-1)))));
    }

    private boolean onNetworkThread(FetchRequestData request) {
        return handler.handlesOnNetworkThread(HandlerTestSupport.request(ApiKeys.FETCH, VERSION, "u"), request);
    }

    @SuppressWarnings("unchecked")
    private CompletableFuture<FetchResponseData> handle(FetchRequestData request) {
        return (CompletableFuture<FetchResponseData>) handler.handle(
                HandlerTestSupport.request(ApiKeys.FETCH, VERSION, "u"), request);
    }

    /** Handled on {@link #eventLoop}, as the network layer does once {@code handlesOnNetworkThread} said so. */
    @SuppressWarnings("unchecked")
    private CompletableFuture<FetchResponseData> handleOnEventLoop(FetchRequestData request) {
        return (CompletableFuture<FetchResponseData>) handler.handle(
                HandlerTestSupport.request(ApiKeys.FETCH, VERSION, "u").onNetworkThread(eventLoop), request);
    }

    private void advance(long ms) throws InterruptedException {
        clock.addAndGet(ms);
        while (timer.advanceClock(0)) {
            // every due bucket
        }
    }

    private static PartitionData only(FetchResponseData response) {
        return response.responses().get(0).partitions().get(0);
    }

    @Test
    void onlyALongPollAtTheReadBoundOfPartitionsLedHereStaysOnTheNetworkThread() {
        assertEquals(1, replicas.partition(TP).highWatermark());
        assertTrue(onNetworkThread(poll(1, 500, 1)), "at the high watermark: nothing to read");
        assertFalse(onNetworkThread(poll(0, 500, 1)), "a record to read");
        assertFalse(onNetworkThread(poll(1, 0, 1)), "no wait: answered at once, nothing gained");
        assertFalse(onNetworkThread(poll(1, 500, 1).setReplicaId(2)), "a follower's fetch");
        FetchRequestData unknown = poll(1, 500, 1);
        unknown.topics().get(0).setTopicId(new Uuid(8, 8));
        assertFalse(onNetworkThread(unknown), "an unknown topic: its error is answered by a request thread");
        assertFalse(onNetworkThread(poll(1, 500, 1).setTopics(List.of())), "nothing to fetch");
    }

    @Test
    void anIdlePollExpiresOnTheTimersThreadWithItsFirstPass() throws Exception {
        CompletableFuture<FetchResponseData> answer = handle(poll(1, 500, 1));
        assertFalse(answer.isDone(), "parked");
        advance(500);
        assertTrue(answer.isDone(), "answered by the thread that advanced the timer");
        assertEquals(List.of(), handedToExecutor, "no request thread needed");
        PartitionData data = only(answer.get(5, TimeUnit.SECONDS));
        assertEquals(1, data.highWatermark());
        assertEquals(0, data.records().sizeInBytes());
    }

    @Test
    void aPollWhosePartitionChangedIsReadAgainOnTheExecutor() throws Exception {
        CompletableFuture<FetchResponseData> answer = handle(poll(1, 500, 100_000));
        append("below min.bytes"); // no purgatory check here; and too few bytes to complete it anyway
        advance(500);
        assertFalse(answer.isDone(), "the expiry needs a read: not on the timer's thread");
        assertEquals(1, handedToExecutor.size());
        handedToExecutor.get(0).run();
        PartitionData data = only(answer.get(5, TimeUnit.SECONDS));
        assertEquals(2, data.highWatermark());
        assertTrue(data.records().sizeInBytes() > 0, "the record that arrived while it waited");
    }

    @Test
    void aPollParkedFromTheEventLoopExpiresOnItWithItsFirstPass() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        eventLoop.execute(() -> { // the loop runs nothing else until the checks below are made
            holding.countDown();
            awaitQuietly(held);
        });
        assertTrue(holding.await(30, TimeUnit.SECONDS));
        CompletableFuture<FetchResponseData> answer = handleOnEventLoop(poll(1, 300, 1));
        CompletableFuture<String> answeredOn = answer.thenApply(r -> Thread.currentThread().getName());
        assertEquals(0, timer.size(), "not on the shared timer");
        assertEquals(1, eventLoop.getQueue().size(), "its expiry is queued on the event loop");
        held.countDown();
        assertEquals("event-loop", answeredOn.get(5, TimeUnit.SECONDS));
        assertEquals(List.of(), handedToExecutor, "no request thread needed");
        PartitionData data = only(answer.get());
        assertEquals(1, data.highWatermark());
        assertEquals(0, data.records().sizeInBytes());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aPollParkedFromTheEventLoopAndCompletedByAnAppendLeavesItsQueue() throws Exception {
        eventLoop.setRemoveOnCancelPolicy(true);
        CompletableFuture<FetchResponseData> answer = handleOnEventLoop(poll(1, 60_000, 1));
        assertEquals(1, eventLoop.getQueue().size());
        append("second");
        delayed.fetches().checkAndComplete(TP);
        PartitionData data = only(answer.get(5, TimeUnit.SECONDS));
        assertTrue(data.records().sizeInBytes() > 0, "the appended record");
        assertEquals(0, eventLoop.getQueue().size(), "its expiry cancelled, not left queued for a minute");
    }
}
