package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code request_percentage} (Kafka's request quota) on one node process: client id {@code busy} may hold a
 * request-handler thread for {@value #PERCENT}% of a second per second. Two connections each send Metadata requests
 * for every topic back to back for the same time, one as {@code busy}, one as {@code free}: {@code busy} is answered
 * with throttle times (at most one 1 s sample, as Kafka caps them), is not answered again before its throttle time
 * is over (the connection is muted), and gets far fewer requests through; {@code free} is never throttled.
 */
@Timeout(120)
class RequestQuotaTest {
    /** The request quota of client id {@code busy}: 2 ms of request-handler time per second. */
    private static final double PERCENT = 0.2;
    private static final long RUN_MS = 3_000;
    /** Metadata version 12 (topic ids), as kafka-clients 4.x sends. */
    private static final short METADATA_VERSION = 12;

    @TempDir
    File dataDir;

    @Test
    void aClientOverItsRequestPercentageIsThrottledAndAnotherIsNot() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                // a topic of many partitions makes each Metadata answer take measurable handler time
                admin.createTopics(List.of(new NewTopic("wide", 200, (short) 1))).all().get(60, TimeUnit.SECONDS);
                ClientQuotaEntity busy = new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, "busy"));
                admin.alterClientQuotas(List.of(new ClientQuotaAlteration(busy, List.of(
                        new ClientQuotaAlteration.Op("request_percentage", PERCENT))))).all()
                        .get(30, TimeUnit.SECONDS);
                assertEquals(Map.of(busy, Map.of("request_percentage", PERCENT)),
                        admin.describeClientQuotas(ClientQuotaFilter.containsOnly(List.of(
                                ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.CLIENT_ID, "busy"))))
                                .entities().get(30, TimeUnit.SECONDS));
            }
            Run free = metadataLoop(brook, "free");
            Run busy = metadataLoop(brook, "busy");
            System.out.printf("request quota: free %d requests (throttled %d ms max), busy %d requests (throttled %d ms"
                    + " max, %d throttled answers) in %d ms each%n", free.requests(), free.maxThrottleMs(),
                    busy.requests(), busy.maxThrottleMs(), busy.throttled(), RUN_MS);

            assertEquals(0, free.maxThrottleMs(), "the client without a quota was throttled");
            assertTrue(busy.maxThrottleMs() > 0 && busy.maxThrottleMs() <= 1_000,
                    "throttle time of the client over its quota: " + busy.maxThrottleMs());
            assertTrue(busy.requests() * 3 < free.requests(), "busy got " + busy.requests()
                    + " requests through, free " + free.requests());
            assertTrue(busy.earlyAnswers() == 0, busy.earlyAnswers() + " answers came before the throttle time of "
                    + "the previous one was over");
        }
    }

    /**
     * A consumer's fetch over its {@code request_percentage} is answered as Kafka answers it (KIP-219): no records
     * and the throttle time, since whatever it read is not sent; fetches within the quota (0.5 ms of a thread per
     * second) carry records.
     */
    @Test
    void aConsumersFetchOverItsRequestPercentageIsAnsweredEmpty() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("reads", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
                admin.alterClientQuotas(List.of(new ClientQuotaAlteration(new ClientQuotaEntity(Map.of(
                        ClientQuotaEntity.CLIENT_ID, "reader")), List.of(new ClientQuotaAlteration.Op(
                        "request_percentage", 0.05))))).all().get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("reads", new byte[1024]));
                }
                producer.flush();
            }
            short v12 = 12; // topics by name
            FetchRequestData fetch = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
                    .setMaxBytes(1024 * 1024).setSessionId(0).setSessionEpoch(-1); // a full fetch, no session
            fetch.topics().add(new FetchRequestData.FetchTopic().setTopic("reads").setPartitions(List.of(
                    new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                            .setPartitionMaxBytes(1024 * 1024))));
            int withRecords = 0;
            int throttled = 0;
            try (RawConnection raw = new RawConnection(brook.bootstrap())) {
                for (int id = 1; id <= 50; id++) { // warms the fetch path up under a client id without a quota
                    raw.sendBytes(RawConnection.frame(ApiKeys.FETCH, v12, fetch, -id, "warm-up"));
                    raw.read(ApiKeys.FETCH, v12, -id);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                for (int id = 1; throttled < 3; id++) {
                    assertTrue(System.nanoTime() < deadline, "no fetch was throttled in 30 s; " + withRecords
                            + " answered with records");
                    raw.sendBytes(RawConnection.frame(ApiKeys.FETCH, v12, fetch, id, "reader"));
                    FetchResponseData answer = (FetchResponseData) raw.read(ApiKeys.FETCH, v12, id);
                    assertEquals(Errors.NONE.code(), answer.errorCode());
                    if (answer.throttleTimeMs() > 0) {
                        throttled++;
                        assertEquals(List.of(), answer.responses(), "a throttled fetch is answered without records");
                    } else {
                        withRecords++;
                        assertTrue(answer.responses().get(0).partitions().get(0).records().sizeInBytes() > 0,
                                "a fetch within the quota carries records: " + answer);
                    }
                }
            }
            System.out.printf("request quota of a consumer: %d fetches answered with records, %d throttled and "
                    + "empty%n", withRecords, throttled);
        }
    }

    /**
     * What one connection got through in {@link #RUN_MS}: its answers, the largest throttle time, how many answers
     * were throttled, and how many came sooner after the previous answer than its throttle time (less a little slack).
     */
    private record Run(int requests, int maxThrottleMs, int throttled, int earlyAnswers) {
    }

    private static Run metadataLoop(BrookFixture brook, String clientId) throws Exception {
        MetadataRequestData all = new MetadataRequestData().setTopics(null).setAllowAutoTopicCreation(false);
        int requests = 0;
        int maxThrottleMs = 0;
        int throttled = 0;
        int early = 0;
        try (RawConnection raw = new RawConnection(brook.bootstrap())) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MS);
            long previousAnswerNs = 0;
            int previousThrottleMs = 0;
            while (System.nanoTime() < end) {
                int id = requests + 1;
                raw.sendBytes(RawConnection.frame(ApiKeys.METADATA, METADATA_VERSION, all, id, clientId));
                MetadataResponseData answer = (MetadataResponseData) raw.read(ApiKeys.METADATA, METADATA_VERSION, id);
                long answeredNs = System.nanoTime();
                long gapMs = TimeUnit.NANOSECONDS.toMillis(answeredNs - previousAnswerNs);
                if (previousThrottleMs > 0 && gapMs < previousThrottleMs - Math.max(20, previousThrottleMs / 10)) {
                    early++; // muted from when the broker sent the answer: a little slack for the way to the client
                }
                requests++;
                maxThrottleMs = Math.max(maxThrottleMs, answer.throttleTimeMs());
                throttled += answer.throttleTimeMs() > 0 ? 1 : 0;
                previousAnswerNs = answeredNs;
                previousThrottleMs = answer.throttleTimeMs();
            }
        }
        return new Run(requests, maxThrottleMs, throttled, early);
    }
}
