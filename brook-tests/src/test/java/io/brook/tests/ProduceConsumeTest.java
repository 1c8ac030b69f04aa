package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java producer and consumer (assign mode) against a {@code bin/brook server} process. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProduceConsumeTest {
    /** One server for the class: every test has topics of its own; a test that kills or pauses it leaves it serving. */
    @RegisterExtension
    static final SharedBrook SHARED = new SharedBrook(Map.of());
    File dataDir;
    BrookFixture brook;

    @BeforeEach
    void start() {
        brook = SHARED.brook();
        dataDir = SHARED.dataDir();
    }

    private void createTopic(String name, int partitions, Map<String, String> configs) throws Exception {
        try (Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get();
        }
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(TopicPartition tp, long from, int expected) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, from);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 15_000;
            while (records.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** Reads the partition from its start up to its end offset (as of now): every record it holds. */
    private List<ConsumerRecord<byte[], byte[]>> readToEnd(TopicPartition tp) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 15_000;
            while (consumer.position(tp) < end) {
                assertTrue(System.currentTimeMillis() < deadline, tp + " not read to its end " + end + " in time");
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    @Compat({"Java 4.3.1: produce and consume (keys, values, headers)", "Java 4.3.1: compression {0}"})
    void roundTripsKeysValuesAndHeadersWithEveryCodec(String codec) throws Exception {
        String topic = "codec-" + codec;
        createTopic(topic, 1, Map.of());
        int count = 500;
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, codec))) {
            for (int i = 0; i < count; i++) {
                ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, 0, 1_000_000L + i,
                        i % 10 == 0 ? null : bytes("key-" + i), i % 7 == 0 ? null : bytes("value-" + i));
                record.headers().add(new RecordHeader("h", bytes("header-" + i)));
                producer.send(record);
            }
            producer.flush();
        }
        List<ConsumerRecord<byte[], byte[]>> records = readAll(new TopicPartition(topic, 0), 0, count);
        assertEquals(count, records.size());
        for (int i = 0; i < count; i++) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            assertEquals(i, r.offset());
            assertEquals(i % 10 == 0 ? null : "key-" + i, string(r.key()));
            assertEquals(i % 7 == 0 ? null : "value-" + i, string(r.value()));
            assertEquals(1_000_000L + i, r.timestamp());
            assertEquals("header-" + i, string(r.headers().lastHeader("h").value()));
        }
    }

    @Test
    @Compat({"Java 4.3.1: per-key ordering"})
    void sameKeyGoesToSamePartitionInOrder() throws Exception {
        createTopic("keyed", 4, Map.of());
        Map<String, Integer> partitionOfKey = new HashMap<>();
        Map<Integer, List<String>> sentTo = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                sends.add(producer.send(new ProducerRecord<>("keyed", bytes("k" + (i % 5)), bytes(String.valueOf(i)))));
            }
            for (int i = 0; i < sends.size(); i++) {
                RecordMetadata md = sends.get(i).get();
                Integer previous = partitionOfKey.put("k" + (i % 5), md.partition());
                assertTrue(previous == null || previous == md.partition(), "a key moved partitions");
                sentTo.computeIfAbsent(md.partition(), p -> new ArrayList<>()).add(String.valueOf(i));
            }
        }
        int total = 0;
        for (int p = 0; p < 4; p++) {
            List<String> values = readToEnd(new TopicPartition("keyed", p)).stream().map(r -> string(r.value())).toList();
            assertEquals(sentTo.getOrDefault(p, List.of()), values, "partition " + p + " holds its records in order");
            total += values.size();
        }
        assertEquals(200, total);
    }

    @Test
    @Compat({"Java 4.3.1: seek by offset and timestamp"})
    void seeksByOffsetAndTimestampAndKeepsEverythingAcrossRestart() throws Exception {
        createTopic("timeline", 1, Map.of("segment.bytes", "4096"));
        TopicPartition tp = new TopicPartition("timeline", 0);
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 0))) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>("timeline", 0, 10_000L * (i + 1), null, bytes("v" + i))).get();
            }
        }
        brook.restart();
        List<ConsumerRecord<byte[], byte[]>> fromOffset = readAll(tp, 250, 50);
        assertEquals(50, fromOffset.size());
        assertEquals("v250", string(fromOffset.get(0).value()));
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(Map.of(tp, 10_000L * 120 - 5));
            assertEquals(119, found.get(tp).offset());
            assertEquals(0L, consumer.beginningOffsets(Set.of(tp)).get(tp));
            assertEquals(300L, consumer.endOffsets(Set.of(tp)).get(tp));
        }
        assertEquals(300, readAll(tp, 0, 300).size());
        assertTrue(new File(dataDir, "timeline-0").listFiles((d, n) -> n.endsWith(".log")).length > 1,
                "small segment.bytes rolls segments");
    }

    @Test
    @Compat({"Java 4.3.1: topic compression.type re-encodes batches"})
    void aTopicsCompressionTypeReencodesWhatProducersSend() throws Exception {
        createTopic("zstd-topic", 1, Map.of("compression.type", "zstd"));
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip"))) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("zstd-topic", 0, bytes("k" + i), bytes("v" + i)));
            }
        }
        List<ConsumerRecord<byte[], byte[]>> records = readAll(new TopicPartition("zstd-topic", 0), 0, 100);
        assertEquals(100, records.size());
        for (int i = 0; i < 100; i++) {
            assertEquals("v" + i, string(records.get(i).value()));
        }
        try (FileRecords segment = FileRecords.open(new File(dataDir, "zstd-topic-0/00000000000000000000.log"))) {
            for (RecordBatch batch : segment.batches()) {
                assertEquals(CompressionType.ZSTD, batch.compressionType(), "stored in the topic's codec");
            }
        }
    }

    @Test
    @Compat({"Java 4.3.1: idempotent producer across a server crash (SIGKILL)"})
    void idempotentProducerRidesThroughAServerCrashWithoutLossOrDuplicates() throws Exception {
        createTopic("crash", 2, Map.of("segment.bytes", "65536"));
        int count = 6000;
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200))) {
            for (int i = 0; i < count; i++) {
                sends.add(producer.send(new ProducerRecord<>("crash", i % 2, null, bytes("v" + i))));
                if (i == count / 2) {
                    sends.get(i).get(); // the first half is acknowledged; later ones are in flight
                    brook.kill();
                    assertTrue(!new File(dataDir, ".kafka_cleanshutdown").exists(), "no clean-shutdown marker");
                    brook.start(); // same port: the producer reconnects and retries what was not acknowledged
                }
            }
            for (Future<RecordMetadata> send : sends) {
                send.get();
            }
        }
        for (int p = 0; p < 2; p++) {
            List<ConsumerRecord<byte[], byte[]>> records = readToEnd(new TopicPartition("crash", p));
            assertEquals(count / 2, records.size(), "every record once in partition " + p);
            for (int i = 0; i < records.size(); i++) {
                assertEquals("v" + (2 * i + p), string(records.get(i).value()), "order in partition " + p);
                assertEquals(i, records.get(i).offset());
            }
        }
    }

    @Test
    @Compat({"Java 4.3.1: admin: delete records"})
    void deleteRecordsMovesTheLogStart() throws Exception {
        createTopic("trim", 1, Map.of());
        TopicPartition tp = new TopicPartition("trim", 0);
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("trim", 0, null, bytes("v" + i)));
            }
        }
        try (Admin admin = brook.admin()) {
            long low = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(40))).lowWatermarks().get(tp)
                    .get().lowWatermark();
            assertEquals(40, low);
        }
        List<ConsumerRecord<byte[], byte[]>> records = readAll(tp, 40, 60);
        assertEquals(60, records.size());
        assertEquals(40, records.get(0).offset());
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            assertEquals(40L, consumer.beginningOffsets(Set.of(tp)).get(tp));
        }
    }

    @Test
    void aLongPollReturnsARecordProducedWhileWaiting() throws Exception {
        createTopic("waiting", 1, Map.of());
        TopicPartition tp = new TopicPartition("waiting", 0);
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of("fetch.max.wait.ms", 5000));
             KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            assertTrue(consumer.poll(Duration.ofMillis(300)).isEmpty());
            long sent = System.nanoTime();
            producer.send(new ProducerRecord<>("waiting", bytes("late"))).get();
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            while (got.isEmpty() && System.nanoTime() - sent < 10_000_000_000L) {
                consumer.poll(Duration.ofMillis(100)).forEach(got::add);
            }
            assertEquals("late", string(got.get(0).value()));
            assertTrue(System.nanoTime() - sent < 4_000_000_000L, "woken by the append, not the 5 s timeout");
        }
    }

    @Test
    void aLongPollWaitsForMinBytesCountedFromOffsetsNotForTheFirstSmallRecord() throws Exception {
        createTopic("min-bytes", 1, Map.of());
        TopicPartition tp = new TopicPartition("min-bytes", 0);
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of("fetch.max.wait.ms", 30_000,
                "fetch.min.bytes", 4_000));
             KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            producer.send(new ProducerRecord<>("min-bytes", bytes("small"))).get();
            // the parked fetch sees a few bytes past its position: not enough, it keeps waiting
            long start = System.nanoTime();
            List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
            while (System.nanoTime() - start < 1_500_000_000L) {
                consumer.poll(Duration.ofMillis(100)).forEach(got::add);
            }
            assertTrue(got.isEmpty(), "answered before min.bytes was reached: " + got.size());
            producer.send(new ProducerRecord<>("min-bytes", new byte[5_000])).get();
            long sent = System.nanoTime();
            while (got.size() < 2 && System.nanoTime() - sent < 20_000_000_000L) {
                consumer.poll(Duration.ofMillis(100)).forEach(got::add);
            }
            assertEquals(2, got.size());
            assertEquals("small", string(got.get(0).value()));
            assertTrue(System.nanoTime() - sent < 15_000_000_000L, "woken once enough bytes arrived, not at 30 s");
            // the consumer's next fetch is parked for 30 s: a default close would wait for its answer
            consumer.close(Duration.ofMillis(500));
        }
    }

    @Test
    void aOneMegabyteRecordFitsAndALargerOneIsRefused() throws Exception {
        createTopic("big", 1, Map.of("max.message.bytes", String.valueOf(1_100_000)));
        byte[] oneMiB = new byte[1024 * 1024];
        oneMiB[12345] = 42;
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024))) {
            producer.send(new ProducerRecord<>("big", 0, null, oneMiB)).get();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("big", 0, null, new byte[2 * 1024 * 1024])).get());
            assertInstanceOf(RecordTooLargeException.class, e.getCause());
        }
        List<ConsumerRecord<byte[], byte[]>> records = readAll(new TopicPartition("big", 0), 0, 1);
        assertEquals(1, records.size());
        assertArrayEquals(oneMiB, records.get(0).value());
    }

    /**
     * The broker is frozen (SIGSTOP) with a batch in flight until the producer times the request out
     * and sends it again on a new connection; thawed (SIGCONT), the broker reads the first request,
     * appends it, and then gets the retry: a duplicate only idempotence keeps out of the log.
     */
    @Test
    @Compat({"Java 4.3.1: idempotent producer"})
    void anIdempotentProducerIsTheDefaultAndWritesEachRecordOnceThroughRetries() throws Exception {
        createTopic("once", 1, Map.of());
        TopicPartition tp = new TopicPartition("once", 0);
        int count = 2000;
        // no enable.idempotence (nor acks, retries, max.in.flight): Kafka's defaults make it idempotent
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000))) {
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                // freeze the broker, then send, so a batch is in flight to it until the producer retries (the
                // earlier ones may all be acknowledged by then); a few chances, as on a loaded machine the whole
                // window can pass before the request is even sent
                boolean freeze = i % (count / 4) == count / 8 && retries(producer) == 0;
                if (freeze) {
                    signalServer("STOP");
                }
                sends.add(producer.send(new ProducerRecord<>("once", 0, null, bytes("v" + i))));
                if (freeze) {
                    try {
                        long deadline = System.currentTimeMillis() + 10_000;
                        while (retries(producer) == 0 && System.currentTimeMillis() < deadline) {
                            Thread.sleep(50);
                        }
                        Thread.sleep(500); // the retry is on its way to the frozen broker
                    } finally {
                        signalServer("CONT");
                    }
                }
            }
            assertTrue(retries(producer) > 0, "the producer never retried");
            for (Future<RecordMetadata> send : sends) {
                send.get();
            }
        }
        List<ConsumerRecord<byte[], byte[]>> records = readToEnd(tp);
        List<String> values = records.stream().map(r -> string(r.value())).toList();
        assertEquals(count, values.size(), "every record once: " + duplicates(values));
        for (int i = 0; i < count; i++) {
            assertEquals("v" + i, values.get(i), "in order");
        }
        try (Admin admin = brook.admin()) {
            List<ProducerState> producers = admin.describeProducers(List.of(tp)).partitionResult(tp).get()
                    .activeProducers();
            assertEquals(1, producers.size(), "one idempotent producer wrote: " + producers);
            assertTrue(producers.get(0).producerId() >= 0, producers.toString());
            assertEquals(count - 1, producers.get(0).lastSequence(), "one sequence number per record: " + producers);
        }
    }

    private void signalServer(String signal) throws Exception {
        Processes.run(List.of("kill", "-" + signal, String.valueOf(brook.pid())), null);
    }

    private static double retries(KafkaProducer<byte[], byte[]> producer) {
        return producer.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("producer-metrics") && e.getKey().name().equals("record-retry-total"))
                .mapToDouble(e -> (Double) e.getValue().metricValue()).sum();
    }

    private static List<String> duplicates(List<String> values) {
        Set<String> seen = new HashSet<>();
        return values.stream().filter(v -> !seen.add(v)).toList();
    }

    @Test
    @Compat({"Java 4.3.1: topic auto-creation"})
    void autoCreatesATopicOnFirstUse() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            RecordMetadata md = producer.send(new ProducerRecord<>("auto-made", bytes("x"))).get();
            assertEquals(0, md.offset());
        }
        try (Admin admin = brook.admin()) {
            assertTrue(admin.listTopics().names().get().contains("auto-made"));
        }
    }
}
