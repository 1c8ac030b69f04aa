package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Client quotas on one node process (issue 20): set with Kafka's {@code kafka-configs} ({@code ConfigCommand}) for
 * a client id and for the default user, described back with it and with the admin client; a producer with client
 * id {@code fast} is held to its {@code producer_byte_rate} while another producer on the same node is not
 * throttled; a consumer is held to the default user's {@code consumer_byte_rate}. Rates are measured by the
 * clients over their whole run, with 10% tolerance.
 */
@Timeout(240)
class QuotaTest {
    /** The producer quota of client id {@code fast}, bytes per second. */
    private static final long PRODUCER_QUOTA = 200 * 1024;
    /** The consumer quota of every user (the default user entity), bytes per second. */
    private static final long CONSUMER_QUOTA = 300 * 1024;
    private static final long RUN_MS = 6_000;
    private static final int VALUE_BYTES = 1000;
    /** The client id {@link RawConnection} sends, and its producer quota. */
    private static final String RAW_CLIENT_ID = "raw-test";
    private static final int RAW_QUOTA = 100_000;

    @TempDir
    File dataDir;

    @Test
    @Compat({"Kafka tools 4.3.1: kafka-configs --entity-type clients/users quotas"})
    void producerAndConsumerByteRatesAreEnforcedPerClient() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            String bootstrap = brook.bootstrap();
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("quota-fast", 1, (short) 1),
                        new NewTopic("quota-free", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

                // the tool's JVMs start slowly on a loaded machine: the two entities are set (then read) side by side
                ExecutorService tools = Executors.newFixedThreadPool(2);
                try {
                    Future<String> setClient = tools.submit(() -> configs(bootstrap, "--alter", "--add-config",
                            "producer_byte_rate=" + PRODUCER_QUOTA, "--entity-type", "clients", "--entity-name", "fast"));
                    Future<String> setUsers = tools.submit(() -> configs(bootstrap, "--alter", "--add-config",
                            "consumer_byte_rate=" + CONSUMER_QUOTA, "--entity-type", "users", "--entity-default"));
                    setClient.get(60, TimeUnit.SECONDS);
                    setUsers.get(60, TimeUnit.SECONDS);
                    Future<String> fast = tools.submit(() -> configs(bootstrap, "--describe", "--entity-type", "clients",
                            "--entity-name", "fast"));
                    Future<String> users = tools.submit(() -> configs(bootstrap, "--describe", "--entity-type", "users",
                            "--entity-default"));
                    String described = fast.get(60, TimeUnit.SECONDS);
                    assertTrue(described.contains("producer_byte_rate=" + PRODUCER_QUOTA), described);
                    described = users.get(60, TimeUnit.SECONDS);
                    assertTrue(described.contains("consumer_byte_rate=" + CONSUMER_QUOTA), described);
                } finally {
                    tools.shutdownNow();
                    assertTrue(tools.awaitTermination(30, TimeUnit.SECONDS));
                }

                Map<ClientQuotaEntity, Map<String, Double>> all = admin.describeClientQuotas(ClientQuotaFilter.all())
                        .entities().get(30, TimeUnit.SECONDS);
                Map<String, String> defaultUser = new HashMap<>();
                defaultUser.put(ClientQuotaEntity.USER, null);
                assertEquals(Map.of(
                        new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, "fast")),
                        Map.of("producer_byte_rate", (double) PRODUCER_QUOTA),
                        new ClientQuotaEntity(defaultUser), Map.of("consumer_byte_rate", (double) CONSUMER_QUOTA)),
                        all);
                assertEquals(Map.of(new ClientQuotaEntity(defaultUser),
                        Map.of("consumer_byte_rate", (double) CONSUMER_QUOTA)),
                        admin.describeClientQuotas(ClientQuotaFilter.containsOnly(List.of(
                                ClientQuotaFilterComponent.ofDefaultEntity(ClientQuotaEntity.USER))))
                                .entities().get(30, TimeUnit.SECONDS));

                // an invalid quota is refused, not stored
                ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.alterClientQuotas(
                        List.of(new ClientQuotaAlteration(new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID,
                                "fast")), List.of(new ClientQuotaAlteration.Op("request_percentage", -50.0)))))
                        .all().get(30, TimeUnit.SECONDS));
                assertInstanceOf(InvalidRequestException.class, refused.getCause());
                assertTrue(refused.getCause().getMessage().contains("must be positive"),
                        refused.getCause().getMessage());
            }

            ExecutorService clients = Executors.newFixedThreadPool(3);
            try {
                Future<Run> fast = clients.submit(() -> produce(brook, "fast", "quota-fast"));
                Future<Run> free = clients.submit(() -> produce(brook, "free", "quota-free"));
                Future<Run> reader = clients.submit(() -> consume(brook, "reader", "quota-free"));
                Run fastRun = fast.get(60, TimeUnit.SECONDS);
                Run freeRun = free.get(60, TimeUnit.SECONDS);
                Run readerRun = reader.get(60, TimeUnit.SECONDS);
                System.out.printf("quota test: fast %.0f B/s (throttled %.0f ms max), free %.0f B/s (throttled %.0f"
                        + " ms max), reader %.0f B/s (throttled %.0f ms max)%n", fastRun.rate(), fastRun.throttleMs(),
                        freeRun.rate(), freeRun.throttleMs(), readerRun.rate(), readerRun.throttleMs());

                assertTrue(fastRun.rate() <= PRODUCER_QUOTA * 1.1 && fastRun.rate() >= PRODUCER_QUOTA * 0.9,
                        "the producer with a quota of " + PRODUCER_QUOTA + " B/s ran at " + fastRun.rate() + " B/s");
                assertTrue(fastRun.throttleMs() > 0, "the broker told the throttled producer its throttle time");
                assertTrue(freeRun.rate() > PRODUCER_QUOTA * 3, "the producer without a quota ran at "
                        + freeRun.rate() + " B/s");
                assertEquals(0.0, freeRun.throttleMs(), "the producer without a quota was throttled");
                // a fetch over the quota is answered empty (KIP-219) and the consumer asks again after its throttle
                // time: each such round trip reads nothing, as with Kafka, so the rate may fall a little further
                assertTrue(readerRun.rate() <= CONSUMER_QUOTA * 1.1 && readerRun.rate() >= CONSUMER_QUOTA * 0.85,
                        "the consumer with a quota of " + CONSUMER_QUOTA + " B/s read at " + readerRun.rate() + " B/s");
                assertTrue(readerRun.throttleMs() > 0, "the broker told the throttled consumer its throttle time");
            } finally {
                clients.shutdownNow();
                assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));
            }
            throttledConnectionIsMuted(brook);
            throttledFetchIsAnsweredEmpty(brook);
        }
    }

    /**
     * KIP-219 for a consumer's fetch, as Kafka: over its quota it is answered at once with no records and the
     * throttle time, the connection is muted for that time, and its fetch session keeps its partition and fetch
     * offset, so the next incremental fetch (naming no partition) reads on from there.
     */
    private static void throttledFetchIsAnsweredEmpty(BrookFixture brook) throws Exception {
        Map<String, String> rawOfAnyUser = new HashMap<>(); // above the default user's quota in Kafka's precedence
        rawOfAnyUser.put(ClientQuotaEntity.USER, null);
        rawOfAnyUser.put(ClientQuotaEntity.CLIENT_ID, RAW_CLIENT_ID);
        try (Admin admin = brook.admin()) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(new ClientQuotaEntity(rawOfAnyUser), List.of(
                    new ClientQuotaAlteration.Op("consumer_byte_rate", (double) RAW_QUOTA))))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        short v12 = 12; // fetch sessions, topics by name
        try (RawConnection raw = new RawConnection(brook.bootstrap())) {
            FetchResponseData opened = (FetchResponseData) raw.call(ApiKeys.FETCH, v12, fetch(0, 0, 0L));
            assertEquals(Errors.NONE.code(), opened.errorCode());
            assertTrue(opened.sessionId() != 0, "a fetch session was opened");
            MemoryRecords records = (MemoryRecords) opened.responses().get(0).partitions().get(0).records();
            assertTrue(records.sizeInBytes() > RAW_QUOTA / 2 && records.sizeInBytes() <= RAW_QUOTA + VALUE_BYTES * 20,
                    "a fetch reads at most about what one second of its quota holds: " + records.sizeInBytes());
            long nextOffset = lastOffset(records) + 1;

            FetchResponseData throttled = (FetchResponseData) raw.call(ApiKeys.FETCH, v12,
                    fetch(opened.sessionId(), 1, nextOffset));
            assertEquals(Errors.NONE.code(), throttled.errorCode());
            assertTrue(throttled.throttleTimeMs() > 0, "two seconds' worth within a second is over the quota");
            assertEquals(List.of(), throttled.responses(), "a throttled fetch is answered without records");
            assertEquals(opened.sessionId(), throttled.sessionId());
            long throttledAt = System.nanoTime();

            FetchResponseData after = (FetchResponseData) raw.call(ApiKeys.FETCH, v12,
                    fetch(opened.sessionId(), 2, null));
            long mutedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - throttledAt);
            assertTrue(mutedMs >= throttled.throttleTimeMs() * 0.9, "the next fetch was answered " + mutedMs
                    + " ms after a throttle time of " + throttled.throttleTimeMs() + " ms");
            assertEquals(Errors.NONE.code(), after.errorCode());
            assertEquals(1, after.responses().size(), "the session still holds its partition: " + after);
            MemoryRecords more = (MemoryRecords) after.responses().get(0).partitions().get(0).records();
            assertTrue(more.sizeInBytes() > 0, "the session read on after the throttle");
            assertEquals(nextOffset, more.batches().iterator().next().baseOffset(),
                    "the session read on from the offset the throttled fetch named");
        }
    }

    /**
     * A fetch of partition 0 of {@code quota-fast}: a full one opening a session (epoch 0), or an incremental one of
     * session {@code sessionId} naming the partition at {@code offset}, or no partition when {@code offset} is null.
     */
    private static FetchRequestData fetch(int sessionId, int epoch, Long offset) {
        FetchRequestData request = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(100).setMinBytes(1)
                .setMaxBytes(10 * 1024 * 1024).setSessionId(sessionId).setSessionEpoch(epoch);
        if (offset != null) {
            request.topics().add(new FetchRequestData.FetchTopic().setTopic("quota-fast").setPartitions(List.of(
                    new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(offset)
                            .setPartitionMaxBytes(10 * 1024 * 1024))));
        }
        return request;
    }

    private static long lastOffset(MemoryRecords records) {
        long last = -1;
        for (var batch : records.batches()) {
            last = batch.lastOffset();
        }
        return last;
    }

    /**
     * KIP-219 without a cooperating client: a raw connection that ignores the throttle time it is told and sends its
     * next request at once still gets no answer to it before that time is over, because the broker stops reading it.
     */
    private static void throttledConnectionIsMuted(BrookFixture brook) throws Exception {
        try (Admin admin = brook.admin()) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(new ClientQuotaEntity(Map.of(
                    ClientQuotaEntity.CLIENT_ID, RAW_CLIENT_ID)), List.of(new ClientQuotaAlteration.Op(
                    "producer_byte_rate", (double) RAW_QUOTA))))).all().get(30, TimeUnit.SECONDS);
        }
        try (RawConnection raw = new RawConnection(brook.bootstrap())) {
            byte[] big = new byte[RAW_QUOTA * 2]; // twice the quota in one request: about a second of throttle
            raw.sendBytes(RawConnection.frame(ApiKeys.PRODUCE, (short) 9, produce(big), 1));
            raw.sendBytes(RawConnection.frame(ApiKeys.PRODUCE, (short) 9, produce(new byte[10]), 2));
            ProduceResponseData first = (ProduceResponseData) raw.read(ApiKeys.PRODUCE, (short) 9, 1);
            long firstAnswered = System.nanoTime();
            assertEquals(Errors.NONE.code(), first.responses().iterator().next().partitionResponses().get(0)
                    .errorCode());
            assertTrue(first.throttleTimeMs() >= 500, "throttle time of a request of twice the quota: "
                    + first.throttleTimeMs());
            raw.read(ApiKeys.PRODUCE, (short) 9, 2);
            long mutedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - firstAnswered);
            assertTrue(mutedMs >= first.throttleTimeMs() * 0.9, "the next request was answered " + mutedMs
                    + " ms after a throttle time of " + first.throttleTimeMs() + " ms");
        }
    }

    private static ProduceRequestData produce(byte[] value) {
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(new ProduceRequestData.TopicProduceData().setName("quota-fast").setPartitionData(List.of(
                new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(
                        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value))))));
        return new ProduceRequestData().setAcks((short) 1).setTimeoutMs(10_000).setTopicData(topics);
    }

    private static String configs(String bootstrap, String... args) throws Exception {
        String[] command = new String[args.length + 2];
        command[0] = "--bootstrap-server";
        command[1] = bootstrap;
        System.arraycopy(args, 0, command, 2, args.length);
        return KafkaAdminToolsTest.tool("kafka.admin.ConfigCommand", command);
    }

    /**
     * A client's run: its payload bytes per second from its first byte (the first acknowledgement or record; before
     * it the client only connects and looks up metadata, slow on a loaded machine) to the end of its run, and the
     * largest throttle time the broker sent it.
     */
    private record Run(double rate, double throttleMs) {
        static Run of(long firstNanos, long endNanos, long bytes, double throttleMs) {
            return new Run(firstNanos == 0 ? 0 : bytes * 1e9 / (endNanos - firstNanos), throttleMs);
        }
    }

    /** Sends as fast as the producer takes records for {@link #RUN_MS}; counts the bytes acknowledged within it. */
    private static Run produce(BrookFixture brook, String clientId, String topic) throws Exception {
        byte[] value = new byte[VALUE_BYTES];
        new Random(42).nextBytes(value);
        AtomicLong acked = new AtomicLong();
        AtomicLong first = new AtomicLong();
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.CLIENT_ID_CONFIG, clientId,
                ProducerConfig.ACKS_CONFIG, "1", ProducerConfig.BUFFER_MEMORY_CONFIG, 1024 * 1024,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000))) {
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(RUN_MS);
            while (System.nanoTime() < end) {
                producer.send(new ProducerRecord<>(topic, value), (metadata, error) -> {
                    long now = System.nanoTime();
                    if (error == null && now < end && !first.compareAndSet(0, now)) {
                        acked.addAndGet(VALUE_BYTES); // the bytes after the first acknowledgement
                    }
                });
            }
            producer.flush();
            return Run.of(first.get(), end, acked.get(), metric(producer.metrics(), "produce-throttle-time-max"));
        }
    }

    /** Reads {@code topic} from its start for {@link #RUN_MS}; counts the bytes of the records polled. */
    private static Run consume(BrookFixture brook, String clientId, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            consumer.seekToBeginning(List.of(new TopicPartition(topic, 0)));
            long bytes = 0;
            long first = 0;
            long next = 0; // every record, in order: a fetch throttled (answered empty) loses none
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MS);
            while (System.nanoTime() < end) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    assertEquals(next++, record.offset(), "the consumer skipped or repeated a record");
                }
                if (first == 0) {
                    first = records.isEmpty() ? 0 : System.nanoTime(); // the bytes after the first records
                } else if (System.nanoTime() < end) {
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        bytes += record.serializedValueSize();
                    }
                }
            }
            return Run.of(first, end, bytes, metric(consumer.metrics(), "fetch-throttle-time-max"));
        }
    }

    private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
        return metrics.entrySet().stream().filter(e -> e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .filter(v -> !Double.isNaN(v)).max().orElse(0);
    }
}
