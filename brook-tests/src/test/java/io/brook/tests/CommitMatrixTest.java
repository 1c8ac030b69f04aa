package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Offset commits for every combination of group protocol (classic, consumer) x partition ownership
 * (subscribe, assign) x commit kind (sync, async), with the Java consumer and with librdkafka (a newer
 * one than Debian's, for the consumer protocol): each reads the whole topic in a group of its own,
 * commits, and the group's committed offsets must equal the topic's end offsets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class CommitMatrixTest {
    static final String TOPIC = "commits";
    static final int PARTITIONS = 2;
    static final int RECORDS = 20;

    BrookFixture brook;
    Map<TopicPartition, Long> ends;

    @BeforeAll
    void startAndFill(@TempDir File dataDir) throws Exception {
        brook = new BrookFixture(dataDir);
        try (Admin admin = brook.admin(); KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, null, ("v" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        ends = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            ends.put(new TopicPartition(TOPIC, p), (long) RECORDS / PARTITIONS);
        }
    }

    @AfterAll
    void stop() throws Exception {
        brook.close();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"classic, subscribe, sync", "classic, subscribe, async", "classic, assign, sync",
            "classic, assign, async", "consumer, subscribe, sync", "consumer, subscribe, async",
            "consumer, assign, sync", "consumer, assign, async"})
    @Compat("Java 4.3.1: offset commits ({0})")
    void javaConsumerCommits(String protocol, String mode, String kind) throws Exception {
        String group = "java-" + protocol + "-" + mode + "-" + kind;
        try (KafkaConsumer<byte[], byte[]> consumer = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
            if (mode.equals("subscribe")) {
                consumer.subscribe(List.of(TOPIC));
            } else {
                consumer.assign(ends.keySet());
                consumer.seekToBeginning(ends.keySet());
            }
            int read = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (read < RECORDS && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> ignored : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                }
            }
            assertEquals(RECORDS, read, "records read");
            if (kind.equals("sync")) {
                consumer.commitSync(Duration.ofSeconds(30));
            } else {
                CompletableFuture<Void> done = new CompletableFuture<>();
                consumer.commitAsync((offsets, error) -> {
                    if (error != null) {
                        done.completeExceptionally(error);
                    } else {
                        done.complete(null);
                    }
                });
                while (!done.isDone() && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(100)); // async commit callbacks run inside poll
                }
                done.get(1, TimeUnit.SECONDS);
            }
        }
        assertEquals(ends, committed(group));
    }

    @Test
    @Compat({"librdkafka 2.12.0: offset commits (classic and consumer protocols, subscribe and assign, "
            + "sync, async and auto)"})
    void librdkafkaCommits() throws Exception {
        File lib = Processes.newerLibrdkafka();
        org.junit.jupiter.api.Assumptions.assumeTrue(lib != null, "librdkafka is not built (compat/librdkafka/build.sh)");
        String output = Processes.run(Processes.pythonWithNewerLibrdkafka(lib, List.of(
                new File(BrookFixture.ROOT, "compat/librdkafka/commits.py").getPath(), brook.bootstrap(), TOPIC,
                String.valueOf(PARTITIONS), String.valueOf(RECORDS))), null, Duration.ofSeconds(150));
        Set<String> expected = new java.util.TreeSet<>();
        for (String protocol : List.of("classic", "consumer")) {
            for (String mode : List.of("subscribe", "assign")) {
                for (String kind : List.of("sync", "async", "auto")) {
                    expected.add("commit " + protocol + " " + mode + " " + kind + ": ok");
                }
            }
        }
        assertEquals(expected, output.lines().collect(Collectors.toCollection(java.util.TreeSet::new)), output);
    }

    private Map<TopicPartition, Long> committed(String group) throws Exception {
        try (Admin admin = brook.admin()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            return offsets.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        }
    }
}
