package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log start offset moved by retention (time, size) and by DeleteRecords, seen by Kafka's Java
 * clients: ListOffsets earliest answers it, a consumer positioned below it gets
 * OFFSET_OUT_OF_RANGE (an exception with {@code auto.offset.reset=none}, the log start with
 * {@code earliest}, the log end with {@code latest}), and every record from it on is intact and in
 * order. Retention deletes whole segments, as Kafka does: the log start is always a segment's base
 * offset, time retention goes by a segment's largest timestamp (rolling the active segment when all
 * of it expired), size retention above 0 bytes keeps the active segment.
 */
@Timeout(180)
class RetentionTest {
    private static final int RECORDS = 60;
    private static final Map<String, String> FAST_RETENTION = Map.of("log.retention.check.interval.ms", "100");
    private static final Map<String, String> SMALL_SEGMENTS = Map.of("segment.bytes", "1024");

    @TempDir
    File dataDir;

    @Test
    void timeRetentionDeletesWholeSegmentsWhoseNewestRecordExpired() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, FAST_RETENTION); Admin admin = brook.admin()) {
            TopicPartition tp = createTopic(admin, "by-time");
            long now = System.currentTimeMillis();
            int old = 42;
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                produce(producer, tp, 0, old, () -> now - 3_600_000);
                produce(producer, tp, old, RECORDS, System::currentTimeMillis);
            }
            TreeMap<Long, Long> segments = segments(tp);
            assertTrue(segments.size() > 5, "segment.bytes rolls segments: " + segments);
            // the first segment holding a new record, and all after it, stay whole
            long expectedStart = segments.floorKey((long) old);
            assertTrue(expectedStart < old, "the test wants a segment holding old and new records: " + segments);

            alter(admin, tp.topic(), "retention.ms", "600000");
            assertEquals(expectedStart, awaitLogStart(admin, tp, expectedStart));
            assertEquals(segments.tailMap(expectedStart, true).keySet(), segments(tp).keySet(),
                    "only the segments wholly older than retention.ms are deleted");
            assertEquals(RECORDS, offset(admin, tp, OffsetSpec.latest()));
            assertReads(brook, tp, expectedStart, RECORDS);

            // every record expires: the active segment is rolled and deleted too, the log keeps its end
            alter(admin, tp.topic(), "retention.ms", "1000");
            assertEquals(RECORDS, awaitLogStart(admin, tp, RECORDS));
            assertEquals(List.of((long) RECORDS), new ArrayList<>(segments(tp).keySet()));
            assertEquals(RECORDS, offset(admin, tp, OffsetSpec.latest()));
            assertReads(brook, tp, RECORDS, RECORDS);
            alter(admin, tp.topic(), "retention.ms", "600000");
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                produce(producer, tp, RECORDS, RECORDS + 1, System::currentTimeMillis);
            }
            assertEquals(List.of((long) RECORDS), readFrom(brook, tp, 0, "earliest", 1).stream()
                    .map(ConsumerRecord::offset).toList());
        }
    }

    @Test
    void sizeRetentionDeletesTheOldestSegmentsButNeverTheActiveOne() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, FAST_RETENTION); Admin admin = brook.admin()) {
            TopicPartition tp = createTopic(admin, "by-size");
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                produce(producer, tp, 0, RECORDS, System::currentTimeMillis);
            }
            TreeMap<Long, Long> segments = segments(tp);
            assertTrue(segments.size() > 5, "segment.bytes rolls segments: " + segments);
            long total = segments.values().stream().mapToLong(Long::longValue).sum();
            long retentionBytes = total / 2;
            // Kafka's rule: the oldest segment goes while the log without it still holds retention.bytes
            long expectedStart = segments.firstKey();
            long left = total;
            for (Map.Entry<Long, Long> segment : segments.entrySet()) {
                if (left - segment.getValue() < retentionBytes) {
                    expectedStart = segment.getKey();
                    break;
                }
                left -= segment.getValue();
            }
            assertTrue(expectedStart > segments.firstKey() && expectedStart < segments.lastKey(), segments.toString());

            alter(admin, tp.topic(), "retention.bytes", String.valueOf(retentionBytes));
            assertEquals(expectedStart, awaitLogStart(admin, tp, expectedStart));
            assertEquals(segments.tailMap(expectedStart, true).keySet(), segments(tp).keySet());
            assertReads(brook, tp, expectedStart, RECORDS);

            // retention.bytes=1: all but the active segment go; it stays, with its records (0 would take it too)
            alter(admin, tp.topic(), "retention.bytes", "1");
            long active = segments.lastKey();
            assertEquals(active, awaitLogStart(admin, tp, active));
            Thread.sleep(1000); // ten retention checks
            assertEquals(active, offset(admin, tp, OffsetSpec.earliest()), "the active segment is not deleted");
            assertEquals(List.of(active), new ArrayList<>(segments(tp).keySet()));
            assertTrue(active < RECORDS, "the active segment holds records");
            assertReads(brook, tp, active, RECORDS);
        }
    }

    @Test
    void deleteRecordsMovesTheLogStartInsideASegmentAndItSurvivesARestart() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, FAST_RETENTION)) {
            TopicPartition tp;
            try (Admin admin = brook.admin()) {
                tp = createTopic(admin, "deleted");
                try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                    produce(producer, tp, 0, RECORDS, System::currentTimeMillis);
                }
                TreeMap<Long, Long> segments = segments(tp);
                long start = 27;
                assertFalse(segments.containsKey(start), "the test wants 27 inside a segment: " + segments);

                long low = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(start))).lowWatermarks()
                        .get(tp).get().lowWatermark();
                assertEquals(start, low);
                assertEquals(start, offset(admin, tp, OffsetSpec.earliest()));
                assertEquals(segments.tailMap(segments.floorKey(start), true).keySet(), segments(tp).keySet(),
                        "the segments wholly below the log start are deleted, the one holding it stays");
                assertReads(brook, tp, start, RECORDS);

                ExecutionException beyondEnd = assertThrows(ExecutionException.class, () -> admin.deleteRecords(
                        Map.of(tp, RecordsToDelete.beforeOffset(RECORDS + 1))).lowWatermarks().get(tp).get());
                assertInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class, beyondEnd.getCause());
            }
            brook.restart();
            try (Admin admin = brook.admin()) {
                assertEquals(27, offset(admin, tp, OffsetSpec.earliest()), "the log start is checkpointed");
                assertReads(brook, tp, 27, RECORDS);
            }
        }
    }

    private static TopicPartition createTopic(Admin admin, String topic) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(SMALL_SEGMENTS))).all().get();
        return new TopicPartition(topic, 0);
    }

    private static void alter(Admin admin, String topic, String name, String value) throws Exception {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET)))).all().get();
    }

    /** Produces records {@code from} until {@code to} one at a time, so each is a batch at offset = its number. */
    private static void produce(KafkaProducer<byte[], byte[]> producer, TopicPartition tp, int from, int to,
            LongSupplier timestamp) throws Exception {
        for (int i = from; i < to; i++) {
            long offset = producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), timestamp.getAsLong(),
                    bytes("key-" + i), bytes(value(i)))).get().offset();
            assertEquals(i, offset);
        }
    }

    private static String value(long offset) {
        return "record-" + offset + "-" + "x".repeat(100);
    }

    /** The partition's segments on disk (deleted ones excluded): base offset to .log size. */
    private TreeMap<Long, Long> segments(TopicPartition tp) {
        File[] logs = new File(dataDir, tp.topic() + "-" + tp.partition()).listFiles((d, n) -> n.endsWith(".log"));
        TreeMap<Long, Long> segments = new TreeMap<>();
        for (File log : logs) {
            segments.put(Long.parseLong(log.getName().substring(0, 20)), log.length());
        }
        return segments;
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get().offset();
    }

    /** Waits (15 s at most) until ListOffsets earliest answers {@code expected}; returns the last answer. */
    private static long awaitLogStart(Admin admin, TopicPartition tp, long expected) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        long start = offset(admin, tp, OffsetSpec.earliest());
        while (start != expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            start = offset(admin, tp, OffsetSpec.earliest());
        }
        return start;
    }

    /**
     * A consumer seeking below {@code logStart}: OffsetOutOfRangeException with reset none, the records
     * {@code logStart} until {@code end} exactly with reset earliest, nothing and position {@code end} with latest.
     */
    private static void assertReads(BrookFixture brook, TopicPartition tp, long logStart, long end) {
        long below = Math.max(0, logStart - 7);
        for (long offset : new java.util.TreeSet<>(List.of(below, logStart - 1))) {
            assertOutOfRange(brook, tp, offset, logStart);
        }

        List<ConsumerRecord<byte[], byte[]>> records = readFrom(brook, tp, below, "earliest", (int) (end - logStart));
        List<Long> offsets = records.stream().map(ConsumerRecord::offset).toList();
        List<Long> expected = new ArrayList<>();
        for (long o = logStart; o < end; o++) {
            expected.add(o);
        }
        assertEquals(expected, offsets, "reset earliest: the log from its start, in order");
        for (ConsumerRecord<byte[], byte[]> r : records) {
            assertEquals(value(r.offset()), new String(r.value(), StandardCharsets.UTF_8));
        }

        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(
                Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, below);
            long deadline = System.currentTimeMillis() + 1_500;
            while (System.currentTimeMillis() < deadline) {
                assertEquals(List.of(), consumer.poll(Duration.ofMillis(100)).records(tp), "reset latest: nothing");
            }
            assertEquals(end, consumer.position(tp, Duration.ofSeconds(5)), "reset latest: the log end");
        }
    }

    /** With {@code auto.offset.reset=none}, a consumer at {@code offset} gets OffsetOutOfRangeException. */
    private static void assertOutOfRange(BrookFixture brook, TopicPartition tp, long offset, long logStart) {
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(
                Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.currentTimeMillis() + 10_000;
            OffsetOutOfRangeException outOfRange = null;
            while (outOfRange == null && System.currentTimeMillis() < deadline) {
                try {
                    List<Long> read = consumer.poll(Duration.ofMillis(100)).records(tp).stream()
                            .map(ConsumerRecord::offset).toList();
                    assertEquals(List.of(), read, "no record below the log start " + logStart);
                } catch (OffsetOutOfRangeException e) {
                    outOfRange = e;
                }
            }
            assertTrue(outOfRange != null, "reset none: seeking to " + offset + " below " + logStart + " fails");
            assertEquals(Map.of(tp, offset), outOfRange.offsetOutOfRangePartitions());
        }
    }

    /** Reads from {@code offset} until {@code expected} records arrived (10 s at most), then 300 ms more. */
    private static List<ConsumerRecord<byte[], byte[]>> readFrom(BrookFixture brook, TopicPartition tp, long offset,
            String reset, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(
                Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            long deadline = System.currentTimeMillis() + 10_000;
            while (records.size() < expected && System.currentTimeMillis() < deadline) {
                records.addAll(consumer.poll(Duration.ofMillis(100)).records(tp));
            }
            records.addAll(consumer.poll(Duration.ofMillis(300)).records(tp));
        }
        return records;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
