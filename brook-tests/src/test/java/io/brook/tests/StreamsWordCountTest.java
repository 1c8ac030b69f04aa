package io.brook.tests;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kafka Streams 4.3.1 WordCount (at-least-once) against Brook: repartition and changelog topics included. */
class StreamsWordCountTest {
    @TempDir
    File dataDir;
    @TempDir
    File stateDir;

    @Test
    @Compat({"Streams 4.3.1: WordCount (at-least-once)"})
    void wordCountCountsEveryWord() throws Exception {
        try (BrookFixture brook = new BrookFixture(dataDir)) {
            try (Admin admin = brook.admin()) {
                admin.createTopics(List.of(new NewTopic("lines", 2, (short) 1), new NewTopic("counts", 2, (short) 1)))
                        .all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = brook.producer(Map.of())) {
                for (String line : List.of("hello kafka", "hello brook", "kafka streams on brook", "hello")) {
                    producer.send(new ProducerRecord<>("lines", null, line.getBytes(StandardCharsets.UTF_8)));
                }
            }
            StreamsBuilder builder = new StreamsBuilder();
            builder.<String, String>stream("lines")
                    .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
                    .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
                    .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("word-counts"))
                    .toStream()
                    .to("counts", Produced.with(Serdes.String(), Serdes.Long()));
            Properties props = new Properties();
            props.put(StreamsConfig.APPLICATION_ID_CONFIG, "wordcount");
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brook.bootstrap());
            props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
            props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.getAbsolutePath());
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
            props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
            props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
            Map<String, Long> counts = new HashMap<>();
            try (KafkaStreams streams = new KafkaStreams(builder.build(), props);
                 KafkaConsumer<byte[], byte[]> reader = brook.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG,
                         "wordcount-reader"))) {
                streams.start();
                reader.subscribe(List.of("counts"));
                Map<String, Long> expected = Map.of("hello", 3L, "kafka", 2L, "brook", 2L, "streams", 1L, "on", 1L);
                long deadline = System.currentTimeMillis() + 90_000;
                while (!counts.equals(expected) && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : reader.poll(Duration.ofMillis(250))) {
                        counts.put(new String(r.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(r.value()).getLong());
                    }
                }
                assertEquals(expected, counts);
            }
            try (Admin admin = brook.admin()) {
                var topics = admin.listTopics().names().get();
                assertTrue(topics.contains("wordcount-word-counts-changelog"), topics.toString());
                assertTrue(topics.contains("wordcount-word-counts-repartition"), topics.toString());
            }
        }
    }
}
