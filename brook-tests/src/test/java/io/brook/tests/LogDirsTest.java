package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code log.dirs} with two directories: partitions spread over both, Kafka's admin client sees
 * both, and a directory that fails takes only its own partitions offline.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogDirsTest {
    private static final int PARTITIONS = 4;

    @TempDir
    File root;

    @Test
    @Compat({"Java 4.3.1: admin: describe log dirs (two directories, one failing)"})
    void partitionsSpreadOverTwoDirectoriesAndAFailedOneStopsOnlyItsOwn() throws Exception {
        File first = new File(root, "disk1");
        File second = new File(root, "disk2");
        Map<String, String> settings = Map.of("log.dirs", first + "," + second, "brook.log.segment.idle.ms", "1000");
        try (BrookFixture brook = new BrookFixture(root, settings); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("spread", PARTITIONS, (short) 1))).all().get();
            produce(brook, List.of(0, 1, 2, 3), "before");

            Map<String, LogDirDescription> dirs = admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1);
            assertEquals(2, dirs.size(), dirs.toString());
            Map<TopicPartition, File> placed = new HashMap<>();
            for (File dir : List.of(first, second)) {
                LogDirDescription description = dirs.get(dir.getAbsolutePath());
                assertNull(description.error());
                List<TopicPartition> spread = description.replicaInfos().keySet().stream()
                        .filter(tp -> tp.topic().equals("spread")).toList();
                assertEquals(PARTITIONS / 2, spread.size(), dir + ": " + description);
                spread.forEach(tp -> placed.put(tp, dir));
                assertTrue(new File(dir, "meta.properties").exists());
            }

            // the second disk fails: a partition directory disappears under an idle (closed) segment
            List<Integer> onFirst = new ArrayList<>();
            int broken = -1;
            for (int p = 0; p < PARTITIONS; p++) {
                if (placed.get(new TopicPartition("spread", p)).equals(first)) {
                    onFirst.add(p);
                } else {
                    broken = p;
                }
            }
            Thread.sleep(2_500); // the segments idle and close their files
            Files.move(new File(second, "spread-" + broken).toPath(), new File(root, "gone").toPath());
            int brokenPartition = broken;
            // no retries: the broker's own answer reaches the test (a retried storage error would end
            // in a delivery timeout, which an unresponsive broker would give too)
            ExecutionException failed = assertThrows(ExecutionException.class, () -> {
                try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of(
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.RETRIES_CONFIG, 0,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                        ProducerConfig.LINGER_MS_CONFIG, 0))) {
                    producer.send(new ProducerRecord<>("spread", brokenPartition, null, bytes("lost"))).get();
                }
            });
            assertInstanceOf(KafkaStorageException.class, failed.getCause(), "the broker refuses the write");
            LogDirDescription failedDir = admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1)
                    .get(second.getAbsolutePath());
            assertInstanceOf(KafkaStorageException.class, failedDir.error());

            produce(brook, onFirst, "after");
            for (int p : onFirst) {
                assertEquals(List.of("before-" + p, "after-" + p), read(brook, p, 2));
            }
        }
    }

    private static void produce(BrookFixture brook, List<Integer> partitions, String prefix) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            for (int p : partitions) {
                producer.send(new ProducerRecord<>("spread", p, null, bytes(prefix + "-" + p))).get();
            }
        }
    }

    private static List<String> read(BrookFixture brook, int partition, int expected) {
        TopicPartition tp = new TopicPartition("spread", partition);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 15_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
