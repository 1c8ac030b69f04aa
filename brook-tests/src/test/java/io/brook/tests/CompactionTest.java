package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Log compaction end to end: a topic switched to {@code cleanup.policy=compact} at runtime is
 * cleaned by the log cleaner while a Java consumer reads it; afterwards the Java consumer and kcat
 * read exactly the latest record of each key (tombstones included, within delete.retention.ms);
 * {@code __consumer_offsets} is compacted too, and offsets survive it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CompactionTest {
    private static final int KEYS = 50;
    private static final int ROUNDS = 30;
    private static final Map<String, String> FAST_CLEANER = Map.of(
            "log.cleaner.backoff.ms", "50",
            "log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024),
            "offsets.topic.segment.bytes", "4096");

    @TempDir
    File dataDir;

    @Test
    @Compat({"Java 4.3.1: compacted topics", "kcat: compacted topics", "Java 4.3.1: admin: configs"})
    void aConsumerAndKcatReadTheLatestValueOfEveryKeyWhileAndAfterTheCleanerRuns() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, FAST_CLEANER);
             Admin admin = brook.admin()) {
            String topic = "compacted";
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                    "segment.bytes", "4096", "segment.ms", "1000")))).all().get();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"),
                            AlterConfigOp.OpType.SET)))).all().get();

            // a consumer follows the topic from the start while it is written and cleaned
            Map<String, String> followed = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
            List<String> followerErrors = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread follower = new Thread(() -> follow(brook, topic, followed, followerErrors, stop), "follower");
            follower.start();

            Map<String, String> expected = new LinkedHashMap<>();
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int round = 0; round < ROUNDS; round++) {
                    for (int k = 0; k < KEYS; k++) {
                        boolean tombstone = round == ROUNDS - 1 && k >= KEYS - 5;
                        String value = tombstone ? null : "round-" + round + "-" + "x".repeat(k);
                        producer.send(new ProducerRecord<>(topic, bytes("key-" + k), bytes(value)));
                        expected.put("key-" + k, value);
                    }
                    producer.flush();
                }
                Thread.sleep(1100); // past segment.ms: the next record rolls the segment, so all before it is cleanable
                producer.send(new ProducerRecord<>(topic, bytes("marker"), bytes("end"))).get();
                expected.put("marker", "end");
            }

            List<ConsumerRecord<byte[], byte[]>> compacted = waitForCompaction(brook, topic, expected.size());
            stop.set(true);
            follower.join(30_000);
            assertEquals(List.of(), followerErrors);
            assertEquals(expected, followed, "the follower ends with the latest value of every key");

            Map<String, String> read = new LinkedHashMap<>();
            long previous = -1;
            for (ConsumerRecord<byte[], byte[]> r : compacted) {
                assertTrue(r.offset() > previous, "offsets only grow");
                previous = r.offset();
                read.put(string(r.key()), string(r.value()));
            }
            assertEquals(expected, read, "after cleaning: exactly one record per key, tombstones kept");
            assertEquals(ROUNDS * KEYS, previous, "offsets never change: the marker keeps its offset");

            if (Processes.kcatAvailable()) {
                String kcat = Processes.run(List.of("kcat", "-b", brook.bootstrap(), "-C", "-t", topic, "-o",
                        "beginning", "-e", "-q", "-Z", "-f", "%o %k=%s\\n"), null);
                String[] lines = kcat.split("\n");
                assertEquals(expected.size(), lines.length, kcat);
                Map<String, String> viaKcat = new LinkedHashMap<>();
                for (String line : lines) {
                    String[] kv = line.substring(line.indexOf(' ') + 1).split("=", 2);
                    viaKcat.put(kv[0], kv[1].equals("NULL") ? null : kv[1]);
                }
                assertEquals(expected, viaKcat, "kcat reads the same compacted log");
            }
        }
    }

    @Test
    void consumerOffsetsAreCompactedAndTheLatestCommitSurvivesARestart() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir, FAST_CLEANER)) {
            TopicPartition tp = new TopicPartition("events", 0);
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("events", 1, (short) 1))).all().get();
            }
            try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, "g"))) {
                consumer.assign(List.of(tp));
                for (int i = 1; i <= 400; i++) {
                    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(i, "commit number " + i)));
                }
            }
            File partitionDir = offsetsPartitionDir("g");
            assertTrue(directoryLogBytes(partitionDir) > 0, "the group's commits are in " + partitionDir);
            long deadline = System.currentTimeMillis() + 30_000;
            while (directoryLogBytes(partitionDir) > 3 * 4096 && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(directoryLogBytes(partitionDir) <= 3 * 4096,
                    "400 commits of one offset are compacted: " + directoryLogBytes(partitionDir) + " bytes left");
            brook.restart();
            try (Admin admin = brook.admin()) {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets("g").partitionsToOffsetAndMetadata()
                        .get().get(tp);
                assertEquals(400, committed.offset());
                assertEquals("commit number 400", committed.metadata());
            }
        }
    }

    private File offsetsPartitionDir(String group) {
        int partition = Math.abs(group.hashCode() % 5); // the fixture's offsets.topic.num.partitions
        return new File(dataDir, "__consumer_offsets-" + partition);
    }

    /** The size of the directory's segments; fails if there is no such directory. */
    private static long directoryLogBytes(File dir) {
        long total = 0;
        File[] logs = dir.listFiles((d, name) -> name.endsWith(".log"));
        if (logs == null) {
            throw new AssertionError("no directory " + dir);
        }
        for (File f : logs) {
            total += f.length();
        }
        return total;
    }

    /** Reads the topic from the start, again and again, until it holds just {@code records} records. */
    private static List<ConsumerRecord<byte[], byte[]>> waitForCompaction(BrookFixture brook, String topic,
                                                                         int records) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        List<ConsumerRecord<byte[], byte[]>> all = List.of();
        while (System.currentTimeMillis() < deadline) {
            all = readFromStart(brook, topic);
            if (all.size() == records) {
                return all;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the topic was not compacted to " + records + " records: " + all.size() + " left");
    }

    private static List<ConsumerRecord<byte[], byte[]>> readFromStart(BrookFixture brook, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 20_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
        }
        return all;
    }

    private static void follow(BrookFixture brook, String topic, Map<String, String> latest, List<String> errors,
                               AtomicBoolean stop) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2048))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long previous = -1;
            while (!stop.get() || !latest.containsKey("marker")) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.offset() <= previous) {
                        errors.add("offset " + r.offset() + " after " + previous);
                    }
                    previous = r.offset();
                    latest.put(string(r.key()), string(r.value()));
                }
            }
        } catch (RuntimeException e) {
            errors.add(e.toString());
        }
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
