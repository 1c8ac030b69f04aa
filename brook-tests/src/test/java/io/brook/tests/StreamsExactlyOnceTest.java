package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka Streams 4.3.1 with exactly_once_v2 against Brook: a word count and a stream-table join run
 * in a child JVM that is killed (SIGKILL) in the middle of the input and started again. Read with
 * read_committed afterwards, every word is counted exactly once and every order joined exactly once.
 */
class StreamsExactlyOnceTest {
    private static final int ROUNDS = 60;
    private static final List<String> WORDS = List.of("apple", "banana", "cherry", "date");

    @TempDir
    File dataDir;
    @TempDir
    File stateDir;

    @Test
    @Compat({"Streams 4.3.1: exactly-once (exactly_once_v2)"})
    void countsAndJoinsAreExactAfterAnInstanceIsKilledMidRun() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir); Admin admin = brook.admin()) {
            admin.createTopics(List.of(new NewTopic("lines", 2, (short) 1), new NewTopic("counts", 2, (short) 1),
                    new NewTopic("orders", 2, (short) 1), new NewTopic("customers", 2, (short) 1),
                    new NewTopic("enriched", 2, (short) 1))).all().get();
            Map<String, Long> expected = new HashMap<>();
            int orders = 0;
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (int c = 0; c < 5; c++) {
                    producer.send(new ProducerRecord<>("customers", bytes("c" + c), bytes("name" + c)));
                }
                producer.flush();
                Process app = start(brook);
                try {
                    for (int round = 0; round < ROUNDS; round++) {
                        String line = WORDS.get(round % WORDS.size()) + " " + WORDS.get((round * 7 + 1) % WORDS.size());
                        for (String w : line.split(" ")) {
                            expected.merge(w, 1L, Long::sum);
                        }
                        producer.send(new ProducerRecord<>("lines", bytes("l" + round), bytes(line)));
                        producer.send(new ProducerRecord<>("orders", bytes("c" + round % 5), bytes("o" + round)));
                        orders++;
                        producer.flush();
                        Thread.sleep(50);
                        if (round == ROUNDS / 2) {
                            app.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no clean anything
                            app = start(brook);
                        }
                    }
                    Map<String, Long> counts = new HashMap<>();
                    List<String> enriched = new ArrayList<>();
                    long deadline = System.currentTimeMillis() + 120_000;
                    try (KafkaConsumer<byte[], byte[]> reader = brook.consumer(
                            Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
                        List<TopicPartition> tps = new ArrayList<>();
                        for (String t : List.of("counts", "enriched")) {
                            for (int p = 0; p < 2; p++) {
                                tps.add(new TopicPartition(t, p));
                            }
                        }
                        reader.assign(tps);
                        while ((!counts.equals(expected) || enriched.size() < orders)
                                && System.currentTimeMillis() < deadline) {
                            for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(250))) {
                                if (r.topic().equals("counts")) {
                                    counts.put(string(r.key()), ByteBuffer.wrap(r.value()).getLong());
                                } else {
                                    enriched.add(string(r.value()));
                                }
                            }
                        }
                        reader.poll(Duration.ofSeconds(1)).forEach(r -> {
                            if (r.topic().equals("enriched")) {
                                enriched.add(string(r.value()));
                            }
                        });
                    }
                    assertEquals(expected, counts, "no word counted twice or lost");
                    assertEquals(orders, enriched.size(), "every order joined exactly once: " + enriched);
                    assertEquals(orders, enriched.stream().distinct().count());
                    assertTrue(enriched.stream().anyMatch(v -> v.startsWith("name")), "the table was joined");
                } finally {
                    app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** Starts the Streams application in its own JVM and waits until it runs. */
    private Process start(BrookFixture brook) throws Exception {
        Process p = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), StreamsEosApp.class.getName(), brook.bootstrap(),
                stateDir.getAbsolutePath()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.currentTimeMillis() + 60_000;
        String line;
        while ((line = out.readLine()) != null) {
            if (line.equals("RUNNING")) {
                Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "streams-app-output");
                drain.setDaemon(true);
                drain.start();
                return p;
            }
            if (System.currentTimeMillis() > deadline) {
                break;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("the Streams application did not reach RUNNING");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
