package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.TreeMap;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node holds 10,000 partitions while its process may open fewer files than that: segments
 * nobody uses close their {@code .log} file ({@code brook.log.segment.idle.ms}), start-up and
 * topic creation open none, and every use opens the file again.
 */
class ManyPartitionsTest {
    private static final int TOPICS = 10;
    private static final int PARTITIONS_PER_TOPIC = 1000;
    /** Below the 10,000 partitions: a broker holding one open file per segment could not start. */
    private static final int OPEN_FILE_LIMIT = 4096;

    @TempDir
    File dataDir;

    @Test
    void holdsTenThousandPartitionsWithFewerOpenFilesAllowed() throws Exception {
        Map<String, String> settings = Map.of("brook.log.segment.idle.ms", "1000");
        try (BrookFixture brook = new BrookFixture(dataDir, settings, OPEN_FILE_LIMIT); Admin admin = brook.admin()) {
            for (int t = 0; t < TOPICS; t++) {
                admin.createTopics(List.of(new NewTopic("many-" + t, PARTITIONS_PER_TOPIC, (short) 1))).all().get();
                // answered at commit, its 1,000 logs still being created: the next admin request waits for them
                admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "many-" + t))).all()
                        .get(30, TimeUnit.SECONDS);
            }
            assertTrue(openFiles(brook) < 1000, openFiles(brook) + " files open after creating 10,000 partitions");

            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int t = 0; t < TOPICS; t++) {
                    for (int p = 0; p < PARTITIONS_PER_TOPIC; p++) {
                        producer.send(new ProducerRecord<>("many-" + t, p, null, bytes("t" + t + "p" + p)));
                    }
                    producer.flush();
                    // a topic's 1,000 active segments close again once idle, before the limit is near
                    waitForOpenFilesBelow(brook, OPEN_FILE_LIMIT / 2);
                }
            }
            assertEveryPartitionHoldsItsRecord(brook, 0);
            assertEveryPartitionHoldsItsRecord(brook, TOPICS - 1);
            waitForOpenFilesBelow(brook, 1000);

            brook.restart(); // loads 10,000 logs under the same limit
            assertEquals(TOPICS * PARTITIONS_PER_TOPIC, admin.describeTopics(
                    IntStream.range(0, TOPICS).mapToObj(t -> "many-" + t).toList()).allTopicNames().get()
                    .values().stream().mapToInt(d -> d.partitions().size()).sum());
            assertTrue(openFiles(brook) < 1000, openFiles(brook) + " files open after loading 10,000 partitions");
            assertEveryPartitionHoldsItsRecord(brook, TOPICS / 2);
        }
    }

    private static void assertEveryPartitionHoldsItsRecord(BrookFixture brook, int topic) {
        String name = "many-" + topic;
        List<TopicPartition> partitions = IntStream.range(0, PARTITIONS_PER_TOPIC)
                .mapToObj(p -> new TopicPartition(name, p)).toList();
        Map<Integer, String> found = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 60_000;
            while (found.size() < PARTITIONS_PER_TOPIC && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    found.put(r.partition(), new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        assertEquals(PARTITIONS_PER_TOPIC, found.size(), name + ": a record in every partition");
        List<String> wrong = new ArrayList<>();
        found.forEach((p, value) -> {
            if (!value.equals("t" + topic + "p" + p)) {
                wrong.add(p + "=" + value);
            }
        });
        assertTrue(wrong.isEmpty(), wrong.toString());
    }

    private static void waitForOpenFilesBelow(BrookFixture brook, int limit) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        long open = openFiles(brook);
        while (open >= limit && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            open = openFiles(brook);
        }
        assertTrue(open < limit, open + " files still open in the server, expected fewer than " + limit);
    }

    /** Every file descriptor of the server process: segment files, sockets, jars. */
    private static long openFiles(BrookFixture brook) throws IOException {
        try (var fds = Files.list(Path.of("/proc", String.valueOf(brook.pid()), "fd"))) {
            return fds.count();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
