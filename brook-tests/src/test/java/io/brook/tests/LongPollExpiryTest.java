package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A long poll's answer at its {@code max.wait.ms}, over a raw connection (Fetch v17): an idle poll is answered with
 * what its first pass saw (on the timer's thread, without reading again), up to the 10 ms of deadline alignment
 * early and never much later; a poll during which the partition changed (a record below {@code min.bytes}, a log
 * start moved by DeleteRecords) is answered with what is there at expiry, not with its first pass.
 */
class LongPollExpiryTest {
    private static final short VERSION = 17;
    private static final int MAX_WAIT_MS = 1_500;
    /** How early an aligned deadline may end ({@code DelayedOperations.FETCH_EXPIRY_ALIGN_MS}). */
    private static final int ALIGN_MS = 10;
    @TempDir
    static File dataDir;
    private static BrookFixture brook;
    private static Admin admin;
    private static KafkaProducer<byte[], byte[]> producer;

    @BeforeAll
    static void start() throws Exception {
        brook = new BrookFixture(dataDir);
        admin = brook.admin();
        producer = brook.producer(Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        producer.close();
        admin.close();
        brook.close();
    }

    private static Uuid createWithRecords(String topic, int records) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        for (int i = 0; i < records; i++) {
            producer.send(new ProducerRecord<>(topic, 0, null, ("r" + i).getBytes())).get(30, TimeUnit.SECONDS);
        }
        return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).topicId();
    }

    private static FetchRequestData longPoll(Uuid topicId, long offset, int minBytes, int sessionId, int epoch) {
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(MAX_WAIT_MS).setMinBytes(minBytes)
                .setMaxBytes(1 << 20).setSessionId(sessionId).setSessionEpoch(epoch)
                .setTopics(List.of(new FetchTopic().setTopicId(topicId).setPartitions(List.of(new FetchPartition()
                        .setPartition(0).setFetchOffset(offset).setPartitionMaxBytes(1 << 20)
                        .setCurrentLeaderEpoch(-1)))));
    }

    private static PartitionData only(FetchResponseData response) {
        assertEquals(Errors.NONE.code(), response.errorCode());
        assertEquals(1, response.responses().size());
        assertEquals(1, response.responses().get(0).partitions().size());
        return response.responses().get(0).partitions().get(0);
    }

    /** The answer to a fetch sent now, and how long it took. */
    private record Timed(FetchResponseData response, long ms) {
    }

    private static Timed call(RawConnection c, FetchRequestData request) throws Exception {
        long start = System.nanoTime();
        FetchResponseData response = (FetchResponseData) c.call(ApiKeys.FETCH, VERSION, request);
        return new Timed(response, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /** What a test does to the partition while its poll waits. */
    private interface Change {
        void run() throws Exception;
    }

    /** Runs {@code change} 300 ms from now, on another thread (the poll is parked by then). */
    private static CompletableFuture<Void> duringThePoll(Change change) {
        return CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(300);
                change.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void assertAnsweredAtMaxWait(Timed timed) {
        assertTrue(timed.ms() >= MAX_WAIT_MS - ALIGN_MS, "answered " + timed.ms() + " ms after it was sent");
        assertTrue(timed.ms() < MAX_WAIT_MS + 3_000, "answered " + timed.ms() + " ms after it was sent");
    }

    @Test
    void anIdleLongPollIsAnsweredAtItsMaxWaitWithTheWatermarksItSaw() throws Exception {
        Uuid id = createWithRecords("idle", 3);
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            Timed sessionless = call(c, longPoll(id, 3, 1, 0, -1));
            assertAnsweredAtMaxWait(sessionless);
            PartitionData data = only(sessionless.response());
            assertEquals(Errors.NONE.code(), data.errorCode());
            assertEquals(3, data.highWatermark());
            assertEquals(3, data.lastStableOffset());
            assertEquals(0, data.logStartOffset());
            assertEquals(0, data.records().sizeInBytes());

            // in a session: the full answer names the partition, an idle incremental one leaves it out
            Timed opened = call(c, longPoll(id, 3, 1, 0, 0));
            assertAnsweredAtMaxWait(opened);
            assertEquals(3, only(opened.response()).highWatermark());
            int session = opened.response().sessionId();
            Timed quiet = call(c, longPoll(id, 3, 1, session, 1).setTopics(List.of()));
            assertAnsweredAtMaxWait(quiet);
            assertEquals(Errors.NONE.code(), quiet.response().errorCode());
            assertEquals(session, quiet.response().sessionId());
            assertEquals(0, quiet.response().responses().size(), "nothing changed, nothing sent");
        }
    }

    @Test
    void aRecordBelowMinBytesThatArrivesDuringALongPollIsInItsAnswer() throws Exception {
        Uuid id = createWithRecords("below-min-bytes", 0);
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            CompletableFuture<Void> late = duringThePoll(() -> producer.send(
                    new ProducerRecord<>("below-min-bytes", 0, null, "late".getBytes())).get(30, TimeUnit.SECONDS));
            Timed timed = call(c, longPoll(id, 0, 100_000, 0, -1));
            late.get(30, TimeUnit.SECONDS);
            assertAnsweredAtMaxWait(timed);
            PartitionData data = only(timed.response());
            assertEquals(1, data.highWatermark(), "the watermark at expiry, not the one the poll was parked with");
            assertTrue(data.records().sizeInBytes() > 0, "the record that arrived during the poll");
        }
    }

    @Test
    void aLogStartMovedDuringALongPollIsInItsAnswer() throws Exception {
        Uuid id = createWithRecords("deleted-during-poll", 4);
        try (RawConnection c = new RawConnection(brook.bootstrap())) {
            CompletableFuture<Void> delete = duringThePoll(() -> admin.deleteRecords(Map.of(
                    new TopicPartition("deleted-during-poll", 0), RecordsToDelete.beforeOffset(2)))
                    .all().get(30, TimeUnit.SECONDS));
            Timed timed = call(c, longPoll(id, 4, 1, 0, -1));
            delete.get(30, TimeUnit.SECONDS);
            assertAnsweredAtMaxWait(timed);
            PartitionData data = only(timed.response());
            assertEquals(2, data.logStartOffset(), "the log start at expiry");
            assertEquals(4, data.highWatermark());
            assertEquals(0, data.records().sizeInBytes());
        }
    }
}
